"""The latent explorer: directions worth a slider, the truncation trick, and a grid that follows them.

The pure functions :func:`latent_directions`, :func:`truncate_noise` and
:func:`explore_latent` make the pictures; :class:`LatentExplorer` puts
sliders around them.

Taught in notebooks/11_interactive_explorer.ipynb.
"""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np

from pgan import sampling
from pgan.widgets._common import _App, _check_seed, _generate, class_names_of, to_png

DIRECTION_METHODS = ("judge", "axes")
ALL_CLASSES = -1  # the class dropdowns' "all classes" entry


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
    *products* change most, as the judge's 128 features (``pgan.judge``) see
    them: a least-squares regression of the features on z, then an SVD of that
    map. (GANSpace, Härkönen et al. 2020, instead runs PCA on the generator's
    own activations.) PCA of the latents themselves would be useless: z is drawn from an isotropic
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
    entries with |z| above a threshold instead; StyleGAN scales its intermediate
    latent w around an estimate of w's mean, where z's mean here is simply 0.)
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
        method: "judge" or "axes" (ignored when ``directions`` is given); None: "judge" for a
            generator of 28x28 grayscale images, which the judge reads, else "axes".
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
        method: str | None = None,
        seed: int = 0,
        directions: dict | None = None,
    ):
        self.generator = generator
        self.num_examples = num_examples
        if method is None:  # the judge reads 28x28 grayscale products only; other images get the axes
            method = "judge" if tuple(generator.outputs[0].shape[1:]) == (28, 28, 1) else "axes"
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
