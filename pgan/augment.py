"""DiffAugment: differentiable augmentation of real *and* generated images before D.

With little data, D memorises the training images and its feedback to G turns
into noise. Augmenting only the real images would teach G to draw augmented
products; DiffAugment (Zhao et al. 2020) applies the same random kind of
transformation to both real and fake images every time D sees them, and keeps
it differentiable so G's gradients pass through it.

Written with ``keras.ops`` and ``keras.random`` only, so it runs inside the
TensorFlow and the JAX train steps. Images are in the model range [-1, 1];
-1 (black) is the background used where translation and cutout expose pixels.

Taught in notebooks/09_stabilizing_training.ipynb.
"""

from __future__ import annotations

import keras
from keras import ops

POLICIES = ("color", "translation", "cutout")
BACKGROUND = -1.0


def parse_policy(policy) -> tuple[str, ...]:
    """``"translation,cutout"`` (or a sequence of names) -> a tuple of known transformation names.

    None, "" and "none" mean no augmentation.
    """
    if policy is None or str(policy).strip().lower() in ("", "none"):
        return ()
    names = tuple(p.strip() for p in policy.split(",")) if isinstance(policy, str) else tuple(policy)
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(
            f"Unknown DiffAugment transformation(s) {unknown}; choose from {list(POLICIES)}, "
            "e.g. 'translation,cutout'."
        )
    return names


def normalize_policy(policy) -> str | None:
    """One spelling per policy: None for no augmentation, else "translation,cutout" (no spaces)."""
    return ",".join(parse_policy(policy)) or None


def _uniform(shape, seed, low=0.0, high=1.0):
    # A SeedGenerator advances itself; inside a stateless (JAX) step, ``seed`` is an
    # object whose next() returns a fresh seed array (pgan.gan.step_jax.StatelessSeeds).
    if not isinstance(seed, keras.random.SeedGenerator):
        seed = seed.next()
    return keras.random.uniform(shape, minval=low, maxval=high, seed=seed)


def color(images, seed):
    """Random brightness (shift by up to +-0.25 in [-1, 1] units) and contrast (x0.5-1.5) per image.

    For colour images also saturation (x0-2 around the grey value).

    Args:
        images: (batch, H, W, C) in [-1, 1].
        seed: a ``keras.random.SeedGenerator``.
    """
    batch = ops.shape(images)[0]
    x = images + _uniform((batch, 1, 1, 1), seed, -0.25, 0.25)
    if images.shape[-1] > 1:
        grey = ops.mean(x, axis=-1, keepdims=True)
        x = grey + (x - grey) * _uniform((batch, 1, 1, 1), seed, 0.0, 2.0)
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return mean + (x - mean) * _uniform((batch, 1, 1, 1), seed, 0.5, 1.5)


def _shift_matrix(offsets, size: int, pad: int):
    """One-hot rows picking ``i + pad - offset`` of a padded axis: (batch, size, size + 2 pad)."""
    rows = ops.arange(size)[None, :] + pad - offsets[:, None]
    return ops.one_hot(rows, size + 2 * pad, dtype="float32")


def translation(images, seed, ratio: float = 0.125):
    """Shift each image by up to ``ratio`` of its size in x and y (whole pixels), filling with background.

    Done with one-hot shift matrices (two batched matmuls), so the result is
    exactly a shifted copy and gradients flow to every kept pixel.
    """
    batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
    pad_y, pad_x = max(1, int(height * ratio + 0.5)), max(1, int(width * ratio + 0.5))
    dy = ops.cast(ops.floor(_uniform((batch,), seed, -pad_y, pad_y + 1)), "int32")
    dx = ops.cast(ops.floor(_uniform((batch,), seed, -pad_x, pad_x + 1)), "int32")
    dy, dx = ops.clip(dy, -pad_y, pad_y), ops.clip(dx, -pad_x, pad_x)
    padded = ops.pad(
        images - BACKGROUND, ((0, 0), (pad_y, pad_y), (pad_x, pad_x), (0, 0))
    )  # padded with 0, i.e. background once shifted back
    rows = ops.einsum("bhp,bpwc->bhwc", _shift_matrix(dy, height, pad_y), padded)
    out = ops.einsum("bwq,bhqc->bhwc", _shift_matrix(dx, width, pad_x), rows)
    return out + BACKGROUND


def cutout(images, seed, ratio: float = 0.5):
    """Paint one square of ``ratio`` of the image size, at a random place, with background."""
    batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    cy = ops.floor(_uniform((batch, 1, 1), seed, 0, height + 1 - size_y % 2))
    cx = ops.floor(_uniform((batch, 1, 1), seed, 0, width + 1 - size_x % 2))
    yy = ops.cast(ops.arange(height), "float32")[None, :, None]
    xx = ops.cast(ops.arange(width), "float32")[None, None, :]
    inside = ops.logical_and(ops.abs(yy - cy) < size_y / 2, ops.abs(xx - cx) < size_x / 2)
    keep = ops.cast(ops.logical_not(inside), images.dtype)[..., None]
    return images * keep + BACKGROUND * (1.0 - keep)


_TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def check_probability(probability) -> float:
    """``probability`` as a float in (0, 1], or a ValueError that says so."""
    value = float(probability)
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"The DiffAugment probability must be in (0, 1], e.g. 0.5; got {probability!r}. "
            "To train without augmentation, set the policy to 'none'."
        )
    return value


def diff_augment(images, policy, seed, probability: float = 1.0):
    """Apply the transformations of ``policy`` ("color,translation,cutout") in that order.

    Args:
        images: (batch, H, W, C) in [-1, 1].
        policy: comma-separated names or a sequence (see :data:`POLICIES`); empty: no-op.
        seed: a ``keras.random.SeedGenerator`` (each transformation draws from it).
        probability: each transformation is applied to each image with this
            probability (1: always, as in DiffAugment). Below 1 some images reach D
            untouched, so G cannot pass a transformation off as real: with p = 1 a
            translation or cutout can leak into the samples (Karras et al. 2020, ADA,
            found leaks above p of about 0.8).

    Returns:
        Augmented images of the same shape, differentiable with respect to ``images``.

    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    probability = check_probability(probability)
    x = ops.cast(images, "float32")
    for name in parse_policy(policy):
        transformed = _TRANSFORMS[name](x, seed)
        if probability < 1.0:
            chosen = _uniform((ops.shape(x)[0], 1, 1, 1), seed) < probability
            transformed = ops.where(chosen, transformed, x)
        x = transformed
    return x
