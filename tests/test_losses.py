import math

import keras
import numpy as np
import pytest

from pgan import losses


def value(x):
    return float(keras.ops.convert_to_numpy(x))


def test_losses_at_an_undecided_discriminator():
    zeros = np.zeros((4, 1), "float32")
    assert value(losses.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2), abs=1e-6)
    assert value(losses.generator_loss(zeros)) == pytest.approx(math.log(2), abs=1e-6)
    assert value(losses.minimax_generator_loss(zeros)) == pytest.approx(-math.log(2), abs=1e-6)


def test_known_values_on_fixed_logits():
    real = np.array([[2.0], [-1.0]], "float32")
    fake = np.array([[0.5], [-3.0]], "float32")
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    want_d = -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake)))
    want_g = -np.mean(np.log(sig(fake)))
    want_mm = np.mean(np.log(1 - sig(fake)))
    assert value(losses.discriminator_loss(real, fake)) == pytest.approx(want_d, rel=1e-5)
    assert value(losses.generator_loss(fake)) == pytest.approx(want_g, rel=1e-5)
    assert value(losses.minimax_generator_loss(fake)) == pytest.approx(want_mm, rel=1e-5)


def test_matches_keras_binary_crossentropy_from_logits():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(2, 16, 1)).astype("float32")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    want = value(bce(np.ones_like(real), real)) + value(bce(np.zeros_like(fake), fake))
    assert value(losses.discriminator_loss(real, fake)) == pytest.approx(want, rel=1e-5)


def test_extreme_logits_stay_finite():
    big = np.array([[100.0], [-100.0]], "float32")
    for loss in (losses.discriminator_loss(big, big), losses.generator_loss(big),
                 losses.minimax_generator_loss(big)):
        assert math.isfinite(value(loss))
    assert value(losses.generator_loss(np.array([[-100.0]], "float32"))) == pytest.approx(100.0)


def test_one_sided_label_smoothing():
    real = np.array([[3.0]], "float32")
    fake = np.array([[-50.0]], "float32")
    got = value(losses.discriminator_loss(real, fake, label_smoothing=0.1))
    sp = lambda x: math.log1p(math.exp(x))  # noqa: E731
    assert got == pytest.approx(0.9 * sp(-3.0) + 0.1 * sp(3.0), rel=1e-5)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.discriminator_loss(real, fake, label_smoothing=0.7)


def test_half_precision_logits_are_computed_in_float32():
    logits = np.array([[30.0]], "float16")
    out = losses.generator_loss(logits)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


def test_get_generator_loss():
    assert losses.get_generator_loss("minimax") is losses.minimax_generator_loss
    fn = lambda logits: logits  # noqa: E731
    assert losses.get_generator_loss(fn) is fn
    with pytest.raises(ValueError, match="Unknown generator loss 'hinge'"):
        losses.get_generator_loss("hinge")
