"""Write docs/results.md: every measured number of the project on one generated page.

Reads every ``benchmarks/results/*.json`` and the model cards ``data/pretrained/*.json``
and renders one section per results file (and one for the shipped models), each with a
sentence on what was measured and how (taken from the files' own fields) and a table.
The README and the notebooks quote this page; edit the JSON, never the page.

    python benchmarks/results_page.py            # write docs/results.md
    python benchmarks/results_page.py --check    # exit 1 if the committed page is out of date

Standard library only, and deterministic: no timestamps, files and keys in a fixed order.
A results file this script has no dedicated table for still gets a section: its top-level
facts as a list.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported by a test
from generated_page import write_or_check  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
CARDS_DIR = ROOT / "data" / "pretrained"
PAGE = ROOT / "docs" / "results.md"
COMMAND = "python benchmarks/results_page.py"
DASH = "–"

# How each results file is written (from the Makefile and the scripts' own docstrings).
WRITTEN_BY = {
    "train_throughput.json": "`make bench`, i.e. `python benchmarks/train_throughput.py --steps 20 "
    "--out benchmarks/results/train_throughput.json`",
    "recipe_throughput.json": "`make bench-recipes`, i.e. `python benchmarks/train_throughput.py "
    "--recipes all --batch-sizes 64 256 --steps 20 --out benchmarks/results/recipe_throughput.json`",
    "recipes.json": "`python benchmarks/recipe_study.py` (the `gpu_*` rows merged from device runs "
    "of `benchmarks/gpu_session.sh` with `--merge`)",
    "reference_fcd.json": "`python benchmarks/checkpoint_fcd.py --run RUN --checkpoints ... --out "
    "benchmarks/results/reference_fcd.json`",
    "jax_gpu.json": "`benchmarks/jax_gpu_train.py` and `benchmarks/jax_step_breakdown.py`, run on "
    "the device by `benchmarks/gpu_session.sh`; the rows were collected into this file by hand",
    "enhancement.json": "`python benchmarks/enhancement_figures.py`",
    "conditional_truncation.json": "`python benchmarks/conditional_truncation.py GENERATOR ... "
    "--truncation 2.0 1.5 1.0 0.7 --json benchmarks/results/conditional_truncation.json`",
    "discriminator_overfit.json": "`python benchmarks/discriminator_overfit.py RUN ... --json "
    "benchmarks/results/discriminator_overfit.json`",
    "first_gan.json": "`python benchmarks/first_gan.py` (one run per call; the study's runs with `--name`, "
    "the recipes' with `--recipe`)",
    "notebook_times.json": "`python benchmarks/notebook_times.py`",
    "flow_vs_gan.json": "`python benchmarks/flow_vs_gan.py` (its `command` field gives the options)",
    "gan_augmentation.json": "`python benchmarks/gan_augmentation.py` (its `command` field gives the options)",
    "folder_training.json": "`python benchmarks/folder_training.py`",
    "photo_memory.json": "`python benchmarks/photo_memory.py --compare-with REV --out "
    "benchmarks/results/photo_memory.json`",
}

TEXT_KEYS = ("what", "reading", "note", "goal", "how")


# ---------------------------------------------------------------------------------------------
# formatting


def _float(value):
    return isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool))


def f_int(value):
    """Images/s, counts: an integer with thousands separators."""
    if value is None:
        return DASH
    if not _float(value):
        return cell(value)
    return f"{round(value):,}"


def f_fcd(value):
    """FCD (and KID): 1 decimal from 10 up, 2 below (small distances are what the text compares)."""
    if value is None:
        return DASH
    if not _float(value):
        return cell(value)
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def f_dec(digits):
    def fmt(value):
        if value is None:
            return DASH
        if not _float(value):
            return cell(value)
        return f"{value:.{digits}f}"

    return fmt


f_ratio = f_dec(3)  # ratios, shares, accuracies, precision/recall
f_psnr = f_dec(2)
f_s = f_dec(1)  # seconds, milliseconds


def f_epoch_s(value):
    """Epoch seconds: 3 decimals below 10 s (GPU epochs take well under a second)."""
    if value is None:
        return DASH
    if not _float(value):
        return cell(value)
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def f_bool(value):
    if value is None:
        return DASH
    return "yes" if value else "no"


def f_auto(key, value):
    """A value in a table of facts whose meaning is known only from its (dotted) key."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return f_bool(value)
    if isinstance(value, list):
        return ", ".join(f_auto(key, v) for v in value) if value else DASH
    if isinstance(value, dict):
        return "; ".join(f"{k}: {f_auto(f'{key}.{k}', v)}" for k, v in value.items())
    if isinstance(value, str):
        return cell(value) if value else DASH
    k = str(key).lower()
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if "ratio" in k or "_vs_" in k or k.startswith("vs_"):
        return f_ratio(value)
    if "img_per_s" in k:
        return f_int(value)
    if "fcd" in k:
        return f_fcd(value)
    if "epoch_seconds" in k:
        return f_epoch_s(value)
    if re.search(r"(^|[._])ms([._]|$)", k):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"
    if "seconds" in k:
        return f_s(value)
    if abs(value) >= 1000:
        return f_int(value)
    if value.is_integer():
        return f"{value:g}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 10:
        return f"{value:.2f}"
    return f"{value:.3g}" if abs(value) >= 0.001 else f"{value:.2g}"


def cell(value):
    text = str(value).replace("\n", " ").replace("|", "\\|")
    return text


def code(text):
    return f"`{text}`" if text else DASH


def short_sha(sha):
    return f"`{sha[:12]}`" if isinstance(sha, str) and sha else DASH


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def humanize(key):
    """A JSON key (dotted for nested ones) as words: dates with hyphens, CPU and GPU in capitals."""
    parts = []
    for part in str(key).split("."):
        part = re.sub(r"(\d{4})_(\d{2})_(\d{2})", r"\1-\2-\3", part).replace("_", " ")
        parts.append(re.sub(r"\b(cpu|gpu)\b", lambda m: m.group(1).upper(), part))
    return " / ".join(parts)


def sentence(key):
    """A key as the start of a sentence: humanized, first letter in capitals."""
    text = humanize(key)
    return text[:1].upper() + text[1:]


def slug(title):
    """GitHub's heading anchor."""
    text = re.sub(r"[^\w\- ]", "", title.lower())
    return text.replace(" ", "-")


def hardware_label(hw):
    """'NVIDIA H200 GPU, 16 CPU cores' or 'CPU only, 2 cores' from a hardware dict."""
    if not isinstance(hw, dict):
        return cell(hw) if hw else DASH
    cores = hw.get("cpu_cores")
    gpus = hw.get("gpus") or []
    gpu = None
    if hw.get("gpu_name"):
        gpu = str(hw["gpu_name"]).split(",")[0]
    elif gpus:
        match = re.search(r"\((.+)\)", str(gpus[0]))
        gpu = match.group(1) if match else str(gpus[0])
    if gpu:
        return f"{gpu}, {cores} CPU cores" if cores else gpu
    return f"CPU only, {cores} cores" if cores else "CPU only"


