"""Draw the figures of notebooks/08_restoration.ipynb into docs/figures/08_restoration/.

    .venv/bin/python benchmarks/figures/08_restoration.py     # about 10 s on a 2-core CPU

- ``unet.png``: the U-Net of ``pgan.restore.build_unet("denoise")`` as a diagram: encoder,
  bottleneck and decoder boxes labelled with the output shape of each stage (read from the built
  model, not typed in), max pooling down, upsampling up, the two skip connections and the
  residual output that adds the correction to the input;
- ``l1_blur.png``: the notebook's striped top shifted down by 0 to 3 pixels (four equally
  plausible answers) and their per-pixel mean and median, the optima of an L2 and an L1 loss.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "figures" / "08_restoration"
ENCODER, BOTTLENECK, DECODER, SKIP = "#a0c4e8", "#c9b3e0", "#f6c08f", "#59a14f"


STAGES = ("enc1_conv2", "enc2_conv2", "bottom_conv2", "up2_conv", "skip2", "dec2_conv2",
          "up1_conv", "skip1", "dec1_conv2", "correction", "restored")


def stage_shapes(restore):
    """{layer name: (height, width, channels)} of a 28x28 image through the denoising U-Net, and its size."""
    import keras
    import numpy as np

    model = restore.build_unet("denoise")
    probe = keras.Model(model.input, [model.get_layer(name).output for name in STAGES])
    outputs = probe(np.zeros((1, 28, 28, 1), np.float32))
    return {name: tuple(int(d) for d in out.shape[1:]) for name, out in zip(STAGES, outputs, strict=True)}, \
        model.count_params()


def draw_unet(restore) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    shapes, parameters = stage_shapes(restore)
    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    ax.set_xlim(0, 17.4)
    ax.set_ylim(0.3, 9.6)
    ax.axis("off")
    row = {28: 7.2, 14: 4.5, 7: 1.9}  # centre line of each resolution
    height = {28: 1.6, 14: 1.25, 7: 0.95}
    width = {1: 1.7, 32: 1.6, 64: 2.0, 128: 2.5}

    def box(x, shape, title, colour):
        h, w, c = shape
        bw, bh = width[c], height[h]
        y = row[h] - bh / 2
        ax.add_patch(FancyBboxPatch((x, y), bw, bh, boxstyle="round,pad=0.05", facecolor=colour,
                                    edgecolor="0.3", lw=1))
        ax.text(x + bw / 2, row[h] + 0.22, title, ha="center", va="center", fontsize=9, fontweight="bold")
        ax.text(x + bw / 2, row[h] - 0.25, f"{h}×{w}×{c}", ha="center", va="center", fontsize=9)
        return {"left": (x, row[h]), "right": (x + bw, row[h]), "top": (x + bw / 2, y + bh),
                "bottom": (x + bw / 2, y)}

    def arrow(start, end, colour="0.25", ls="-", rad=0.0, label=None, at=None, ha_left=False):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.6, color=colour,
                                     linestyle=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
        if label:
            ax.text(*at, label, fontsize=8.5, color=colour, ha="left" if ha_left else "center", va="center")

    inp = box(0.2, (28, 28, 1), "input", "white")
    e1 = box(2.2, shapes["enc1_conv2"], "enc1", ENCODER)
    e2 = box(3.7, shapes["enc2_conv2"], "enc2", ENCODER)
    bt = box(6.0, shapes["bottom_conv2"], "bottleneck", BOTTLENECK)
    d2 = box(9.5, shapes["dec2_conv2"], "dec2", DECODER)
    d1 = box(11.6, shapes["dec1_conv2"], "dec1", DECODER)
    cr = box(13.7, shapes["correction"], "1×1 conv", "white")
    plus = (16.4, row[28])
    ax.add_patch(Circle(plus, 0.3, facecolor="white", edgecolor="0.25", lw=1.5))
    ax.text(*plus, "+", ha="center", va="center", fontsize=15)
    h, w, c = shapes["restored"]
    ax.text(plus[0], plus[1] - 0.55, f"restored\n{h}×{w}×{c}", ha="center", va="top", fontsize=9,
            fontweight="bold")

    arrow(inp["right"], e1["left"])
    arrow(e1["bottom"], e2["top"], label="max pool", at=(2.55, 5.8))
    arrow(e2["bottom"], bt["left"], rad=0.3, label="max pool", at=(4.1, 2.7))
    arrow(bt["right"], d2["bottom"], rad=0.3, label="upsample,\nconv", at=(9.7, 2.55))
    arrow(d2["top"], d1["bottom"], label="upsample,\nconv", at=(12.45, 5.6), ha_left=True)
    arrow(d1["right"], cr["left"])
    arrow(cr["right"], (plus[0] - 0.3, plus[1]))
    skip2, skip1 = shapes["skip2"], shapes["skip1"]
    arrow(e2["right"], d2["left"], colour=SKIP, ls="--",
          label=f"skip: concatenate\n→ {skip2[0]}×{skip2[1]}×{skip2[2]}", at=(7.6, row[14] + 0.45))
    arrow(e1["right"], d1["left"], colour=SKIP, ls="--",
          label=f"skip: concatenate → {skip1[0]}×{skip1[1]}×{skip1[2]}", at=(7.7, row[28] + 0.28))
    arrow(inp["top"], (plus[0], plus[1] + 0.3), colour="0.45", rad=-0.12,
          label="the damaged input itself: the network only learns the correction", at=(8.5, 8.85))
    ax.text(8.7, 0.55, f"restore.build_unet: {parameters:,} parameters. Each coloured box: two 3×3 convolutions "
            "with ReLU; h×w×c: its output.", ha="center", fontsize=8.5, color="0.2")
    fig.tight_layout(pad=0.2)
    fig.savefig(OUT / "unet.png", dpi=85)
    plt.close(fig)


def draw_l1_blur(data, plotting) -> None:
    import numpy as np

    catalog = data.load_fashion_mnist()
    striped = catalog.x_test[719].astype(np.float32) / 255.0  # the notebook's striped top
    answers = np.stack([np.roll(striped, shift, axis=0) for shift in range(4)])
    compromises = np.stack([answers.mean(axis=0), np.median(answers, axis=0)])
    fig = plotting.show_images(np.concatenate([answers, compromises]), ncols=6, size=1.45,
                               titles=[f"answer: shift {s}" for s in range(4)] + ["L2 optimum: mean",
                                                                                  "L1 optimum: median"])
    fig.suptitle("Four equally plausible answers, and the compromises a pixel loss settles on", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "l1_blur.png", dpi=85)


def main() -> int:
    import pgan

    pgan.quiet_tensorflow()
    from pgan import data, plotting, restore

    OUT.mkdir(parents=True, exist_ok=True)
    draw_unet(restore)
    draw_l1_blur(data, plotting)
    return 0


if __name__ == "__main__":
    sys.exit(main())
