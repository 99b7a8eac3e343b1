"""Interactive widgets: latent space, interpolation, a live training monitor, super-resolution, the toy GAN.

Every widget comes in two layers:

- a **pure function** that makes the picture: arrays in, a dict of arrays out
  (:func:`explore_latent`, :func:`interpolation_strip`, :func:`training_snapshot`,
  :func:`compare_super_resolution`, :func:`toy_learning_rate_run`). No ipywidgets
  inside, so tests and the notebooks' checked cells call them directly;
- a thin **class** that builds ipywidgets controls around that function and
  redraws on every change. Its ``state`` holds the function's last result, its
  ``widget`` the ipywidgets box, and the object displays itself in a notebook.

They run offline on a CPU from the models shipped in ``data/pretrained``; a
change redraws in a fraction of a second (the toy GAN retrains in seconds).

Taught in notebooks/11_interactive_explorer.ipynb; the toy-GAN explorer in
notebooks/03_gan_theory.ipynb.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

import ipywidgets as ipw
import keras
import numpy as np

from pgan import data, plotting, sampling

DIRECTION_METHODS = ("judge", "axes")
INTERPOLATIONS = ("linear", "spherical")
ALL_CLASSES = -1  # the class dropdowns' "all classes" entry


# ------------------------------------------------------------------ shared helpers


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
    """Names for a conditional generator's classes (Fashion-MNIST's for 10 classes); [] if unconditional."""
    num_classes = sampling.num_classes_of(generator)
    if num_classes is None:
        return []
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


# ------------------------------------------------------------------ 1. latent explorer


def latent_directions(
    generator,
    num_directions: int = 4,
    method: str = "judge",
    num_samples: int = 2000,
    seed: int = 0,
) -> dict:
    """Directions in latent space worth a slider, as unit vectors.

    ``method="axes"``: the first coordinate axes of z. Honest, but one axis
    usually changes several things at once, and some barely change anything.

    ``method="judge"`` (the default) finds the directions along which the
    *products* change most, GANSpace-style (Härkönen et al. 2020) with the
    judge's 128 features (``pgan.judge``) in place of the generator's activations.
    PCA of the latents themselves would be useless: z is drawn from an isotropic
    normal, every direction has variance 1. So:

    1. draw ``num_samples`` latents, generate their images, read the judge's features f;
    2. fit the linear map f ≈ mean + (z - mean) W by least squares (W: latent_dim x 128);
    3. take W's singular value decomposition W = U S V^T. U's columns are
       orthonormal latent directions, ordered by how far one step along them
       moves the features (S): PCA of the linearly predicted features, mapped back to z.

    For a conditional generator the features are centred per class, so the
    directions describe changes within a class (style, not category).

    Returns:
        ``{"directions": (k, latent_dim) float32, "strength": (k,) share of the
        predicted feature variance per direction, "r2": share of the feature
        variance that is linear in z (None for axes), "method": method}``.

    Raises:
        ValueError: unknown method, too many directions, too few samples, or
            (method "judge") a generator whose images the judge cannot read.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    latent_dim = sampling.latent_dim_of(generator)
    if method not in DIRECTION_METHODS:
        raise ValueError(f"method must be one of {DIRECTION_METHODS}, got {method!r}.")
    if (
        isinstance(num_directions, bool)
        or not isinstance(num_directions, int)
        or not 1 <= num_directions <= latent_dim
    ):
        raise ValueError(
            f"num_directions must be an int from 1 to latent_dim={latent_dim}, got {num_directions!r}."
        )
    if method == "axes":
        directions = np.eye(latent_dim, dtype=np.float32)[:num_directions]
        return {
            "directions": directions,
            "strength": np.full(num_directions, 1.0 / latent_dim),
            "r2": None,
            "method": method,
        }
    if (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, int)
        or num_samples < 2 * latent_dim
    ):
        raise ValueError(
            f"num_samples must be an int of at least 2 * latent_dim = {2 * latent_dim} to fit the "
            f"linear map, got {num_samples!r}."
        )
    from pgan import judge

    z = sampling.sample_noise(num_samples, latent_dim, _check_seed(seed))
    labels = sampling.class_labels(generator, num_samples)
    images = np.concatenate(
        [
            _generate(generator, z[i : i + 500], None if labels is None else labels[i : i + 500])
            for i in range(0, num_samples, 500)
        ]
    )
    try:
        features = judge.judge_features(images, "model").astype(np.float64)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"The judge cannot read this generator's images ({err}); use method='axes'."
        ) from err
    groups = (
        [np.arange(num_samples)]
        if labels is None
        else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    )
    for rows in groups:  # centre per class: directions within a class
        features[rows] -= features[rows].mean(axis=0)
    zc = z.astype(np.float64) - z.mean(axis=0)
    weights = np.linalg.lstsq(zc, features, rcond=None)[0]  # (latent_dim, 128)
    u, s, _ = np.linalg.svd(weights, full_matrices=False)
    directions = u[:, :num_directions].T
    # A fixed sign for each direction: its largest component is positive.
    signs = np.sign(directions[np.arange(num_directions), np.abs(directions).argmax(axis=1)])
    residual = features - zc @ weights
    return {
        "directions": (directions * signs[:, None]).astype(np.float32),
        "strength": (s[:num_directions] ** 2 / np.sum(s**2)),
        "r2": float(1.0 - np.sum(residual**2) / np.sum(features**2)),
        "method": method,
    }


