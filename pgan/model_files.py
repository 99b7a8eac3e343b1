"""Model files from the wild: load a ``.keras`` file safely and check it computes images.

A file can load and still be wrong: weights that diverged to NaN or infinity,
a generator whose output is not an image in [-1, 1], a super-resolution model
that only takes 28x28 inputs, a file saved by another Keras. The commands that
read models (``pgan sample``, ``evaluate``, ``upscale``, ``restore``) run these
checks before they write anything, so a bad file gives one clear error instead
of black images:

- :func:`load_model_file`: load with ``safe_mode=True`` (no pickled code, no
  Lambda bytecode); a failure names the file and both Keras versions.
- :func:`check_finite_weights`: every weight finite.
- :func:`check_generator_output`: one seeded batch gives (N, H, W, 1 or 3)
  images, finite and in the tanh range [-1, 1].
- :func:`check_image_model`: a super-resolution or restoration model takes
  images of any size (two test sizes) and returns one channel, ``scale`` times
  the size, finite and roughly in [0, 1].

The probes run the model once per test size on a small input, so they cost far
less than the work they guard. Used by :func:`pgan.sampling.load_generator`,
:func:`pgan.superres.check_sr_model` and :func:`pgan.restore.check_restore_model`.
"""

from __future__ import annotations

import json
import os
import warnings
import weakref
import zipfile
from pathlib import Path

import keras
import numpy as np

GENERATOR_RANGE = (-1.0, 1.0)
"""What pgan's generators output (tanh)."""
RANGE_TOLERANCE = 0.01
"""How far past [-1, 1] a generator's output may go (float rounding of a tanh, a linear head)."""
IMAGE_MODEL_LIMITS = (-2.0, 3.0)
"""Image-to-image models work in [0, 1]; outputs beyond these limits mean another pixel range."""
PROBE_SIZES = ((32, 32), (40, 48))
"""(height, width) of the test images an image-to-image model must accept: the photo
paths feed tiles of any size up to 128 px, so a model must be fully convolutional."""
PROBE_BATCH = 16
"""Noise vectors in a generator's test batch."""

_NAN_ADVICE = (
    "Retrain it (docs/troubleshooting.md, 'NaN or infinite losses') or use an earlier checkpoint: "
    "a pgan run keeps its last good epochs in RUN_DIR/checkpoints/, and running the same "
    "`pgan train` command resumes from the last one."
)


_CHECKED = weakref.WeakKeyDictionary()  # model -> the checks it has passed


def check_once(model, key, check) -> None:
    """Run ``check()`` the first time ``model`` is used for ``key`` (a photo folder checks it once).

    A check that raises is not remembered, so it runs again on the next use.
    """
    passed = _CHECKED.setdefault(model, set())
    if key not in passed:
        check()
        passed.add(key)


class KerasVersionWarning(UserWarning):
    """A model file was saved by a newer Keras than the one installed (it loaded)."""


def describe(model, path=None) -> str:
    """How messages name a model: its file when known, else its name."""
    return str(path) if path is not None else f"model {model.name!r}"


def _one_line(text, limit: int = 300) -> str:
    """``text`` (an exception's message) on one line, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sentence(text) -> str:
    text = _one_line(text)
    return text if text.endswith(".") else text + "."


# --------------------------------------------------------------------------- Keras versions


def saved_keras_version(path) -> str | None:
    """The Keras version recorded in a ``.keras`` file's ``metadata.json``; None if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return str(version) if version else None


