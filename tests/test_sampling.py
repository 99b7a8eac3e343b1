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


def test_given_noise_replaces_the_seeded_draw(saved_generator):
    generator = sampling.load_generator(saved_generator)
    noise = sampling.sample_noise(7, 8, seed=5)
    np.testing.assert_array_equal(sampling.generate_images(generator, 7, noise=noise, batch_size=3),
                                  sampling.generate_images(generator, 7, seed=5, batch_size=3))
    with pytest.raises(ValueError, match=r"noise must have shape \(7, 8\).*got \(7, 5\)"):
        sampling.generate_images(generator, 7, noise=np.zeros((7, 5)))


def test_sample_noise_validation():
    assert sampling.sample_noise(3, 5, seed=0).shape == (3, 5)
    with pytest.raises(ValueError, match="positive int"):
        sampling.sample_noise(0, 5)


def test_publish_and_load_pretrained_checks_the_checksum(tiny_images, tmp_path):
    import json

    from pgan import runs

    run_dir = tmp_path / "run"
    runs.train_gan(runs.TrainConfig.quick(epochs=1, batch_size=32, subset=64), run_dir, images=tiny_images, verbose=0)
    runs.publish_generator(run_dir, tmp_path / "pretrained", "tiny", command="pytest")
    card = json.loads((tmp_path / "pretrained" / "tiny.json").read_text())
    assert card["epochs"] == 1 and card["seed"] == 0 and card["command"] == "pytest"
    assert (tmp_path / "pretrained" / "tiny_samples.png").exists()
    generator = sampling.load_pretrained("tiny", folder=tmp_path / "pretrained")
    assert generator.count_params() == card["parameters"]
    with open(tmp_path / "pretrained" / "tiny.keras", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ValueError, match="does not match its model card"):
        sampling.load_pretrained("tiny", folder=tmp_path / "pretrained")
    with pytest.raises(FileNotFoundError, match=r"available: \['tiny'\]"):
        sampling.load_pretrained("nope", folder=tmp_path / "pretrained")
