"""Draw the figures of notebooks/04_building_dcgan.ipynb into docs/figures/04_building_dcgan/.

    .venv/bin/python benchmarks/figures/04_building_dcgan.py               # all figures, about 10 s on a 2-core CPU
    .venv/bin/python benchmarks/figures/04_building_dcgan.py layer_stack   # only the ones named

- ``layer_stack.png``: the DCGAN generator (z -> dense 7x7 -> transposed convolutions -> 28x28x1)
  and the discriminator that mirrors it, with every shape and parameter count. The shapes and
  counts are checked against ``pgan.models.build_generator`` and ``build_discriminator`` first, so
  the picture cannot drift from the code.
- ``checkerboard.png``: how many kernel stamps cover each output pixel of an upsampling layer
  (transposed convolutions with kernels 3, 4 and 5 at stride 2, and a resize-convolution), next to
  the grid an untrained generator draws.

Deterministic: fixed seeds.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "figures" / "04_building_dcgan"
DPI = 85
SEED = 0

G_COLOUR, D_COLOUR = "tab:orange", "tab:blue"

# (label under the block, spatial size or None for a vector, channels or units); then, for the
# arrow into the next block: (the layer, its parameters). Checked by check_specs().
GENERATOR = [
    ("z\n(100,)", None, 100),
    ("(12,544,)", None, 12_544),
    ("7x7x256", 7, 256),
    ("7x7x128", 7, 128),
    ("14x14x64", 14, 64),
    ("28x28x1\nin [-1, 1]", 28, 1),
]
GENERATOR_LAYERS = [
    ("Dense\n+BN+LReLU", 1_254_400 + 50_176),
    ("Reshape", 0),
    ("ConvT 5x5, s1\n+BN+LReLU", 819_200 + 512),
    ("ConvT 5x5, s2\n+BN+LReLU", 204_800 + 256),
    ("ConvT 5x5, s2\n+tanh", 1_601),
]
DISCRIMINATOR = [
    ("image\n28x28x1", 28, 1),
    ("14x14x64", 14, 64),
    ("7x7x128", 7, 128),
    ("(6,272,)", None, 6_272),
    ("logit\n(1,)", None, 1),
]
DISCRIMINATOR_LAYERS = [
    ("Conv 5x5, s2\n+LReLU+Dropout", 1_664),
    ("Conv 5x5, s2\n+LReLU+Dropout", 204_928),
    ("Flatten", 0),
    ("Dense(1)\nno sigmoid", 6_273),
]


def check_specs() -> None:
    """Fail if the drawn shapes or parameter counts differ from pgan's models."""
    from pgan import models

    generator, discriminator = models.build_generator(), models.build_discriminator()
    g_shapes = [tuple(generator.get_layer(n).output.shape[1:]) for n in
                ("z", "project", "to_feature_map", "up1", "up2", "tanh")]
    d_shapes = [tuple(discriminator.get_layer(n).output.shape[1:]) for n in
                ("image", "down1", "down2", "flatten", "logit")]
    for (label, size, channels), shape in zip(GENERATOR + DISCRIMINATOR, g_shapes + d_shapes, strict=True):
        want = (channels,) if size is None else (size, size, channels)
        if shape != want:
            raise SystemExit(f"{label!r}: pgan.models gives {shape}, the figure says {want}: update the figure")
    blocks = {"generator": (generator, GENERATOR_LAYERS, 2_330_945),
              "discriminator": (discriminator, DISCRIMINATOR_LAYERS, 212_865)}
    for name, (model, layer_specs, total) in blocks.items():
        drawn = sum(count for _, count in layer_specs)
        if not drawn == model.count_params() == total:
            raise SystemExit(f"{name}: the figure adds up to {drawn:,}, pgan.models has {model.count_params():,}")


def _block(ax, x, y, size, channels, colour):
    """A feature map as a box (height by spatial size, depth by channels), or a vector as a bar."""
    import math

    from matplotlib.patches import Polygon, Rectangle

    if size is None:  # a vector: a thin bar, taller for more units
        height = 0.8 + 0.55 * math.log10(channels + 1)
        ax.add_patch(Rectangle((x - 0.12, y - height / 2), 0.24, height, facecolor=colour,
                               edgecolor="black", linewidth=1))
        return height / 2
    side = 0.6 + 2.4 * size / 28
    depth = 0.12 + 0.11 * math.log2(channels)
    x0, y0 = x - side / 2 - depth / 2, y - side / 2 - depth / 2
    front = Rectangle((x0, y0), side, side, facecolor=colour, edgecolor="black", linewidth=1)
    top = Polygon([(x0, y0 + side), (x0 + depth, y0 + side + depth), (x0 + side + depth, y0 + side + depth),
                   (x0 + side, y0 + side)], facecolor=colour, edgecolor="black", linewidth=1, alpha=0.7)
    right = Polygon([(x0 + side, y0), (x0 + side + depth, y0 + depth), (x0 + side + depth, y0 + side + depth),
                     (x0 + side, y0 + side)], facecolor=colour, edgecolor="black", linewidth=1, alpha=0.5)
    for patch in (right, top, front):
        ax.add_patch(patch)
    return side / 2 + depth / 2