def versions_label(versions):
    if not isinstance(versions, dict) or not versions:
        return DASH
    parts = [f"{k} {v}" for k, v in versions.items() if k not in ("backend", "python")]
    if versions.get("backend"):
        parts.insert(0, f"backend {versions['backend']}")
    return ", ".join(parts)


def common(rows, keys):
    """The values of keys shared by every row, as 'key value' facts; the rest stay per row."""
    facts, varying = {}, []
    for key in keys:
        values = {json.dumps(r.get(key), sort_keys=True) for r in rows}
        if len(values) == 1:
            facts[key] = rows[0].get(key)
        else:
            varying.append(key)
    return facts, varying


# ---------------------------------------------------------------------------------------------
# generic rendering: for whatever has no dedicated table


def flatten(obj, prefix=""):
    """(dotted key, scalar or list of scalars) pairs of a nested dict."""
    out = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(flatten(value, name + "."))
        else:
            out.append((name, value))
    return out


def render_records(records):
    """A list of dicts as one table; columns every record shares go in a sentence above it."""
    keys = []
    for record in records:
        for key, _ in flatten(record):
            if key not in keys:
                keys.append(key)
    flats = [dict(flatten(record)) for record in records]
    shared, varying = common(flats, keys)
    lines = []
    if shared and len(records) > 1:
        lines.append("Every row: " + ", ".join(f"{humanize(k)} {f_auto(k, v)}" for k, v in shared.items()) + ".")
    rows = [[f_auto(k, flat.get(k)) for k in varying] for flat in flats]
    lines.append(table([humanize(k) for k in varying], rows))
    return "\n\n".join(lines)


def render_generic(obj):
    """Text fields as sentences, lists of records as tables, everything else as a facts table."""
    parts, facts = [], []
    if not isinstance(obj, dict):
        if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
            return render_records(obj)
        return f"- {f_auto('value', obj)}"
    for key, value in obj.items():
        if isinstance(value, str) and (key in TEXT_KEYS or key == "command" or len(value) > 60):
            text = code(value) if key == "command" else cell(value)
            parts.append(f"*{sentence(key)}:* {text}")
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            parts.append(f"*{sentence(key)}:*\n\n" + render_records(value))
        elif isinstance(value, dict) and value:
            facts.extend((f"{key}.{k}", v) for k, v in flatten(value))
        else:
            facts.append((key, value))
    if facts:
        rows = [[humanize(k), f_auto(k, v)] for k, v in facts]
        parts.append(table(["quantity", "value"], rows))
    return "\n\n".join(parts)


