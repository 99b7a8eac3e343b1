"""Draw the figures of notebooks/06_evaluation.ipynb into docs/figures/06_evaluation/.

    .venv/bin/python benchmarks/figures/06_evaluation.py     # about a minute on a 2-core CPU

- ``toy_manifolds.png``: the notebook's toy (eight modes; a good, a mode-dropping and a blurry
  "generator"), each panel titled with its precision, recall, density and coverage;
- ``fcd_vs_n.png``: FCD against N, from 150 to 10,000, for real test images (the floor), the
  shipped DCGAN and an untrained workshop generator, all against N training images;
- ``memorization.png``: the shipped DCGAN's 8 samples (of 1,000) closest to a training image,
  each beside that image, with the real test images' threshold.

Deterministic: fixed seeds for the toy, the noise and the reference images. Prints the numbers
behind the figures as JSON on the last line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "figures" / "06_evaluation"
SIZES = (150, 300, 600, 1_000, 3_000, 10_000)
MEMORIZATION_N = 1_000


def toy_sets():
    """The toy of the notebook's "Separate quality from variety", drawn in the same order."""
    import numpy as np

    rng = np.random.default_rng(0)
    centres = 4 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)

    def mixture(n, modes, spread):
        return centres[rng.choice(modes, n)] + spread * rng.standard_normal((n, 2))

    real = mixture(1_000, np.arange(8), 0.3)
    fakes = {
        "good (all 8 modes)": mixture(1_000, np.arange(8), 0.3),
        "mode dropping (3 modes)": mixture(1_000, np.arange(3), 0.3),
        "blurry (8 modes, too wide)": mixture(1_000, np.arange(8), 1.0),
    }
    return real, fakes


def draw_toy(metrics) -> dict:
    import matplotlib.pyplot as plt

    real, fakes = toy_sets()
    fig, axes = plt.subplots(1, 3, figsize=(7.8, 3.0), sharex=True, sharey=True)
    scores = {}
    for ax, (name, fake) in zip(axes, fakes.items(), strict=True):
        s = metrics.manifold_metrics(real, fake, k=5)
        scores[name] = {key: round(value, 3) for key, value in s.items()}
        ax.scatter(*real.T, s=2, c="0.65", label="real")
        ax.scatter(*fake.T, s=2, c="C0", label="generated")
        ax.set_title(f"{name}\nprecision {s['precision']:.2f}  recall {s['recall']:.2f}\n"
                     f"density {s['density']:.2f}  coverage {s['coverage']:.2f}", fontsize=8)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(loc="lower left", fontsize=7, markerscale=4, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(OUT / "toy_manifolds.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return scores


def draw_fcd_vs_n(metrics, judge, models, sampling, pgan) -> dict:
    import matplotlib.pyplot as plt

    reference = judge.real_reference(max(SIZES))
    train = reference["train_features"]
    pgan.set_seed(0)
    untrained = models.build_gan_models("workshop")[0]
    shipped = sampling.load_pretrained("dcgan_generator")
    curves = {
        "untrained generator": judge.judge_features(sampling.generate_images(untrained, max(SIZES), seed=0)),
        "shipped DCGAN": judge.judge_features(sampling.generate_images(shipped, max(SIZES), seed=0)),
        "real test images (the floor)": reference["test_features"],
    }
    fcd = {name: [metrics.frechet_distance(f[:n], train[:n]) for n in SIZES] for name, f in curves.items()}
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    for (name, values), colour in zip(fcd.items(), ("C3", "C0", "0.4"), strict=True):
        ax.plot(SIZES, values, marker="o", color=colour, label=name)
    ax.set(xscale="log", yscale="log", xlabel="N (images in each set)", ylabel="FCD against N training images",
           title="FCD falls with N: compare scores only at the same N")
    ax.set_xticks(SIZES, [f"{n:,}" for n in SIZES])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "fcd_vs_n.png", dpi=90)
    plt.close(fig)
    return {name: dict(zip(map(str, SIZES), (round(v, 2) for v in values), strict=True)) for name, values in fcd.items()}


def draw_memorization(metrics, sampling) -> dict:
    shipped = sampling.load_pretrained("dcgan_generator")
    samples = sampling.generate_images(shipped, MEMORIZATION_N, seed=1)
    check = metrics.memorization_check(samples, num=MEMORIZATION_N, reference_n=max(SIZES))
    fig = metrics.show_closest_pairs(samples, metrics.closest_pairs(check, num_pairs=8),
                                     threshold=check["pixel_threshold"])
    fig.set_size_inches(8.0, 2.9)
    fig.suptitle(f"shipped DCGAN: its 8 samples (of {MEMORIZATION_N:,}) closest to a training image\n"
                 f"(the 1st percentile of real test images' distances: {check['pixel_threshold']:.2f})", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "memorization.png", dpi=90)
    return {key: round(check[key], 4) for key in ("memorized_share_pixel", "memorized_share_feature", "pixel_threshold")}


def main() -> int:
    import pgan

    pgan.quiet_tensorflow()
    from pgan import judge, metrics, models, sampling

    OUT.mkdir(parents=True, exist_ok=True)
    numbers = {
        "toy": draw_toy(metrics),
        "fcd_vs_n": draw_fcd_vs_n(metrics, judge, models, sampling, pgan),
        "memorization": draw_memorization(metrics, sampling),
    }
    print(json.dumps(numbers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
