"""Model files that load but are wrong: each is refused with a message naming the file and the problem."""

import json
import re
import zipfile

import keras
import numpy as np
import pytest
from keras import layers
from PIL import Image

from pgan import cli, model_files, models, restore, sampling, superres


def nothing_in(folder):
    return not folder.exists() or not any(folder.iterdir())


def save(model, tmp_path, name):
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return path


def tiny_generator(channels=1, activation="tanh", scale_to=None, latent_dim=4):
    """Noise -> (28, 28, channels) through one Dense layer; ``scale_to`` multiplies the output."""
    z = keras.Input((latent_dim,))
    x = layers.Reshape((28, 28, channels))(layers.Dense(28 * 28 * channels, name="dense")(z))
    x = layers.Activation(activation, name="out")(x)
    if scale_to is not None:
        x = layers.Rescaling(scale_to, name="rescale")(x)
    return keras.Model(z, x, name="tiny_generator")


def poison(model, value, count=3):
    """Put ``value`` (NaN or inf) into the first ``count`` entries of the model's first kernel."""
    variable = model.weights[0]
    values = keras.ops.convert_to_numpy(variable).copy()
    values.flat[:count] = value
    variable.assign(values)
    return variable.path


def rewrite_keras_file(source, target, keras_version, break_config=False):
    """Copy a .keras zip with another ``keras_version`` in metadata.json (and an unknown layer class)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item.filename)
            if item.filename == "metadata.json":
                content = json.dumps({**json.loads(content), "keras_version": keras_version}).encode()
            elif item.filename == "config.json" and break_config:
                config = json.loads(content)
                config["config"]["layers"][1]["class_name"] = "DenseFromTheFuture"
                content = json.dumps(config).encode()
            new.writestr(item, content)
    return target


@pytest.fixture
def photo(tmp_path):
    """A 24x20 grayscale product photo."""
    image = np.zeros((20, 24), np.uint8)
    image[4:16, 6:18] = 200
    Image.fromarray(image).save(tmp_path / "shirt.png")
    return tmp_path / "shirt.png"


# ------------------------------------------------------------------------------ weights


def test_nan_weights_in_a_generator_are_refused(tmp_path):
    generator = models.build_generator(latent_dim=8, width=4)
    name = poison(generator, np.nan)
    path = save(generator, tmp_path, "nan_generator")
    with pytest.raises(ValueError) as info:
        sampling.load_generator(path)
    message = str(info.value)
    assert message.startswith(
        f"{path} has weights that are not finite: 3 NaN and 0 infinite values in 1 variable(s), "
        f"the first in {name!r} (3 of its 6272 values); its training diverged."
    )
    assert "Retrain it" in message and "RUN_DIR/checkpoints/" in message and "\n" not in message


def test_inf_weights_in_a_super_resolution_model_are_refused(tmp_path):
    model = superres.build_espcn(2, filters=8)
    poison(model, np.inf, count=2)
    path = save(model, tmp_path, "inf_sr")
    with pytest.raises(ValueError, match=re.escape(f"{path} has weights that are not finite: 0 NaN and 2 infinite")):
        superres.check_sr_model(model_files.load_model_file(path), 2, path)
    with pytest.raises(ValueError, match="model 'espcn_x2' has weights that are not finite"):
        superres.check_sr_model(model, 2)  # no path: the model's name


def test_cli_sample_writes_nothing_for_a_nan_generator(tmp_path, capsys):
    generator = tiny_generator()
    poison(generator, np.nan)
    path = save(generator, tmp_path, "g")
    out = tmp_path / "out" / "samples.npy"
    assert cli.main(["sample", "--generator", str(path), "--num", "4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path} has weights that are not finite: 3 NaN" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_upscale_and_restore_write_nothing_for_nan_weights(tmp_path, photo, capsys):
    model = superres.build_espcn(2, filters=8)
    poison(model, np.nan)
    out = tmp_path / "big"
    assert cli.main(["upscale", "--scale", "2", "--weights", str(save(model, tmp_path, "sr")),
                     "--input", str(photo), "--out", str(out)]) == 2
    assert "has weights that are not finite: 3 NaN" in capsys.readouterr().err
    unet = restore.build_unet("denoise", filters=4)
    poison(unet, np.inf)
    assert cli.main(["restore", "--task", "denoise", "--weights", str(save(unet, tmp_path, "unet")),
                     "--input", str(photo), "--out", str(out)]) == 2
    assert "has weights that are not finite: 0 NaN and 3 infinite" in capsys.readouterr().err
    assert nothing_in(out)


def test_outputs_that_overflow_are_refused(tmp_path):
    z = keras.Input((4,))
    out = layers.Reshape((28, 28, 1))(layers.Dense(28 * 28, name="dense")(z))
    generator = keras.Model(z, out)
    generator.get_layer("dense").kernel.assign(np.full((4, 28 * 28), 3e38, np.float32))
    path = save(generator, tmp_path, "overflow")
    with pytest.raises(ValueError, match=re.escape(f"{path} returns")) as info:
        sampling.load_generator(path)
    assert "NaN or infinite values of 12544 for 16 noise vectors, though its weights are finite" in str(info.value)


# ---------------------------------------------------------------------------- generators


def test_a_two_channel_generator_is_refused(tmp_path):
    path = save(tiny_generator(channels=2), tmp_path, "two")
    with pytest.raises(ValueError, match=re.escape(
        f"{path} returns an array shaped (16, 28, 28, 2) for 16 noise vectors; pgan expects images "
        "(N, H, W, C) with C = 1 (grayscale) or 3 (RGB)"
    )):
        sampling.load_generator(path)


def test_a_0_255_generator_is_refused(tmp_path):
    path = save(tiny_generator(activation="sigmoid", scale_to=255.0), tmp_path, "bytes")
    with pytest.raises(ValueError, match=re.escape(f"{path} returns values in [")) as info:
        sampling.load_generator(path)
    assert "but pgan expects a tanh generator's [-1, 1]; they look like 0-255 pixels" in str(info.value)


def test_a_sigmoid_generator_is_refused(tmp_path):
    path = save(tiny_generator(activation="sigmoid"), tmp_path, "sigmoid")
    with pytest.raises(ValueError, match=re.escape(
        f"{path} ends in a sigmoid and returns values in ["
    )) as info:
        sampling.load_generator(path)
    assert "it looks like a [0, 1] model, but pgan expects a tanh generator's [-1, 1]" in str(info.value)


def test_cli_evaluate_refuses_a_sigmoid_generator(tmp_path, capsys):
    path = save(tiny_generator(activation="sigmoid"), tmp_path, "sigmoid")
    assert cli.main(["evaluate", "--generator", str(path), "--num", "200"]) == 2
    assert "looks like a [0, 1] model" in capsys.readouterr().err


def test_good_generators_pass_and_the_shipped_ones_too():
    model_files.check_generator_output(tiny_generator())
    model_files.check_generator_output(models.build_generator(latent_dim=8, width=4))
    assert sampling.num_classes_of(sampling.load_pretrained("conditional_generator")) == 10
    sampling.load_pretrained("dcgan_generator")


# ----------------------------------------------------------------- image-to-image models


def test_a_super_resolution_model_with_three_output_channels_is_refused(tmp_path):
    low_res = keras.Input((None, None, 1))
    x = superres.SubPixelUpsampling(2)(layers.Conv2D(12, 3, padding="same")(low_res))
    path = save(keras.Model(low_res, x), tmp_path, "rgb_out")
    with pytest.raises(ValueError, match=re.escape(
        f"{path} returns 3 channels; pgan's super-resolution models return one"
    )):
        superres.check_sr_model(model_files.load_model_file(path), 2, path)


def test_a_super_resolution_model_that_is_not_fully_convolutional_is_refused(tmp_path):
    # Works on its 32x32 inputs (and gives 64x64), but photos come in tiles of any size.
    low_res = keras.Input((32, 32, 1))
    x = layers.Reshape((64, 64, 1))(layers.Dense(64 * 64)(layers.Flatten()(low_res)))
    path = save(keras.Model(low_res, x), tmp_path, "dense_sr")
    with pytest.raises(ValueError, match=re.escape(
        f"{path} fails on a 48x40 image (it is built for 32x32 inputs): pgan's super-resolution models "
        "must be fully convolutional"
    )) as info:
        superres.check_sr_model(model_files.load_model_file(path), 2, path)
    assert "keras.Input((None, None, 1)) with no Flatten or Dense layer" in str(info.value)


def test_a_super_resolution_model_for_another_scale_says_which(tmp_path):
    with pytest.raises(ValueError, match="enlarges by 4, not by the requested 2: pass --scale 4"):
        superres.check_sr_model(superres.build_espcn(4, filters=8), 2)


def test_a_restore_model_with_the_wrong_output_size_is_refused(tmp_path):
    image = keras.Input((None, None, 1))
    x = layers.Conv2D(1, 3, strides=2, padding="same")(image)
    path = save(keras.Model(image, x), tmp_path, "half")
    with pytest.raises(ValueError, match=re.escape(
        f"{path} turns a 32x32 image into 16x16; pgan's restoration models must return 32x32 (the same size)."
    )):
        restore.check_restore_model(model_files.load_model_file(path), "denoise", path)


def test_an_image_model_in_0_255_is_refused(tmp_path):
    image = keras.Input((None, None, 2))
    x = layers.Rescaling(255.0)(layers.Conv2D(1, 1, kernel_initializer="ones")(image))
    with pytest.raises(ValueError, match=re.escape(
        "model 'bytes' returns values in [5.26, 255] for a test image in [0, 1], but pgan's restoration "
        "models work in [0, 1]; they look like 0-255 pixels: divide its output by 255"
    )):
        restore.check_restore_model(keras.Model(image, x, name="bytes"), "inpaint")


def test_the_shipped_image_models_pass():
    for scale in superres.SCALES:
        for name in superres.MODELS:
            superres.check_sr_model(superres.load_sr_model(name, scale), scale)
    for task in restore.TASKS:
        restore.check_restore_model(restore.load_restore_model(task), task)


def test_probe_images_are_deterministic_and_in_unit_range():
    a, b = model_files.probe_image(40, 48, 2), model_files.probe_image(40, 48, 2)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1, 40, 48, 2) and 0.0 <= a.min() and a.max() <= 1.0
    assert set(np.unique(a[..., 1])) == {0.0, 1.0}


# ------------------------------------------------------------------------- Keras versions


MAJOR, MINOR = (int(part) for part in keras.version().split(".")[:2])


@pytest.mark.parametrize(
    ("saved", "advice"),
    [
        (f"{MAJOR - 1}.15.0", f"A Keras {MAJOR - 1} file does not load in Keras {MAJOR}: rebuild the model in "
                              f"Keras {MAJOR} and load its weights, or retrain it."),
        (f"{MAJOR}.999.0", f"Upgrade Keras (pip install keras=={MAJOR}.999.0) or save the model again with "
                           f"Keras {keras.version()}."),
        pytest.param(f"{MAJOR}.{MINOR - 1}.0", f"Load it with Keras {MAJOR}.{MINOR - 1}.0 and save it again with "
                     f"Keras {keras.version()}, or install keras=={MAJOR}.{MINOR - 1}.0.",
                     marks=pytest.mark.skipif(MINOR == 0, reason="no older minor version")),
        (keras.version(), "The file may be truncated or corrupt: copy or export it again."),
    ],
)
def test_a_file_that_fails_to_load_names_both_keras_versions(tmp_path, saved, advice):
    source = save(tiny_generator(), tmp_path, "good")
    path = rewrite_keras_file(source, tmp_path / "other.keras", saved, break_config=True)
    assert model_files.saved_keras_version(path) == saved
    with pytest.raises(ValueError) as info:
        sampling.load_generator(path)
    message = str(info.value)
    assert message.startswith(
        f"{path} could not be loaded as a Keras model (saved by Keras {saved}, installed Keras is {keras.version()})"
    )
    assert "DenseFromTheFuture" in message and message.endswith(". " + advice) and "\n" not in message


def test_a_truncated_file_says_it_may_be_corrupt(tmp_path):
    source = save(tiny_generator(), tmp_path, "good")
    path = tmp_path / "cut.keras"
    path.write_bytes(source.read_bytes()[:300])
    with pytest.raises(ValueError, match=re.escape(
        f"{path} could not be loaded as a Keras model (it has no readable metadata.json naming the Keras "
        f"that saved it; installed Keras is {keras.version()})"
    )) as info:
        model_files.load_model_file(path)
    assert str(info.value).endswith("The file may be truncated or corrupt: copy or export it again.")


def test_a_file_from_a_newer_keras_that_loads_warns(tmp_path):
    source = save(tiny_generator(), tmp_path, "good")
    path = rewrite_keras_file(source, tmp_path / "new.keras", f"{MAJOR}.999.0")
    with pytest.warns(model_files.KerasVersionWarning, match=re.escape(
        f"{path} was saved by Keras {MAJOR}.999.0, newer than the installed {keras.version()}; it loaded"
    )):
        sampling.load_generator(path)


# ------------------------------------------------------------------- safe_mode stays on


def test_a_lambda_layer_is_refused_under_safe_mode(tmp_path):
    z = keras.Input((4,))
    x = layers.Reshape((28, 28, 1))(layers.Dense(28 * 28)(z))
    path = save(keras.Model(z, layers.Lambda(lambda t: keras.ops.tanh(t))(x)), tmp_path, "lambda")
    expected = f"{path} holds a Lambda layer or other Python code, which pgan refuses to load (safe_mode=True"
    with pytest.raises(ValueError, match=re.escape(expected)):
        sampling.load_generator(path)
    with pytest.raises(ValueError, match=re.escape(expected)):
        model_files.load_model_file(path)


def test_the_cli_refuses_a_lambda_layer(tmp_path, photo, capsys):
    image = keras.Input((None, None, 1))
    x = layers.Lambda(lambda t: t * 1.0)(layers.Conv2D(4, 3, padding="same")(image))
    path = save(keras.Model(image, superres.SubPixelUpsampling(2)(x)), tmp_path, "lambda_sr")
    out = tmp_path / "out"
    assert cli.main(["upscale", "--scale", "2", "--weights", str(path), "--input", str(photo),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "safe_mode" in err
    assert nothing_in(out)
