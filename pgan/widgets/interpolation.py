"""Interpolation between two products: linear or spherical paths, a strip, PNG and GIF export.

The pure functions :func:`slerp`, :func:`interpolate_latents`,
:func:`interpolation_strip` and :func:`export_strip` do the work;
:class:`InterpolationExplorer` puts controls around them.

Taught in notebooks/11_interactive_explorer.ipynb.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ipywidgets as ipw
import keras
import numpy as np

from pgan import plotting, sampling
from pgan.widgets._common import _App, _check_seed, _generate, class_names_of, to_png

INTERPOLATIONS = ("linear", "spherical")


def slerp(z_start, z_end, t) -> np.ndarray:
    """Spherical interpolation: along the great circle between the two directions, for t in [0, 1].

    Straight lines between two normal latents pass close to the origin, where
    the generator rarely saw noise (the middle of a lerp is shorter by up to
    1/sqrt(2)); the arc keeps the length typical (White 2016, "Sampling generative networks").
    """
    a, b = np.asarray(z_start, np.float64), np.asarray(z_end, np.float64)
    t = np.asarray(t, np.float64)[..., None]
    cos = np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:  # (anti)parallel: the arc is undefined, use the line
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(
        np.float32
    )


def interpolate_latents(z_start, z_end, num_steps: int = 8, method: str = "linear") -> np.ndarray:
    """``num_steps`` latents from ``z_start`` to ``z_end`` (both included), linear or spherical."""
    if method not in INTERPOLATIONS:
        raise ValueError(f"method must be one of {INTERPOLATIONS}, got {method!r}.")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 2:
        raise ValueError(
            f"num_steps must be an int of at least 2 (the two ends), got {num_steps!r}."
        )
    t = np.linspace(0.0, 1.0, num_steps)
    if method == "spherical":
        return slerp(z_start, z_end, t)
    a, b = np.asarray(z_start, np.float32), np.asarray(z_end, np.float32)
    return ((1 - t[:, None]) * a + t[:, None] * b).astype(np.float32)


def _conditional_parts(generator):
    """(label embeddings, trunk) of a ``models.build_conditional_generator`` model, or None."""
    try:
        condition, trunk = generator.get_layer("condition"), generator.get_layer("trunk")
        table = generator.get_layer("label_embedding").embeddings
    except ValueError:
        return None
    if not isinstance(condition, keras.layers.Multiply):
        return None
    return keras.ops.convert_to_numpy(table).astype(np.float32), trunk


def interpolation_strip(
    generator, seeds=(0, 1), classes=(None, None), num_steps: int = 8, method: str = "linear"
) -> dict:
    """A strip of products morphing from the product of ``seeds[0]`` to that of ``seeds[1]``.

    Each end is the first product ``sampling.generate_images(generator, 1, seed=...)``
    draws for that seed. For a conditional generator each end also has a class
    (default 0): the noise is interpolated as chosen and the class embedding e(y)
    linearly, so a T-shirt can turn into a sneaker (the generator's input is
    z * e(y), see ``models.build_conditional_generator``; for another design the
    class switches half-way).

    Returns:
        ``{"z": (num_steps, latent_dim), "t": positions in [0, 1], "images": (num_steps, H, W, C)
        in [-1, 1], "labels": the classes at the ends or None, "method": method}``.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    latent_dim = sampling.latent_dim_of(generator)
    ends = [sampling.sample_noise(1, latent_dim, _check_seed(s))[0] for s in seeds]
    z = interpolate_latents(ends[0], ends[1], num_steps, method)
    t = np.linspace(0.0, 1.0, num_steps)
    labels = None
    if sampling.num_classes_of(generator) is None:
        if any(c is not None for c in classes):
            raise ValueError(f"{generator.name!r} is unconditional: leave classes as (None, None).")
        images = _generate(generator, z)
    else:
        labels = [
            int(sampling.class_labels(generator, 1, 0 if c is None else c)[0]) for c in classes
        ]
        parts = _conditional_parts(generator)
        if parts is None:
            images = _generate(generator, z, np.where(t < 0.5, labels[0], labels[1]))
        else:
            table, trunk = parts
            embedded = (1 - t[:, None]) * table[labels[0]] + t[:, None] * table[labels[1]]
            images = keras.ops.convert_to_numpy(
                trunk(z * embedded.astype(np.float32), training=False)
            )
    return {
        "z": z,
        "t": t,
        "images": np.asarray(images, np.float32),
        "labels": labels,
        "method": method,
    }


