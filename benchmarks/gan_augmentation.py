"""GAN samples as training data: do they help a classifier that has few real images?

The source article's FAQ: "use a GAN to generate more data when you have little".
Two measurements, with the product classifier (``pgan.small_data``):

* **CAS** (Ravuri & Vinyals 2019): the shipped conditional generator's samples,
  class-balanced, train the classifier alone; its accuracy on the 10,000 real test
  images, beside the same classifier trained the same way on the 60,000 real images.
* **Small data**: a fixed class-balanced 1 % or 10 % of the labelled training images,
  and the classifier trained on (a) the subset alone, (b) the subset with classical
  augmentation, (c) the subset with samples of a conditional GAN trained on that same
  subset only, (d) both. Every variant trains for the same number of steps. Seed s
  picks the subset, the GAN's seed and the classifier's (and augmentation's) seed. A
  separate row, an upper bound that has seen all 60,000 images, uses the shipped
  generator's samples instead of the subset GAN's.

Resumable: every finished cell goes into ``RUN_ROOT/cells.json`` at once (keyed by the
settings it depends on), and the results file is rewritten from it; rerunning the
same command skips what is done. The subset GANs' run folders resume too.

    python benchmarks/gan_augmentation.py                  # the full study (about 75 min on 2 idle CPU cores)
    python benchmarks/gan_augmentation.py --quick          # a smoke run of a few minutes, into runs/
    python benchmarks/gan_augmentation.py --seeds 0 --sizes 0.01
    python benchmarks/gan_augmentation.py --report-only    # the results file again, from the finished cells
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pgan  # noqa: E402

pgan.quiet_tensorflow()

import numpy as np  # noqa: E402

from pgan import backend, data, metrics, plotting, rundir, runs, sampling, small_data  # noqa: E402
from pgan.config import TrainConfig  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "gan_augmentation.json"
RUN_ROOT = ROOT / "runs" / "gan_augmentation"
VARIANTS = ("subset", "classical", "gan", "gan+classical", "shipped_gan")
SHORT_LABELS = {"subset": "the subset alone", "classical": "classical augmentation", "gan": "the subset GAN's samples",
                "gan+classical": "GAN samples with classical augmentation", "shipped_gan": "the shipped GAN's samples"}
VARIANT_LABELS = {
    "subset": "(a) the subset alone",
    "classical": "(b) subset + classical augmentation",
    "gan": "(c) subset + samples of a GAN trained on the subset",
    "gan+classical": "(d) subset + GAN samples + classical augmentation",
    "shipped_gan": "upper bound: subset + samples of the shipped GAN (trained on all 60,000)",
}
FULL = {"small_steps": 500, "cas_steps": 1000, "cas_samples": 60_000, "generated": 6000, "gan_steps": 3000,
        "batch_size": 128, "filters": [8, 16], "gan_batch_size": 32}
QUICK = {"small_steps": 20, "cas_steps": 20, "cas_samples": 2000, "generated": 500, "gan_steps": 40,
         "batch_size": 64, "filters": [8, 16], "gan_batch_size": 32}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.01, 0.1],
                        help="fractions of the 60,000 labelled training images")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run (results in RUN_ROOT/quick/)")
    parser.add_argument("--no-upper-bound", action="store_true", help="skip the shipped-GAN rows")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the results file from the finished cells (RUN_ROOT/cells.json), running nothing")
    parser.add_argument("--out", type=Path, help=f"results file (default {RESULTS.relative_to(ROOT)}; "
                        "with --quick, RUN_ROOT/quick/gan_augmentation.json)")
    parser.add_argument("--run-root", type=Path, default=RUN_ROOT, help="GAN run folders and the cell cache")
    for key, value in FULL.items():
        if isinstance(value, int):
            parser.add_argument(f"--{key.replace('_', '-')}", type=int, help=f"default {value} ({QUICK[key]} quick)")
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    for key in settings:
        if getattr(args, key, None) is not None:
            settings[key] = getattr(args, key)
    root = args.run_root / "quick" if args.quick else args.run_root
    out = args.out or (root / "gan_augmentation.json" if args.quick else RESULTS)
    return args, settings, root, out


class Cache:
    """Finished cells in ``root/cells.json``, keyed by name and the settings they depend on."""

    def __init__(self, path: Path):
        self.path = path
        self.cells = json.loads(path.read_text()) if path.exists() else {}

    def get(self, name, depends):
        cell = self.cells.get(name)
        return cell if cell is not None and cell.get("depends") == depends else None

    def put(self, name, depends, record):
        self.cells[name] = {**record, "depends": depends}
        rundir.write_json(self.path, self.cells)


def classifier_cell(cache, name, depends, train, test, **fields):
    """Run (or take from the cache) one classifier training; return its record (with ``fields``)."""
    done = cache.get(name, depends)
    if done is not None:
        return done
    start = time.perf_counter()
    classifier = train()
    train_seconds = time.perf_counter() - start
    accuracy = small_data.test_accuracy(classifier, *test)
    record = {**fields, "accuracy": round(accuracy, 4), "train_seconds": round(train_seconds, 1),
              "seconds": round(time.perf_counter() - start, 1)}
    cache.put(name, depends, record)
    print(json.dumps({"cell": name, **record}), flush=True)
    return cache.cells[name]


def shipped_samples(root: Path, settings) -> tuple[np.ndarray, np.ndarray, float]:
    """The shipped conditional generator's class-balanced samples (seed 0), cached in ``root``."""
    path = root / f"shipped_samples_{settings['cas_samples']}.npz"
    if path.exists():
        with np.load(path) as saved:
            return saved["images"], saved["labels"], float(saved["seconds"])
    start = time.perf_counter()
    generator = sampling.load_pretrained("conditional_generator")
    images, labels = small_data.generated_dataset(generator, settings["cas_samples"], seed=0)
    seconds = time.perf_counter() - start
    root.mkdir(parents=True, exist_ok=True)
    np.savez(path, images=images, labels=labels, seconds=seconds)
    plotting.save_grid(data.to_model_range(images[:100]), root / "shipped_samples.png", ncols=10)
    return images, labels, seconds


