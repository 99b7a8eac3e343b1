"""The learner's first GAN: what trains furthest in about a minute on a 2-core CPU.

Trains one GAN setting on all 60,000 Fashion-MNIST training images for a fixed
time budget, then scores the generator (its EMA average when there is one) with
the project's judge: FCD, precision, recall and classes present at N samples. One
JSON line per run is appended to ``--out``; the grid of 64 samples goes beside it.

    python benchmarks/first_gan.py --recipe first --seconds 60 --num 2000 10000 --name quick_seed0

``--recipe`` trains a named recipe exactly as ``pgan train --recipe`` builds it;
without it, ``--preset``, ``--g-width`` and friends set the model and the optimizer, so a study
can try settings before they become a recipe. Run it on an idle machine: the
budget is wall time, so anything else running steals steps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pgan  # noqa: E402

pgan.quiet_tensorflow()

import keras  # noqa: E402

from pgan import backend, data, metrics, models, pipelines, plotting, runs, sampling  # noqa: E402
from pgan.callbacks import TimeLimit  # noqa: E402
from pgan.config import TrainConfig  # noqa: E402
from pgan.gan import GAN, Objective  # noqa: E402

RESULTS = Path("benchmarks/results/first_gan.json")
ABOUT = {
    "what": "The learner's first GAN (notebook 05): what trains furthest in a fixed time on all 60,000 "
            "Fashion-MNIST training images, scored by the project's judge.",
    "how": "benchmarks/first_gan.py on an idle 2-core CPU (TensorFlow, no XLA): train for the wall-time "
           "budget, then score the EMA generator's samples (noise seed = the run's seed) at N samples "
           "against N real training images. Study rows set the model and optimizer directly; recipe "
           "rows train a named recipe exactly as `pgan train --recipe` does.",
}


def save(record: dict, path: Path) -> None:
    """Add ``record`` to the results file (a .jsonl: append a line; a .json: its ``runs`` list)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        with path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        return
    results = json.loads(path.read_text()) if path.exists() else dict(ABOUT, runs=[])
    results["runs"] = [r for r in results["runs"] if r["name"] != record["name"]] + [record]
    tmp = path.with_name(f".tmp_{path.name}")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(path)


def build(args):
    """The GAN of ``--recipe`` (as ``pgan train`` builds it), or of the study's own settings."""
    if args.recipe:
        config = TrainConfig.from_recipe(args.recipe, seed=args.seed)
        preset = dict(models.PRESETS[config.preset])
        return runs.build_gan(config), preset
    preset = dict(models.PRESETS[args.preset])
    for key in ("latent_dim", "g_width", "d_width", "kernel_size"):
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    generator = models.build_generator(
        preset["latent_dim"], width=preset["g_width"], kernel_size=preset["kernel_size"])
    discriminator = models.build_discriminator(
        width=preset["d_width"], kernel_size=preset["kernel_size"], dropout=args.dropout)
    gan = GAN(generator, discriminator, seed=args.seed, ema_decay=args.ema_decay or None)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(args.d_lr or args.lr, beta_1=args.beta_1, beta_2=args.beta_2),
        g_optimizer=keras.optimizers.Adam(args.g_lr or args.lr, beta_1=args.beta_1, beta_2=args.beta_2),
        objective=Objective(),
        update=args.update,
        jit_compile=args.jit_compile,
        steps_per_execution=args.steps_per_execution,
    )
    return gan, preset


def scores_of(generator, nums, seed) -> dict:
    """The judge's scores of ``generator``'s samples (noise seed ``seed``) at each N in ``nums``."""
    scores = {}
    for num in nums:
        start = time.perf_counter()
        result = metrics.evaluate_images(sampling.generate_images(generator, num, seed=seed), memorization_n=200)
        scores[str(num)] = {
            "fcd": round(result["fcd"], 2), "fcd_floor": round(result["fcd_floor"], 2),
            "precision": round(result["precision"], 3), "recall": round(result["recall"], 3),
            "classes_present": result["classes_present"], "class_histogram": result["class_histogram"],
            "eval_seconds": round(time.perf_counter() - start, 1),
        }
    return scores


