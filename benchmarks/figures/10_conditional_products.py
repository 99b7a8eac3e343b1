"""The figures of notebooks/10_conditional_products.ipynb, into docs/figures/10_conditional_products/.

    .venv/bin/python benchmarks/figures/10_conditional_products.py    # about 10 s on a 2-core CPU

- ``heads.png``: the two ways a discriminator reads the label, projection and AC-GAN (a diagram);
- ``class_rows.png``: the shipped conditional generator, one row per class, each column one noise
  vector (seed 0);
- ``accuracy.png``: per class, the judge's accuracy on real test images beside the share of the
  shipped generator's samples it gives the class asked for, with the goal (read from the model
  card ``data/pretrained/conditional_generator.json``, nothing recomputed).

Deterministic: fixed seeds, the shipped model, numbers from its card.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "figures" / "10_conditional_products"
DPI = 80


def to_grey(path: Path) -> Path:
    """Store a black-and-white figure as an 8-bit grey PNG (about half the bytes of RGBA)."""
    from PIL import Image

    Image.open(path).convert("L").save(path, optimize=True)
    return path


def _box(ax, x, y, text, width=1.7, height=0.8, color="#dbe9f6", fontsize=10):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.05,rounding_size=0.12", facecolor=color,
                                edgecolor="0.3", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, dashed=False):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "0.25", "lw": 1.2, "shrinkA": 0, "shrinkB": 0,
                            "linestyle": "--" if dashed else "-"})


def draw_heads(path: Path) -> Path:
    """Projection (top) and AC-GAN (bottom) heads on the same trunk phi."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8.75, 5.6))
    trunk, feat, out = "#dbe9f6", "#e8e8e8", "#fde2c8"
    for ax in axes:
        ax.set_xlim(0, 11)
        ax.set_ylim(0, 3.4)
        ax.axis("off")
        _box(ax, 0.9, 1.7, "image $x$", width=1.4, color="white")
        _box(ax, 2.9, 1.7, "conv trunk $\\phi$\n(2 strided convs)", width=1.9, color=trunk)
        _box(ax, 5.0, 1.7, "features $\\phi(x)$\n6,272 numbers", width=1.9, color=feat)
        _arrow(ax, (1.6, 1.7), (1.95, 1.7))
        _arrow(ax, (3.85, 1.7), (4.05, 1.7))

    ax = axes[0]
    ax.set_title("projection (head=\"projection\"): one question, \"is this a real $y$?\"", fontsize=11, loc="left")
    _box(ax, 7.2, 2.75, "$\\psi$: Dense(1)\n\"looks real?\"", width=1.9, color=trunk)
    _box(ax, 7.2, 0.65, "$\\langle e(y), \\phi(x)\\rangle$\n\"looks like a $y$?\"", width=1.9, color=trunk)
    _box(ax, 5.0, 0.6, "label $y$", width=1.2, height=0.5, color="white")
    _box(ax, 8.75, 1.7, "+", width=0.5, height=0.5, color="white", fontsize=13)
    _box(ax, 10.15, 1.7, "one logit", width=1.4, color=out)
    _arrow(ax, (5.95, 2.0), (6.25, 2.6))
    _arrow(ax, (5.95, 1.4), (6.25, 0.85))
    _arrow(ax, (5.6, 0.6), (6.25, 0.6))
    ax.text(5.0, 0.12, "embedding $e$: 10 x 6,272", fontsize=8.5, ha="center", color="0.3")
    _arrow(ax, (8.15, 2.6), (8.55, 1.9))
    _arrow(ax, (8.15, 0.8), (8.55, 1.5))
    _arrow(ax, (9.0, 1.7), (9.45, 1.7))

    ax = axes[1]
    ax.set_title("AC-GAN (head=\"acgan\"): two questions, \"real or fake?\" and \"which class?\"",
                 fontsize=11, loc="left")
    _box(ax, 7.2, 2.75, "Dense(1)", width=1.6, color=trunk)
    _box(ax, 7.2, 0.65, "Dense(10)", width=1.6, color=trunk)
    _box(ax, 9.7, 2.75, "real/fake logit", width=2.0, color=out)
    _box(ax, 9.7, 0.65, "10 class logits", width=2.0, color=out)
    _arrow(ax, (5.95, 2.0), (6.4, 2.6))
    _arrow(ax, (5.95, 1.4), (6.4, 0.85))
    _arrow(ax, (8.0, 2.75), (8.7, 2.75))
    _arrow(ax, (8.0, 0.65), (8.7, 0.65))
    ax.text(9.7, 1.45, "label $y$ enters only the loss:\ncross-entropy on real and fake", fontsize=8.5,
            ha="center", va="center", color="0.3")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def draw_class_rows(path: Path) -> Path:
    """The shipped conditional generator: one row per class, the columns share their noise."""
    import matplotlib.pyplot as plt
    import numpy as np

    from pgan import data, plotting, sampling

    generator = sampling.load_pretrained("conditional_generator")
    per_row = 10
    noise = np.tile(sampling.sample_noise(per_row, sampling.latent_dim_of(generator), seed=0), (10, 1))
    labels = np.repeat(np.arange(10, dtype=np.int32), per_row)
    images = sampling.generate_images(generator, len(labels), noise=noise, labels=labels)
    fig = plotting.show_class_gallery(images, labels, data.CLASS_NAMES, per_class=per_row, size=0.72)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return to_grey(path)


def draw_accuracy(path: Path) -> Path:
    """Bars from the model card: the judge on real test images, and on the generator's samples."""
    import matplotlib.pyplot as plt
    import numpy as np

    card = json.loads((ROOT / "data" / "pretrained" / "conditional_generator.json").read_text())
    rows = card["metrics"]["conditional_accuracy"]["per_class"]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8.75, 3.6))
    ax.bar(x - 0.2, [r["real_accuracy"] for r in rows], 0.4, color="0.7", label="real test images")
    ax.bar(x + 0.2, [r["generated_accuracy"] for r in rows], 0.4, color="tab:blue",
           label="generated, asked for this class")
    ax.plot(x, [min(0.9, r["real_accuracy"]) for r in rows], "_", color="tab:red", markersize=24,
            markeredgewidth=2, label="goal: min(90%, real)")
    ax.set_xticks(x, [r["name"] for r in rows], rotation=25, ha="right", fontsize=9)
    ax.set_ylim(0.5, 1.02)
    ax.set_ylabel("judged as the class")
    n = card["metrics"]["conditional_accuracy"].get("num_per_class", 1000)
    ax.set_title(f"conditional_generator.keras: {n:,} samples per class (from its model card)", fontsize=10)
    ax.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    OUT.mkdir(parents=True, exist_ok=True)
    for draw, name in ((draw_heads, "heads.png"), (draw_class_rows, "class_rows.png"),
                       (draw_accuracy, "accuracy.png")):
        path = draw(OUT / name)
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