def subset_gan(cache, root, size, seed, images, labels, settings):
    """Train (or resume) the conditional GAN of one subset; return its record and generator."""
    per_epoch = len(images) // settings["gan_batch_size"]
    epochs = math.ceil(settings["gan_steps"] / per_epoch)
    config = TrainConfig.from_recipe("first", conditional="projection", epochs=epochs, seed=seed,
                                     batch_size=settings["gan_batch_size"],
                                     sample_every=max(1, epochs // 6), checkpoint_seconds=60.0)
    run_dir = root / f"gan_{size_name(size)}_seed{seed}"
    name = f"gan/{size_name(size)}/seed{seed}"
    depends = {"epochs": epochs, "batch_size": config.batch_size, "num_images": len(images)}
    done = cache.get(name, depends)
    if done is None:
        start = time.perf_counter()
        runs.train_gan(config, run_dir, images=images, labels=labels, verbose=0)
        seconds = time.perf_counter() - start
        generator = sampling.load_generator(run_dir / "generator.keras")
        plotting.save_grid(sampling.generate_images(generator, 100, seed=0), run_dir / "final_samples.png", ncols=10)
        judged = metrics.conditional_accuracy(generator, num_per_class=100, seed=0)
        run = json.loads((run_dir / "run.json").read_text())
        record = {"size": size, "seed": seed, "run_dir": run_dir.relative_to(ROOT).as_posix(),
                  "num_images": len(images), "epochs": epochs, "train_steps": run["train_steps"],
                  "seconds": round(seconds, 1),
                  "judge_accuracy_on_samples": round(judged["mean_generated_accuracy"], 4),
                  "final_losses": {k: round(float(v), 4) for k, v in run["final"].items() if "loss" in k}}
        cache.put(name, depends, record)
        print(json.dumps({"cell": name, **record}), flush=True)
        done = cache.cells[name]
    return done, sampling.load_generator(run_dir / "generator.keras")


def size_name(size: float) -> str:
    return f"{size * 100:g}pct"


def summarize(values):
    values = np.asarray(values, dtype=float)
    return {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4) if len(values) > 1
            else None, "min": round(float(values.min()), 4), "max": round(float(values.max()), 4),
            "n": len(values)}


def _compare(rows, variant, against):
    """'classical augmentation beat the subset alone (74.0% vs 71.2%, spread 0.8 points)'."""
    a, b = rows[variant], rows[against]
    if a["std"] is None or b["std"] is None:  # one seed: no spread to judge a difference by
        return (f"{SHORT_LABELS[variant]} {a['mean']:.1%} against {SHORT_LABELS[against]} {b['mean']:.1%} "
                "(one seed: no spread yet, so no conclusion)")
    diff, noise = a["mean"] - b["mean"], max(a["std"], b["std"])
    word = "beat" if diff > noise else "fell behind" if diff < -noise else "did not clearly differ from"
    return (f"{SHORT_LABELS[variant]} {word} {SHORT_LABELS[against]} ({a['mean']:.1%} vs {b['mean']:.1%}; "
            f"spread {noise * 100:.1f} points)")


def _helps(rows, variant, against="subset") -> bool:
    a, b = rows[variant], rows[against]
    if a["std"] is None or b["std"] is None:
        return False
    return a["mean"] - b["mean"] > max(a["std"], b["std"])


def _judged(rows, variant) -> bool:
    """Whether a row and the subset row both have a spread (two seeds or more) to judge by."""
    return variant in rows and rows[variant]["std"] is not None and rows["subset"]["std"] is not None


def finding(cas, summary, steps=None):
    """The result in plain words, from the numbers (the same rules however they come out).

    A difference counts when it is larger than the larger spread (std over seeds) of the two rows.
    ``steps``: the classifier steps of every small-data cell (named when augmentation fell behind).
    """
    parts = []
    if cas.get("generated") and cas.get("real"):
        gen, real = cas["generated"]["accuracy"], cas["real"]["accuracy"]
        parts.append(
            f"Trained only on the shipped GAN's samples, the classifier names {gen:.1%} of the real test images "
            f"(CAS), against {real:.1%} when trained the same way on as many real images: "
            f"{abs(real - gen) * 100:.1f} points {'below' if gen <= real else 'above'}.")
    helped, shipped_helped = [], []
    for size, listed in summary.items():
        rows = {r["variant"]: r for r in listed}
        if "subset" not in rows:
            continue
        items = [_compare(rows, v, "subset") for v in ("classical", "gan", "gan+classical") if v in rows]
        if "gan" in rows and "classical" in rows:
            items.append(_compare(rows, "gan", "classical"))
        if "shipped_gan" in rows:
            items.append(_compare(rows, "shipped_gan", "subset") + ", an upper bound: that GAN saw all the data")
        parts.append(f"At {size} ({rows['subset']['num_images']:,} images): " + "; ".join(items) + ".")
        if "gan" in rows and _helps(rows, "gan"):
            helped.append(size)
        if "shipped_gan" in rows and _helps(rows, "shipped_gan"):
            shipped_helped.append(size)
    if not any(_judged({r["variant"]: r for r in listed}, "gan") for listed in summary.values()
               if "subset" in {r["variant"] for r in listed}):
        parts.append("Not every cell has run with several seeds yet: no conclusion about GAN samples is drawn.")
        return " ".join(parts)
    sized = [{r["variant"]: r for r in listed} for listed in summary.values()]
    if sized and all("classical" in rows and "subset" in rows and _helps(rows, "subset", "classical") for rows in sized):
        parts.append(
            f"Classical augmentation fell behind the subset alone at every size: with the same "
            f"{f'{steps:,} ' if steps else ''}steps for every variant, augmented batches are harder to fit, and "
            "augmentation's usual gain comes in long training, where a classifier would otherwise memorise its few "
            "images: this study does not measure that regime.")
    if helped:
        parts.append(f"Samples of a GAN trained on the same few images helped at {' and '.join(helped)}.")
    elif shipped_helped:
        parts.append(
            "Samples of a GAN trained on the same few images did not help at these sizes, while the shipped GAN's, "
            f"which saw all 60,000 images, did at {' and '.join(shipped_helped)}: what helps is the information of "
            "the images a GAN learnt from, and a GAN trained on the classifier's own few images has no more of it "
            "than they do.")
    else:
        parts.append(
            "Samples of a GAN trained on the same few images did not help at these sizes, and not even the shipped "
            "GAN's, which saw all 60,000 images: at equal training steps the generated images took the place of "
            "real ones in half of every batch, and were worth less (the CAS gap).")
    return " ".join(parts)


def build_results(cache, settings, sizes, seeds, command, shipped_seconds):
    cells = [dict(c, name=n) for n, c in cache.cells.items()]
    cas = {c["name"].split("/")[1]: c for c in cells if c["name"].startswith("cas/")}
    small = [c for c in cells if c["name"].startswith("small/")]
    gans = [c for c in cells if c["name"].startswith("gan/")]
    summary = {}
    for size in sizes:
        rows = []
        for variant in VARIANTS:
            found = [c for c in small if c["size"] == size and c["variant"] == variant and c["seed"] in seeds]
            if found:
                rows.append({"variant": variant, "label": VARIANT_LABELS[variant], "num_images": found[0]["num_images"],
                             "seeds": sorted(c["seed"] for c in found),
                             **summarize([c["accuracy"] for c in found]),
                             "seconds_mean": round(float(np.mean([c["seconds"] for c in found])), 1)})
        if rows:
            summary[f"{size:.0%}"] = rows
    strip = ("depends",)
    return {
        "what": "GAN samples as training data (the source article's FAQ: a GAN to generate more data when you "
                "have little), measured with the product classifier on Fashion-MNIST: CAS of the shipped "
                "conditional generator, and 1% / 10% of the labelled images alone, with classical augmentation, "
                "with samples of a conditional GAN trained on the same subset only, and with both.",
        "how": (
            f"`{command}` on {backend.NAME}. Classifier: pgan.models.build_classifier(filters="
            f"{tuple(settings['filters'])}) (a quarter of the judge's (32, 64) widths, for the CPU budget), Adam 1e-3 "
            f"with cosine decay, batch {settings['batch_size']}, inputs in [-1, 1]; small-data cells train "
            f"{settings['small_steps']} steps whatever the data, the CAS pair {settings['cas_steps']} steps; "
            f"tested once on the 10,000 real test images, no model selection. CAS: {settings['cas_samples']:,} "
            "class-balanced samples (seed 0) of data/pretrained/conditional_generator.keras. Subsets: "
            "pgan.small_data.balanced_subset(seed s), 1% = 60 and 10% = 600 images per class. Subset GANs: "
            f"TrainConfig.from_recipe('first', conditional='projection', batch_size={settings['gan_batch_size']}) "
            f"for about {settings['gan_steps']:,} generator steps (epochs = ceil(steps / batches per epoch)) on the "
            f"subset only, seed s; their EMA generator gives {settings['generated']:,} class-balanced samples (seed s). "
            f"With generated images, {small_data.GENERATED_SHARE:.0%} of every batch is drawn from them, the rest "
            "from the subset. Classical augmentation: pgan.small_data.classical_augmentation() (horizontal flip, "
            "rotation up to 10 degrees, zoom up to 10%, shifts up to 10%; seed s). Seed s picks the subset, the "
            "GAN's seed, the samples' seed and the classifier's seed. Upper-bound rows: the shipped generator's "
            f"samples {settings['generated']:,} per seed (slice s of the CAS samples). Spread: std over seeds (ddof 1)."),
        "command": command,
        "hardware": runs.hardware_record(),
        "versions": backend.versions(),
        "settings": {**settings, "sizes": sizes, "seeds": seeds, "generated_share": small_data.GENERATED_SHARE},
        "shipped_sample_seconds": round(shipped_seconds, 1) if shipped_seconds is not None else None,
        "cas": {k: {kk: vv for kk, vv in v.items() if kk not in strip + ("name",)} for k, v in cas.items()},
        "summary": summary,
        "finding": finding(cas, summary, settings["small_steps"]),
        "gans": [{k: v for k, v in g.items() if k not in strip + ("name",)} for g in gans],
        "cells": [{k: v for k, v in c.items() if k not in strip} for c in small],
        "total_seconds": round(sum(c.get("seconds", 0) for c in cells) + (shipped_seconds or 0), 1),
    }


def small_data_cells(cache, root, catalog, size, seed, settings, shipped, upper_bound, save):
    """The cells of one subset: its GAN, then the classifier on each variant."""
    index = small_data.balanced_subset(catalog.y_train, size, seed)
    images, labels = catalog.x_train[index], catalog.y_train[index]
    gan_record, gan = subset_gan(cache, root, size, seed, images, labels, settings)
    save()
    count = settings["generated"]
    generated = small_data.generated_dataset(gan, count, seed)
    plotting.save_grid(data.to_model_range(generated[0][:100]), root / f"gan_{size_name(size)}_seed{seed}"
                       / "training_samples.png", ncols=10)
    lo = (seed * count) % len(shipped[0])
    variants = {"subset": {}, "classical": {"augment": True}, "gan": {"generated": generated},
                "gan+classical": {"generated": generated, "augment": True}}
    if upper_bound:
        variants["shipped_gan"] = {"generated": (shipped[0][lo:lo + count], shipped[1][lo:lo + count])}
    common = {"batch_size": settings["batch_size"], "filters": settings["filters"]}
    steps = settings["small_steps"]
    for variant, options in variants.items():
        depends = {**common, "steps": steps, "num_images": len(images), "generated": count,
                   "gan": gan_record["depends"] if variant in ("gan", "gan+classical") else None}
        extra = {"generated": options.get("generated"),
                 "augment": small_data.classical_augmentation(seed=seed) if options.get("augment") else None}

        def train(extra=extra):
            return small_data.train_classifier(images, labels, steps, seed, batch_size=settings["batch_size"],
                                               filters=tuple(settings["filters"]), **extra)

        classifier_cell(cache, f"small/{size_name(size)}/seed{seed}/{variant}", depends, train,
                        (catalog.x_test, catalog.y_test), size=size, seed=seed, variant=variant,
                        num_images=len(images))
        save()


def main(argv=None) -> int:
    args, settings, root, out = parse_args(argv)
    command = "python benchmarks/gan_augmentation.py " + " ".join(sys.argv[1:] if argv is None else argv)
    command = command.strip()
    root.mkdir(parents=True, exist_ok=True)
    cache = Cache(root / "cells.json")
    if args.report_only:
        shipped = root / f"shipped_samples_{settings['cas_samples']}.npz"
        if not cache.cells or not shipped.exists():
            raise SystemExit(f"--report-only: no finished cells in {root} yet; run the study first.")
        with np.load(shipped) as saved:
            seconds = float(saved["seconds"])
        previous = json.loads(out.read_text()) if out.exists() else {}
        rundir.write_json(out, build_results(cache, settings, args.sizes, args.seeds,
                                             previous.get("command", command), seconds))
        print(json.dumps({"out": str(out), "finding": json.loads(out.read_text())["finding"]}))
        return 0
    catalog = data.load_fashion_mnist()
    test = (catalog.x_test, catalog.y_test)
    train_options = {"batch_size": settings["batch_size"], "filters": tuple(settings["filters"])}
    common = {"batch_size": settings["batch_size"], "filters": settings["filters"]}

    def save():
        rundir.write_json(out, build_results(cache, settings, args.sizes, args.seeds, command, shipped_seconds))

    # CAS: the shipped generator's samples alone, beside as many real images, trained the same way.
    shipped_images, shipped_labels, shipped_seconds = shipped_samples(root, settings)
    n = settings["cas_samples"]
    cas_depends = {**common, "steps": settings["cas_steps"], "num_images": n}
    for name, images, labels in (("cas/generated", shipped_images, shipped_labels),
                                 ("cas/real", catalog.x_train[:n], catalog.y_train[:n])):
        classifier_cell(cache, name, cas_depends, lambda im=images, la=labels: small_data.train_classifier(
            im, la, settings["cas_steps"], 0, **train_options), test, num_images=n, steps=settings["cas_steps"])
        save()

    for seed in args.seeds:
        for size in args.sizes:
            small_data_cells(cache, root, catalog, size, seed, settings, (shipped_images, shipped_labels),
                             not args.no_upper_bound, save)
    save()
    results = json.loads(out.read_text())
    print(json.dumps({"out": str(out), "finding": results["finding"], "total_seconds": results["total_seconds"]}))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
