"""Training the product classifier on few real images, on augmented ones, or on generated ones.

The source article's FAQ answers "what if I have little data?" with "use a GAN to
generate more". This module holds what it takes to measure that claim honestly:

* :func:`balanced_subset`: a fixed, class-balanced share of the labelled images;
* :func:`classical_augmentation`: the baseline a GAN has to beat (flips, rotations,
  zooms, shifts), as Keras preprocessing layers;
* :func:`generated_dataset`: labelled samples of a class-conditional generator;
* :func:`train_classifier`: :func:`pgan.models.build_classifier` trained for a fixed
  number of steps whatever the data size, so more images never mean more training,
  optionally with augmentation and with half of every batch drawn from generated images;
* :func:`test_accuracy` and :func:`classification_accuracy_score` (CAS, Ravuri &
  Vinyals 2019): train on a conditional generator's samples only, test on real images.

Images go in as uint8 (N, H, W, C), as :mod:`pgan.data` loads them (generated ones
are rounded to uint8 by :func:`generated_dataset`), and reach the classifier in
[-1, 1] through :func:`pgan.data.to_model_range`. The measured study is
``benchmarks/gan_augmentation.py`` (docs/results.md).

Taught in notebooks/10_conditional_products.ipynb.
"""

from __future__ import annotations

import numbers

import keras
import numpy as np

from pgan import data, models, sampling

GENERATED_SHARE = 0.5
"""The share of every training batch drawn from the generated images, when there are any."""

BACKGROUND = -1.0
"""The value (black, in [-1, 1]) that augmentation fills exposed pixels with: Fashion-MNIST's background."""


# ------------------------------------------------------------------ input checks


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_labels(labels, name: str = "labels", num_examples: int | None = None) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of int class labels, got shape {labels.shape} "
                         f"of {labels.dtype}.")
    if len(labels) == 0 or labels.min() < 0:
        raise ValueError(f"{name} must hold class labels 0, 1, ..., got "
                         f"{'none' if len(labels) == 0 else f'a minimum of {labels.min()}'}.")
    if num_examples is not None and len(labels) != num_examples:
        raise ValueError(f"{name} has {len(labels)} entries for {num_examples} images: give one label per image.")
    return labels.astype(np.int32)


def _check_images(images, name: str = "images") -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"{name} must be shaped (N, height, width, channels), got {images.shape}. "
                         "Add the channel axis with images[..., None].")
    if images.dtype != np.uint8:
        raise ValueError(f"{name} must be uint8 in [0, 255], got {images.dtype}. Images in [-1, 1] "
                         "(a generator's) go through pgan.data.to_uint8 first.")
    return images