def render_facts_list(data):
    """The top-level facts of a file with a structure no table here fits."""
    lines = ["No table fits this file's structure; its top-level facts:", ""]
    items = data.items() if isinstance(data, dict) else enumerate(data if isinstance(data, list) else [data])
    for key, value in items:
        if isinstance(value, (dict, list)):
            text = f"{type(value).__name__} of {len(value)}"
        else:
            text = f_auto(str(key), value)
        lines.append(f"- **{humanize(key)}**: {text}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# one renderer per results file


def sec_train_throughput(data):
    facts, varying = common(data, ["steps", "device", "cpu", "cpu_cores", "keras", "backend", "tensorflow"])
    how = (
        f"Each row times {facts.get('steps', 'N')} training steps of one model at one batch size "
        f"on device `{facts.get('device', DASH)}` ({facts.get('cpu', DASH)}, {facts.get('cpu_cores', DASH)} cores), "
        f"Keras {facts.get('keras', DASH)} on {facts.get('backend', DASH)} {facts.get('tensorflow', '')}".rstrip()
        + ". *fit()* is pgan's `GAN.fit()` over cached batches, *minimal loop* a hand-written "
        "`tf.function` loop of the same step in the same run, *input pipeline* `fit()` fed by the "
        "training input pipeline; *generate* times the generator alone."
    )
    rows = [
        [
            cell(r["model"]), r["batch_size"], f_int(r["train_img_per_s"]),
            f_int(r.get("minimal_loop_img_per_s")), f_ratio(r.get("fit_vs_minimal_loop")),
            f_int(r.get("train_img_per_s_input_pipeline")), f_ratio(r.get("input_pipeline_vs_cached")),
            f_int(r.get("generate_img_per_s")), f_s(r.get("generate_one_ms")),
        ]
        + [f_auto(k, r.get(k)) for k in varying]
        for r in data
    ]
    header = [
        "model", "batch", "fit() img/s", "minimal loop img/s", "fit / minimal",
        "input pipeline img/s", "pipeline / cached", "generate img/s", "one image ms",
    ] + [humanize(k) for k in varying]
    return how, table(header, rows)


def sec_recipe_throughput(data):
    facts, varying = common(data, ["steps", "device", "cpu", "cpu_cores", "keras", "backend", "tensorflow"])
    how = (
        f"Each recipe built as `pgan train --recipe` builds it and timed for {facts.get('steps', 'N')} "
        "steps in the same call as its plain model (no extras) at the same batch size, on device "
        f"`{facts.get('device', DASH)}` ({facts.get('cpu', DASH)}, {facts.get('cpu_cores', DASH)} cores), "
        f"Keras {facts.get('keras', DASH)} on {facts.get('backend', DASH)} {facts.get('tensorflow', '')}".rstrip()
        + ". *extras* are the settings the recipe adds; *x plain* is its img/s over the plain model's."
    )
    rows = []
    for r in data:
        extras = ", ".join(f"{k}={f_auto(k, v)}" for k, v in (r.get("extras") or {}).items())
        rows.append(
            [
                code(r["recipe"]), cell(r["model"]), r["batch_size"], extras or DASH,
                f_int(r["train_img_per_s"]), f_int(r.get("plain_model_img_per_s")),
                f_ratio(r.get("vs_plain_model")), f_int(r.get("generate_img_per_s")),
                f_s(r.get("generate_one_ms")),
            ]
            + [f_auto(k, r.get(k)) for k in varying]
        )
    header = [
        "recipe", "model", "batch", "extras", "img/s", "plain model img/s", "x plain",
        "generate img/s", "one image ms",
    ] + [humanize(k) for k in varying]
    return how, table(header, rows)


def metric_row(m):
    return [
        f_int(m.get("n")) if m.get("n") is not None else DASH,
        f_fcd(m.get("fcd")), f_psnr(m.get("kid")), f_ratio(m.get("precision")),
        f_ratio(m.get("recall")), f_ratio(m.get("class_tv")), cell(m.get("classes_present", DASH)),
    ]


METRIC_HEADER = ["N", "FCD", "KID", "precision", "recall", "class TV", "classes"]


def reference_table(by_epoch):
    rows = [
        [r["epoch"], f_s(r.get("train_seconds"))] + metric_row(r) + [f_bool(r.get("memorization_flag"))]
        for r in sorted(by_epoch, key=lambda r: r["epoch"])
    ]
    return table(["epoch", "train s"] + METRIC_HEADER + ["memorization flagged"], rows)


def per_class_table(named_accuracies):
    """(name, conditional_accuracy) pairs: generated accuracy per class, mean, goal met; then the
    judge's accuracy on real images of each class, one row per distinct record of it."""
    names = None
    rows = []
    reals = []  # (accuracies, [runs that recorded them])
    for run, acc in named_accuracies:
        per = acc.get("per_class", [])
        names = names or [p.get("name", str(p.get("class"))) for p in per]
        marks = [
            f_ratio(p.get("generated_accuracy")) + ("" if p.get("meets_goal") else "*") for p in per
        ]
        rows.append(
            [cell(run)] + marks + [f_ratio(acc.get("mean_generated_accuracy")), f_bool(acc.get("all_meet_goal"))]
        )
        real = [p.get("real_accuracy") for p in per]
        for known, who in reals:
            if known == real:
                who.append(run)
                break
        else:
            reals.append((real, [run]))
    for real, who in reals:
        label = "*judge on real test images*"
        if len(reals) > 1:
            label = f"*judge on real test images, as recorded by {', '.join(who)}*"
        rows.append([label] + [f_ratio(a) for a in real] + [DASH, DASH])
    return table(["run"] + list(names or []) + ["mean", "all meet goal"], rows)


def sec_recipes(data, reference_fcd=None):
    runs = data.get("runs", [])
    hw = data.get("hardware")
    how = (
        f"Every run is one `pgan train` command, scored by the {cell(data.get('judge', 'judge'))}. "
        f"Hardware: {cell(hw)}; versions: {versions_label(data.get('versions'))}. Seconds are "
        "training time as recorded; *stopped* says whether `--minutes` ended the run before its epochs."
    )
    parts = []
    ref = data.get("reference")
    if isinstance(ref, dict):
        parts.append(f"**The reference** (`{ref.get('recipe')}` recipe): `{ref.get('command')}`.")
        same = reference_fcd is not None and reference_fcd.get("results") == ref.get("by_epoch")
        if same:
            parts.append(
                "Its scores by epoch are the same as `reference_fcd.json`'s, tabulated in "
                f"[Reference FCD by epoch](#{slug('Reference FCD by epoch')})."
            )
        elif ref.get("by_epoch"):
            if reference_fcd is not None:
                parts.append("These scores by epoch differ from `reference_fcd.json`'s:")
            parts.append(reference_table(ref["by_epoch"]))
        fcd_by_epoch = ref.get("fcd_by_epoch") or {}
        by_epoch = {str(r["epoch"]): r.get("fcd") for r in ref.get("by_epoch", [])}
        if fcd_by_epoch and by_epoch and fcd_by_epoch != by_epoch:
            parts.append("Note: its `fcd_by_epoch` differs from the FCDs of its `by_epoch` rows.")
    rows = []
    for r in runs:
        rows.append(
            [
                cell(r["name"]), code(r.get("recipe")), hardware_label(r.get("hardware")) if r.get("hardware") else DASH,
                f_int(r.get("num_train_images")), cell(r.get("epochs")), f_bool(r.get("stopped_by_time_limit")),
                f_s(r.get("train_seconds")),
            ]
            + metric_row(r)[1:]
            + [f_bool(r.get("memorization_flag")), f_ratio(r.get("memorized_share_feature"))]
        )
    header = ["run", "recipe", "hardware", "images", "epochs", "stopped", "train s"] + METRIC_HEADER[1:] + [
        "memorization flagged", "memorized share (features)"
    ]
    parts.append(f"**The runs** ({len(runs)}, in the order of the file; hardware {DASH} where the row records none):")
    parts.append(table(header, rows))
    cond = [(r["name"], r["conditional_accuracy"]) for r in runs if r.get("conditional_accuracy")]
    if cond:
        goal = cond[0][1].get("goal")
        n = cond[0][1].get("num_per_class")
        parts.append(
            f"**Conditional runs**: share of the {f_int(n)} samples of each class that the judge "
            f"gives that class (* = goal missed; goal: {cell(goal)})."
        )
        parts.append(per_class_table(cond))
    cmd_rows = []
    for r in runs:
        notes = []
        if r.get("backend"):
            notes.append(f"backend {r['backend']}")
        if r.get("side_by_side"):
            notes.append(cell(r["side_by_side"]))
        if r.get("note"):
            notes.append(cell(r["note"]))
        cmd_rows.append([cell(r["name"]), code(r.get("command")), "; ".join(notes) or DASH])
    parts.append("**Commands** (sample grids in the file's `grid` paths):")
    parts.append(table(["run", "command", "notes"], cmd_rows))
    return how, "\n\n".join(parts)


def sec_reference_fcd(data):
    cfg = data.get("config", {})
    keys = ["preset", "epochs", "batch_size", "learning_rate", "beta_1", "update", "g_loss", "seed"]
    settings = ", ".join(f"{k} {f_auto(k, cfg[k])}" for k in keys if k in cfg)
    how = (
        f"The generator inside the training checkpoints of `{cell(data.get('run'))}` ({settings}), "
        "scored at each saved epoch by the judge; *train s* is the run's training time up to that epoch."
    )
    return how, reference_table(data.get("results", []))


def sec_jax_gpu(data):
    versions = data.get("versions", {})
    how = (
        f"{cell(data.get('what', ''))}. Hardware: {cell(data.get('hardware'))}; "
        f"{', '.join(f'{k} {v}' for k, v in versions.items())}; {cell(data.get('date', ''))}."
    )
    parts = []
    ref = data.get("reference")
    if isinstance(ref, dict):
        loops = ref.get("minimal_keras_jax_loop_img_per_s", {})
        parts.append(
            f"Reference, from {cell(ref.get('source', ''))}: "
            + ", ".join(f"{humanize(k)}: {f_int(v)} img/s" for k, v in loops.items())
            + "."
        )
    results = data.get("results", [])
    calls = []
    for r in results:
        key = (r.get("call"), r.get("code"))
        if key not in calls:
            calls.append(key)
    rows = []
    for i, r in enumerate(results, 1):
        minimal = r.get("minimal_loop") or {}
        train_s = r.get("train_seconds")
        train_txt = f_s(train_s) if train_s is not None else (
            f_s(r["train_seconds_total"]) + " (total)" if "train_seconds_total" in r else DASH
        )
        rows.append(
            [
                i, calls.index((r.get("call"), r.get("code"))) + 1, code(r.get("label")), r.get("batch_size"),
                r.get("epochs"), cell(r.get("update") or DASH), cell(r.get("mixed_precision") or "float32"),
                cell(r.get("steps_per_execution", DASH)), f_bool(r.get("train_callbacks")), train_txt,
                f_s(r.get("first_epoch_seconds")), f_epoch_s(r.get("steady_epoch_seconds")),
                f_int(r.get("img_per_s_steady")), f_int(r.get("img_per_s_overall")),
                f_int(minimal.get("img_per_s_steady")) if minimal else DASH,
                f_ratio(r.get("ratio_fit_to_minimal")), f_s(r.get("queue_ms_first_20_steps")),
            ]
        )
    header = [
        "#", "call", "label", "batch", "epochs", "update", "precision", "steps per call", "train callbacks",
        "train s", "first epoch s", "steady epoch s", "steady img/s", "overall img/s",
        "minimal loop img/s", "fit / minimal", "queue ms, 20 steps",
    ]
    parts.append(
        f"**The runs** ({DASH}: not recorded in the row; *first epoch* includes XLA compilation; "
        "*steady*: the epochs after it; *call*: the device call, listed below):"
    )
    parts.append(table(header, rows))
    call_lines = []
    for i, (call, code_) in enumerate(calls, 1):
        line = f"{i}. {cell(call)}"
        if code_:
            line += f" (code: {cell(code_)})"
        call_lines.append(line)
    parts.append("**Calls**:\n\n" + "\n".join(call_lines))
    cmd_rows = [[i, code(r.get("command")), cell(r.get("note") or DASH)] for i, r in enumerate(results, 1)
                if r.get("command") or r.get("note")]
    if cmd_rows:
        parts.append("**Commands and notes** of the rows that record them (the others: see their call):")
        parts.append(table(["#", "command", "note"], cmd_rows))
    cb_rows, cb_names = [], []
    for r in results:
        for name in (r.get("callback_epoch_end_ms") or {}):
            if name not in cb_names:
                cb_names.append(name)
    for i, r in enumerate(results, 1):
        ms = r.get("callback_epoch_end_ms")
        if ms:
            cb_rows.append([i, code(r.get("label")), f_bool(r.get("sync_writes"))] + [f_s(ms.get(n)) for n in cb_names])
    if cb_rows:
        parts.append("**Callbacks' epoch-end time** (ms, median over the epochs after the first):")
        parts.append(table(["#", "label", "sync writes"] + cb_names, cb_rows))
    handled = {"what", "hardware", "date", "versions", "reference", "results"}
    for key, value in data.items():
        if key in handled:
            continue
        if isinstance(value, dict):
            parts.append(f"### {sentence(key)}\n\n" + render_generic(value))
        else:
            parts.append(f"*{sentence(key)}:* {f_auto(key, value)}")
    return how, "\n\n".join(parts)


def sec_enhancement(data):
    hw = data.get("hardware", {})
    versions = {k: hw[k] for k in ("keras", "backend", "tensorflow", "python") if k in hw}
    how = (
        f"PSNR (dB), SSIM and FCD of every method on all {f_int(data.get('num_test_images'))} Fashion-MNIST "
        f"test images, per scale and task; scored on {hardware_label(hw)} ({versions_label(versions)}, "
        f"python {hw.get('python', DASH)}) in {f_s(data.get('seconds'))} s."
    )
    parts = []
    sr = data.get("superres", {})
    if sr:
        scales = list(sr)
        methods = []
        for scale in scales:
            methods.extend(m for m in sr[scale] if m not in methods)
        rows = []
        for m in methods:
            row = [cell(m)]
            for scale in scales:
                s = sr[scale].get(m, {})
                row += [f_psnr(s.get("psnr")), f_ratio(s.get("ssim")), f_fcd(s.get("fcd"))]
            rows.append(row)
        header = ["method"] + [f"{scale} {q}" for scale in scales for q in ("PSNR", "SSIM", "FCD")]
        parts.append("**Super-resolution** (each image shrunk by the scale and enlarged back):")
        parts.append(table(header, rows))
    restore = data.get("restore", {})
    if restore:
        rows = []
        for task, methods in restore.items():
            for m, s in methods.items():
                rows.append([cell(task), cell(m), f_psnr(s.get("psnr")), f_ratio(s.get("ssim")), f_fcd(s.get("fcd"))])
        parts.append("**Restoration** (*damaged*: the input as damaged; then a classical baseline and the U-Nets):")
        parts.append(table(["task", "method", "PSNR", "SSIM", "FCD"], rows))
    return how, "\n\n".join(parts)


def sec_conditional_truncation(data):
    results = data.get("results", [])
    how = (
        f"{cell(data.get('what', ''))} For each generator, {f_int(results[0].get('num_per_class'))} samples per "
        f"class (noise seed {results[0].get('seed')}) at each truncation threshold t (no truncation: {DASH}); "
        "a table cell is the share of a class's samples the judge gives that class."
        if results else cell(data.get("what", ""))
    )
    parts = []
    for g in results:
        names = g.get("class_names", [])
        real = g.get("real") or []
        rows = [
            [DASH if run.get("truncation") is None else cell(run["truncation"])] + [f_ratio(a) for a in run.get("per_class_accuracy", [])]
            + [f_ratio(run.get("mean_accuracy"))]
            for run in g.get("runs", [])
        ]
        if real:
            diag = [real[i][i] for i in range(len(real))]
            rows.append(["*real test images*"] + [f_ratio(a) for a in diag] + [f_ratio(sum(diag) / len(diag))])
        parts.append(f"**{code(g.get('generator'))}** (sha256 {short_sha(g.get('generator_sha256'))}):")
        parts.append(table(["t"] + names + ["mean"], rows))
        plain = next((run for run in g.get("runs", []) if run.get("truncation") is None), None)
        if plain and plain.get("judged_as"):
            conf = [
                [cell(names[i]) if i < len(names) else i] + [f_ratio(x) for x in row]
                for i, row in enumerate(plain["judged_as"])
            ]
            parts.append(
                "What the judge calls each class's samples, no truncation (row: the class asked for; "
                "column: the judge's answer; the other thresholds' matrices are in the JSON):"
            )
            parts.append(table(["class \\ judged as"] + names, conf))
    matrices = []
    for g in results:
        if g.get("real") and g["real"] not in matrices:
            matrices.append(g["real"])
    for matrix in matrices:
        names = results[0].get("class_names", [])
        conf = [[cell(names[i]) if i < len(names) else i] + [f_ratio(x) for x in row] for i, row in enumerate(matrix)]
        which = "every generator's entry" if len(matrices) == 1 else "some entries"
        parts.append(f"What the judge calls real test images of each class (the same in {which}):")
        parts.append(table(["class \\ judged as"] + names, conf))
    return how, "\n\n".join(parts)


def sec_discriminator_overfit(data):
    runs = data.get("runs", [])
    how = (
        f"{cell(data.get('what', ''))} D of each run's last checkpoint, in inference mode, scores the real "
        "images the run trained on (*seen*), as many training images it never saw (*unseen*), the test "
        "split and as many of G's samples (*fake*): mean D(x) (the sigmoid of the logit) and ADA's "
        "r = E[sign(logit)]."
    )
    sets = ["seen_real", "unseen_real", "test_real", "fake"]
    rows = []
    for r in runs:
        row = [
            cell(r["run"]), cell(r.get("epochs")), f_int(r.get("subset")) if r.get("subset") else "all",
            cell(r.get("augment") or "none"), f_auto("p", r.get("augment_p")), f_auto("dropout", r.get("dropout")),
        ]
        for s in sets:
            d = r.get(s) or {}
            row += [f_ratio(d.get("mean_d")), f_ratio(d.get("r_sign"))]
        n = {(r.get(s) or {}).get("n") for s in sets} - {None}
        row += [", ".join(f_int(x) for x in sorted(n)) or DASH, f_dec(4)(r.get("seen_minus_unseen_mean_d")),
                f_dec(4)(r.get("unseen_minus_fake_mean_d"))]
        rows.append(row)
    header = ["run", "epochs", "training images", "augment", "p", "dropout"]
    for s in ("seen", "unseen", "test", "fake"):
        header += [f"{s} D", f"{s} r"]
    header += ["images per set", "seen - unseen D", "unseen - fake D"]
    return how, table(header, rows)


def sec_photo_memory(data):
    hw = data.get("hardware", {})
    versions = {k: hw[k] for k in ("keras", "backend", "tensorflow", "python") if k in hw}
    how = (
        f"{cell(data['what'])} {cell(data.get('how', ''))} Measured on {hardware_label(hw)} with "
        f"{f_auto('memory_gb', hw.get('memory_gb'))} GB of memory ({versions_label(versions)}, python "
        f"{hw.get('python', DASH)}); a process that only imported pgan and loaded the model peaked at "
        f"{f_int(data.get('baseline_after_load_mb'))} MB. MB are MiB."
        + (f" Note: {cell(data['note'])}" if data.get("note") else "")
    )
    rows = [
        [
            cell(r["photo"]), cell(r["model"]), cell(r["algorithm"]), cell(r["output"]),
            f_s(r["input_mb"]), f_s(r["output_mb"]), f_int(r["peak_rss_mb"]), f_int(r["baseline_rss_mb"]),
            f_int(r["photo_mb"]), f_psnr(r.get("photo_mb_vs_input_plus_output")), f_s(r.get("seconds")),
        ]
        for r in data["rows"]
    ]
    header = ["photo", "model", "code", "output", "input MB", "output MB", "peak RSS MB", "baseline MB",
              "photo MB", "photo / (input + output)", "seconds"]
    return how, table(header, rows)


def _first_gan_score(run, num):
    return (run.get("scores") or {}).get(str(num)) or ({"fcd": run.get("fcd"), "classes_present":
            run.get("classes_present"), "precision": run.get("precision"), "recall": run.get("recall")}
            if run.get("num", 2000) == num else {})


def sec_first_gan(data):
    runs = data["runs"]
    references = [r for r in runs if r.get("generator")]
    recipe_runs = [r for r in runs if r["settings"].get("recipe")]
    study = [r for r in runs if not r["settings"].get("recipe") and not r.get("generator")]
    how = f"{cell(data['what'])} {cell(data.get('how', ''))}"
    parts = []
    if recipe_runs:
        rows = [
            [cell(r["name"]), code(r["settings"]["recipe"]), f_s(r["settings"]["seconds"]),
             f_int(r["settings"].get("seed")), f_int(r["steps"]), f_s(r["train_seconds"]),
             f_fcd(_first_gan_score(r, 2000).get("fcd")), f_fcd(_first_gan_score(r, 10000).get("fcd")),
             f_int(_first_gan_score(r, 2000).get("classes_present")),
             f_dec(3)(_first_gan_score(r, 2000).get("precision")), f_dec(3)(_first_gan_score(r, 2000).get("recall")),
             code(r["grid"]) if r.get("grid") else DASH]
            for r in recipe_runs
        ]
        parts.append("### The recipes, as the notebook trains them\n\n" + table(
            ["run", "recipe", "budget s", "seed", "steps", "trained s", "FCD (N=2,000)", "FCD (N=10,000)",
             "classes present", "precision", "recall", "grid"], rows))
    if study:
        def model(r):
            m = r.get("model", {})
            text = f"G{m.get('g_width')}/D{m.get('d_width')} k{m.get('kernel_size')} z{m.get('latent_dim')}"
            extras = [f"{r['settings'].get('steps_per_execution')} steps/call"
                      if (r["settings"].get("steps_per_execution") or 1) > 1 else "",
                      "XLA" if r["settings"].get("jit_compile") else "",
                      f"dropout {r['settings']['dropout']}" if r["settings"].get("dropout", 0.3) != 0.3 else "",
                      f"beta_2 {r['settings']['beta_2']}" if r["settings"].get("beta_2", 0.999) != 0.999 else ""]
            return ", ".join([text] + [e for e in extras if e])

        rows = [
            [cell(r["name"]), f_s(r["settings"].get("seconds")), model(r),
             f_int(r.get("batch_size", r["settings"].get("batch_size"))),
             f_auto("lr", r["settings"].get("lr")), f_auto("ema", r["settings"].get("ema_decay")),
             cell(r["settings"].get("update", DASH)), f_int(r["steps"]),
             f_fcd(_first_gan_score(r, 2000).get("fcd")), f_int(_first_gan_score(r, 2000).get("classes_present")),
             f_dec(3)(_first_gan_score(r, 2000).get("precision")), f_dec(3)(_first_gan_score(r, 2000).get("recall")),
             cell(r.get("note", ""))]
            for r in sorted(study, key=lambda r: (r["settings"].get("seconds", 0),
                                                  _first_gan_score(r, 2000).get("fcd") or 1e9))
        ]
        parts.append("### The study, best first within each budget (seed 0)\n\n" + table(
            ["run", "budget s", "model", "batch", "learning rate", "EMA decay", "update", "steps", "FCD (N=2,000)",
             "classes present", "precision", "recall", "note"], rows))
    if references:
        rows = [[cell(r["name"]), code(r["generator"]), f_fcd(_first_gan_score(r, 2000).get("fcd")),
                 f_fcd(_first_gan_score(r, 10000).get("fcd")), f_int(_first_gan_score(r, 2000).get("classes_present"))]
                for r in references]
        parts.append("### For comparison: generators scored the same way\n\n" + table(
            ["generator", "file", "FCD (N=2,000)", "FCD (N=10,000)", "classes present"], rows))
    return how, "\n\n".join(parts)


def sec_notebook_times(data):
    how = (f"{cell(data['what'])} {cell(data.get('how', ''))} Measured on {hardware_label(data.get('hardware', {}))}.")
    rows = [
        [code(r["notebook"]), f_s(r.get("quick_seconds")), f_s(r.get("full_seconds")),
         cell(r.get("full_source") or r.get("full_note", ""))]
        for r in data["notebooks"]
    ]
    return how, table(["notebook", "quick mode s", "full mode s", "full mode: how measured"], rows)


def sec_flow_vs_gan(data):
    config = data.get("config", {})
    how = (f"{cell(data['what'])} The flow model: preset {code(config.get('preset', DASH))}, batch "
           f"{config.get('batch_size', DASH)}, learning rate {config.get('learning_rate', DASH)}, guidance "
           f"{config.get('guidance', DASH)}, trained on {hardware_label(data.get('hardware', {}))}; command "
           f"{code(data.get('command', DASH))}. The GANs are the shipped models, trained on a GPU, scored the "
           "same way here. Sampling time per image is at the N of the row, on the machine above.")

    def row(label, m):
        return [label, f_fcd(m.get("fcd")), f_dec(3)(m.get("precision")), f_dec(3)(m.get("recall")),
                f_dec(3)(m.get("coverage")), f_int(m.get("classes_present")), f_bool(m.get("memorization_flag")),
                f_int(m.get("num")), f_dec(3)(m.get("sample_ms_per_image"))]

    rows = [row(f"flow, {steps} Euler steps", m) for steps, m in sorted(data["steps"].items(), key=lambda kv: int(kv[0]))]
    rows += [row(code(name) + " (one forward pass)", m) for name, m in data.get("gans", {}).items()]
    parts = [table(["model", "FCD", "precision", "recall", "coverage", "classes present", "memorization flag",
                    "N", "ms per image"], rows)]
    if data.get("curve"):
        parts.append("### The flow model's training curve\n\n" + table(
            ["training minutes", "steps", f"FCD (N={data.get('curve_num', 0):,}, {data.get('curve_steps')} Euler steps)"],
            [[f_dec(1)(p["train_minutes"]), f_int(p["train_steps"]), f_fcd(p["fcd"])] for p in data["curve"]]))
    return how, "\n\n".join(parts)


def sec_gan_augmentation(data):
    settings = data.get("settings", {})
    how = (f"{cell(data['what'])} {cell(data.get('how', ''))} Measured on {hardware_label(data.get('hardware', {}))} "
           f"({versions_label(data.get('versions', {}))}); {f_s(data.get('total_seconds'))} s of cells in all."
           f"\n\n**Finding.** {cell(data.get('finding', DASH))}")
    cas = data.get("cas", {})
    parts = ["### CAS: trained on generated images only, tested on real ones\n\n" + table(
        ["trained on", "images", "steps", "test accuracy", "seconds"],
        [[label, f_int(cas[key].get("num_images")), f_int(cas[key].get("steps")), f_ratio(cas[key].get("accuracy")),
          f_s(cas[key].get("seconds"))]
         for key, label in (("generated", "the shipped conditional GAN's samples (CAS)"),
                            ("real", "as many real training images")) if key in cas])]
    rows = []
    for size, listed in data.get("summary", {}).items():
        for r in listed:
            rows.append([cell(size), f_int(r.get("num_images")), cell(r["label"]), f_ratio(r.get("mean")),
                         f_ratio(r.get("std")), f"{f_ratio(r.get('min'))}{DASH}{f_ratio(r.get('max'))}",
                         ", ".join(str(s) for s in r.get("seeds", [])), f_s(r.get("seconds_mean"))])
    parts.append(f"### Few labelled images: {f_int(settings.get('small_steps'))} classifier steps in every cell\n\n"
                 + table(["share", "real images", "trained on", "mean test accuracy", "std", "min" + DASH + "max",
                          "seeds", "seconds per cell"], rows))
    gans = data.get("gans", [])
    if gans:
        parts.append("### The subset GANs (trained on the subset only)\n\n" + table(
            ["share", "seed", "images", "epochs", "G steps", "seconds", "judge accuracy on its samples", "run folder"],
            [[f"{g['size']:.0%}", f_int(g.get("seed")), f_int(g.get("num_images")), f_int(g.get("epochs")),
              f_int(g.get("train_steps")), f_s(g.get("seconds")), f_ratio(g.get("judge_accuracy_on_samples")),
              code(g.get("run_dir"))] for g in gans]))
    cells = data.get("cells", [])
    if cells:
        parts.append("### Every cell\n\n" + table(
            ["share", "seed", "trained on", "test accuracy", "training s", "seconds"],
            [[f"{c['size']:.0%}", f_int(c.get("seed")), cell(c.get("variant")), f_ratio(c.get("accuracy")),
              f_s(c.get("train_seconds")), f_s(c.get("seconds"))] for c in cells]))
    return how, "\n\n".join(parts)


def sec_folder_training(data):
    how = f"{cell(data['what'])} Command: {code(data['how'])}. Recipe: {code(data['recipe'])}."
    parts = []
    rows = [[cell(r["source"]), f_int(r["seed"]), f_int(r["steps"]), f_s(r["train_seconds"]),
             f_int(r.get("step_images_per_second")), f_fcd(r["fcd"]), f_dec(3)(r.get("precision")),
             f_dec(3)(r.get("recall"))] for r in data["runs"] if r.get("source") in ("folder", "builtin")]
    parts.append(f"### Folder against built-in loader, N={data['runs'][0].get('num', 2000):,}\n\n" + table(
        ["source", "seed", "steps", "trained s", "step img/s", "FCD", "precision", "recall"], rows))
    agree = data["agreement"]
    parts.append(
        f"Mean FCD: folder {f_fcd(agree['mean_fcd']['folder'])}, built-in {f_fcd(agree['mean_fcd']['builtin'])}; "
        f"gap {f_fcd(agree['gap_of_means'])} against a spread between seeds of "
        f"{', '.join(f_fcd(v) for v in agree['seed_spread_per_source'])}; at the same seed the gaps are "
        f"{', '.join(f_fcd(v) for v in agree['same_seed_source_gaps'])}. "
        f"Within seed-to-seed noise: {f_bool(agree['agree_within_seed_noise'])} ({cell(agree['rule'])}).")
    same = data["same_pixels"]
    parts.append(f"The folder holds the same pixels: all 60,000 identical {f_bool(same['all_60000_identical'])}, "
                 f"labels identical {f_bool(same['labels_identical'])}. {cell(same.get('note', ''))}")
    feed = data["input"]
    parts.append(
        f"Input: loading the 60,000 PNGs took {f_s(feed['load_seconds']['folder_60000_png'])} s against "
        f"{f_s(feed['load_seconds']['builtin_idx'])} s for the IDX files; once loaded, the pipeline fed "
        f"{f_int(feed['feed_images_per_second']['folder'])} (folder) and "
        f"{f_int(feed['feed_images_per_second']['builtin'])} (built-in) images/s against the step's "
        f"{f_int(feed['step_images_per_second'])}: the step starves {f_bool(feed['step_starves'])}.")
    rgb = data.get("rgb_32_synthetic")
    if isinstance(rgb, dict):
        parts.append("### 32x32 RGB on a synthetic catalogue\n\n" + render_facts_list(rgb).split("\n\n", 1)[-1]
                     + "\n\n![samples](figures/folder_training/rgb_32_samples.png)")
    if data.get("notes"):
        parts.append("Notes:\n\n" + "\n".join(f"- {cell(n)}" for n in data["notes"]))
    return how, "\n\n".join(parts)


RENDERERS = {
    "notebook_times.json": ("Notebook times", sec_notebook_times),
    "first_gan.json": ("First GAN", sec_first_gan),
    "flow_vs_gan.json": ("Flow matching against the GANs", sec_flow_vs_gan),
    "gan_augmentation.json": ("GAN samples as training data", sec_gan_augmentation),
    "folder_training.json": ("Training from a folder", sec_folder_training),
    "train_throughput.json": ("Training throughput on the CPU", sec_train_throughput),
    "recipe_throughput.json": ("Throughput of each recipe on the CPU", sec_recipe_throughput),
    "recipes.json": ("The recipe study", sec_recipes),
    "reference_fcd.json": ("Reference FCD by epoch", sec_reference_fcd),
    "jax_gpu.json": ("GPU runs: one H200, Keras on JAX", sec_jax_gpu),
    "enhancement.json": ("Super-resolution and restoration", sec_enhancement),
    "conditional_truncation.json": ("Conditional generators under truncation", sec_conditional_truncation),
    "discriminator_overfit.json": ("Discriminator overfitting", sec_discriminator_overfit),
    "photo_memory.json": ("Memory of a huge photo through pgan upscale", sec_photo_memory),
}


# ---------------------------------------------------------------------------------------------
# model cards


def is_model_card(data):
    return (
        isinstance(data, dict) and isinstance(data.get("file"), str) and data["file"].endswith(".keras")
        and "sha256" in data and "name" in data
    )


def card_seconds(card):
    return card.get("train_seconds", card.get("train_seconds_total"))


def card_backend(card):
    for source in (card.get("versions"), card.get("hardware")):
        if isinstance(source, dict) and source.get("backend"):
            return source["backend"]
    return DASH


def own_scores(card, cards):
    """The card's own method in its scores (the baselines are those every card of its task shares)."""
    scores = card.get("scores") or {}
    group = [c for c in cards if c.get("task") == card.get("task") and c.get("scale") == card.get("scale")
             and c.get("scores")]
    shared = set(scores)
    for other in group:
        shared &= set(other["scores"])
    own = [k for k in scores if k not in shared] or list(scores)
    return [(k, scores[k]) for k in own]


def sec_cards(cards):
    how = (
        "From the model cards, one JSON beside each shipped `.keras` file in `data/pretrained/`: what "
        "the card records about how each model was trained and scored. *train s* is the card's own "
        "training time; for a fine-tuned model, *base train s* is its base model's."
    )
    rows = []
    for c in cards:
        base = c.get("base_model") or {}
        rows.append(
            [
                code(c["file"]), f_int(c.get("parameters")), cell(c.get("epochs", DASH)),
                cell(c.get("batch_size", (c.get("config") or {}).get("batch_size", DASH))),
                f_int(c.get("num_train_images")), f_s(card_seconds(c)),
                f_s(base.get("train_seconds_total")) if base else DASH,
                hardware_label(c.get("hardware")), cell(card_backend(c)), f_int(c.get("bytes")),
                short_sha(c.get("sha256")),
            ]
        )
    parts = [
        table(
            ["file", "parameters", "epochs", "batch", "training images", "train s", "base train s",
             "hardware", "backend", "bytes", "sha256"],
            rows,
        )
    ]
    gans = [c for c in cards if isinstance(c.get("metrics"), dict)]
    if gans:
        rows = []
        for c in gans:
            m = c["metrics"]
            acc = m.get("conditional_accuracy") or {}
            rows.append(
                [code(c["name"]) + " (card's metrics)"] + metric_row(m)
                + [f_bool(m.get("memorization_flag")), f_ratio(m.get("memorized_share_feature")),
                   f_ratio(acc.get("mean_generated_accuracy")) if acc else DASH]
            )
            for key, value in c.items():
                if key.startswith("metrics_") and isinstance(value, dict):
                    rows.append(
                        [code(c["name"]) + f" ({humanize(key[len('metrics_'):])})"] + metric_row(value)
                        + [f_bool(value.get("memorization_flag")), f_ratio(value.get("memorized_share_feature")), DASH]
                    )
        parts.append("**Generators**, scored by the judge (how: the list below the table):")
        parts.append(
            table(["model"] + METRIC_HEADER + ["memorization flagged", "memorized share (features)",
                                               "conditional mean accuracy"], rows)
        )
        how_lines = []
        for c in gans:
            if c["metrics"].get("command"):
                how_lines.append(f"- `{c['name']}`, card's metrics: `{c['metrics']['command']}`")
            for key, value in c.items():
                if key.startswith("metrics_") and isinstance(value, dict) and value.get("how"):
                    how_lines.append(f"- `{c['name']}`, {humanize(key[len('metrics_'):])}: {cell(value['how'])}")
        if how_lines:
            parts.append("How they were scored:\n\n" + "\n".join(how_lines))
        cond = [(c["name"], c["metrics"]["conditional_accuracy"]) for c in gans
                if c["metrics"].get("conditional_accuracy")]
        if cond:
            parts.append("Per class (* = goal missed):")
            parts.append(per_class_table(cond))
    judges = [c for c in cards if "test_accuracy" in c]
    for c in judges:
        per = c.get("per_class_test_accuracy") or {}
        parts.append(
            f"**{code(c['name'])}** ({cell(c.get('what', ''))}): test accuracy {f_dec(4)(c.get('test_accuracy'))}, "
            f"training accuracy in the last epoch {f_dec(4)(c.get('train_accuracy_last_epoch'))}; "
            f"{cell(c.get('schedule', ''))}, learning rate {f_auto('lr', c.get('learning_rate'))}; model selection: "
            f"{cell(c.get('model_selection', DASH))}."
        )
        if per:
            parts.append(table(["class"] + list(per), [["test accuracy"] + [f_ratio(v) for v in per.values()]]))
    enhancers = [c for c in cards if c.get("scores")]
    if enhancers:
        rows = []
        for c in enhancers:
            for method, s in own_scores(c, enhancers):
                rows.append(
                    [code(c["name"]), cell(c.get("task", DASH)), cell(c.get("scale", DASH)), cell(c.get("loss", DASH)),
                     cell(method), f_psnr(s.get("psnr")), f_ratio(s.get("ssim")), f_fcd(s.get("fcd"))]
                )
        parts.append("**Enhancers**, their own scores as the cards record them (baselines in the section above):")
        parts.append(table(["model", "task", "scale", "loss", "method", "PSNR", "SSIM", "FCD"], rows))
    cmd_rows = []
    for c in cards:
        chain = c.get("command")
        base = c.get("base_model") or {}
        if base.get("command"):
            chain = f"{base['command']} && {chain}" if chain else base["command"]
        start = DASH
        if base.get("file"):
            start = f"`{base['file']}` (sha256 {short_sha(base.get('sha256'))})"
        init = c.get("initialised_from") or {}
        if init.get("run"):
            start = f"`{init['run']}`, epoch {init.get('epoch', DASH)}"
        cmd_rows.append([code(c["name"]), start, code(chain), cell(c.get("reproduce") or DASH)])
    parts.append("**Commands** (a fine-tuned model's chain starts with its base model's):")
    parts.append(table(["model", "starts from", "command", "to reproduce"], cmd_rows))
    return how, "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# cross-checks: where two files record the same measurement


def cross_checks(results, cards):
    notes = []
    enh = results.get("enhancement.json")
    if isinstance(enh, dict):
        mismatches, checked = [], 0
        for c in cards:
            for method, s in (c.get("scores") or {}).items():
                if c.get("task") == "super-resolution":
                    ref = (enh.get("superres") or {}).get(f"x{c.get('scale')}", {}).get(method)
                else:
                    ref = (enh.get("restore") or {}).get(c.get("task"), {}).get(method)
                if ref is None:
                    continue
                checked += 1
                if any(abs(ref.get(q, 0) - s.get(q, 0)) > 1e-9 for q in ("psnr", "ssim", "fcd")):
                    mismatches.append(f"`{c['name']}` ({method})")
        if checked:
            notes.append(
                f"The enhancer cards' {checked} score rows equal `enhancement.json`'s."
                if not mismatches else "These enhancer card scores differ from `enhancement.json`'s: "
                + ", ".join(mismatches) + "."
            )
    study = results.get("recipes.json")
    if isinstance(study, dict):
        by_name = {r.get("name"): r for r in study.get("runs", [])}
        for c in cards:
            run = by_name.get(c.get("study_run"))
            m = c.get("metrics")
            if not run or not isinstance(m, dict):
                continue
            keys = [k for k in ("fcd", "kid", "precision", "recall", "class_tv", "classes_present") if k in m]
            diff = [k for k in keys if run.get(k) != m.get(k)]
            if run.get("epochs") != c.get("epochs"):
                diff.append("epochs")
            if run.get("train_seconds") != c.get("train_seconds"):
                diff.append("train_seconds")
            notes.append(
                f"`{c['name']}`'s card agrees with its study run `{c['study_run']}` in `recipes.json` "
                "(epochs, seconds, metrics)." if not diff else
                f"`{c['name']}`'s card differs from its study run `{c['study_run']}` in: {', '.join(diff)}."
            )
    study_runs = study.get("runs", []) if isinstance(study, dict) else []
    judge = next((c for c in cards if c.get("per_class_test_accuracy")), None)
    trunc = results.get("conditional_truncation.json")
    if isinstance(trunc, dict):
        by_sha = {c.get("sha256"): c for c in cards}
        for g in trunc.get("results", []):
            card = by_sha.get(g.get("generator_sha256"))
            if card:
                notes.append(f"`conditional_truncation.json`'s `{g.get('generator')}` is the shipped "
                             f"`{card['name']}` (same sha256).")
            run = next((r for r in study_runs if f"/{r.get('name')}/" in str(g.get("generator"))), None)
            if run is None and card:
                run = next((r for r in study_runs if r.get("name") == card.get("study_run")), None)
            plain = next((t for t in g.get("runs", []) if t.get("truncation") is None), None)
            acc = (run or {}).get("conditional_accuracy")
            if plain and acc:
                names = g.get("class_names", [])
                diff = [
                    f"{names[i] if i < len(names) else i} {a} vs {p.get('generated_accuracy')}"
                    for i, (a, p) in enumerate(zip(plain.get("per_class_accuracy", []), acc.get("per_class", []), strict=False))
                    if a != p.get("generated_accuracy")
                ]
                notes.append(
                    f"`conditional_truncation.json`'s untruncated per-class accuracies of `{g.get('generator')}` "
                    + (f"equal study run `{run['name']}`'s." if not diff else
                       f"differ from study run `{run['name']}`'s in `recipes.json`: {', '.join(diff)}.")
                )
            if judge and g.get("real"):
                per = judge["per_class_test_accuracy"]
                diag = {n: g["real"][i][i] for i, n in enumerate(g.get("class_names", [])) if i < len(g["real"])}
                diff = [f"{n} {v} vs {per.get(n)}" for n, v in diag.items() if per.get(n) != v]
                if diff:
                    notes.append(f"The judge's accuracy on real images in `{g.get('generator')}`'s entry differs "
                                 f"from the judge card's: {', '.join(diff)}.")
    if judge:
        per = judge["per_class_test_accuracy"]
        differing = {}
        for r in study_runs:
            acc = r.get("conditional_accuracy") or {}
            diff = tuple(
                f"{p.get('name')} {p.get('real_accuracy')} vs {per.get(p.get('name'))}"
                for p in acc.get("per_class", []) if per.get(p.get("name")) != p.get("real_accuracy")
            )
            if acc:
                differing.setdefault(diff, []).append(r.get("name"))
        for diff, who in differing.items():
            if diff:
                notes.append(
                    f"The judge's accuracy on real images recorded by {', '.join(f'`{w}`' for w in who)} in "
                    f"`recipes.json` differs from the judge card's: {', '.join(diff)}."
                )
            else:
                notes.append(f"The judge's accuracy on real images recorded by {len(who)} of the conditional "
                             "runs in `recipes.json` equals the judge card's.")
    gpu = results.get("jax_gpu.json")
    if isinstance(gpu, dict) and isinstance(gpu.get("results"), list):
        recorded = set(numbers(gpu["results"]))
        for key in [k for k in gpu if k == "summary" or k.startswith("epoch_end")]:
            missing = [f"{humanize(path)} {v}" for path, v in numbered(gpu[key], key) if v not in recorded]
            notes.append(
                f"Every number in `jax_gpu.json`'s `{key}` is one of its rows' numbers." if not missing else
                f"Numbers in `jax_gpu.json`'s `{key}` that none of its rows records: {', '.join(missing)}."
            )
    return notes


def numbers(obj):
    return [v for _, v in numbered(obj, "")]


def numbered(obj, path):
    """(path, number) for every number inside obj."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in numbered(v, f"{path}.{k}" if path else str(k))]
    if isinstance(obj, list):
        return [x for v in obj for x in numbered(v, path)]
    if _float(obj):
        return [(path, obj)]
    return []


# ---------------------------------------------------------------------------------------------
# the page


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_page(results_dir=RESULTS_DIR, cards_dir=CARDS_DIR):
    """The Markdown of the page, from the results folder and the model cards folder."""
    results_dir, cards_dir = Path(results_dir), Path(cards_dir)
    results = {p.name: load_json(p) for p in sorted(results_dir.glob("*.json"))}
    cards = [d for d in (load_json(p) for p in sorted(cards_dir.glob("*.json"))) if is_model_card(d)]
    cards.sort(key=lambda c: c["name"])

    order = [name for name in RENDERERS if name in results] + sorted(n for n in results if n not in RENDERERS)
    sections = []
    for name in order:
        data = results[name]
        title, render = RENDERERS.get(name, (name.removesuffix(".json").replace("_", " ").capitalize(), None))
        try:
            if render is None:
                raise LookupError
            if render is sec_recipes:
                how, body = render(data, results.get("reference_fcd.json"))
            else:
                how, body = render(data)
        except (LookupError, TypeError, AttributeError, ValueError, ZeroDivisionError):
            how, body = "", render_facts_list(data)
        source = f"Source: `benchmarks/results/{name}`"
        if name in WRITTEN_BY:
            source += f", written by {WRITTEN_BY[name]}"
        sections.append((title, "\n\n".join(x for x in (source + ".", how, body) if x)))
    if cards:
        how, body = sec_cards(cards)
        source = "Source: `data/pretrained/*.json` (the model cards)."
        sections.append(("Shipped models", "\n\n".join((source, how, body))))
    notes = cross_checks(results, cards)
    if notes:
        sections.append(("Cross-checks", "Where two files record the same measurement:\n\n"
                         + "\n".join(f"- {n}" for n in notes)))

    lines = [
        f"_Generated by `{COMMAND}` from `benchmarks/results/*.json` and the model cards "
        "`data/pretrained/*.json`: edit those and rerun it (`make results`), never this page._",
        "",
        "# Measured results",
        "",
        "Every number the README and the notebooks quote, from the file that recorded it. Numbers "
        "are rounded: images/s to integers, FCD to 1 decimal (2 below 10), ratios and shares to 3 "
        f"decimals, seconds to 0.1 (epoch times under 10 s to 0.001). {DASH} means not recorded.",
        "",
    ]
    lines += [f"- [{title}](#{slug(title)})" for title, _ in sections]
    for title, body in sections:
        lines += ["", f"## {title}", "", body]
    text = "\n".join(lines)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed page differs from what the JSON gives")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="the results folder")
    parser.add_argument("--cards", type=Path, default=CARDS_DIR, help="the model cards folder")
    parser.add_argument("--out", type=Path, default=PAGE, help="the page to write or check")
    args = parser.parse_args(argv)
    return write_or_check(build_page(args.results, args.cards), args.out, args.check, COMMAND, "the JSON it is built from")


if __name__ == "__main__":
    sys.exit(main())