def _major_minor(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return None


def _versions(saved: str | None, installed: str) -> str:
    if saved is None:
        return f"it has no readable metadata.json naming the Keras that saved it; installed Keras is {installed}"
    return f"saved by Keras {saved}, installed Keras is {installed}"


def _version_advice(saved: str | None, installed: str) -> str:
    """What to do about a file that does not load, given the Keras that saved it."""
    saved_mm, installed_mm = _major_minor(saved or ""), _major_minor(installed)
    if saved_mm is None or installed_mm is None or saved_mm == installed_mm:
        return "The file may be truncated or corrupt: copy or export it again."
    if saved_mm[0] != installed_mm[0]:
        return (
            f"A Keras {saved_mm[0]} file does not load in Keras {installed_mm[0]}: rebuild the model in "
            f"Keras {installed_mm[0]} and load its weights, or retrain it."
        )
    if saved_mm > installed_mm:
        return f"Upgrade Keras (pip install keras=={saved}) or save the model again with Keras {installed}."
    return f"Load it with Keras {saved} and save it again with Keras {installed}, or install keras=={saved}."


def load_model_file(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` model with ``safe_mode=True``; errors name the file and both Keras versions.

    pgan's own layers (sub-pixel upsampling, the restoration output, spectral
    normalisation) are registered first. A file saved by a newer Keras that still
    loads gives a :class:`KerasVersionWarning`. Call the check for what the model
    is for afterwards (:func:`pgan.superres.check_sr_model` and so on).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a ``.keras`` file, it holds a Lambda layer (Python code,
            refused), or Keras cannot load it.
    """
    from pgan import (
        diffusion,  # noqa: F401
        models,  # noqa: F401
        restore,  # noqa: F401
        superres,  # noqa: F401  (register pgan's layers for loading)
    )

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: give the path of a .keras model file.")
    if path.suffix != ".keras":
        raise ValueError(
            f"{path} is not a .keras file; pgan loads whole models saved with model.save('NAME.keras')."
        )
    saved, installed = saved_keras_version(path), keras.version()
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:
        if "safe_mode" in str(err):
            raise ValueError(
                f"{path} holds a Lambda layer or other Python code, which pgan refuses to load "
                "(safe_mode=True: no code from a model file runs). Rebuild the model from built-in "
                "or registered layers (keras.saving.register_keras_serializable) and save it again."
            ) from err
        raise ValueError(
            f"{path} could not be loaded as a Keras model ({_versions(saved, installed)}): "
            f"{type(err).__name__}: {_sentence(err)} {_version_advice(saved, installed)}"
        ) from err
    saved_mm, installed_mm = _major_minor(saved or ""), _major_minor(installed)
    if saved_mm is not None and installed_mm is not None and saved_mm > installed_mm:
        warnings.warn(
            f"{path} was saved by Keras {saved}, newer than the installed {installed}; it loaded, "
            "but if its results look wrong, upgrade Keras (pip install -U keras).",
            KerasVersionWarning,
            stacklevel=2,
        )
    return model


# ------------------------------------------------------------------------------- weights


def check_finite_weights(model, path=None) -> None:
    """Raise a ValueError naming the first variable with NaN or infinite values, and how many.

    Checks every weight, trainable or not (BatchNorm's moving statistics too).
    Used by :func:`pgan.sampling.load_generator` and the super-resolution and
    restoration model checks.
    """
    first, bad_variables, nans, infs = None, 0, 0, 0
    for variable in model.weights:
        values = np.asarray(keras.ops.convert_to_numpy(variable))
        if not np.issubdtype(values.dtype, np.floating) or np.isfinite(values).all():
            continue
        nan, inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
        first = first or (getattr(variable, "path", None) or variable.name, nan + inf, values.size)
        bad_variables, nans, infs = bad_variables + 1, nans + nan, infs + inf
    if first is None:
        return
    name, bad, size = first
    raise ValueError(
        f"{describe(model, path)} has weights that are not finite: {nans} NaN and {infs} infinite "
        f"values in {bad_variables} variable(s), the first in {name!r} ({bad} of its {size} values); "
        f"its training diverged. {_NAN_ADVICE}"
    )


# ----------------------------------------------------------------------------- generators


def _last_activation(model) -> str | None:
    """The name of the activation of ``model``'s last layer ('sigmoid', 'tanh', ...), if it has one."""
    activation = getattr(model.layers[-1], "activation", None) if model.layers else None
    return getattr(activation, "__name__", None)


def _value_range(outputs) -> str:
    return f"[{float(outputs.min()):.3g}, {float(outputs.max()):.3g}]"


def _check_finite_output(outputs, label: str, probe: str) -> None:
    bad = int(outputs.size - np.count_nonzero(np.isfinite(outputs)))
    if bad:
        raise ValueError(
            f"{label} returns {bad} NaN or infinite values of {outputs.size} for {probe}, though its "
            f"weights are finite (they overflow). {_NAN_ADVICE}"
        )


def check_generator_output(generator, path=None, seed: int = 0) -> None:
    """Run ``generator`` once on seeded noise and check it returns images in [-1, 1].

    Conditional generators get the classes in turn as labels
    (:func:`pgan.sampling.class_labels`).

    Raises:
        ValueError: the output is not (N, H, W, 1 or 3), holds NaN or infinite
            values, or lies outside the tanh range [-1, 1] (the message says
            which range it looks like: [0, 1] from a sigmoid, or 0-255).

    Used by :func:`pgan.sampling.load_generator` (so by ``pgan sample`` and ``pgan evaluate``).
    """
    from pgan import sampling

    label = describe(generator, path)
    noise = sampling.sample_noise(PROBE_BATCH, sampling.latent_dim_of(generator), seed)
    labels = sampling.class_labels(generator, PROBE_BATCH)
    try:
        outputs = generator(noise if labels is None else [noise, labels], training=False)
    except Exception as err:
        raise ValueError(
            f"{label} fails on a batch of {PROBE_BATCH} noise vectors ({type(err).__name__}: "
            f"{_one_line(err)}); pgan generators map (batch, latent_dim) noise to images."
        ) from err
    outputs = np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float32)
    if outputs.ndim != 4 or outputs.shape[-1] not in (1, 3):
        raise ValueError(
            f"{label} returns an array shaped {outputs.shape} for {PROBE_BATCH} noise vectors; pgan "
            f"expects images (N, H, W, C) with C = 1 (grayscale) or 3 (RGB): use a generator "
            "whose last layer makes 1 or 3 channels."
        )
    _check_finite_output(outputs, label, f"{PROBE_BATCH} noise vectors")
    low, high = GENERATOR_RANGE
    found = _value_range(outputs)
    if float(outputs.min()) >= 0.0 and _last_activation(generator) == "sigmoid":
        raise ValueError(
            f"{label} ends in a sigmoid and returns values in {found}: it looks like a [0, 1] model, "
            "but pgan expects a tanh generator's [-1, 1]. Rebuild it with a tanh output and train it "
            "on images scaled to [-1, 1] (pgan.data.to_model_range)."
        )
    if float(outputs.min()) < low - RANGE_TOLERANCE or float(outputs.max()) > high + RANGE_TOLERANCE:
        if float(outputs.min()) >= 0.0 and float(outputs.max()) <= 255.0 + RANGE_TOLERANCE:
            hint = "they look like 0-255 pixels: end the generator in a tanh and train it on images in [-1, 1]"
        else:
            hint = "end the generator in a tanh and train it on images in [-1, 1] (pgan.data.to_model_range)"
        raise ValueError(
            f"{label} returns values in {found} for seeded noise, but pgan expects a tanh "
            f"generator's [-1, 1]; {hint}."
        )


# ------------------------------------------------------------------- image-to-image models


def probe_image(height: int, width: int, channels: int = 1) -> np.ndarray:
    """A deterministic (1, height, width, channels) test image in [0, 1]: a lit product on black.

    Like the images the models learned (Fashion-MNIST): a textured bright shape on
    a dark background. With ``channels=2`` the second channel is an inpainting
    mask (a square hole, 1 = missing), and the hole is blanked in the image.
    """
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = np.hypot((y - (height - 1) / 2) / (0.4 * height), (x - (width - 1) / 2) / (0.35 * width))
    inside = 1.0 / (1.0 + np.exp((radius - 1.0) * min(height, width) / 4.0))  # a soft edge, ~2 px
    texture = 0.6 + 0.1 * np.sin(x / 3.0) * np.cos(y / 4.0) + 0.1 * y / height
    image = (0.02 + inside * (texture - 0.02)).astype(np.float32)[None, ..., None]
    if channels == 1:
        return image
    mask = np.zeros_like(image)
    mask[:, height // 4 : height // 2, width // 4 : width // 2] = 1.0
    return np.concatenate([image * (1.0 - mask), mask], axis=-1)


def check_image_model(model, path=None, scale: int = 1, what: str = "restoration") -> None:
    """Run an image-to-image model on two small test images and check what comes out.

    The model must take one image (plus mask) channel(s) of any size, as the photo
    paths feed it tiles of up to 128 px: each of :data:`PROBE_SIZES` must give one
    channel ``scale`` times the size, finite and within :data:`IMAGE_MODEL_LIMITS`
    (models work in [0, 1]). Call it after checking the input channels.

    Args:
        model: a ``keras.Model``.
        path: its file, for the messages.
        scale: the enlargement (1: same size, for restoration).
        what: ``"super-resolution"`` or ``"restoration"``, for the messages.

    Raises:
        ValueError: naming the model, what it returned and what pgan expects.
    """
    label = describe(model, path)
    channels = int(model.inputs[0].shape[-1])
    low, high = IMAGE_MODEL_LIMITS
    for height, width in PROBE_SIZES:
        size = f"{width}x{height}"
        try:
            outputs = model(probe_image(height, width, channels), training=False)
        except Exception as err:
            declared = tuple(model.inputs[0].shape[1:3])
            fixed = f" (it is built for {declared[1]}x{declared[0]} inputs)" if None not in declared else ""
            raise ValueError(
                f"{label} fails on a {size} image{fixed}: pgan's {what} models must be fully "
                "convolutional (photos go through in tiles of any size up to 128 px); build it "
                f"on keras.Input((None, None, {channels})) with no Flatten or Dense layer. "
                f"({type(err).__name__}: {_one_line(err, 160)})"
            ) from err
        if isinstance(outputs, list | tuple):
            raise ValueError(f"{label} returns {len(outputs)} outputs; pgan's {what} models return one image.")
        outputs = np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float32)
        want = (1, height * scale, width * scale, 1)
        if outputs.ndim != 4:
            raise ValueError(
                f"{label} returns an array shaped {outputs.shape} for a {size} image; pgan's {what} "
                f"models return images (N, H, W, 1), here {want}."
            )
        if outputs.shape[-1] != 1:
            raise ValueError(
                f"{label} returns {outputs.shape[-1]} channels; pgan's {what} models return one "
                "(photos go through one channel at a time): use a model whose last layer makes 1 channel."
            )
        factor = outputs.shape[1] // height
        enlarged = factor > 1 and outputs.shape[1:3] == (height * factor, width * factor)
        if scale > 1 and enlarged and factor != scale:
            raise ValueError(
                f"{label} enlarges by {factor}, not by the requested {scale}: pass --scale {factor} "
                "or a model trained for this scale."
            )
        if outputs.shape != want:
            got = f"{outputs.shape[2]}x{outputs.shape[1]}"
            expect = f"{want[2]}x{want[1]}" + (f" ({scale} times the size)" if scale > 1 else " (the same size)")
            raise ValueError(f"{label} turns a {size} image into {got}; pgan's {what} models must return {expect}.")
        _check_finite_output(outputs, label, f"a {size} test image")
        if float(outputs.min()) < low or float(outputs.max()) > high:
            if float(outputs.min()) >= -RANGE_TOLERANCE and float(outputs.max()) <= 255.0 + RANGE_TOLERANCE:
                hint = "they look like 0-255 pixels: divide its output by 255 or retrain it on [0, 1] targets"
            else:
                hint = "rescale its inputs and outputs to [0, 1] or retrain it on [0, 1] images"
            raise ValueError(
                f"{label} returns values in {_value_range(outputs)} for a test image in [0, 1], but "
                f"pgan's {what} models work in [0, 1]; {hint}."
            )