def _check_labelled(pair, name: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{name} must be a pair (uint8 images, labels), got {type(pair).__name__}.")
    images = _check_images(pair[0], f"{name}'s images")
    return images, _check_labels(pair[1], f"{name}'s labels", len(images))


# ------------------------------------------------------------------ data


def balanced_subset(labels, size, seed: int = 0) -> np.ndarray:
    """Indices of a fixed, class-balanced subset: the same number of images from every class.

    Each class's images are put in an order drawn from ``seed`` and the first ones
    taken, so the same seed always gives the same subset, and the subset of a smaller
    size is part of the larger one (10 % holds the 1 % of the same seed).

    Args:
        labels: the class label of every image (1-D ints; classes 0 to K-1).
        size: a fraction in (0, 1] of the images (0.01: 1 %), or a number of images
            that is a multiple of the number of classes K.
        seed: picks which images.

    Returns:
        Sorted int64 indices into ``labels``: ``size`` / K images of each class.

    Raises:
        ValueError: labels not 1-D ints, a size outside (0, 1] or not a multiple of K,
            or more images per class than the smallest class holds.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    labels = _check_labels(labels)
    _check_int("seed", seed, minimum=0)
    classes = np.arange(labels.max() + 1)
    counts = np.bincount(labels, minlength=len(classes))
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise ValueError(f"size must be a fraction in (0, 1] or a number of images, got {size!r}.")
    if isinstance(size, numbers.Integral):
        if size < 1 or size % len(classes):
            raise ValueError(f"size={size} images cannot be split evenly over {len(classes)} classes: "
                             f"give a multiple of {len(classes)}, or a fraction such as 0.01.")
        per_class = int(size) // len(classes)
    else:
        if not 0.0 < size <= 1.0:
            raise ValueError(f"size must be a fraction in (0, 1] (0.01 for 1 %) or a number of images, got {size!r}.")
        per_class = int(round(size * len(labels) / len(classes)))
        if per_class < 1:
            raise ValueError(f"size={size} of {len(labels)} images is less than one image per class; "
                             "give a larger fraction.")
    if per_class > counts.min():
        raise ValueError(f"{per_class} images per class asked, but class {int(np.argmin(counts))} has only "
                         f"{counts.min()}: give a smaller size.")
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(chosen))


def classical_augmentation(rotation: float = 10.0, zoom: float = 0.1, translation: float = 0.1,
                           flip: bool = True, seed: int = 0) -> keras.Sequential:
    """The classical augmentation of product photos, as Keras preprocessing layers.

    The source article's rotation, scaling and cropping (here as shifts: a random crop
    of a padded image), plus the horizontal flip that is standard for product photos
    (a mirrored shoe is still a shoe). Pixels exposed at the border are filled with
    :data:`BACKGROUND`. The layers act in training only (``training=True``, as inside
    ``fit``); in inference they pass images through unchanged. Backend-neutral.

    Args:
        rotation: largest rotation, in degrees either way (0: none).
        zoom: largest zoom in or out, as a fraction of the size (0: none).
        translation: largest shift, as a fraction of height and width (0: none).
        flip: mirror half of the images left to right.
        seed: seeds the random transformations.

    Returns:
        A ``keras.Sequential`` named "classical_augmentation" that maps images in [-1, 1]
        to images in [-1, 1] of the same shape.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    for name, value, top in (("rotation", rotation, 180.0), ("zoom", zoom, 1.0), ("translation", translation, 1.0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < top:
            raise ValueError(f"{name} must be a number in [0, {top:g}), got {value!r}.")
    _check_int("seed", seed, minimum=0)
    fill = {"fill_mode": "constant", "fill_value": BACKGROUND}
    steps = []
    if flip:
        steps.append(keras.layers.RandomFlip("horizontal", seed=seed, name="flip"))
    if rotation:
        steps.append(keras.layers.RandomRotation(rotation / 360.0, seed=seed + 1, name="rotate", **fill))
    if zoom:
        steps.append(keras.layers.RandomZoom(zoom, seed=seed + 2, name="zoom", **fill))
    if translation:
        steps.append(keras.layers.RandomTranslation(translation, translation, seed=seed + 3, name="shift", **fill))
    if not steps:
        raise ValueError("Every transformation is off (flip=False, rotation=zoom=translation=0): pass "
                         "augment=None to train without augmentation instead.")
    return keras.Sequential(steps, name="classical_augmentation")


def generated_dataset(generator, num_examples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``num_examples`` labelled samples of a class-conditional generator, classes in turn.

    Returns:
        ``(images, labels)``: uint8 images (rounded from the generator's [-1, 1] with
        :func:`pgan.data.to_uint8`, like real ones) and int32 labels 0, 1, ..., K-1, 0, ...
        (class-balanced when ``num_examples`` is a multiple of K).

    Raises:
        ValueError: an unconditional generator (it cannot say which class it drew).

    Taught in notebooks/10_conditional_products.ipynb.
    """
    num_examples = _check_int("num_examples", num_examples)
    num_classes = sampling.num_classes_of(generator)
    if num_classes is None:
        raise ValueError(f"{generator.name!r} is unconditional: its samples have no labels to train a classifier "
                         "on. Use a class-conditional generator, e.g. load_pretrained('conditional_generator').")
    labels = (np.arange(num_examples) % num_classes).astype(np.int32)
    images = sampling.generate_images(generator, num_examples, seed=seed, labels=labels)
    return data.to_uint8(images), labels


# ------------------------------------------------------------------ training


def _rows(rng, num_images: int, count: int) -> np.ndarray:
    """``count`` indices into ``num_images`` images: whole shuffled passes, one after another."""
    passes = -(-count // num_images)
    return np.concatenate([rng.permutation(num_images) for _ in range(passes)])[:count]


def _training_batches(images, labels, steps, batch_size, seed, generated=None):
    """All ``steps`` batches, in order, as one uint8 array and its labels: ``(steps * batch_size, ...)``.

    With ``generated``, :data:`GENERATED_SHARE` of every batch comes from there (after the real
    rows of that batch). Gathered once, so ``fit`` reads plain arrays (a per-batch Python feed
    costs more than this small classifier's step on a CPU); the array holds
    ``steps * batch_size`` uint8 images, 100 MB for 1,000 steps of 128 28x28 images.
    """
    rng = np.random.default_rng(seed)
    from_generated = int(round(batch_size * GENERATED_SHARE)) if generated is not None else 0
    parts = [(images, labels, _rows(rng, len(images), steps * (batch_size - from_generated)))]
    if generated is not None:
        parts.append((*generated, _rows(rng, len(generated[0]), steps * from_generated)))
    parts = [(x, y, rows.reshape(steps, -1)) for x, y, rows in parts]
    batch_images = np.concatenate([x[rows] for x, _, rows in parts], axis=1)
    batch_labels = np.concatenate([y[rows] for _, y, rows in parts], axis=1)
    return (batch_images.reshape(steps * batch_size, *images.shape[1:]),
            batch_labels.reshape(steps * batch_size).astype(np.int32))


def train_classifier(images, labels, steps: int, seed: int = 0, *, augment=None, generated=None,
                     batch_size: int = 64, filters=(32, 64)) -> keras.Model:
    """Train :func:`pgan.models.build_classifier` for exactly ``steps`` steps; return it.

    The number of steps is fixed whatever the number of images: 600 images are seen
    many times, 60,000 fewer, and adding generated images changes what is seen, not how
    long the classifier trains. Adam from 1e-3 with a cosine decay to 0 over the steps.

    Args:
        images: uint8 training images (N, H, W, C).
        labels: their class labels (N,), 0 to K-1.
        steps: training steps (batches).
        seed: seeds the weights, the batch order and nothing else (an ``augment``
            pipeline has its own seed).
        augment: a Keras layer applied to every training batch (e.g.
            :func:`classical_augmentation`); None: none.
        generated: ``(uint8 images, labels)``, e.g. from :func:`generated_dataset`:
            :data:`GENERATED_SHARE` of every batch is drawn from them, the rest from
            ``images``.
        batch_size: images per step.
        filters: the classifier's convolution widths (``build_classifier``'s default is (32, 64)).

    Returns:
        The trained classifier (without the augmentation): images in [-1, 1] -> class logits.

    Raises:
        ValueError: images not uint8 (N, H, W, C), labels that do not match them, a
            bad ``steps`` or ``batch_size``, ``generated`` of another image shape, or
            an ``augment`` that is not a Keras layer.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    images = _check_images(images)
    labels = _check_labels(labels, num_examples=len(images))
    steps, batch_size = _check_int("steps", steps), _check_int("batch_size", batch_size)
    seed = _check_int("seed", seed, minimum=0)
    num_classes = int(labels.max()) + 1
    if generated is not None:
        generated = _check_labelled(generated, "generated")
        if generated[0].shape[1:] != images.shape[1:]:
            raise ValueError(f"generated images are {generated[0].shape[1:]}, the real ones {images.shape[1:]}: "
                             "give images of the same shape.")
        if batch_size < 2:
            raise ValueError("With generated images a batch holds real and generated ones: batch_size must be >= 2.")
        num_classes = max(num_classes, int(generated[1].max()) + 1)
    if augment is not None and not isinstance(augment, keras.layers.Layer):
        raise ValueError(f"augment must be a Keras layer, e.g. small_data.classical_augmentation(), got "
                         f"{type(augment).__name__}.")
    keras.utils.set_random_seed(seed)
    classifier = models.build_classifier(images.shape[1:], num_classes, filters=tuple(filters))
    # The batches stay uint8 (a quarter of the memory); the trainer scales them to [-1, 1] the way
    # data.to_model_range does, then augments them.
    to_model_range = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="to_model_range")
    trainer = keras.Sequential([keras.Input(images.shape[1:]), to_model_range,
                                *([augment] if augment is not None else []), classifier], name="trainer")
    trainer.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    batch_images, batch_labels = _training_batches(images, labels, steps, batch_size, seed, generated)
    trainer.fit(batch_images, batch_labels, batch_size=batch_size, shuffle=False, epochs=1, verbose=0)
    return classifier


def test_accuracy(classifier, images, labels, batch_size: int = 1000) -> float:
    """The share of ``images`` (uint8) that ``classifier`` names correctly.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    images = _check_images(images)
    labels = _check_labels(labels, num_examples=len(images))
    logits = classifier.predict(data.to_model_range(images), batch_size=_check_int("batch_size", batch_size),
                                verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == labels))


test_accuracy.__test__ = False  # a helper, not a test, for pytest


def classification_accuracy_score(generator, num_examples: int, steps: int, test, seed: int = 0,
                                  **train_options) -> float:
    """The Classification Accuracy Score (CAS; Ravuri & Vinyals 2019) of a class-conditional generator.

    Train a classifier on ``num_examples`` of the generator's samples *only* (no
    real image), then measure its accuracy on real test images. A generator whose
    samples of each class cover what real products of that class look like scores
    near a classifier trained on real images; one that draws only the most typical
    products of each class (or mixes classes up) scores lower, however good its images
    look. Compare with :func:`train_classifier` on as many real images, trained the same way.

    Args:
        generator: a class-conditional generator (:func:`generated_dataset`).
        num_examples: generated training images (classes in turn).
        steps: classifier training steps.
        test: ``(uint8 images, labels)`` of real test images.
        seed: seeds the samples and the classifier.
        **train_options: passed to :func:`train_classifier` (``batch_size``, ``filters``, ``augment``).

    Returns:
        The test accuracy, in [0, 1].

    Taught in notebooks/10_conditional_products.ipynb.
    """
    test_images, test_labels = _check_labelled(test, "test")
    images, labels = generated_dataset(generator, num_examples, seed)
    classifier = train_classifier(images, labels, steps, seed, **train_options)
    return test_accuracy(classifier, test_images, test_labels)
