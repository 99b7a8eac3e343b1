"""The self-checks of notebooks 00-02 (pgan.exercises.images): each accepts the reference answer,
says "not implemented yet" to a stub, and names each typical mistake in its hint."""

import keras
import numpy as np
import pytest
from exercise_feedback import feedback, not_implemented
from keras import layers

from pgan import data, exercises


def images_of_class(images, labels, class_names, name):
    return images[labels == class_names.index(name)]


def count_parameters(model):
    return sum(int(np.prod(w.shape)) for w in model.weights)


def to_uint8(images):
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def conv_parameters(kernel_size, in_channels, filters):
    return kernel_size * kernel_size * in_channels * filters + filters


# The exact lines for tests/test_exercises.py's REFERENCES (its every-checker tests use them).
REFERENCES = {
    "check_images_of_class": images_of_class,
    "check_count_parameters": count_parameters,
    "check_to_uint8": to_uint8,
    "check_conv_parameters": conv_parameters,
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_the_reference_passes_and_a_stub_is_not_implemented_yet(name, capsys):
    check = getattr(exercises, name)
    assert check(REFERENCES[name]) is True
    assert feedback(capsys).startswith("Correct: ")
    assert check(not_implemented) is False
    assert feedback(capsys).startswith("Not yet: not implemented yet")


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_odd_answers_get_not_yet_and_never_raise(name, capsys):
    check = getattr(exercises, name)
    for answer in (lambda *args: None, lambda *args: "something odd", lambda *args: np.zeros((2, 3))):
        assert check(answer) is False
        assert feedback(capsys).startswith("Not yet: ")
    assert check(42) is False
    assert "pass your function itself" in feedback(capsys)


def test_the_new_checks_are_exported_with_the_others():
    assert set(REFERENCES) <= set(exercises.CHECKS)


# --- 00 ---------------------------------------------------------------------------------------


def test_images_of_class_recognises_masks_names_off_by_one_and_single_images(capsys):
    assert not exercises.check_images_of_class(lambda x, y, names, name: y == names.index(name))
    assert "a mask or labels?" in feedback(capsys)
    assert not exercises.check_images_of_class(lambda x, y, names, name: x[y.astype(str) == name])
    assert "the labels are integers, not names" in feedback(capsys)
    assert not exercises.check_images_of_class(lambda x, y, names, name: x[y == names.index(name) + 1])
    assert "you returned the images of 'Dress' (label 3); 'Pullover' is label 2" in feedback(capsys)
    assert not exercises.check_images_of_class(lambda x, y, names, name: x[np.argmax(y == names.index(name))])
    assert "one image of 'Pullover'; return all 3 of them" in feedback(capsys)
    assert not exercises.check_images_of_class(lambda x, y, names, name: images_of_class(x, y, names, name)[::-1])
    assert "in their order" in feedback(capsys)


def test_images_of_class_works_on_the_catalogue(fashion_mnist):
    catalog = fashion_mnist
    bags = images_of_class(catalog.x_train, catalog.y_train, catalog.class_names, "Bag")
    assert bags.shape == (6000, 28, 28, 1)


def test_count_parameters_recognises_layers_arrays_and_trainable_only(capsys):
    assert not exercises.check_count_parameters(lambda model: len(model.layers))
    assert "4 is the number of layers" in feedback(capsys)
    assert not exercises.check_count_parameters(lambda model: len(model.weights))
    assert "8 is the number of weight arrays" in feedback(capsys)
    assert not exercises.check_count_parameters(
        lambda model: sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    line = feedback(capsys)
    assert "243 counts only the trainable weights" in line and "(8 numbers here)" in line
    assert not exercises.check_count_parameters(lambda model: 7)
    assert "7 numbers, expected 251" in feedback(capsys)
    assert exercises.check_count_parameters(lambda model: model.count_params())  # the library agrees
    assert "all 251 numbers, BatchNorm's 8 non-trainable ones included" in feedback(capsys)


# --- 01 ---------------------------------------------------------------------------------------


def test_to_uint8_recognises_dtype_truncation_missing_clip_and_wrong_formula(capsys):
    assert not exercises.check_to_uint8(lambda x: x)  # the stub's usual first try
    assert "return uint8, got float32" in feedback(capsys)
    assert not exercises.check_to_uint8(lambda x: np.clip(np.rint((x + 1) * 127.5), 0, 255))
    assert "return uint8, got float" in feedback(capsys)
    assert not exercises.check_to_uint8(lambda x: np.clip((x + 1) * 127.5, 0, 255).astype(np.uint8))
    assert "astype truncates; round first" in feedback(capsys)
    assert not exercises.check_to_uint8(lambda x: np.rint((x + 1) * 127.5).astype(np.uint8))
    assert "clip to [0, 255] before the cast" in feedback(capsys)
    assert not exercises.check_to_uint8(lambda x: np.clip(np.rint(x * 255), 0, 255).astype(np.uint8))
    assert "expected 0, 128 and 255" in feedback(capsys)
    assert not exercises.check_to_uint8(lambda x: to_uint8(x)[0])
    assert "keep the shape" in feedback(capsys)


def test_to_uint8_reference_is_pgans_and_round_trips(capsys):
    pixels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(to_uint8(data.to_model_range(pixels)), pixels)
    assert exercises.check_to_uint8(data.to_uint8)
    assert feedback(capsys).startswith("Correct: ")


# --- 02 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel_size, in_channels, filters", [(3, 1, 32), (3, 32, 64), (5, 64, 128), (1, 3, 8)])
def test_conv_parameters_reference_matches_keras(kernel_size, in_channels, filters):
    layer = layers.Conv2D(filters, kernel_size)
    layer.build((None, 9, 9, in_channels))
    assert layer.count_params() == conv_parameters(kernel_size, in_channels, filters)


def test_conv_parameters_recognises_missing_bias_channels_square_and_bias_per_weight(capsys):
    assert not exercises.check_conv_parameters(lambda k, c, f: k * k * c * f)
    assert "got 288, expected 320. Add the biases" in feedback(capsys)
    assert not exercises.check_conv_parameters(lambda k, c, f: k * k * f + f)
    line = feedback(capsys)
    assert "32 input channels" in line and "for every input channel" in line
    assert not exercises.check_conv_parameters(lambda k, c, f: k * c * f + f)
    assert "square the kernel size" in feedback(capsys)
    assert not exercises.check_conv_parameters(lambda k, c, f: k * k * c * f + k * k * c)
    assert "one bias per filter (output channel), not per weight" in feedback(capsys)
    assert not exercises.check_conv_parameters(lambda k, c, f: k)
    assert "Hint: kernel_size**2 * in_channels" in feedback(capsys)
    assert exercises.check_conv_parameters(lambda k, c, f: float(conv_parameters(k, c, f)))
    assert feedback(capsys).startswith("Correct: ")


def test_conv_parameters_agrees_with_the_classifier_of_notebook_02():
    from pgan import models

    classifier = models.build_classifier()
    first = classifier.get_layer("block1_conv1")
    assert first.count_params() == conv_parameters(3, 1, 32)
    assert isinstance(classifier, keras.Model)
