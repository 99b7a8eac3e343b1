"""pgan.small_data: fixed balanced subsets, classical augmentation, fixed-step training, CAS."""

import keras
import numpy as np
import pytest

from pgan import data, small_data

FAST = {"batch_size": 32, "filters": (4, 8)}


def bars(num_examples, seed=0):
    """An easy two-class task: a bright bar of random length and brightness in rows 4-7 (class 0) or 18-21 (class 1)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, num_examples).astype(np.int32)
    images = np.zeros((num_examples, 28, 28, 1), np.uint8)
    for image, label in zip(images, labels, strict=True):
        left, width = rng.integers(2, 8), rng.integers(12, 19)
        image[4 + 14 * label : 8 + 14 * label, left : left + width] = rng.integers(150, 256)
    return images, labels


def stub_generator(swap=False):
    """A conditional 'generator' that draws class 0's bar on top, class 1's below (or swapped)."""
    patterns = np.full((2, 28, 28), -3.0)
    patterns[0, 4:8, 4:20] = patterns[1, 18:22, 4:20] = 3.0
    patterns = patterns.reshape(2, -1)
    if swap:
        patterns = patterns[::-1]
    z = keras.Input((2,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    embedded = keras.layers.Embedding(2, 784, name="label_embedding",
                                      embeddings_initializer=keras.initializers.Constant(patterns))(label)
    noise = keras.layers.Dense(784, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5))(z)
    image = keras.layers.Reshape((28, 28, 1))(keras.layers.Activation("tanh")(embedded + noise))
    return keras.Model([z, label], image, name="stub_generator")


# ------------------------------------------------------------------ subsets


def test_balanced_subset_is_balanced_fixed_by_seed_and_nested():
    labels = np.random.default_rng(0).permutation(np.repeat(np.arange(10), 50))
    subset = small_data.balanced_subset(labels, 0.1, seed=3)
    assert len(subset) == 50 and len(np.unique(subset)) == 50
    assert np.array_equal(subset, np.sort(subset))
    assert np.bincount(labels[subset], minlength=10).tolist() == [5] * 10
    assert np.array_equal(subset, small_data.balanced_subset(labels, 0.1, seed=3))
    assert not np.array_equal(subset, small_data.balanced_subset(labels, 0.1, seed=4))
    assert np.array_equal(small_data.balanced_subset(labels, 50, seed=3), subset)  # a count, the same subset
    smaller = small_data.balanced_subset(labels, 0.02, seed=3)
    assert len(smaller) == 10 and set(smaller) <= set(subset)


@pytest.mark.parametrize("size, message", [
    (0.0, "fraction in \\(0, 1\\]"), (1.5, "fraction in \\(0, 1\\]"), (33, "multiple of 10"),
    (0.001, "less than one image per class"), (600, "class .* has only 50"), (True, "a fraction"),
    ("10%", "a fraction"),
])
def test_balanced_subset_refuses_sizes_it_cannot_balance(size, message):
    labels = np.repeat(np.arange(10), 50)
    with pytest.raises(ValueError, match=message):
        small_data.balanced_subset(labels, size)


def test_balanced_subset_refuses_bad_labels_and_seed():
    with pytest.raises(ValueError, match="1-D array of int"):
        small_data.balanced_subset(np.zeros((4, 2), int), 0.5)
    with pytest.raises(ValueError, match="1-D array of int"):
        small_data.balanced_subset(np.array([0.0, 1.0]), 0.5)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        small_data.balanced_subset(np.array([0, 1]), 2, seed=-1)


# ------------------------------------------------------------------ augmentation


def test_classical_augmentation_keeps_shape_and_range_and_changes_images(tiny_images):
    images = data.to_model_range(tiny_images[:32])
    augment = small_data.classical_augmentation(seed=0)
    out = keras.ops.convert_to_numpy(augment(images, training=True))
    assert out.shape == images.shape
    assert out.min() >= -1.0 - 1e-5 and out.max() <= 1.0 + 1e-5
    changed = np.abs(out - images).reshape(len(images), -1).max(axis=1) > 0.1
    assert changed.mean() > 0.9  # nearly every image moved, flipped, turned or zoomed
    assert np.abs(out.mean() - images.mean()) < 0.1  # the background fill is black, as the images' own
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augment(images, training=False)), images)


def test_classical_augmentation_refuses_bad_settings():
    with pytest.raises(ValueError, match="rotation must be a number in \\[0, 180\\)"):
        small_data.classical_augmentation(rotation=200)
    with pytest.raises(ValueError, match="zoom must be a number"):
        small_data.classical_augmentation(zoom=-0.1)
    with pytest.raises(ValueError, match="Every transformation is off"):
        small_data.classical_augmentation(rotation=0, zoom=0, translation=0, flip=False)


# ------------------------------------------------------------------ training


def test_a_short_training_beats_chance_on_an_easy_task():
    images, labels = bars(256, seed=0)
    test_images, test_labels = bars(200, seed=1)
    generated = bars(64, seed=2)  # stands in for a generator's labelled samples
    classifier = small_data.train_classifier(images, labels, 30, seed=0, augment=small_data.classical_augmentation(),
                                             generated=generated, **FAST)
    assert classifier.name == "product_classifier" and classifier.output.shape[-1] == 2
    assert "classical_augmentation" not in [layer.name for layer in classifier.layers]  # the bare classifier
    assert small_data.test_accuracy(classifier, test_images, test_labels) > 0.9


def test_batches_draw_the_generated_share_of_every_batch_and_a_fixed_number_of_steps():
    real = (np.zeros((10, 28, 28, 1), np.uint8), np.zeros(10, np.int32))
    fake = (np.full((7, 28, 28, 1), 255, np.uint8), np.ones(7, np.int32))
    images, labels = small_data._training_batches(*real, steps=5, batch_size=8, seed=0, generated=fake)
    assert images.shape == (40, 28, 28, 1) and images.dtype == np.uint8 and labels.shape == (40,)
    for i in range(5):  # batch i is rows 8i .. 8i+7, as fit(shuffle=False, batch_size=8) reads them
        batch, batch_labels = images[8 * i:8 * i + 8], labels[8 * i:8 * i + 8]
        assert batch_labels.tolist() == [0] * 4 + [1] * 4  # GENERATED_SHARE = 0.5
        assert batch[:4].max() == 0 and batch[4:].min() == 255
    alone, _ = small_data._training_batches(*real, steps=3, batch_size=4, seed=0)
    assert alone.shape == (12, 28, 28, 1)


@pytest.mark.parametrize("change, message", [
    ({"images": np.zeros((8, 28, 28, 1), np.float32)}, "must be uint8"),
    ({"images": np.zeros((8, 28, 28), np.uint8)}, "channels"),
    ({"labels": np.zeros(7, int)}, "7 entries for 8 images"),
    ({"steps": 0}, "steps must be an int >= 1"),
    ({"augment": "flip"}, "augment must be a Keras layer"),
    ({"generated": (np.zeros((4, 32, 32, 1), np.uint8), np.zeros(4, int))}, "same shape"),
    ({"generated": np.zeros((4, 28, 28, 1), np.uint8)}, "pair \\(uint8 images, labels\\)"),
])
def test_train_classifier_refuses_bad_inputs(change, message):
    args = {"images": np.zeros((8, 28, 28, 1), np.uint8), "labels": np.zeros(8, int), "steps": 1, **change}
    with pytest.raises(ValueError, match=message):
        small_data.train_classifier(args.pop("images"), args.pop("labels"), args.pop("steps"), **args)


# ------------------------------------------------------------------ CAS


def test_cas_rewards_a_generator_that_draws_the_asked_class():
    test = bars(200, seed=1)
    images, labels = small_data.generated_dataset(stub_generator(), 64, seed=0)
    assert images.dtype == np.uint8 and labels.tolist() == [0, 1] * 32
    good = small_data.classification_accuracy_score(stub_generator(), 256, 30, test, seed=0, **FAST)
    swapped = small_data.classification_accuracy_score(stub_generator(swap=True), 256, 30, test, seed=0, **FAST)
    assert good > 0.9 and swapped < 0.1  # same images, labels mixed up: CAS sees it, an image score would not


def test_cas_refuses_an_unconditional_generator_and_a_bad_test_set():
    from pgan import models

    with pytest.raises(ValueError, match="unconditional"):
        small_data.classification_accuracy_score(models.build_generator(8, width=4), 20, 1, bars(10))
    with pytest.raises(ValueError, match="test must be a pair"):
        small_data.classification_accuracy_score(stub_generator(), 20, 1, bars(10)[0])
