"""Draw the figures of notebooks/01_product_images.ipynb into docs/figures/01_product_images/.

    .venv/bin/python benchmarks/figures/01_product_images.py     # about 10 s on a 2-core CPU

- ``mean_images.png``: the mean training image of each class of Fashion-MNIST.
- ``pixel_histogram.png``: the histogram of every training pixel (log scale), with the share of
  pixels that are exactly 0, and the same products before and after keeping their pixels above 0.
- ``own_photos.png``: synthetic catalogue photos of three kinds (RGB on white, a JPEG, an RGBA
  PNG with a transparent background) above what ``pgan.data.load_image_folder`` makes of them.

Deterministic: the same files every run on the same machine. Needs no TensorFlow.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "figures" / "01_product_images"

# Three synthetic photos: (file name, PIL mode, size, background, [(shape, box or points, fill)]).
PHOTOS = [
    ("dress.png", "RGB", (300, 420), "white",
     [("polygon", [(105, 20), (195, 20), (220, 95), (185, 170), (270, 400), (30, 400), (115, 170), (80, 95)],
       (150, 30, 60))]),
    ("sneaker.jpg", "RGB", (420, 240), "white",
     [("polygon", [(40, 120), (200, 90), (330, 140), (390, 190), (390, 215), (30, 215)], (20, 20, 20)),
      ("rectangle", (30, 205, 390, 225), (200, 200, 200))]),
    ("handbag.png", "RGBA", (260, 260), (0, 0, 0, 0),
     [("arc", (70, 20, 190, 140), (60, 40, 20, 255)),
      ("rectangle", (30, 80, 230, 240), (110, 70, 30, 255))]),
]


def write_photos(folder: Path) -> list[Path]:
    """Draw ``PHOTOS`` into ``folder``; return their paths."""
    from PIL import Image, ImageDraw

    paths = []
    for name, mode, size, background, shapes in PHOTOS:
        image = Image.new(mode, size, background)
        draw = ImageDraw.Draw(image)
        for shape, where, fill in shapes:
            if shape == "arc":
                draw.arc(where, 180, 360, fill=fill, width=14)
            else:
                getattr(draw, shape)(where, fill=fill)
        path = folder / name
        image.save(path, **({"quality": 90} if name.endswith(".jpg") else {}))
        paths.append(path)
    return paths


def save(fig, name: str) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(OUT / name, dpi=90, metadata={"Software": None})
    plt.close(fig)


def mean_images(catalog) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(2, 5, figsize=(7.5, 3.6))
    for label, ax in enumerate(axes.flat):
        mean = catalog.x_train[catalog.y_train == label, :, :, 0].mean(axis=0)
        ax.imshow(np.rint(mean), cmap="gray", vmin=0, vmax=255)
        ax.set_title(catalog.class_names[label], fontsize=10)
        ax.axis("off")
    fig.suptitle("The mean training image of each class", fontsize=11)
    fig.tight_layout()
    save(fig, "mean_images.png")


def pixel_histogram(catalog) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    pixels = catalog.x_train.ravel()
    fig = plt.figure(figsize=(7.5, 3.4))
    ax = fig.add_axes([0.09, 0.16, 0.5, 0.72])
    ax.hist(pixels, bins=64, range=(0, 256), log=True, color="0.35")
    ax.annotate(f"{np.mean(pixels == 0):.0%} of all pixels\nare exactly 0: background",
                xy=(6, np.sum(pixels < 4)), xytext=(60, np.sum(pixels < 4) / 4),
                arrowprops={"arrowstyle": "->"}, fontsize=9)
    ax.set_xlabel("pixel value (0 black, 255 white)", fontsize=9)
    ax.set_ylabel("pixels (log scale)", fontsize=9)
    ax.set_title("Every pixel of the 60,000 training images", fontsize=10)
    ax.tick_params(labelsize=8)
    products = catalog.x_train[:4, :, :, 0]
    for i, image in enumerate(products):
        for row, (picture, label) in enumerate([(image, "product"), (np.where(image > 0, 255, 0), "pixels > 0")]):
            inset = fig.add_axes([0.64 + i * 0.085, 0.52 - row * 0.36, 0.08, 0.33])
            inset.imshow(picture, cmap="gray", vmin=0, vmax=255)
            inset.set_xticks([])
            inset.set_yticks([])
            if i == 0:
                inset.set_ylabel(label, fontsize=8)
    save(fig, "pixel_histogram.png")


def own_photos() -> None:
    import matplotlib.pyplot as plt
    from PIL import Image

    from pgan import data

    with tempfile.TemporaryDirectory(prefix="pgan_figure_photos_") as folder:
        paths = write_photos(Path(folder))
        loaded, names = data.load_image_folder(folder)
        fig, axes = plt.subplots(2, len(paths), figsize=(6.0, 4.0), gridspec_kw={"height_ratios": [1.3, 1]})
        for column, path in enumerate(paths):
            with Image.open(path) as photo:
                axes[0, column].imshow(photo.convert("RGBA"))
                axes[0, column].set_title(f"{path.name}\n{photo.mode}, {photo.width} x {photo.height}", fontsize=9)
            axes[1, column].imshow(loaded[names.index(path.name), :, :, 0], cmap="gray", vmin=0, vmax=255)
            axes[1, column].set_title("load_image_folder: 28 x 28", fontsize=9)
            for ax in axes[:, column]:
                ax.set_xticks([])
                ax.set_yticks([])
    fig.tight_layout()
    save(fig, "own_photos.png")


def main() -> None:
    from pgan import data

    OUT.mkdir(parents=True, exist_ok=True)
    catalog = data.load_fashion_mnist()
    mean_images(catalog)
    pixel_histogram(catalog)
    own_photos()
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
