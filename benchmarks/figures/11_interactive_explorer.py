"""The figures of notebooks/11_interactive_explorer.ipynb, into docs/figures/11_interactive_explorer/.

    .venv/bin/python benchmarks/figures/11_interactive_explorer.py    # about 30 s on a 2-core CPU

What the widgets show, as static pictures from the shipped generators:

- ``directions.png``: two products of seed 0 (a sneaker and a T-shirt) walked along each of the first three directions of
  ``widgets.latent_directions`` (the judge's features regressed on z, 2,000 samples, seed 0),
  from -3 to +3 steps;
- ``truncation.png``: the same 8 latents at truncation 1, 0.7, 0.4 and 0 (``widgets.truncate_noise``);
- ``morph.png``: seed 0 to seed 9 of the DCGAN generator along the line and along the arc (slerp),
  and the conditional generator from a T-shirt to an ankle boot (``widgets.interpolation_strip``).

Deterministic: fixed seeds and the shipped models.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "figures" / "11_interactive_explorer"
DPI = 80
PRODUCTS = (0, 2)  # of seed 0's products: a sneaker and a T-shirt


def to_grey(path: Path) -> Path:
    """Store a black-and-white figure as an 8-bit grey PNG (about half the bytes of RGBA)."""
    from PIL import Image

    Image.open(path).convert("L").save(path, optimize=True)
    return path


def labelled_grid(rows, row_labels, col_labels, path: Path, title: str | None = None, size: float = 0.85,
                  label_width: float = 1.5) -> Path:
    """Rows of images in [-1, 1], a label left of each row and a title above each column."""
    import matplotlib.pyplot as plt
    import numpy as np

    from pgan import data

    nrows, ncols = len(rows), len(rows[0])
    fig, axes = plt.subplots(nrows, ncols, figsize=(label_width + ncols * size, 0.35 + nrows * size * 1.05),
                             squeeze=False)
    for r, images in enumerate(rows):
        for c, ax in enumerate(axes[r]):
            ax.imshow(np.asarray(data.to_unit_range(images[c]))[..., 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and col_labels is not None:
                ax.set_title(col_labels[c], fontsize=9)
            if c == 0:
                ax.set_ylabel(row_labels[r], rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return to_grey(path)


def draw_directions(generator, path: Path) -> Path:
    import numpy as np

    from pgan import widgets

    found = widgets.latent_directions(generator, num_directions=3, num_samples=2000, seed=0)
    steps = np.linspace(-3, 3, 7)
    rows, labels = [], []
    for k in range(3):
        for product in PRODUCTS:
            strip = []
            for step in steps:
                offsets = np.zeros(k + 1)
                offsets[k] = step
                images = widgets.explore_latent(generator, 0, max(PRODUCTS) + 1, found["directions"], offsets)["images"]
                strip.append(images[product])
            rows.append(np.stack(strip))
            labels.append(f"direction {k + 1}\nproduct {product}")
    return labelled_grid(rows, labels, [f"{s:+.0f}" for s in steps], path,
                         title="steps along the first three directions (judge features regressed on z)")


def draw_truncation(generator, path: Path) -> Path:
    from pgan import widgets

    truncations = (1.0, 0.7, 0.4, 0.0)
    rows = [widgets.explore_latent(generator, 0, 8, truncation=t)["images"] for t in truncations]
    return labelled_grid(rows, [f"truncation {t}" for t in truncations], None, path,
                         title="the same 8 latents, scaled toward z = 0")


def draw_morph(generator, conditional, path: Path) -> Path:
    from pgan import widgets

    linear = widgets.interpolation_strip(generator, (0, 9), num_steps=9, method="linear")
    arc = widgets.interpolation_strip(generator, (0, 9), num_steps=9, method="spherical")
    classes = widgets.interpolation_strip(conditional, (0, 9), classes=(0, 9), num_steps=9, method="spherical")
    rows = [linear["images"], arc["images"], classes["images"]]
    labels = ["linear", "spherical\n(slerp)", "conditional:\nT-shirt to\nankle boot"]
    return labelled_grid(rows, labels, [f"t={t:.2f}" for t in arc["t"]], path,
                         title="seed 0 to seed 9, nine steps")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    from pgan import sampling

    OUT.mkdir(parents=True, exist_ok=True)
    generator = sampling.load_pretrained("dcgan_generator")
    conditional = sampling.load_pretrained("conditional_generator")
    for path in (draw_directions(generator, OUT / "directions.png"),
                 draw_truncation(generator, OUT / "truncation.png"),
                 draw_morph(generator, conditional, OUT / "morph.png")):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
