"""A flow-matching model against the shipped GANs, on the same judge and machine.

Trains the class-conditional flow model (``recipe flow``, preset ``flow_small`` on a CPU)
in stages by resuming its run folder with a growing ``--minutes`` budget. After each
stage it scores the exported network (FCD, N = ``--curve-num``, ``--curve-steps``
Euler steps), which gives the training curve. Then it sweeps the sampling steps at
N = ``--num`` with the full report (precision/recall, coverage, classes, memorization)
and times sampling per image. The shipped DCGAN and conditional GAN are scored and
timed the same way. Writes benchmarks/results/flow_vs_gan.json; ``--publish`` copies the
model to data/pretrained/ with its card, which also holds the curve and the GANs' scores
(what notebook 12 reads).

    python benchmarks/flow_vs_gan.py --run runs/flow_cpu --stages 8 16 24 --publish
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgan import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

from pgan import backend, data, diffusion, metrics, plotting, rundir, runs, sampling  # noqa: E402
from pgan.config import TrainConfig  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "flow_vs_gan.json"
KEEP = ("fcd", "kid", "precision", "recall", "density", "coverage", "classes_present", "class_tv",
        "memorization_flag", "memorized_share_pixel", "memorized_share_feature")


def timed_sample(model, num: int, steps: int | None, seed: int = 1):
    """(images in [-1, 1], seconds): ``steps`` for a flow model, None for a GAN's one forward pass."""
    sampling.generate_images(model, 8, seed=0, steps=steps)  # compile before timing
    start = time.perf_counter()
    images = sampling.generate_images(model, num, seed=seed, steps=steps)
    return images, time.perf_counter() - start


def score(images, seconds: float, num: int) -> dict:
    report = metrics.evaluate_images(images, "model")
    found = {key: report[key] for key in KEEP if key in report}
    return {**found, "num": num, "sample_seconds": round(seconds, 2),
            "sample_ms_per_image": round(1000 * seconds / num, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "flow_cpu", help="the flow run's folder")
    parser.add_argument("--preset", default="flow_small", choices=["flow", "flow_small"])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--stages", type=float, nargs="+", default=[8, 16, 24],
                        help="cumulative training minutes after which the curve is scored")
    parser.add_argument("--curve-num", type=int, default=1000)
    parser.add_argument("--curve-steps", type=int, default=8)
    parser.add_argument("--num", type=int, default=2000, help="N of the step sweep and the GANs' scores")
    parser.add_argument("--steps", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--publish", action="store_true", help="copy the model to data/pretrained/ with its card")
    parser.add_argument("--publish-only", action="store_true",
                        help="publish the finished --run with the results already in benchmarks/results/")
    args = parser.parse_args()
    if args.publish_only:
        publish(args.run, json.loads(RESULTS.read_text()))
        return 0

    config = TrainConfig.from_recipe("flow", preset=args.preset, batch_size=args.batch_size, conditional="classes",
                                     epochs=1000, sample_steps=16, jit_compile=True, checkpoint_seconds=120)
    catalog = data.load_fashion_mnist()
    result = {"what": __doc__.splitlines()[0], "command": " ".join(["python", *sys.argv]),
              "config": {k: v for k, v in vars(config).items() if v is not None}, "hardware": runs.hardware_record(),
              "versions": backend.versions(), "curve_num": args.curve_num, "curve_steps": args.curve_steps, "curve": [],
              "steps": {}, "gans": {}}
    for minutes in args.stages:
        run_config = TrainConfig(**{**vars(config), "time_limit_minutes": minutes})
        diffusion.train_flow(run_config, args.run, images=catalog.x_train, labels=catalog.y_train, verbose=0)
        run = json.loads((args.run / "run.json").read_text())
        network = diffusion.load_flow(args.run / "flow.keras")
        images, seconds = timed_sample(network, args.curve_num, args.curve_steps)
        point = {"train_minutes": round(run["train_seconds_total"] / 60, 2), "train_steps": run["train_steps"],
                 "fcd": round(metrics.evaluate_images(images, "model")["fcd"], 2)}
        result["curve"].append(point)
        print(json.dumps(point), flush=True)
    network = diffusion.load_flow(args.run / "flow.keras")
    for steps in args.steps:
        images, seconds = timed_sample(network, args.num, steps)
        result["steps"][str(steps)] = score(images, seconds, args.num)
        plotting.save_grid(sampling.generate_images(network, 100, seed=0, steps=steps),
                           args.run / f"grid_{steps}_steps.png", ncols=10)
        print(steps, json.dumps(result["steps"][str(steps)]), flush=True)
    for name in ("dcgan_generator", "conditional_generator"):
        generator = sampling.load_pretrained(name)
        images, seconds = timed_sample(generator, args.num, None)
        result["gans"][name] = score(images, seconds, args.num)
        print(name, json.dumps(result["gans"][name]), flush=True)
    rundir.write_json(RESULTS, result)
    if args.publish:
        publish(args.run, result)
    return 0


def network_steps(network) -> int:
    return diffusion.sampling_settings(network)["steps"]


def publish(run_dir: Path, result: dict) -> None:
    """Copy the run's ``flow.keras`` to data/pretrained/flow_small.keras with its model card and sample grid."""
    dest = ROOT / "data" / "pretrained"
    name = "flow_small"
    target, run, card = runs.copy_finished_model(run_dir, dest, name, "flow.keras")
    network = diffusion.load_flow(target)
    plotting.save_grid(sampling.generate_images(network, 100, seed=0), dest / f"{name}_samples.png", ncols=10)
    card = {
        **card,
        "kind": "flow",
        "parameters": network.count_params(),
        "sampling": diffusion.sampling_settings(network),
        "command": result["command"],
        "config": run["config"],
        "seed": run["config"]["seed"],
        "epochs": run["epochs_done"],
        "train_steps": run["train_steps"],
        "train_seconds": run["train_seconds_total"],
        "num_train_images": run["num_train_images"],
        "hardware": run["hardware"],
        "versions": run["versions"],
        "final_losses": run["final"],
        # scored at the steps it samples with by default; the other step counts as metrics_N_steps
        "metrics": result["steps"].get(str(network_steps(network)), {}),
        **{f"metrics_{k}_steps": v for k, v in result["steps"].items() if k != str(network_steps(network))},
        "samples": f"{name}_samples.png (seed 0, 100 images, classes in turn)",
        # what notebook 12 shows: the training curve, and the shipped GANs scored the same way on the same machine
        "curve": result["curve"],
        "compared_with": result["gans"],
    }
    rundir.write_json(target.with_suffix(".json"), card)


if __name__ == "__main__":
    sys.exit(main())
