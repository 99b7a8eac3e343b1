"""Draw the figures of notebooks/07_super_resolution.ipynb into docs/figures/07_super_resolution/.

    .venv/bin/python benchmarks/figures/07_super_resolution.py     # about 20 s on a 2-core CPU

- ``depth_to_space.png``: depth to space with r = 2 on the notebook's 2x2 image of 4 channels
  (values 0 to 15): each low-resolution pixel's channels fill one 2x2 block of the output, in the
  order ``pgan.superres.depth_to_space`` (and ``tf.nn.depth_to_space``) puts them;
- ``srgan_detail.png``: five test products at x4: the 7x7 input, bicubic, the shipped SRResNet and
  SRGAN, and the original, drawn large enough to see the texture SRGAN adds.

The second also prints each method's PSNR and detail energy (mean squared difference between
neighbouring pixels) on those five products, as JSON on the last line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "figures" / "07_super_resolution"
COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759")  # one per low-resolution pixel


def draw_depth_to_space(superres, ops) -> None:
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import FancyArrowPatch, Rectangle

    r = 2
    x = np.arange(16, dtype=np.float32).reshape(1, 2, 2, r * r)
    out = ops.convert_to_numpy(superres.depth_to_space(x, r))[0, ..., 0].astype(int)
    fig, ax = plt.subplots(figsize=(8.0, 2.9))
    ax.set_xlim(0, 13.2)
    ax.set_ylim(-1.0, 3.6)
    ax.set_aspect("equal")
    ax.axis("off")

    def cell(x0, y0, value, pixel, size=1.0, alpha=1.0):
        ax.add_patch(Rectangle((x0, y0), size, size, facecolor=COLOURS[pixel], alpha=alpha, edgecolor="white", lw=2))
        ax.text(x0 + size / 2, y0 + size / 2, str(value), ha="center", va="center", fontsize=11, color="white",
                fontweight="bold")

    # input: the four channel planes side by side, each 2x2 pixels, coloured by pixel
    for c in range(r * r):
        x0 = 0.2 + c * 1.55
        for h in range(2):
            for w in range(2):
                cell(x0 + w * 0.65, 1.5 - h * 0.65, int(x[0, h, w, c]), h * 2 + w, size=0.65)
        ax.text(x0 + 0.65, 2.35, f"channel {c}", ha="center", fontsize=8.5)
    ax.text(3.2, -0.75, "input: 2x2 pixels with 4 channels each (one colour per pixel)", ha="center", fontsize=9)
    ax.add_patch(FancyArrowPatch((6.5, 1.5), (8.4, 1.5), arrowstyle="-|>", mutation_scale=20, lw=2, color="0.3"))
    ax.text(7.45, 1.85, "depth to space\nr = 2", ha="center", va="bottom", fontsize=9.5)
    ax.text(7.45, 1.15, "no weights:\nvalues only move", ha="center", va="top", fontsize=8, color="0.35")
    # output: 4x4, each 2x2 block one input pixel, its channels row by row
    for i in range(4):
        for j in range(4):
            cell(8.9 + j * 0.8, 2.6 - i * 0.8, out[i, j], (i // 2) * 2 + (j // 2), size=0.8)
    ax.text(10.5, -0.75, "output: 4x4 pixels, 1 channel", ha="center", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "depth_to_space.png", dpi=90)
    plt.close(fig)


def draw_srgan_detail(data, fidelity, plotting, superres) -> dict:
    import numpy as np

    catalog = data.load_fashion_mnist()
    picks = [int(np.flatnonzero(catalog.y_test == label)[0]) for label in (0, 2, 4, 7, 8)]  # top, pullover, coat, sneaker, bag
    low, high = superres.protocol_pairs(catalog.x_test[picks], 4)
    rows = {"x4 input (7x7)": low, "bicubic": superres.classical_upscale(low, 4, "bicubic")}
    for name in ("srresnet", "srgan"):
        rows[name.replace("srresnet", "SRResNet").replace("srgan", "SRGAN")] = superres.upscale_batch(
            superres.load_sr_model(name, 4), low)
    rows["original"] = high
    fig = plotting.comparison_figure(rows, title="x4 super-resolution: the pixel loss smooths, SRGAN draws texture",
                                     size=1.3)
    fig.savefig(OUT / "srgan_detail.png", dpi=90, bbox_inches="tight")

    def detail(images):
        return float(np.mean(np.diff(images, axis=1) ** 2) + np.mean(np.diff(images, axis=2) ** 2))

    return {name: {"psnr": round(float(fidelity.psnr(images, high).mean()), 2), "detail": round(detail(images), 4)}
            for name, images in rows.items() if name != "x4 input (7x7)"}


def main() -> int:
    import pgan

    pgan.quiet_tensorflow()
    from keras import ops

    from pgan import data, fidelity, plotting, superres

    OUT.mkdir(parents=True, exist_ok=True)
    draw_depth_to_space(superres, ops)
    print(json.dumps({"srgan_detail": draw_srgan_detail(data, fidelity, plotting, superres)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