def truncate_noise(z, truncation: float) -> np.ndarray:
    """The truncation trick, as a scale: ``truncation * z``, with ``truncation`` in [0, 1].

    Smaller latents sit where the generator saw most of its training noise, so
    they give more typical, cleaner products, and less variety: at 0 every
    product is the one of the mean latent z = 0. (BigGAN's version redraws the
    entries with |z| above a threshold instead; scaling, as in StyleGAN's psi,
    moves smoothly all the way to the mean.)
    """
    if (
        isinstance(truncation, bool)
        or not isinstance(truncation, (int, float))
        or not 0.0 <= truncation <= 1.0
    ):
        raise ValueError(
            f"truncation must be a number in [0, 1] (1 = no truncation), got {truncation!r}."
        )
    return (np.asarray(z, np.float32) * np.float32(truncation)).astype(np.float32)


def explore_latent(
    generator,
    seed: int = 0,
    num_examples: int = 16,
    directions=None,
    offsets=(),
    truncation: float = 1.0,
    labels=None,
) -> dict:
    """Products for ``num_examples`` latents of ``seed``, truncated, then moved along ``directions``.

    The latent of product i is ``truncation * z_i + sum_k offsets[k] * directions[k]``;
    with no offsets and no truncation these are ``sampling.generate_images(generator,
    num_examples, seed=seed)``.

    Args:
        generator: an unconditional or conditional generator.
        seed: seed of the noise (a non-negative int).
        num_examples: how many products.
        directions: (k, latent_dim) unit directions (:func:`latent_directions`) or None.
        offsets: up to k step sizes, one per direction (missing ones are 0).
        truncation: in [0, 1], see :func:`truncate_noise`.
        labels: classes for a conditional generator (see ``sampling.class_labels``).

    Returns:
        ``{"z": latents, "labels": labels or None, "images": (N, H, W, C) in [-1, 1]}``.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    latent_dim = sampling.latent_dim_of(generator)
    z = truncate_noise(
        sampling.sample_noise(num_examples, latent_dim, _check_seed(seed)), truncation
    )
    offsets = np.asarray(offsets, dtype=np.float32).reshape(-1)
    if offsets.size:
        directions = None if directions is None else np.asarray(directions, dtype=np.float32)
        if (
            directions is None
            or directions.ndim != 2
            or directions.shape[1] != latent_dim
            or len(offsets) > len(directions)
        ):
            shape = None if directions is None else directions.shape
            raise ValueError(
                f"{len(offsets)} offsets need at least as many directions of size latent_dim={latent_dim}, "
                f"got directions of shape {shape}; pass latent_directions(generator)['directions']."
            )
        z = z + offsets @ directions[: len(offsets)]
    labels = sampling.class_labels(generator, num_examples, labels)
    return {"z": z, "labels": labels, "images": _generate(generator, z, labels)}


class LatentExplorer(_App):
    """A grid of products, with sliders along latent directions, a new seed, truncation and the class.

    Args:
        generator: an unconditional or conditional generator (then a class dropdown appears).
        num_examples: products in the grid.
        num_directions: sliders, one per direction of :func:`latent_directions`.
        method: "judge" or "axes" (ignored when ``directions`` is given).
        seed: the first seed.
        directions: a precomputed :func:`latent_directions` result (saves a few seconds).

    Attributes:
        seed_box, new_seed_button, reset_button, truncation_slider, direction_sliders,
        class_dropdown (None for an unconditional generator), image: the controls.
        directions: the :func:`latent_directions` result in use.
        state: the last :func:`explore_latent` result.
    """

    def __init__(
        self,
        generator,
        num_examples: int = 16,
        num_directions: int = 4,
        method: str = "judge",
        seed: int = 0,
        directions: dict | None = None,
    ):
        self.generator = generator
        self.num_examples = num_examples
        self.directions = directions or latent_directions(generator, num_directions, method)
        slider = {"min": -3.0, "max": 3.0, "step": 0.25, "value": 0.0, "continuous_update": False}
        self.direction_sliders = [
            ipw.FloatSlider(description=f"direction {k + 1}", **slider)
            for k in range(len(self.directions["directions"]))
        ]
        self.truncation_slider = ipw.FloatSlider(
            value=1.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="truncation",
            continuous_update=False,
        )
        self.seed_box = ipw.IntText(value=_check_seed(seed), description="seed")
        self.new_seed_button = ipw.Button(description="New seed", icon="random")
        self.reset_button = ipw.Button(description="Reset sliders", icon="undo")
        names = class_names_of(generator)
        self.class_dropdown = None
        if names:
            options = [("all classes", ALL_CLASSES)] + [(name, i) for i, name in enumerate(names)]
            self.class_dropdown = ipw.Dropdown(
                options=options, value=ALL_CLASSES, description="class"
            )
        self.image = ipw.Image(format="png")
        self.caption = ipw.HTML()
        self.new_seed_button.on_click(
            lambda _: setattr(self.seed_box, "value", self.seed_box.value + 1)
        )
        self.reset_button.on_click(lambda _: self.reset())
        controls = [self.seed_box, self.truncation_slider, *self.direction_sliders]
        if self.class_dropdown is not None:
            controls.append(self.class_dropdown)
        for control in controls:
            control.observe(lambda _: self.update(), names="value")
        top = [self.seed_box, self.new_seed_button, self.reset_button, self.class_dropdown]
        self.widget = ipw.VBox(
            [
                ipw.HBox([w for w in top if w is not None]),
                self.truncation_slider,
                *self.direction_sliders,
                self.image,
                self.caption,
            ]
        )
        self.update()

    def reset(self):
        """Put every direction slider back to 0 and the truncation to 1."""
        for slider in self.direction_sliders:
            slider.value = 0.0
        self.truncation_slider.value = 1.0

    def update(self):
        """Redraw the grid from the controls' values."""
        label = (
            None
            if self.class_dropdown is None or self.class_dropdown.value == ALL_CLASSES
            else self.class_dropdown.value
        )
        self.state = explore_latent(
            self.generator,
            max(0, self.seed_box.value),
            self.num_examples,
            self.directions["directions"],
            [s.value for s in self.direction_sliders],
            self.truncation_slider.value,
            label,
        )
        self.image.value = to_png(self.state["images"], ncols=min(8, self.num_examples))
        self.caption.value = (
            f"seed {self.seed_box.value}, truncation {self.truncation_slider.value:.2f}, "
            f"directions from {self.directions['method']!r}"
        )