def score_only(args) -> dict:
    generator = sampling.load_generator(args.generator)
    scores = scores_of(generator, args.num, args.seed)
    record = {"name": args.name or args.generator.stem, "generator": args.generator.as_posix(),
              "settings": {"seed": args.seed}, "scores": scores, "backend": backend.NAME,
              "cpu_cores": os.cpu_count(), "versions": backend.versions()}
    save(record, args.out)
    print(json.dumps({"name": record["name"], **{n: s["fcd"] for n, s in scores.items()}}))
    return record


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training budget (wall seconds)")
    parser.add_argument("--epochs", type=int, default=1000, help="passes over the 60,000 images, if the "
                        "budget lasts that long")
    parser.add_argument("--recipe", help="train a named recipe (pgan train --recipe); the model and "
                        "optimizer flags below are then ignored")
    parser.add_argument("--preset", default="workshop", choices=sorted(models.PRESETS))
    parser.add_argument("--latent-dim", type=int)
    parser.add_argument("--g-width", type=int)
    parser.add_argument("--d-width", type=int)
    parser.add_argument("--kernel-size", type=int)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--d-lr", type=float)
    parser.add_argument("--g-lr", type=float)
    parser.add_argument("--beta-1", type=float, default=0.5)
    parser.add_argument("--beta-2", type=float, default=0.999)
    parser.add_argument("--ema-decay", type=float, default=0.99)
    parser.add_argument("--update", default="alternating", choices=("alternating", "simultaneous"))
    parser.add_argument("--jit-compile", action="store_true", help="compile the step with XLA")
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", type=Path, help="score this saved generator instead of training "
                        "(a reference row, e.g. the shipped one)")
    parser.add_argument("--num", type=int, nargs="+", default=[2000], help="samples scored by the judge "
                        "(several: one score each)")
    parser.add_argument("--name", default=None, help="a label for the run (default: from the settings)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file: a .json whose runs "
                        "list gets this run (replacing one of the same name), or a .jsonl to append to")
    parser.add_argument("--grid", type=Path, help="also save a grid of 64 samples here (PNG)")
    args = parser.parse_args(argv)

    if args.generator:
        return score_only(args)
    images = data.load_fashion_mnist().x_train
    keras.utils.set_random_seed(args.seed)
    gan, preset = build(args)
    batch_size = TrainConfig.from_recipe(args.recipe).batch_size if args.recipe else args.batch_size
    dataset = pipelines.training_input(images, batch_size, seed=args.seed)
    limit = TimeLimit(args.seconds / 60.0)
    start = time.perf_counter()
    gan.fit(dataset, epochs=args.epochs, verbose=0, shuffle=False, callbacks=[limit])
    train_seconds = time.perf_counter() - start
    steps = int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations))
    generator = gan.sampling_generator
    scores = scores_of(generator, args.num, args.seed)
    first = scores[str(args.num[0])]
    name = args.name or "_".join(f"{k}{v}" for k, v in sorted(vars(args).items())
                                  if k not in ("out", "num", "name", "seconds") and v is not None)
    ignored = ("out", "name") + (("preset", "latent_dim", "g_width", "d_width", "kernel_size", "dropout",
                                  "batch_size", "lr", "d_lr", "g_lr", "beta_1", "beta_2", "ema_decay", "update",
                                  "jit_compile", "steps_per_execution") if args.recipe else ())
    record = {
        "name": name,
        "settings": {k: v.as_posix() if isinstance(v, Path) else v for k, v in vars(args).items()
                     if k not in ignored + ("grid", "generator")},
        "model": preset,
        "g_params": generator.count_params(),
        "d_params": gan.discriminator.count_params(),
        "batch_size": batch_size,
        "train_seconds": round(train_seconds, 1),
        "steps": steps,
        "images_seen": steps * batch_size,
        **{k: first[k] for k in ("fcd", "precision", "recall", "classes_present", "fcd_floor")},
        "num": args.num[0],
        "scores": scores,
        "backend": backend.NAME,
        "cpu_cores": os.cpu_count(),
        "machine": platform.machine(),
        "versions": backend.versions(),
    }
    if args.grid:
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        plotting.save_grid(sampling.generate_images(generator, 64, seed=args.seed), args.grid)
        record["grid"] = args.grid.as_posix()
    save(record, args.out)
    print(json.dumps({k: record[k] for k in ("name", "steps", "train_seconds", "fcd", "precision",
                                               "recall", "classes_present")}))
    return record


if __name__ == "__main__":
    main()
