import numpy as np
import pytest

from pgan import models, sampling


@pytest.fixture(scope="module")
def saved_generator(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "generator.keras"
    models.build_generator(latent_dim=8, width=4).save(path)
    return path


def test_round_trip_gives_identical_samples(saved_generator):
    generator = sampling.load_generator(saved_generator)
    a = sampling.generate_images(generator, 7, seed=5, batch_size=3)
    b = sampling.generate_images(sampling.load_generator(saved_generator), 7, seed=5)
    assert a.shape == (7, 28, 28, 1) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_load_generator_errors(tmp_path, saved_generator):
    with pytest.raises(FileNotFoundError, match="pgan train"):
        sampling.load_generator(tmp_path / "missing.keras")
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a .keras file"):
        sampling.load_generator(tmp_path / "weights.h5")
    (tmp_path / "broken.keras").write_bytes(saved_generator.read_bytes()[:500])
    with pytest.raises(ValueError, match="could not be loaded"):
        sampling.load_generator(tmp_path / "broken.keras")
    models.build_discriminator(width=4).save(tmp_path / "d.keras")
    with pytest.raises(ValueError, match="not a generator"):
        sampling.load_generator(tmp_path / "d.keras")


def test_sample_noise_validation():
    assert sampling.sample_noise(3, 5, seed=0).shape == (3, 5)
    with pytest.raises(ValueError, match="positive int"):
        sampling.sample_noise(0, 5)