def _row(ax, y, blocks, layer_specs, colour, xs, title):
    from matplotlib.patches import FancyArrowPatch

    halves = []
    for x, (label, size, channels) in zip(xs, blocks, strict=True):
        half = _block(ax, x, y, size, channels, colour)
        halves.append(half)
        ax.text(x, y - 1.75, label, ha="center", va="top", fontsize=10)
    for i, (layer, count) in enumerate(layer_specs):
        start, end = xs[i] + 0.35, xs[i + 1] - 0.35
        if blocks[i][1] is not None:
            start = xs[i] + halves[i]
        if blocks[i + 1][1] is not None:
            end = xs[i + 1] - halves[i + 1]
        ax.add_patch(FancyArrowPatch((start, y), (end, y), arrowstyle="-|>", mutation_scale=13,
                                     color="black", linewidth=1.3, shrinkA=1, shrinkB=1))
        text = layer + (f"\n{count:,}" if count else "")
        ax.text((xs[i] + xs[i + 1]) / 2, y + 1.75, text, ha="center", va="bottom", fontsize=9,
                color="dimgray" if not count else "black")
    ax.text(0.0, y + 3.7, title, fontsize=12, weight="bold", va="center")


def layer_stack(path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.0, 5.6))
    ax.set_xlim(-0.2, 18.6)
    ax.set_ylim(-0.4, 14.4)
    ax.axis("off")
    _row(ax, 10.2, GENERATOR, GENERATOR_LAYERS, "#ffd9ad", [0.6, 3.6, 6.7, 9.9, 13.1, 16.8],
         "Generator: 2,330,945 parameters (above each arrow: the layer, its parameters)")
    _row(ax, 2.6, DISCRIMINATOR, DISCRIMINATOR_LAYERS, "#bcd7ee", [1.5, 5.4, 9.3, 12.9, 16.5],
         "Discriminator: 212,865 parameters, the generator mirrored")
    fig.tight_layout(pad=0.3)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _stamps(image, kernel_size):
    """Every output pixel of a stride-2 Conv2DTranspose with an all-ones kernel (how many stamps cover it)."""
    import numpy as np
    from keras import layers, ops

    layer = layers.Conv2DTranspose(1, kernel_size, strides=2, padding="same", use_bias=False,
                                   kernel_initializer="ones")
    return ops.convert_to_numpy(layer(np.asarray(image, "float32")[None, :, :, None]))[0, :, :, 0]


def checkerboard(path: Path) -> None:
    import keras
    import matplotlib.pyplot as plt
    import numpy as np
    from keras import layers, ops

    from pgan import models

    ones = np.ones((8, 8))
    maps = {f"kernel {k}": _stamps(ones, k) for k in (3, 4, 5)}
    resize = keras.Sequential([layers.UpSampling2D(2, interpolation="nearest"),
                               layers.Conv2D(1, 3, padding="same", use_bias=False, kernel_initializer="ones")])
    maps["resize + conv 3"] = ops.convert_to_numpy(resize(ones[None, :, :, None]))[0, :, :, 0]

    generator = models.build_generator()
    noise = np.random.default_rng(SEED).standard_normal((512, 100)).astype("float32")
    images = ops.convert_to_numpy(generator(noise, training=True))[..., 0]
    amplitude = np.abs(images).mean(axis=0)  # mean |pixel| at each position
    # Grouped by the parity of row and column, away from the borders: the last layer's 4, 6 and 9 stamps.
    by_parity = np.array([[amplitude[2 + r:-2:2, 2 + c:-2:2].mean() for c in (0, 1)] for r in (0, 1)])

    fig, axes = plt.subplots(1, 5, figsize=(9.4, 2.75))
    for ax, (name, counts) in zip(axes[:-1], maps.items(), strict=True):
        inner = counts[2:-2, 2:-2]  # away from the borders, where padding cuts stamps off
        ax.imshow(inner, cmap="magma", vmin=0, vmax=inner.max())
        stamps = ", ".join(str(int(v)) for v in sorted(set(inner.ravel())))
        ax.set_title(f"{name}\nstamps: {stamps}", fontsize=10)
        ax.axis("off")
    axes[-1].imshow(by_parity, cmap="magma", vmin=0, vmax=by_parity.max() * 1.05)
    for (r, c), value in np.ndenumerate(by_parity):
        ax_colour = "black" if value > 0.8 * by_parity.max() else "white"
        axes[-1].text(c, r, f"{value:.3f}", ha="center", va="center", fontsize=10, color=ax_colour)
    axes[-1].set_xticks([0, 1], ["even col", "odd col"], fontsize=8)
    axes[-1].set_yticks([0, 1], ["even\nrow", "odd\nrow"], fontsize=8)
    axes[-1].tick_params(length=0)
    axes[-1].set_title("untrained DCGAN G:\nmean |pixel| by parity", fontsize=10)
    fig.suptitle("Upsampling a flat input by 2 (stride 2, all-ones kernels): brighter = more overlap", fontsize=11)
    fig.tight_layout(pad=0.3, rect=(0, 0, 1, 0.9))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


FIGURES = {"layer_stack": layer_stack, "checkerboard": checkerboard}


def main(argv: list[str]) -> int:
    names = argv or list(FIGURES)
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        print(f"unknown figure(s) {unknown}; choose from {sorted(FIGURES)}", file=sys.stderr)
        return 2
    from pgan import quiet_tensorflow, set_seed

    quiet_tensorflow()
    set_seed(SEED)
    check_specs()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = OUT / f"{name}.png"
        FIGURES[name](path)
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