# ------------------------------------------------------------------ 2. interpolation


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


# ------------------------------------------------------------------ 3. training monitor

_LOG_ORDER = ("d_loss", "g_loss", "d_real_acc", "d_fake_acc")


def _in_order(logs: dict) -> dict:
    """The GAN's logs, losses first (Keras sorts them by name), then anything else."""
    first = [k for k in _LOG_ORDER if k in logs]
    return {k: logs[k] for k in [*first, *sorted(set(logs) - set(first))]}


def training_snapshot(generator, noise, history: dict, labels=None) -> dict:
    """What :class:`TrainingMonitor` shows: samples from fixed noise and the curves so far.

    Args:
        generator: the generator being trained.
        noise: the fixed latents (N, latent_dim).
        history: per-epoch lists, e.g. ``{"d_loss": [...], "g_loss": [...], "d_real_acc": [...],
            "d_fake_acc": [...]}``; may be empty before the first epoch ends.
        labels: classes for a conditional generator.

    Returns:
        ``{"images": (N, H, W, C) in [-1, 1], "curves": PNG bytes of
        ``plotting.plot_history`` or None while the history is empty, "text": the last values}``.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    images = _generate(generator, np.asarray(noise, np.float32), labels)
    history = _in_order({k: v for k, v in history.items() if v and ("loss" in k or "acc" in k)})
    curves = figure_png(plotting.plot_history(history)) if history else None
    text = ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.items())
    return {"images": images, "curves": curves, "text": text}


class TrainingMonitor(keras.callbacks.Callback, _App):
    """A Keras callback that shows a GAN's training live: samples, losses and D's accuracies.

    Pass it to ``GAN.fit(..., callbacks=[monitor])`` or
    ``runs.train_gan(config, run_dir, callbacks=[monitor])`` and display it
    (``display(monitor)`` or end a cell with it) before training. At every
    epoch end it redraws, in place, a grid from fixed noise and the curves of
    ``d_loss``/``g_loss`` and ``d_real_acc``/``d_fake_acc``; nothing is printed,
    so the notebook's output does not grow. Combine it with ``verbose=0``.

    Args:
        num_examples: products in the grid (the same noise every time, so grids compare).
        seed: seed of the fixed noise.
        every_n_batches: also refresh the grid and the numbers every this many
            batches (None: at epoch ends only).

    Attributes:
        history: the per-epoch logs seen so far (and "epoch", numbered from 1).
        state: the last :func:`training_snapshot`; updates: how many redraws so far.
        samples_image, curves_image, status, widget: the display.
    """

    def __init__(self, num_examples: int = 16, seed: int = 0, every_n_batches: int | None = None):
        super().__init__()
        if every_n_batches is not None and (
            isinstance(every_n_batches, bool)
            or not isinstance(every_n_batches, int)
            or every_n_batches < 1
        ):
            raise ValueError(
                f"every_n_batches must be None or a positive int, got {every_n_batches!r}."
            )
        self.num_examples = num_examples
        self.seed = _check_seed(seed)
        self.every_n_batches = every_n_batches
        self.history: dict = {}
        self.state: dict = {}
        self.updates = 0
        self.samples_image = ipw.Image(format="png")
        self.curves_image = ipw.Image(format="png")
        self.status = ipw.HTML("waiting for training to start")
        self.widget = ipw.VBox([self.status, self.samples_image, self.curves_image])
        self._noise = self._labels = None
        self._epoch = 0

    def _generator(self):
        generator = getattr(self.model, "generator", None)
        if generator is None:
            raise TypeError(
                f"TrainingMonitor needs a GAN with a .generator, got {type(self.model).__name__}."
            )
        return generator

    def on_train_begin(self, logs=None):
        generator = self._generator()
        self._noise = sampling.sample_noise(
            self.num_examples, sampling.latent_dim_of(generator), self.seed
        )
        self._labels = sampling.class_labels(generator, self.num_examples)
        self.status.value = "training..."

    def _redraw(self, where: str, logs=None, with_curves: bool = True):
        # Mid-epoch redraws skip the curves: they change only at epoch ends, and plotting costs time.
        self.state = training_snapshot(
            self._generator(), self._noise, self.history if with_curves else {}, self._labels
        )
        self.samples_image.value = to_png(
            self.state["images"], ncols=min(8, self.num_examples), scale=2
        )
        if self.state["curves"] is not None:
            self.curves_image.value = self.state["curves"]
        numbers = ", ".join(f"{k} {float(v):.3f}" for k, v in _in_order(logs or {}).items())
        self.status.value = f"{where}: {numbers}"
        self.updates += 1

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_batches and (batch + 1) % self.every_n_batches == 0:
            self._redraw(f"epoch {self._epoch}, batch {batch + 1}", logs, with_curves=False)

    def on_epoch_end(self, epoch, logs=None):
        self.history.setdefault("epoch", []).append(epoch + 1)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self._redraw(f"epoch {epoch + 1}", logs)


# ------------------------------------------------------------------ 4. super-resolution


_SR_MODELS: dict = {}  # (name, scale) -> loaded model, once per process


def _sr_model(model, scale: int):
    from pgan import superres

    if not isinstance(model, str):
        superres.check_sr_model(model, scale)
        return model
    if (model, scale) not in _SR_MODELS:
        _SR_MODELS[model, scale] = superres.load_sr_model(model, scale)
    return _SR_MODELS[model, scale]


def photo_ground_truth(path, image_size: int = 28) -> np.ndarray:
    """Your photo fitted into an ``image_size`` square like Fashion-MNIST (light product on black), uint8."""
    if (
        isinstance(image_size, bool)
        or not isinstance(image_size, int)
        or image_size < 8
        or image_size % 4
    ):
        raise ValueError(
            f"image_size must be a multiple of 4 of at least 8 (both scales divide it), got {image_size!r}."
        )
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a file: give the path of a PNG or JPEG photo.")
    return data.load_image(path, image_size=image_size)


def compare_super_resolution(original, scale: int = 2, model="srresnet") -> dict:
    """Shrink ``original`` by ``scale``, enlarge it back with bicubic and a model, and score both.

    The original is the ground truth, so PSNR and SSIM say how much of it each
    method recovers. For a Fashion-MNIST test image that is the protocol of
    notebook 07; for your own photo (:func:`photo_ground_truth`) the photo
    itself, degraded first, plays the original.

    Args:
        original: uint8 (H, W) or (H, W, 1), H and W divisible by ``scale``.
        scale: 2 or 4.
        model: "espcn", "srresnet" or "srgan" (the shipped models), or a Keras model.

    Returns:
        ``{"original", "low_res", "bicubic", "model"}`` as float32 (H, W, 1) in [0, 1]
        (low_res is H/scale x W/scale), ``"scores": {"bicubic": {"psnr", "ssim"},
        "model": {...}}`` and ``"name"``, the model's name.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    from pgan import fidelity, superres

    image = np.asarray(original)
    if (
        image.dtype != np.uint8
        or image.ndim not in (2, 3)
        or (image.ndim == 3 and image.shape[-1] != 1)
    ):
        raise ValueError(
            f"original must be one uint8 grayscale image (H, W) or (H, W, 1), got {image.dtype} "
            f"{image.shape}; use photo_ground_truth(path) for a photo."
        )
    image = image.reshape(image.shape[0], image.shape[1], 1)
    low, high = superres.protocol_pairs(image[None], scale)
    network = _sr_model(model, scale)
    outputs = {
        "bicubic": superres.classical_upscale(low, scale, "bicubic"),
        "model": superres.upscale_batch(network, low),
    }
    return {
        "original": high[0],
        "low_res": low[0],
        **{k: v[0] for k, v in outputs.items()},
        "scores": {k: fidelity.score(v, high) for k, v in outputs.items()},
        "name": model if isinstance(model, str) else model.name,
    }


