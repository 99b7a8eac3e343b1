"""Draw the figures of notebooks/00_welcome.ipynb into docs/figures/00_welcome/.

    .venv/bin/python benchmarks/figures/00_welcome.py     # about 15 s on a 2-core CPU

- ``generated_products.png``: products drawn by the shipped conditional generator
  (data/pretrained/conditional_generator.keras, its checksum verified against its model card),
  asked for each class in turn: one row per class, noise seed 0.
- ``real_products.png``: the first training images of each class of Fashion-MNIST, the same layout.

Deterministic: the same files every run on the same machine.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "figures" / "00_welcome"
PER_CLASS = 8
SEED = 0


def save_class_rows(images, class_names, title, path) -> None:
    """One row of ``PER_CLASS`` images per class, the class name on the left; written as PNG."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from pgan import plotting

    grid = plotting.image_grid(images, ncols=PER_CLASS, padding=2, pad_value=255)[..., 0]
    fig, ax = plt.subplots(figsize=(5.0, 6.0))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_yticks([2 + 30 * row + 14 for row in range(len(class_names))], class_names, fontsize=10)
    ax.set_xticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=10)
    fig.savefig(path, dpi=100, bbox_inches="tight", pad_inches=0.05, metadata={"Software": None})
    plt.close(fig)
    Image.open(path).convert("L").save(path, optimize=True)  # grey only: a quarter of the bytes


def main() -> None:
    import numpy as np

    from pgan import data, quiet_tensorflow

    quiet_tensorflow()
    from pgan import sampling

    OUT.mkdir(parents=True, exist_ok=True)
    catalog = data.load_fashion_mnist()
    classes = len(catalog.class_names)

    generator = sampling.load_pretrained("conditional_generator")
    labels = np.repeat(np.arange(classes), PER_CLASS)  # row r: class r
    fake = sampling.generate_images(generator, len(labels), seed=SEED, labels=labels)
    save_class_rows(fake, catalog.class_names, "Drawn by the shipped conditional generator",
                    OUT / "generated_products.png")

    first = np.concatenate([np.flatnonzero(catalog.y_train == c)[:PER_CLASS] for c in range(classes)])
    save_class_rows(catalog.x_train[first], catalog.class_names, "Real products: Fashion-MNIST",
                    OUT / "real_products.png")
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
