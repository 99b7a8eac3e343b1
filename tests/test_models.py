import numpy as np
import pytest

from pgan import models


def test_article_dcgan_parameter_counts():
    generator = models.build_generator()
    discriminator = models.build_discriminator()
    assert generator.count_params() == 2_330_945
    assert discriminator.count_params() == 212_865
    assert generator.name == "generator" and discriminator.name == "discriminator"


def test_layer_shapes_of_the_generator():
    generator = models.build_generator()
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in generator.layers}
    assert shapes["to_feature_map"] == (7, 7, 256)
    assert shapes["up1"] == (7, 7, 128)
    assert shapes["up2"] == (14, 14, 64)
    assert shapes["tanh"] == (28, 28, 1)


def test_generator_outputs_images_in_model_range():
    generator = models.build_generator(latent_dim=16, width=8)
    z = np.random.default_rng(0).standard_normal((5, 16)).astype("float32")
    images = np.asarray(generator(z, training=False))
    assert images.shape == (5, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_discriminator_outputs_one_logit_per_image():
    discriminator = models.build_discriminator(width=8)
    logits = np.asarray(discriminator(np.zeros((3, 28, 28, 1), "float32"), training=False))
    assert logits.shape == (3, 1)


def test_parameterised_shapes_and_rgb():
    generator = models.build_generator(latent_dim=32, image_shape=(32, 32, 3), width=16)
    discriminator = models.build_discriminator(image_shape=(32, 32, 3), width=16)
    z = np.zeros((2, 32), "float32")
    images = generator(z, training=False)
    assert tuple(images.shape) == (2, 32, 32, 3)
    assert tuple(discriminator(images, training=False).shape) == (2, 1)


def test_workshop_preset_is_several_times_smaller():
    g_big, d_big = models.build_gan_models("dcgan")
    g_small, d_small = models.build_gan_models("workshop")
    assert g_small.count_params() == 683_681 and d_small.count_params() == 55_233
    assert g_big.count_params() / g_small.count_params() > 3
    assert g_small.input_shape == (None, 64)


def test_classifier_shapes():
    classifier = models.build_classifier()
    assert classifier.output_shape == (None, 10)
    assert classifier.get_layer("features").output.shape[-1] == 128


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_shape": (30, 30, 1)}, "multiples of 4"),
        ({"image_shape": (28, 28)}, "height, width, channels"),
        ({"latent_dim": 0}, "latent_dim must be a positive int"),
        ({"width": 2.5}, "width must be a positive int"),
    ],
)
def test_bad_generator_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_generator(**kwargs)


def test_bad_preset_and_dropout():
    with pytest.raises(ValueError, match="Unknown preset 'huge'"):
        models.build_gan_models("huge")
    with pytest.raises(ValueError, match="dropout must be in"):
        models.build_discriminator(dropout=1.0)