class SuperResolutionComparer(_App):
    """Low-res input, bicubic, a shipped SR model and the original, side by side with PSNR/SSIM.

    Args:
        images: uint8 (N, H, W, 1) images to pick from; Fashion-MNIST's test split by default.
        index: the first image shown.
        scale: 2 or 4.
        model: "espcn", "srresnet" or "srgan".

    Attributes:
        source_buttons ("test image" or "my photo"), index_box, path_box, scale_buttons,
        model_dropdown, image, scores, status: the controls.
        state: the last :func:`compare_super_resolution` result.
    """

    def __init__(self, images=None, index: int = 0, scale: int = 2, model: str = "srresnet"):
        from pgan import superres

        if images is None:
            from pgan import judge

            images = judge.fashion_mnist().x_test
        self.images = np.asarray(images)
        self.source_buttons = ipw.ToggleButtons(
            options=["test image", "my photo"], value="test image", description="image"
        )
        self.index_box = ipw.BoundedIntText(
            value=index, min=0, max=len(self.images) - 1, description="index"
        )
        self.path_box = ipw.Text(
            description="photo", placeholder="path of a PNG or JPEG", continuous_update=False
        )
        self.scale_buttons = ipw.ToggleButtons(
            options=list(superres.SCALES), value=scale, description="scale"
        )
        self.model_dropdown = ipw.Dropdown(
            options=list(superres.MODELS), value=model, description="model"
        )
        self.image = ipw.Image(format="png")
        self.scores = ipw.HTML()
        self.status = ipw.HTML()
        for control in (
            self.source_buttons,
            self.index_box,
            self.path_box,
            self.scale_buttons,
            self.model_dropdown,
        ):
            control.observe(lambda _: self.update(), names="value")
        self.widget = ipw.VBox(
            [
                ipw.HBox([self.source_buttons, self.index_box]),
                self.path_box,
                ipw.HBox([self.scale_buttons, self.model_dropdown]),
                self.image,
                self.scores,
                self.status,
            ]
        )
        self.state: dict = {}
        self.update()

    def update(self):
        """Redraw from the controls' values; a bad photo path is reported in ``status``."""
        scale = self.scale_buttons.value
        if self.source_buttons.value == "my photo":
            if not self.path_box.value.strip():
                self.status.value = "Type the path of a photo."
                return
            try:
                original = photo_ground_truth(self.path_box.value.strip())
            except (OSError, ValueError) as err:
                self.status.value = f"Cannot use that photo: {err}"
                return
            note = (
                f"Your photo, fitted into {original.shape[0]}x{original.shape[1]}, is the ground truth: it was "
                f"shrunk by {scale} first, so the scores say how much of it each method recovers."
            )
        else:
            original = self.images[self.index_box.value]
            note = f"Test image {self.index_box.value}, shrunk by {scale} (the protocol of notebook 07)."
        self.state = compare_super_resolution(original, scale, self.model_dropdown.value)
        low = np.repeat(
            np.repeat(self.state["low_res"], scale, axis=0), scale, axis=1
        )  # pixels as blocks
        panels = np.stack([low, self.state["bicubic"], self.state["model"], self.state["original"]])
        self.image.value = to_png(panels, ncols=4, scale=4)
        cells = "".join(
            f"<td>{name}: PSNR {s['psnr']:.2f} dB, SSIM {s['ssim']:.3f}</td>"
            for name, s in (
                ("bicubic", self.state["scores"]["bicubic"]),
                (self.state["name"], self.state["scores"]["model"]),
            )
        )
        self.scores.value = f"<table><tr><td>input | bicubic | {self.state['name']} | original</td>{cells}</tr></table>"
        self.status.value = note


