"""The judge: a Fashion-MNIST classifier whose features and predictions score generated images.

Standard FID reads features from an ImageNet Inception network, whose weights
cannot be downloaded everywhere and which never saw a 28x28 grayscale product.
For MNIST-like data the literature uses a classifier trained on the data set
itself instead; pgan's is ``pgan.models.build_classifier()`` trained by
``benchmarks/train_judge.py`` and shipped as ``data/pretrained/judge.keras``.

This module loads it (checking its SHA-256), validates images in one place
(:func:`check_images`), extracts the 128-d penultimate ("features") activations
and class predictions in memory-bounded batches, and keeps the real data's
features in memory once per process (:func:`real_reference`).

Taught in notebooks/06_evaluation.ipynb.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np

from pgan import data
from pgan.runtime import sha256_file
from pgan.sampling import PRETRAINED_DIR

JUDGE_NAME = "judge"
FEATURE_LAYER = "features"
IMAGE_SHAPE = (28, 28, 1)
PIXEL_RANGES = {"model": (-1.0, 1.0), "unit": (0.0, 1.0), "uint8": (0, 255)}
MAX_REFERENCE = 10_000  # the test split's size: the real-data floor needs N test images
HOW_TO_REGENERATE = (
    "Restore the committed file with `git checkout -- data/pretrained/judge.keras "
    "data/pretrained/judge.json`, or train it again with `python benchmarks/train_judge.py` "
    "(judge.json records how long it took)."
)

_JUDGES: dict = {}  # (path, sha256) -> loaded model
_HEADS: dict = {}  # id(judge) -> (judge, two-output model)
_REFERENCES: dict = {}  # (id(judge), n, seed) -> real_reference(...); (id(judge), "test_predictions") -> array


# ------------------------------------------------------------------ input checks


def check_images(images, pixel_range: str = "model", name: str = "images") -> np.ndarray:
    """Validate Fashion-MNIST-shaped images and return them as float32 in [-1, 1].

    The one place where pgan's metrics check what they are given.

    Args:
        images: an array shaped (N, 28, 28, 1).
        pixel_range: what the values mean, said explicitly:
            ``"model"`` float in [-1, 1] (a generator's output, ``pgan.data.to_model_range``),
            ``"unit"`` float in [0, 1] (the ``.npy`` files of ``pgan sample``),
            ``"uint8"`` uint8 in [0, 255] (Fashion-MNIST as loaded).
        name: how error messages call the array.

    Raises:
        TypeError: the dtype does not fit ``pixel_range`` (or is not numeric).
        ValueError: wrong shape, no images, NaN/inf, or values outside ``pixel_range``
            (the message suggests the range the values do fit).

    Taught in notebooks/06_evaluation.ipynb.
    """
    if pixel_range not in PIXEL_RANGES:
        raise ValueError(f"pixel_range must be one of {sorted(PIXEL_RANGES)}, got {pixel_range!r}.")
    images = np.asarray(images)
    if images.dtype == np.uint8:
        if pixel_range != "uint8":
            raise TypeError(
                f"{name} are uint8 (pixels in [0, 255]) but pixel_range={pixel_range!r}: pass "
                "pixel_range='uint8', or convert with pgan.data.to_model_range(images)."
            )
    elif not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"{name} have dtype {images.dtype}; expected float32 (pixel_range 'model' or "
            "'unit') or uint8 (pixel_range 'uint8')."
        )
    elif pixel_range == "uint8":
        raise TypeError(f"pixel_range='uint8' needs uint8 {name}, got dtype {images.dtype}.")
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        hint = "Fashion-MNIST images are (N, 28, 28, 1)."
        if images.shape[1:] == IMAGE_SHAPE[:2]:
            hint = "Add the channel axis with images[..., None]."
        elif images.ndim == 4 and images.shape[1:] == (1, 28, 28):
            hint = "These look channels-first; use images.transpose(0, 2, 3, 1)."
        elif images.shape == IMAGE_SHAPE:
            hint = "This is one image; pass a batch, e.g. image[None]."
        raise ValueError(f"{name} must be shaped (N, 28, 28, 1), got {images.shape}. {hint}")
    if len(images) == 0:
        raise ValueError(f"{name} holds no images (shape {images.shape}).")
    if images.dtype == np.uint8:
        return data.to_model_range(images)
    images = images.astype(np.float32, copy=False)
    bad = int(np.size(images) - np.count_nonzero(np.isfinite(images)))
    if bad:
        raise ValueError(f"{name} hold {bad} NaN or infinite values; a generator diverged?")
    low, high = float(images.min()), float(images.max())
    lo, hi = PIXEL_RANGES[pixel_range]
    tol = 1e-3
    if low < lo - tol or high > hi + tol:
        if low >= -1 - tol and high <= 1 + tol:
            fits = "they fit pixel_range='model' ([-1, 1])"
        elif low >= 0 and high <= 255:
            fits = (
                "they look like 0-255 pixels stored as floats: divide by 255 for pixel_range='unit'"
            )
        else:
            fits = "they fit no pgan range: rescale them"
        raise ValueError(
            f"{name} hold values in [{low:.3g}, {high:.3g}], outside pixel_range={pixel_range!r} "
            f"[{lo:g}, {hi:g}]; {fits}."
        )
    if pixel_range == "model" and low >= 0.0:
        raise ValueError(
            f"{name} hold no negative value (range [{low:.3g}, {high:.3g}]), which model-range "
            "product images never do (their background is -1): they look like [0, 1] images, "
            "like the .npy files of `pgan sample`. Pass pixel_range='unit'."
        )
    if pixel_range == "unit":
        return np.clip(images * 2.0 - 1.0, -1.0, 1.0)
    return np.clip(images, -1.0, 1.0)


# ------------------------------------------------------------------------ loading


def load_card(folder: str | os.PathLike | None = None, name: str = JUDGE_NAME) -> dict:
    """The judge's model card (command, seed, epochs, time, test accuracy, SHA-256).

    Taught in notebooks/06_evaluation.ipynb.
    """
    folder = Path(folder) if folder is not None else PRETRAINED_DIR
    card_path = folder / f"{name}.json"
    if not card_path.is_file():
        raise FileNotFoundError(
            f"The judge's model card {card_path} is missing. {HOW_TO_REGENERATE}"
        )
    try:
        return json.loads(card_path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{card_path} is not valid JSON ({err}). {HOW_TO_REGENERATE}") from err


def load_judge(folder: str | os.PathLike | None = None, name: str = JUDGE_NAME):
    """Load the judge after checking its SHA-256 against its model card.

    The model is loaded once per process and file content; the checksum is
    checked on every call.

    Args:
        folder: where ``NAME.keras`` and ``NAME.json`` are (``data/pretrained/`` by default).
        name: the file name without suffix.

    Returns:
        The ``keras.Model``: images in [-1, 1] -> 10 class logits.

    Raises:
        FileNotFoundError: the model or its card is missing (says how to get them).
        ValueError: the checksum differs from the card, or the file is not the judge.

    Taught in notebooks/06_evaluation.ipynb.
    """
    folder = Path(folder) if folder is not None else PRETRAINED_DIR
    model_path = folder / f"{name}.keras"
    if not model_path.is_file():
        raise FileNotFoundError(f"The judge {model_path} is missing. {HOW_TO_REGENERATE}")
    card = load_card(folder, name)
    digest = sha256_file(model_path)
    if digest != card.get("sha256"):
        raise ValueError(
            f"{model_path} does not match the SHA-256 in {name}.json ({digest[:12]}... vs "
            f"{str(card.get('sha256'))[:12]}...): the file is corrupt or was replaced. "
            f"{HOW_TO_REGENERATE}"
        )
    key = (str(model_path.resolve()), digest)
    if key not in _JUDGES:
        import keras

        try:
            model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
        except Exception as err:
            raise ValueError(
                f"{model_path} could not be loaded ({err}). {HOW_TO_REGENERATE}"
            ) from err
        names = [layer.name for layer in model.layers]
        if FEATURE_LAYER not in names or tuple(model.input_shape[1:]) != IMAGE_SHAPE:
            raise ValueError(
                f"{model_path} is not a judge: expected a (28, 28, 1) classifier with a "
                f"{FEATURE_LAYER!r} layer, got {model.name!r}. {HOW_TO_REGENERATE}"
            )
        _JUDGES[key] = model
    return _JUDGES[key]


# ---------------------------------------------------------------- features, predictions


def _heads(judge):
    """A model with two outputs, (features, logits), sharing the judge's layers."""
    if id(judge) not in _HEADS:
        import keras

        heads = keras.Model(judge.input, [judge.get_layer(FEATURE_LAYER).output, judge.output])
        _HEADS[id(judge)] = (judge, heads)
    return _HEADS[id(judge)][1]


def judge_outputs(images, pixel_range: str = "model", judge=None, batch_size: int = 500):
    """Features and logits of the judge for ``images``, in batches of ``batch_size``.

    Returns:
        ``(features, logits)``: float32 arrays (N, 128) and (N, 10).
    """
    import keras

    x = check_images(images, pixel_range)
    heads = _heads(judge if judge is not None else load_judge())
    features, logits = [], []
    for start in range(0, len(x), batch_size):
        f, lg = heads(x[start : start + batch_size], training=False)
        features.append(keras.ops.convert_to_numpy(f))
        logits.append(keras.ops.convert_to_numpy(lg))
    return np.concatenate(features).astype(np.float32), np.concatenate(logits).astype(np.float32)


def judge_features(
    images, pixel_range: str = "model", judge=None, batch_size: int = 500
) -> np.ndarray:
    """The judge's penultimate-layer ("features", 128-d) activations, float32 (N, 128).

    Args:
        images: (N, 28, 28, 1) images, in the range named by ``pixel_range``
            (see :func:`check_images`).
        pixel_range: "model" ([-1, 1]), "unit" ([0, 1]) or "uint8".
        judge: a loaded judge (:func:`load_judge` by default).
        batch_size: images per forward pass (bounds the memory used).

    Taught in notebooks/06_evaluation.ipynb.
    """
    return judge_outputs(images, pixel_range, judge, batch_size)[0]


def judge_predict(
    images, pixel_range: str = "model", judge=None, batch_size: int = 500
) -> np.ndarray:
    """The judge's predicted class (0-9) for each image, int64 (N,).

    Taught in notebooks/06_evaluation.ipynb.
    """
    return np.argmax(judge_outputs(images, pixel_range, judge, batch_size)[1], axis=1)


# ---------------------------------------------------------------- the real data, once


@functools.lru_cache(maxsize=1)
def fashion_mnist() -> data.ProductImages:
    """Fashion-MNIST as ``pgan.data.load_fashion_mnist()`` returns it, read once per process."""
    return data.load_fashion_mnist()


def real_reference(n: int, seed: int = 0, judge=None) -> dict:
    """Real images the metrics compare with, and the judge's view of them (cached per process).

    ``n`` training images (a seeded random subset) are the reference a generator
    is compared with; ``n`` test images, scored against the same reference, give
    the real-data floor: what a perfect generator would score at this N.

    Returns:
        A dict with ``train_images``/``test_images`` (model range), ``train_features``,
        ``test_features``, ``train_predictions``, ``test_predictions``, ``n`` and ``seed``.

    Raises:
        ValueError: ``n`` is not in 1..10,000 (the test split's size).

    Taught in notebooks/06_evaluation.ipynb.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_REFERENCE:
        raise ValueError(
            f"n must be an int from 1 to {MAX_REFERENCE:,} (the real-data floor compares n test "
            f"images with n training images, and the test split holds {MAX_REFERENCE:,}); got {n!r}."
        )
    judge = judge if judge is not None else load_judge()
    key = (id(judge), int(n), int(seed))
    if key not in _REFERENCES:
        catalog = fashion_mnist()
        rng = np.random.default_rng(seed)
        train_index = np.sort(rng.choice(len(catalog.x_train), n, replace=False))
        test_index = np.sort(rng.choice(len(catalog.x_test), n, replace=False))
        reference = {"n": int(n), "seed": int(seed), "judge": judge}
        for split, images, index in (
            ("train", catalog.x_train, train_index),
            ("test", catalog.x_test, test_index),
        ):
            x = data.to_model_range(images[index])
            features, logits = judge_outputs(x, "model", judge)
            reference[f"{split}_index"] = index
            reference[f"{split}_images"] = x
            reference[f"{split}_features"] = features
            reference[f"{split}_predictions"] = np.argmax(logits, axis=1)
        _REFERENCES[key] = reference
    return _REFERENCES[key]


def real_test_predictions(judge=None) -> np.ndarray:
    """The judge's predicted class of each of the 10,000 real test images, in order (cached per process).

    Taken from a full :func:`real_reference` when one is cached; otherwise only the test
    split is judged (half the work of a reference, which also judges training images).
    """
    judge = judge if judge is not None else load_judge()
    full = _REFERENCES.get((id(judge), MAX_REFERENCE, 0))
    if full is not None:  # n = 10,000 holds every test image, in order
        return full["test_predictions"]
    key = (id(judge), "test_predictions")
    if key not in _REFERENCES:
        _, logits = judge_outputs(data.to_model_range(fashion_mnist().x_test), "model", judge)
        _REFERENCES[key] = np.argmax(logits, axis=1)
    return _REFERENCES[key]


def clear_cache() -> None:
    """Forget loaded judges and cached real features (e.g. after retraining the judge)."""
    _JUDGES.clear()
    _HEADS.clear()
    _REFERENCES.clear()
    fashion_mnist.cache_clear()
