"""The stabilisation study: train each recipe with `pgan train`, score it, record it.

Each entry of STUDY is one `pgan train` command. For every entry this script
runs the command (a finished run folder is resumed, which only re-exports),
scores the exported generator with the project's judge on 10,000 samples
(conditional generators also get the per-class accuracy of `--class C`
samples), saves a 10x10 sample grid to docs/figures/recipes/NAME.png, and
writes everything to benchmarks/results/recipes.json together with the
reference's FCD by epoch (from benchmarks/checkpoint_fcd.py's output).

    python benchmarks/recipe_study.py                 # train what is missing, score all
    python benchmarks/recipe_study.py --only workshop_5min --no-train

Long: the full study took hours on a 2-core CPU; a GPU does it in minutes. The
``gpu_*`` entries ran on a GPU machine with Keras on JAX and no TensorFlow
(benchmarks/gpu_session.sh): there ``--out-dir DIR`` keeps runs, grids and one
scored row per run under DIR, and back here ``--merge DIR`` adds those rows and
grids to the study.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = ROOT / "runs" / "study"
DOCS_FIGURES = FIGURES = ROOT / "docs" / "figures" / "recipes"
RESULTS = ROOT / "benchmarks" / "results" / "recipes.json"
REFERENCE = ROOT / "benchmarks" / "results" / "reference_fcd.json"

# The workshop recipe before 2026-11-26 (sngan's settings on the small model), spelt out, 5 minutes.
OLD_WORKSHOP_5MIN = (
    "--model workshop --batch-size 64 --loss hinge --spectral-norm --d-learning-rate 4e-4 "
    "--g-learning-rate 2e-4 --beta-1 0 --beta-2 0.9 --ema-decay 0.99 --epochs 50 --minutes 5 --seed 0"
)

# Runs whose saved config names a recipe whose settings have changed since: the recipe that
# holds those settings today (None: none does; the command spells them out). Their commands below
# are spelt with today's names and give the same settings. cond_projection_hinge_ws trained with
# --recipe conditional while that recipe still held sngan's settings (changed in commit 72f8d34);
# the workshop_5min runs with --recipe workshop before 2026-11-26.
RECIPE_TODAY = {"cond_projection_hinge_ws": "sngan", "workshop_5min": None, "workshop_5min_idle": None}

# name -> pgan train options (the run folder is runs/study/NAME).
STUDY = {
    "workshop_5min": OLD_WORKSHOP_5MIN,
    # The same command again, on the machine with no other job running.
    "workshop_5min_idle": OLD_WORKSHOP_5MIN,
    "tune_plain_ema": "--model workshop --batch-size 64 --epochs 2 --ema-decay 0.99 --seed 0",
    "cond_projection_hinge_ws": "--recipe sngan --conditional projection --model workshop --epochs 6 --seed 0",
    # Trained 6 epochs first, then resumed with --epochs 14 (the same command; resuming continues).
    "cond_projection_ws": "--recipe conditional --model workshop --epochs 14 --seed 0",
    "cond_acgan_ws": "--recipe acgan --model workshop --epochs 6 --seed 0",
    "data10_aug": "--recipe small_data --model workshop --subset 6000 --epochs 30 --seed 0",
    "data10_noaug": "--recipe small_data --model workshop --subset 6000 --epochs 30 --augment none --seed 0",
    "data10_sngan_aug": "--recipe sngan --model workshop --subset 6000 --epochs 30 --ema-decay 0.999 "
                        "--augment translation,cutout --seed 0",
    "data10_sngan_noaug": "--recipe sngan --model workshop --subset 6000 --epochs 30 --ema-decay 0.999 --seed 0",
    "data1_aug": "--recipe small_data --model workshop --subset 600 --epochs 150 --seed 0",
    "data1_noaug": "--recipe small_data --model workshop --subset 600 --epochs 150 --augment none --seed 0",
    # Candidates for a better workshop recipe, each alone on the idle 2-core machine; workshop_lr4_5min
    # became the workshop recipe.
    "workshop_bce_5min": "--model workshop --batch-size 64 --ema-decay 0.99 --epochs 50 --minutes 5 --seed 0",
    "workshop_stable_b32_5min": "--recipe stable --model workshop --batch-size 32 --epochs 50 --minutes 5 --seed 0",
    "workshop_stable_5min": "--recipe stable --model workshop --epochs 50 --minutes 5 --seed 0",
    "workshop_sim_5min": "--model workshop --batch-size 64 --ema-decay 0.99 --update simultaneous --epochs 50 "
                         "--minutes 5 --seed 0",
    "workshop_lr4_5min": "--model workshop --batch-size 64 --ema-decay 0.99 --learning-rate 4e-4 --epochs 50 "
                         "--minutes 5 --seed 0",
    # The workshop recipe (the settings of workshop_lr4_5min), a second seed.
    "workshop_5min_seed1": "--recipe workshop --epochs 50 --minutes 5 --seed 1",
    # Which DiffAugment policy helps at 10% of the data? The workshop recipe, 100 epochs (9,300 steps).
    "ws_data10_noaug": "--recipe workshop --subset 6000 --epochs 100 --seed 0",
    "ws_data10_cutout": "--recipe workshop --subset 6000 --epochs 100 --augment cutout --seed 0",
    "ws_data10_translation_cutout": "--recipe workshop --subset 6000 --epochs 100 --augment translation,cutout "
                                    "--seed 0",
    # The old workshop recipe (sngan's settings) again, alone on the idle machine, with pgan's own
    # SpectralNorm layer (2026-11-27) instead of Keras' SpectralNormalization (workshop_5min_idle).
    "workshop_sngan_5min_pgan_sn": OLD_WORKSHOP_5MIN,
    # Does DiffAugment help once D can overfit? The same runs without D's dropout (2026-11-27).
    "ws_data10_nodrop_noaug": "--recipe workshop --subset 6000 --epochs 100 --dropout 0 --seed 0",
    "ws_data10_nodrop_color": "--recipe workshop --subset 6000 --epochs 100 --dropout 0 --augment color --seed 0",
    "ws_data10_nodrop_translation_p05": "--recipe workshop --subset 6000 --epochs 100 --dropout 0 "
                                        "--augment translation --augment-p 0.5 --seed 0",
    # At 1% of the data (600 images), where D has the most to memorise; their checkpoints feed
    # benchmarks/discriminator_overfit.py (2026-11-27, sixth session).
    "ws_data1_nodrop_noaug": "--recipe workshop --subset 600 --epochs 600 --dropout 0 --seed 0",
    "ws_data1_nodrop_translation_p05": "--recipe workshop --subset 600 --epochs 600 --dropout 0 "
                                       "--augment translation --augment-p 0.5 --seed 0",
    # Does D memorise 10% of the data when trained for longer, and does DiffAugment then pay
    # (2026-11-27, seventh session)? The pair above for 40 minutes each (at most 600 epochs),
    # the two side by side on the 2-core machine; their checkpoints feed discriminator_overfit.py.
    # D memorised (seen-unseen gap 0.084-0.090) and translation won in both seeds (FCD 17.0 vs 18.0,
    # 13.5 vs 17.2).
    "ws_data10_nodrop_noaug_40min": "--recipe workshop --subset 6000 --epochs 600 --minutes 40 --dropout 0 --seed 0",
    "ws_data10_nodrop_translation_p05_40min": "--recipe workshop --subset 6000 --epochs 600 --minutes 40 "
                                              "--dropout 0 --augment translation --augment-p 0.5 --seed 0",
    "ws_data10_nodrop_noaug_40min_seed1": "--recipe workshop --subset 6000 --epochs 600 --minutes 40 --dropout 0 "
                                          "--seed 1",
    "ws_data10_nodrop_translation_p05_40min_seed1": "--recipe workshop --subset 6000 --epochs 600 --minutes 40 "
                                                    "--dropout 0 --augment translation --augment-p 0.5 --seed 1",
    # On one GPU (benchmarks/gpu_session.sh: Keras on JAX, runs side by side), full-size networks.
    "gpu_stable": "--recipe stable --epochs 40 --minutes 4 --seed 0",
    "gpu_sngan": "--recipe sngan --epochs 40 --minutes 4 --seed 0",
    "gpu_wgan_gp": "--recipe wgan_gp --epochs 40 --minutes 4 --seed 0",
    "gpu_conditional": "--recipe conditional --epochs 40 --minutes 4 --seed 0",
    "gpu_data10_aug": "--recipe small_data --subset 6000 --epochs 200 --minutes 4 --seed 0",
    "gpu_data10_noaug": "--recipe small_data --subset 6000 --epochs 200 --minutes 4 --augment none --seed 0",
    "gpu_data1_aug": "--recipe small_data --subset 600 --epochs 600 --ema-decay 0.995 --minutes 4 --seed 0",
    "gpu_data1_noaug": "--recipe small_data --subset 600 --epochs 600 --ema-decay 0.995 --minutes 4 "
                       "--augment none --seed 0",
    # The second GPU session (2026-11-27): longer conditional runs for the per-class goal, and
    # DiffAugment policies that may not leak: colour alone, and transformations applied to only
    # a share of the images (--augment-p; ADA's finding that p below about 0.8 does not leak).
    "gpu_conditional_long": "--recipe conditional --epochs 100 --minutes 4 --seed 0",
    "gpu_acgan": "--recipe acgan --epochs 100 --minutes 4 --seed 0",
    "gpu_data10_color": "--recipe small_data --subset 6000 --epochs 200 --minutes 4 --augment color --seed 0",
    "gpu_data10_tc_p03": "--recipe small_data --subset 6000 --epochs 200 --minutes 4 --augment-p 0.3 --seed 0",
    "gpu_data10_t_p05": "--recipe small_data --subset 6000 --epochs 200 --minutes 4 --augment translation "
                        "--augment-p 0.5 --seed 0",
    "gpu_data1_color": "--recipe small_data --subset 600 --epochs 600 --ema-decay 0.995 --minutes 4 "
                       "--augment color --seed 0",
    # The same conditional recipe alone on the GPU (the second call, after the bfloat16 benchmarks):
    # more epochs in less time; 8 steps per compiled call change nothing in the training.
    "gpu_conditional_alone": "--recipe conditional --epochs 150 --minutes 3.3 --steps-per-execution 8 --seed 0",
    # The same run for longer, alone on the GPU (2026-11-27, sixth session): coat, the one class
    # short of the per-class goal, had risen with epochs (78.1%, 86.0%, 87.8% after 28, 39, 65);
    # after 163 epochs it was 86.2% (FCD 2.04). Its last checkpoint is kept in runs/gpu4.
    "gpu_conditional_7min": "--recipe conditional --epochs 400 --minutes 7 --steps-per-execution 8 --seed 0",
    # Coat, the one class short of the per-class goal (2026-11-27, eighth session): fine-tune
    # gpu_conditional_7min (its checkpoint copied to runs/study/gpu_conditional_7min) on the 2-core
    # CPU for 30 minutes with a class head on D (projection_ac), two class-loss weights side by side.
    # Both met the goal for all 10 classes (coat 99.7% at weight 1, 97.8% at 0.3; recall 0.61, 0.69);
    # cond_7min_ft_ac03 is the shipped conditional_generator.
    "cond_7min_ft_ac1": "--recipe conditional --conditional projection_ac --aux-weight 1 "
                        "--init-from runs/study/gpu_conditional_7min --epochs 40 --minutes 30 --seed 0",
    "cond_7min_ft_ac03": "--recipe conditional --conditional projection_ac --aux-weight 0.3 "
                         "--init-from runs/study/gpu_conditional_7min --epochs 40 --minutes 30 --seed 0",
    # The control (the same 30 minutes of fine-tuning without the class head: coat 85.4%, 8 of 10)
    # beside a second seed (coat 97.4%, 10 of 10).
    "cond_7min_ft_plain": "--recipe conditional --init-from runs/study/gpu_conditional_7min --epochs 40 "
                          "--minutes 30 --seed 0",
    "cond_7min_ft_ac03_seed1": "--recipe conditional --conditional projection_ac --aux-weight 0.3 "
                               "--init-from runs/study/gpu_conditional_7min --epochs 40 --minutes 30 --seed 1",
    # From scratch on the small model, 20 minutes each side by side on the 2 cores: does the class
    # head help a workshop-size conditional GAN too? Yes: 9 of 10 classes meet the goal against 6 (mean
    # 96.4% against 89.4%), FCD the same (9.7, 9.9), recall lower (0.54, 0.59).
    "ws_cond_projection_20min": "--recipe conditional --model workshop --epochs 100 --minutes 20 --seed 0",
    "ws_cond_projection_ac03_20min": "--recipe conditional --model workshop --conditional projection_ac "
                                     "--aux-weight 0.3 --epochs 100 --minutes 20 --seed 0",
}


def use_out_dir(out_dir: Path) -> None:
    """Device mode: runs, grids and scored rows under ``out_dir`` (see the module docstring)."""
    global RUNS, FIGURES
    RUNS, FIGURES = out_dir / "runs", out_dir / "figures"


def train(name: str, extra_args: str = "") -> None:
    command = [sys.executable, "-m", "pgan", "train", *shlex.split(STUDY[name]), *shlex.split(extra_args),
               "--out", str(RUNS / name), "--verbose", "2"]
    RUNS.mkdir(parents=True, exist_ok=True)
    log = (RUNS / f"{name}.log").open("a")
    subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def score(name: str) -> dict:
    from pgan import metrics, plotting, sampling

    run_dir = RUNS / name
    run = json.loads((run_dir / "run.json").read_text())
    generator = sampling.load_generator(run_dir / "generator.keras")
    result = metrics.evaluate_generator(generator, num=10_000, seed=0)
    FIGURES.mkdir(parents=True, exist_ok=True)
    grid = FIGURES / f"{name}.png"
    plotting.save_grid(sampling.generate_images(generator, 100, seed=0), grid, ncols=10)
    conditional = None
    if sampling.num_classes_of(generator) is not None:
        conditional = metrics.conditional_accuracy(generator, num_per_class=1000)
    history = run.get("final", {})
    return {
        "name": name,
        "recipe": RECIPE_TODAY.get(name, run["config"].get("recipe")),
        "command": f"pgan train {STUDY[name]} --out runs/study/{name}",
        "seed": run["config"]["seed"],
        "num_train_images": run["num_train_images"],
        "epochs": run["epochs_done"],
        "stopped_by_time_limit": run.get("stopped_by_time_limit", False),
        "train_seconds": run["train_seconds_total"],
        **{k: result[k] for k in ("fcd", "kid", "precision", "recall", "class_tv", "classes_present",
                                  "memorization_flag", "memorized_share_feature")},
        "final_losses": {k: history[k] for k in ("d_loss", "g_loss") if k in history},
        "hardware": run.get("hardware"),
        "grid": f"docs/figures/recipes/{name}.png",
        "conditional_accuracy": conditional,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(STUDY), default=None)
    parser.add_argument("--no-train", action="store_true", help="score finished runs only")
    parser.add_argument("--publish", nargs=2, metavar=("RUN", "NAME"), default=None,
                        help="copy the scored run RUN to data/pretrained/NAME.keras with a model card")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="device mode: keep runs, grids and scored rows (DIR/rows/NAME.json) under DIR")
    parser.add_argument("--extra-args", default="", help="pgan train options appended (a smoke test: "
                        "'--subset 256 --epochs 1')")
    parser.add_argument("--merge", type=Path, default=None, metavar="DIR",
                        help="add the rows and grids of a device run (an --out-dir) to the study")
    args = parser.parse_args(argv)

    from pgan.backend import versions as backend_versions
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    if args.out_dir:
        use_out_dir(args.out_dir)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    rows = {row["name"]: row for row in previous.get("runs", [])}
    if args.merge:
        rows.update(merge(args.merge))
        use_out_dir(args.merge)  # --publish takes the run from there
    for name in [] if args.merge else args.only or STUDY:
        if not args.no_train:
            train(name, args.extra_args)
        if not (RUNS / name / "run.json").exists():
            print(f"{name}: not trained yet, skipped", file=sys.stderr)
            continue
        rows[name] = score(name)
        print(json.dumps({k: rows[name][k] for k in ("name", "fcd", "class_tv", "train_seconds")}), flush=True)
        if args.out_dir:
            (args.out_dir / "rows").mkdir(parents=True, exist_ok=True)
            (args.out_dir / "rows" / f"{name}.json").write_text(json.dumps(rows[name], indent=1) + "\n")
    if args.out_dir:
        return 0
    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {"results": []}
    study = {
        "hardware": f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU (shared VM), "
                    "except the gpu_* runs (each row names its hardware)",
        "versions": backend_versions(),
        "judge": "pgan judge (data/pretrained/judge.keras), N = 10,000 samples, noise seed 0",
        "reference": {
            "recipe": "tf_tutorial",
            "command": "pgan train --model dcgan --epochs 50 --batch-size 256 --update simultaneous "
                       "--g-loss non_saturating --seed 7 --out runs/reference_dcgan_tf_tutorial",
            "fcd_by_epoch": {str(r["epoch"]): r["fcd"] for r in reference.get("results", [])},
            "by_epoch": reference.get("results", []),
        },
        "runs": [rows[name] for name in STUDY if name in rows],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(study, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    if args.publish:
        publish(*args.publish, rows[args.publish[0]])
    return 0


def merge(out_dir: Path) -> dict:
    """The scored rows of a device run (``--out-dir``), their grids copied to docs/figures/recipes."""
    import shutil

    rows = {}
    for path in sorted((out_dir / "rows").glob("*.json")):
        row = json.loads(path.read_text())
        DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out_dir / "figures" / f"{row['name']}.png", DOCS_FIGURES / f"{row['name']}.png")
        rows[row["name"]] = row
        print(f"merged {row['name']}: FCD {row['fcd']:.2f}")
    return rows


def publish(name: str, as_name: str, row: dict) -> None:
    """Ship a scored study run: data/pretrained/AS_NAME.keras, its card (with the scores) and samples."""
    from pgan import judge, runs, sampling

    target = runs.publish_generator(RUNS / name, sampling.PRETRAINED_DIR, as_name, row["command"])
    card = json.loads(target.with_suffix(".json").read_text())
    card["metrics"] = {
        **{k: row[k] for k in ("fcd", "kid", "precision", "recall", "class_tv", "classes_present",
                               "memorization_flag", "memorized_share_feature")},
        "n": 10_000,
        "judge_sha256": json.loads((sampling.PRETRAINED_DIR / f"{judge.JUDGE_NAME}.json").read_text())["sha256"],
        "conditional_accuracy": row["conditional_accuracy"],
        "command": f"python benchmarks/recipe_study.py --no-train --only {name} --publish {name} {as_name}",
    }
    card["study_run"] = name
    target.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"published {target.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