# ------------------------------------------------------------------ 5. the toy GAN's learning rate


def toy_learning_rate_run(
    learning_rate: float = 1e-3, steps: int = 400, seed: int = 1, num_snapshots: int = 5
) -> dict:
    """Train the 1-D toy GAN of ``pgan.toy`` with ``learning_rate`` and summarise how it went.

    Returns:
        ``{"history": the ToyGANHistory, "coverage": share of the final samples near
        each mode, "collapsed": whether a mode got under 5%, "final_d_loss": D's mean
        loss over the last 10% of steps, "seconds": training time}``.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    from pgan import toy

    start = time.perf_counter()
    history = toy.train_toy_gan(
        steps=steps, learning_rate=learning_rate, seed=seed, num_snapshots=num_snapshots
    )
    coverage = toy.mode_coverage(history.final_samples)
    tail = max(1, steps // 10)
    return {
        "history": history,
        "coverage": coverage,
        "collapsed": bool(coverage.min() < 0.05),
        "final_d_loss": float(history.d_loss[-tail:].mean()),
        "seconds": time.perf_counter() - start,
    }


class ToyLearningRateExplorer(_App):
    """A learning-rate slider (and a steps slider) that retrain the toy GAN and redraw its snapshots.

    Releasing a slider retrains (a few seconds); the object trains once with the
    starting values, so it shows a result even where no browser runs the widgets.

    Args:
        learning_rate: the starting learning rate (the slider spans 1e-4 to 1e-1).
        steps: the starting number of training steps.
        seed: the toy GAN's seed (weights, data and noise).

    Attributes:
        lr_slider, steps_slider, image, status: the controls.
        state: the last :func:`toy_learning_rate_run` result.
    """

    def __init__(self, learning_rate: float = 1e-3, steps: int = 400, seed: int = 1):
        self.seed = _check_seed(seed)
        self.lr_slider = ipw.FloatLogSlider(
            value=learning_rate,
            base=10,
            min=-4,
            max=-1,
            step=0.25,
            description="learning rate",
            readout_format=".0e",
            continuous_update=False,
        )
        self.steps_slider = ipw.IntSlider(
            value=steps,
            min=100,
            max=max(3000, steps),
            step=100,
            description="steps",
            continuous_update=False,
        )
        self.image = ipw.Image(format="png")
        self.status = ipw.HTML()
        for control in (self.lr_slider, self.steps_slider):
            control.observe(lambda _: self.update(), names="value")
        self.widget = ipw.VBox(
            [ipw.HBox([self.lr_slider, self.steps_slider]), self.status, self.image]
        )
        self.update()

    def update(self):
        """Retrain with the sliders' values and redraw."""
        from pgan import toy

        self.status.value = f"training {self.steps_slider.value} steps..."
        self.state = toy_learning_rate_run(self.lr_slider.value, self.steps_slider.value, self.seed)
        fig = toy.plot_snapshots(self.state["history"])
        fig.suptitle(f"learning rate {self.lr_slider.value:.0e}", y=1.02)
        self.image.value = figure_png(fig)
        shares = " / ".join(f"{s:.0%}" for s in self.state["coverage"])
        self.status.value = (
            f"learning rate {self.lr_slider.value:.0e}, {self.steps_slider.value} steps in "
            f"{self.state['seconds']:.1f} s: near the modes {shares}"
            + (" (collapsed)" if self.state["collapsed"] else "")
        )
