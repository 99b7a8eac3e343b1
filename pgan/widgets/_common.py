"""What the widgets of ``pgan.widgets`` share: PNG rendering, class names, seeds, generation, display.

Helpers, not a lesson: the widgets taught in notebooks/11_interactive_explorer.ipynb
and notebooks/03_gan_theory.ipynb are built on them.
"""

from __future__ import annotations

import io

import ipywidgets as ipw
import keras
import numpy as np

from pgan import data, plotting, sampling


def to_png(images, ncols: int | None = None, scale: int = 3) -> bytes:
    """PNG bytes of an image grid (any pgan pixel range), enlarged ``scale`` times (nearest)."""
    from PIL import Image

    grid = plotting.image_grid(images, ncols=ncols)
    img = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def figure_png(fig, dpi: int = 72) -> bytes:
    """PNG bytes of a matplotlib figure, which is then closed (so the notebook does not show it twice)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def class_names_of(generator) -> list[str]:
    """Names for a conditional generator's classes; [] if unconditional.

    Those of the folder it trained on when ``sampling.load_generator`` read them beside its
    file, else Fashion-MNIST's for 10 classes, else "class 0", "class 1", ...
    """
    num_classes = sampling.num_classes_of(generator)
    if num_classes is None:
        return []
    names = getattr(generator, "pgan_class_names", None)
    if names and len(names) == num_classes:
        return list(names)
    return (
        list(data.CLASS_NAMES)
        if num_classes == len(data.CLASS_NAMES)
        else [f"class {i}" for i in range(num_classes)]
    )


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    return int(seed)


def _generate(generator, z, labels=None) -> np.ndarray:
    """Images in [-1, 1] for the latents ``z`` (and labels, for a conditional generator)."""
    inputs = z if labels is None else [z, np.asarray(labels, np.int32)]
    return keras.ops.convert_to_numpy(generator(inputs, training=False)).astype(np.float32)


class _App:
    """What every widget class shares: ``widget`` (the ipywidgets box), ``state``, notebook display."""

    widget: ipw.Widget
    state: dict

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
