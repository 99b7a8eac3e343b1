"""Draw the figures of notebooks/02_cnn_foundations.ipynb into docs/figures/02_cnn_foundations/.

    .venv/bin/python benchmarks/figures/02_cnn_foundations.py     # about 20 s on a 2-core CPU

- ``cnn_layers.png``: the product classifier, ``pgan.models.build_classifier()``, as a diagram:
  each tensor's shape, and the convolution, pooling and dense layers between them.
- ``conv_relu_pool.png``: the first test image (an ankle boot) through one stage by hand:
  a vertical-edge convolution, ReLU, 2x2 max-pooling.
- ``learned_filters.png``: what the trained judge (data/pretrained/judge.keras, the same network
  trained on all 60,000 images, its checksum verified) learned: its 32 first-layer kernels and
  the boot's feature maps after each block.
- ``confusion.png``: the judge's confusion matrix on the 10,000 test images.

Deterministic: the same files every run on the same machine.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "figures" / "02_cnn_foundations"
CONV, POOL, DENSE = "#3b6ea5", "#d9822b", "#4a9a5b"
SOBEL_VERTICAL = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]


def save(fig, name: str) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(OUT / name, dpi=80, metadata={"Software": None})
    plt.close(fig)


def cnn_layers(boot) -> None:
    """Tensors as boxes (feature maps as stacked sheets, vectors as bars), layers as arrows."""
    import math

    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Rectangle

    tensors = [(28, 1), (28, 32), (14, 32), (14, 64), (7, 64), (None, 3136), (None, 128), (None, 10)]
    layers = [("conv 3x3\nBN, ReLU\n(twice)", CONV), ("max-pool\n2x2", POOL), ("conv 3x3\nBN, ReLU\n(twice)", CONV),
              ("max-pool\n2x2", POOL), ("flatten", DENSE), ("dense\nReLU", DENSE), ("dense", DENSE)]
    fig, ax = plt.subplots(figsize=(9.0, 2.9))
    ax.axis("off")
    x, gap, step, centres, edges = 0.0, 1.3, 0.13, [], []
    for i, (size, channels) in enumerate(tensors):
        if size is None:  # a vector: a bar whose height grows with its length
            width, height = 0.24, 0.45 + 0.55 * math.log10(channels)
            ax.add_patch(Rectangle((x, -height / 2), width, height, facecolor="0.85", edgecolor="0.2"))
            label = f"{channels:,}" + (" logits" if i == len(tensors) - 1 else "")
            top = height / 2
        else:  # a feature map: sheets, one per few channels, side proportional to the image size
            side, sheets = 0.06 * size, {1: 1, 32: 4, 64: 6}[channels]
            width = side + (sheets - 1) * step
            for sheet in range(sheets):
                ax.add_patch(Rectangle((x + sheet * step, -side / 2 + sheet * step - (sheets - 1) * step / 2),
                                       side, side, facecolor="0.85", edgecolor="0.2", lw=0.8))
            if i == 0:
                ax.imshow(boot, cmap="gray", extent=(x, x + side, -side / 2, side / 2), zorder=3)
            label = f"{size}x{size}x{channels}"
            top = side / 2 + (sheets - 1) * step / 2
        ax.text(x + width / 2, -1.2, label, ha="center", va="top", fontsize=9)
        centres.append(x + width / 2)
        edges.append((x, x + width, top))
        x += width + gap
    for (name, colour), (_, left_end, _), (right_start, _, _) in zip(layers, edges, edges[1:], strict=False):
        ax.add_patch(FancyArrowPatch((left_end + 0.08, 0), (right_start - 0.08, 0), arrowstyle="-|>",
                                     mutation_scale=12, color=colour, lw=1.6))
        ax.text((left_end + right_start) / 2, 0.12, name, ha="center", va="bottom", fontsize=8, color=colour)
    for first, last, text in [(0, 2, "block 1"), (2, 4, "block 2"), (4, 7, "dense layers")]:
        left, right = centres[first] + 0.3, centres[last] - 0.3
        ax.plot([left, left, right, right], [1.72, 1.82, 1.82, 1.72], color="0.3", lw=1)
        ax.text((left + right) / 2, 1.9, text, ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.1, x - gap + 0.6)
    ax.set_ylim(-1.5, 2.2)
    fig.suptitle("The product classifier: convolution, activation and pooling, twice, then dense layers",
                 fontsize=10, y=0.98)
    fig.subplots_adjust(left=0.005, right=0.995, top=0.9, bottom=0.01)
    save(fig, "cnn_layers.png")


def conv_relu_pool(boot) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    windows = np.lib.stride_tricks.sliding_window_view(boot, (3, 3))  # (26, 26, 3, 3)
    edges = np.einsum("ijkl,kl->ij", windows, np.array(SOBEL_VERTICAL, dtype=np.float32))
    relu = np.maximum(edges, 0.0)
    pooled = relu.reshape(13, 2, 13, 2).max(axis=(1, 3))
    stages = [(boot, "input\n28x28", "gray"), (edges, "vertical-edge convolution\n26x26", "RdBu_r"),
              (relu, "ReLU\n26x26", "gray"), (pooled, "2x2 max-pool\n13x13", "gray")]
    fig, axes = plt.subplots(1, 4, figsize=(8.0, 2.5))
    for ax, (picture, title, cmap) in zip(axes, stages, strict=True):
        limit = np.abs(picture).max() if cmap == "RdBu_r" else None
        ax.imshow(picture, cmap=cmap, vmin=-limit if limit else None, vmax=limit)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    save(fig, "conv_relu_pool.png")


def tiles(images, scale: int, ncols: int = 16):
    """(N, H, W) images in [0, 1] or [-1, 1], each enlarged ``scale`` times, tiled into one uint8 image."""
    import numpy as np

    from pgan import plotting

    enlarged = np.kron(images, np.ones((1, scale, scale), dtype=images.dtype))[..., None]
    return plotting.image_grid(enlarged, ncols=ncols, padding=2)[..., 0]


def learned_filters(judge, boot) -> None:
    import keras
    import matplotlib.pyplot as plt
    import numpy as np

    kernels = judge.get_layer("block1_conv1").get_weights()[0][:, :, 0, :]  # (3, 3, 32)
    kernels = np.transpose(kernels, (2, 0, 1)) / np.abs(kernels).max()  # [-1, 1]: black negative, white positive
    probe = keras.Model(judge.input, [judge.get_layer("block1_relu2").output, judge.get_layer("block2_relu2").output])
    maps = [np.transpose(keras.ops.convert_to_numpy(m)[0, :, :, :16], (2, 0, 1))
            for m in probe(boot[None, :, :, None], training=False)]
    maps = [m / np.maximum(m.max(axis=(1, 2), keepdims=True), 1e-8) for m in maps]  # each map to [0, 1]
    rows = [(tiles(kernels, 6), "the 32 first-layer kernels, 3x3 (white: positive weights, black: negative)"),
            (tiles(maps[0], 1, ncols=8), "16 of the 32 feature maps after block 1, 28x28"),
            (tiles(maps[1], 2, ncols=8), "16 of the 64 feature maps after block 2, 14x14")]
    heights = [grid.shape[0] / grid.shape[1] for grid, _ in rows]
    fig, axes = plt.subplots(3, 1, figsize=(7.0, 7.0 * sum(heights) + 1.2), gridspec_kw={"height_ratios": heights})
    for ax, (grid, title) in zip(axes, rows, strict=True):
        ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest", aspect="auto")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle("What the trained classifier (the judge) learned, shown on the ankle boot", fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, top=1 - 0.55 / fig.get_figheight(), bottom=0.01, hspace=0.25)
    save(fig, "learned_filters.png")


def confusion(judge, catalog) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    from pgan import data
    from pgan.judge import judge_predict

    predicted = judge_predict(data.to_model_range(catalog.x_test), judge=judge)
    counts = np.bincount(catalog.y_test.astype(int) * 10 + predicted, minlength=100).reshape(10, 10)
    shares = counts / counts.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(counts):
        if count:
            ax.text(col, row, count, ha="center", va="center", fontsize=8,
                    color="white" if shares[row, col] > 0.5 else "black")
    ax.set_xticks(range(10), catalog.class_names, rotation=55, ha="right", fontsize=9)
    ax.set_yticks(range(10), catalog.class_names, fontsize=9)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"The judge on the 10,000 test images: {np.trace(counts) / counts.sum():.1%} correct", fontsize=10)
    fig.tight_layout()
    save(fig, "confusion.png")


def main() -> None:
    from pgan import data, quiet_tensorflow

    quiet_tensorflow()
    from pgan.judge import load_judge

    OUT.mkdir(parents=True, exist_ok=True)
    catalog = data.load_fashion_mnist()
    boot = data.to_model_range(catalog.x_test[0])[..., 0]  # the first test image, in [-1, 1]
    cnn_layers(boot)
    conv_relu_pool(boot)
    judge = load_judge()
    learned_filters(judge, boot)
    confusion(judge, catalog)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
