"""Figures of notebook 12: the shipped flow model's samples by sampling steps, and its comparison with the GANs.

    python benchmarks/figures/12_flow_matching.py     # about 20 s on a 2-core CPU

Reads benchmarks/results/flow_vs_gan.json (written by benchmarks/flow_vs_gan.py) and draws

- ``fcd_vs_steps.png``: the flow model's FCD against its number of Euler steps, with the
  shipped GANs' FCDs (one forward pass each) as horizontal lines, all at the same N;
- ``training_curve.png``: the flow model's FCD after each stage of its training run;
- ``samples_by_steps.png``: data/pretrained/flow_small.keras, the same noise and classes
  sampled with 4, 8, 16 and 32 steps, one row each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pgan  # noqa: E402

pgan.quiet_tensorflow()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = ROOT / "docs" / "figures" / "12_flow_matching"
RESULTS = ROOT / "benchmarks" / "results" / "flow_vs_gan.json"
GAN_NAMES = {"dcgan_generator": "DCGAN (unconditional)", "conditional_generator": "conditional GAN"}
STEPS = (4, 8, 16, 32)


def fcd_vs_steps(result: dict, path: Path) -> Path:
    """The flow model's FCD by sampling steps, the GANs' as horizontal lines."""
    steps = sorted(result["steps"], key=int)
    num = result["steps"][steps[0]]["num"]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot([int(s) for s in steps], [result["steps"][s]["fcd"] for s in steps], marker="o", color="C0",
            label="flow model (flow_small)")
    for s in steps:
        ms = result["steps"][s]["sample_ms_per_image"]
        ax.annotate(f"{ms:.1f} ms/image", (int(s), result["steps"][s]["fcd"]), textcoords="offset points",
                    xytext=(0, 7), ha="center", fontsize=7, color="C0")
    for colour, (name, scores) in zip(("C1", "C2"), result["gans"].items(), strict=False):
        ax.axhline(scores["fcd"], color=colour, linestyle="--",
                   label=f"{GAN_NAMES.get(name, name)}: one pass, {scores['sample_ms_per_image']:.2f} ms/image")
    ax.set(xscale="log", xlabel="Euler steps (network calls per image; twice that with guidance)",
           ylabel=f"FCD at N = {num:,} (lower is better)", title="Quality against sampling steps")
    ax.set_xticks([int(s) for s in steps], [str(s) for s in steps])
    ax.minorticks_off()
    ax.margins(x=0.12)
    ax.set_ylim(0, 1.15 * max(result["steps"][s]["fcd"] for s in steps))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def training_curve(result: dict, path: Path) -> Path:
    """The flow model's FCD after each training stage (its own N and number of steps)."""
    curve = result["curve"]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot([p["train_minutes"] for p in curve], [p["fcd"] for p in curve], marker="o", color="C0")
    for p in curve:
        ax.annotate(f"{p['train_steps']:,} steps", (p["train_minutes"], p["fcd"]), textcoords="offset points",
                    xytext=(0, 7), ha="center", fontsize=7)
    hardware = result.get("hardware", {})
    where = "a GPU" if hardware.get("gpus") else f"a {hardware.get('cpu_cores', 2)}-core CPU"
    ax.set(xlabel=f"training minutes on {where}", ylabel="FCD (lower is better)",
           title="The flow model's training curve")
    ax.margins(x=0.1)
    ax.set_ylim(0, 1.15 * max(p["fcd"] for p in curve))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def samples_by_steps(path: Path) -> Path:
    """The shipped flow model: one class per column, the same noise in every row, 4 to 32 steps."""
    from pgan import plotting, sampling

    network = sampling.load_pretrained("flow_small")
    rows = {f"{steps} steps": sampling.generate_images(network, 10, seed=0, steps=steps) for steps in STEPS}
    fig = plotting.comparison_figure(rows, title="The shipped flow model: the same noise, more steps", size=0.8)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="benchmarks/flow_vs_gan.py's JSON")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-samples", action="store_true", help="only the two plots (no model needed)")
    args = parser.parse_args(argv)
    result = json.loads(args.results.read_text())
    paths = [fcd_vs_steps(result, args.out / "fcd_vs_steps.png"), training_curve(result, args.out / "training_curve.png")]
    if not args.no_samples:
        paths.append(samples_by_steps(args.out / "samples_by_steps.png"))
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
