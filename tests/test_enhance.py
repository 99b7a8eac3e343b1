import json

import keras
import numpy as np
import pytest

from pgan import enhance, restore, superres


@pytest.fixture
def pairs(tiny_images):
    clean = tiny_images[:64].astype(np.float32) / 255.0
    damaged, _ = restore.damage(clean, "denoise", seed=0)
    return damaged, clean


def test_fit_pixel_model_writes_a_bare_model_and_resumes(pairs, tmp_path):
    damaged, clean = pairs
    keras.utils.set_random_seed(0)
    history = enhance.fit_pixel_model(
        restore.build_unet("denoise", filters=4), damaged, clean, tmp_path, epochs=1, batch_size=32, verbose=0
    )
    assert len(history["loss"]) == 1
    saved = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert getattr(saved, "optimizer", None) is None  # no optimizer state in the shipped file
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["epochs"] == 1 and run["num_train_images"] == 64
    # A second call with more epochs continues from the checkpoint, not from scratch.
    history = enhance.fit_pixel_model(
        restore.build_unet("denoise", filters=4), damaged, clean, tmp_path, epochs=2, batch_size=32, verbose=0
    )
    assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0] * 1.5


def test_a_run_folder_refuses_other_settings(pairs, tmp_path):
    damaged, clean = pairs
    enhance.fit_pixel_model(restore.build_unet(filters=4), damaged, clean, tmp_path, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"different settings \(num_train_images: 64 -> 32"):
        enhance.fit_pixel_model(restore.build_unet(filters=4), damaged[:32], clean[:32], tmp_path, epochs=1)


def test_fit_pixel_model_rejects_bad_input(pairs, tmp_path):
    damaged, clean = pairs
    with pytest.raises(ValueError, match="differ in length"):
        enhance.fit_pixel_model(restore.build_unet(), damaged, clean[:10], tmp_path, epochs=1)
    with pytest.raises(ValueError, match="'mae' or 'mse'"):
        enhance.fit_pixel_model(restore.build_unet(), damaged, clean, tmp_path, epochs=1, loss="l3")


def _variables(model):
    return [np.array(v) for v in model.trainable_variables]


def test_adversarial_step_updates_model_and_discriminator(pairs):
    damaged, clean = pairs
    model = restore.build_unet("denoise", filters=4)
    disc = enhance.build_patch_discriminator()
    features = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3)])
    features.trainable = False
    tuner = enhance.AdversarialFineTuner(model, disc, features, feature_weight=1.0)
    tuner.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    before_g, before_d, before_f = _variables(model), _variables(disc), [np.array(v) for v in features.weights]
    logs = tuner.train_step((damaged[:8], clean[:8]))
    for key in ("d_loss", "g_loss", "pixel_loss", "feature_loss", "adversarial_loss"):
        assert np.isfinite(float(logs[key])), key
    assert float(logs["feature_loss"]) > 0
    assert all(not np.allclose(a, np.array(b)) for a, b in zip(before_d, disc.trainable_variables, strict=True))
    assert any(not np.allclose(a, np.array(b)) for a, b in zip(before_g, model.trainable_variables, strict=True))
    for a, b in zip(before_f, features.weights, strict=True):  # the frozen feature extractor never moves
        np.testing.assert_array_equal(a, np.array(b))


def test_judge_feature_extractor_is_frozen_and_shaped():
    extractor = enhance.judge_feature_extractor()
    assert not extractor.trainable_weights
    out = extractor(np.zeros((2, 28, 28, 1), np.float32))
    assert tuple(out.shape) == (2, 14, 14, 64)


def test_apply_to_photo_inverts_light_backgrounds_back():
    calls = []

    def identity(batch):
        calls.append(float(np.asarray(batch).mean()))
        return np.asarray(batch)

    photo = np.full((20, 20, 1), 250, np.uint8)
    photo[5:15, 5:15] = 40  # a dark product on white
    out = enhance.apply_to_photo(identity, photo)
    np.testing.assert_array_equal(out, photo)
    assert calls[0] < 0.5  # the model saw a light product on black, like Fashion-MNIST


def test_list_and_read_photos_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        enhance.list_images(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(FileNotFoundError, match="no image files"):
        enhance.list_images(tmp_path)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ValueError, match="broken.png"):
        enhance.read_photo(bad)


def test_publish_model_card_has_checksum_and_scores(pairs, tmp_path):
    from pgan.sampling import verified_pretrained_path

    damaged, clean = pairs
    enhance.fit_pixel_model(superres.build_espcn(2, filters=4), superres.degrade(clean, 2), clean,
                            tmp_path / "run", epochs=1, verbose=0)
    enhance.publish_model(tmp_path / "run", tmp_path / "out", "sr_espcn_x2", "cmd", {"espcn": {"psnr": 1.0}})
    card = json.loads((tmp_path / "out" / "sr_espcn_x2.json").read_text())
    assert card["command"] == "cmd" and card["scores"]["espcn"]["psnr"] == 1.0
    assert verified_pretrained_path("sr_espcn_x2", tmp_path / "out").exists()
    (tmp_path / "out" / "sr_espcn_x2.keras").write_bytes(b"tampered")
    with pytest.raises(ValueError, match="checksum"):
        superres.load_sr_model("espcn", 2, folder=tmp_path / "out")