def export_strip(
    strip: dict, folder, name: str = "interpolation", scale: int = 4, duration_ms: int = 150
) -> dict:
    """Write an :func:`interpolation_strip` as ``folder/NAME.png`` (the strip) and ``folder/NAME.gif``.

    The GIF plays there and back. ``folder`` is required: nothing is written to
    the working directory unless you ask for it. Returns ``{"png": path, "gif": path}``.
    """
    if folder is None or not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ValueError(
            f"folder must be a path to write to (it is created if missing), got {folder!r}."
        )
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    images = strip["images"]
    png = plotting.save_grid(images, folder / f"{name}.png", ncols=len(images), scale=scale)
    order = [*range(len(images)), *range(len(images) - 2, 0, -1)]  # there and back
    with tempfile.TemporaryDirectory() as tmp:
        frames = []
        for i, index in enumerate(order):
            frames.append(Path(tmp) / f"{i:04d}.png")
            frames[-1].write_bytes(to_png(images[index : index + 1], scale=scale))
        gif = plotting.save_gif(frames, folder / f"{name}.gif", duration_ms=duration_ms)
    return {"png": png, "gif": gif}


class InterpolationExplorer(_App):
    """Morph between two products: seeds (and classes), steps, linear or spherical, export to PNG and GIF.

    Args:
        generator: an unconditional or conditional generator (then each end gets a class dropdown).
        seeds: the two ends' seeds.
        num_steps: images in the strip.
        output_dir: the folder the *Save* button writes to; None leaves the folder box
            empty, and Save asks for one (nothing is written to the working directory).

    Attributes:
        seed_a, seed_b, class_a, class_b (None if unconditional), steps_slider,
        method_buttons, folder_box, save_button, image, status: the controls.
        state: the last :func:`interpolation_strip` result; saved: the last saved paths.
    """

    def __init__(self, generator, seeds=(0, 1), num_steps: int = 8, output_dir=None):
        self.generator = generator
        self.saved = None
        self.seed_a = ipw.IntText(value=_check_seed(seeds[0]), description="seed A")
        self.seed_b = ipw.IntText(value=_check_seed(seeds[1]), description="seed B")
        names = class_names_of(generator)
        self.class_a = self.class_b = None
        if names:
            options = list(zip(names, range(len(names)), strict=True))
            self.class_a = ipw.Dropdown(options=options, value=0, description="class A")
            self.class_b = ipw.Dropdown(
                options=options, value=len(names) - 1, description="class B"
            )
        self.steps_slider = ipw.IntSlider(
            value=num_steps, min=2, max=16, description="steps", continuous_update=False
        )
        self.method_buttons = ipw.ToggleButtons(
            options=INTERPOLATIONS, value="linear", description="path"
        )
        self.folder_box = ipw.Text(
            value="" if output_dir is None else str(output_dir),
            description="save to",
            placeholder="a folder, e.g. outputs/11",
        )
        self.save_button = ipw.Button(description="Save PNG + GIF", icon="save")
        self.image = ipw.Image(format="png")
        self.status = ipw.HTML()
        self.save_button.on_click(lambda _: self.save())
        controls = [
            self.seed_a,
            self.seed_b,
            self.steps_slider,
            self.method_buttons,
            self.class_a,
            self.class_b,
        ]
        for control in controls:
            if control is not None:
                control.observe(lambda _: self.update(), names="value")
        ends = [
            ipw.HBox([w for w in (self.seed_a, self.class_a) if w is not None]),
            ipw.HBox([w for w in (self.seed_b, self.class_b) if w is not None]),
        ]
        self.widget = ipw.VBox(
            [
                *ends,
                ipw.HBox([self.steps_slider, self.method_buttons]),
                self.image,
                ipw.HBox([self.folder_box, self.save_button]),
                self.status,
            ]
        )
        self.update()

    def update(self):
        """Redraw the strip from the controls' values."""
        classes = (None, None) if self.class_a is None else (self.class_a.value, self.class_b.value)
        self.state = interpolation_strip(
            self.generator,
            (max(0, self.seed_a.value), max(0, self.seed_b.value)),
            classes,
            self.steps_slider.value,
            self.method_buttons.value,
        )
        self.image.value = to_png(self.state["images"], ncols=len(self.state["images"]))

    def save(self):
        """Write the strip to the folder in the box (see :func:`export_strip`); report in ``status``."""
        folder = self.folder_box.value.strip()
        if not folder:
            self.status.value = "Type a folder to save to first (it is created if missing)."
            return None
        name = f"interpolation_{self.seed_a.value}_{self.seed_b.value}_{self.method_buttons.value}"
        try:
            self.saved = export_strip(self.state, folder, name)
        except (OSError, ValueError) as err:
            self.status.value = f"Could not save: {err}"
            return None
        self.status.value = f"Saved {self.saved['png']} and {self.saved['gif']}"
        return self.saved
