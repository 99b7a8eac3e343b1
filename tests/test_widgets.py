"""Tests for pgan.widgets: each widget driven by setting its controls, as a user would."""

import io
import json

import keras
import numpy as np
import pytest
from PIL import Image

from pgan import data, fidelity, judge, models, sampling, superres, widgets
from pgan.gan import GAN
from pgan.widgets._common import _generate


@pytest.fixture(scope="module")
def generator():
    """A small untrained unconditional generator (16-d noise)."""
    keras.utils.set_random_seed(0)
    return models.build_generator(latent_dim=16, width=8)


@pytest.fixture(scope="module")
def conditional():
    """A small untrained conditional generator (16-d noise, 10 classes)."""
    keras.utils.set_random_seed(1)
    return models.build_conditional_generator(latent_dim=16, width=8)


@pytest.fixture(scope="module")
def dcgan():
    return sampling.load_pretrained("dcgan_generator")


def _png_size(png: bytes) -> tuple[int, int]:
    png = bytes(png)  # ipywidgets.Image holds a memoryview
    assert png.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(png)).size


# ------------------------------------------------------------------ latent explorer


def test_axes_directions_are_the_first_unit_axes(generator):
    result = widgets.latent_directions(generator, 3, method="axes")
    np.testing.assert_array_equal(result["directions"], np.eye(16, dtype=np.float32)[:3])


def test_judge_directions_are_orthonormal_ordered_and_move_the_products(dcgan):
    result = widgets.latent_directions(dcgan, 3, method="judge", num_samples=400)
    d = result["directions"]
    assert d.shape == (3, 100)
    np.testing.assert_allclose(d @ d.T, np.eye(3), atol=1e-5)
    assert np.all(np.diff(result["strength"]) <= 0) and 0 < result["r2"] < 1
    np.testing.assert_array_equal(
        d, widgets.latent_directions(dcgan, 3, num_samples=400)["directions"]
    )
    # A step along the first direction changes the judge's view more than one along a random direction.
    z = sampling.sample_noise(64, 100, seed=5)
    random_dir = np.random.default_rng(0).standard_normal(100).astype(np.float32)
    random_dir /= np.linalg.norm(random_dir)

    def moved(direction):
        features = [
            judge.judge_features(_generate(dcgan, z + s * direction)) for s in (-2, 2)
        ]
        return np.linalg.norm(features[1] - features[0], axis=1).mean()

    assert moved(d[0]) > 1.5 * moved(random_dir)


def test_judge_directions_for_a_conditional_generator(conditional):
    result = widgets.latent_directions(conditional, 2, num_samples=64)  # features centred per class
    d = result["directions"]
    assert d.shape == (2, 16)
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-5)
    with pytest.raises(
        ValueError, match="num_samples must be an int of at least 2 \\* latent_dim = 32"
    ):
        widgets.latent_directions(conditional, 2, num_samples=20)


def test_explore_latent_without_changes_is_generate_images(generator):
    result = widgets.explore_latent(generator, seed=3, num_examples=6)
    np.testing.assert_allclose(
        result["images"], sampling.generate_images(generator, 6, seed=3), atol=1e-6
    )
    assert result["labels"] is None


def test_truncation_zero_gives_one_product_everywhere(generator):
    images = widgets.explore_latent(generator, seed=3, num_examples=5, truncation=0.0)["images"]
    for image in images[1:]:
        np.testing.assert_array_equal(image, images[0])
    np.testing.assert_allclose(widgets.truncate_noise([[2.0, -4.0]], 0.25), [[0.5, -1.0]])


def test_explore_latent_bad_inputs(generator):
    directions = widgets.latent_directions(generator, 2, method="axes")["directions"]
    with pytest.raises(ValueError, match="3 offsets need at least as many directions"):
        widgets.explore_latent(generator, directions=directions, offsets=[1, 2, 3])
    with pytest.raises(ValueError, match="truncation must be a number in"):
        widgets.explore_latent(generator, truncation=1.5)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        widgets.explore_latent(generator, seed=-1)
    with pytest.raises(ValueError, match="method must be one of"):
        widgets.latent_directions(generator, method="pca")
    with pytest.raises(ValueError, match="num_directions must be an int from 1 to latent_dim=16"):
        widgets.latent_directions(generator, 17, method="axes")
    with pytest.raises(ValueError, match="unconditional"):
        widgets.explore_latent(generator, labels=3)


def test_latent_explorer_controls(generator):
    explorer = widgets.LatentExplorer(
        generator, num_examples=8, num_directions=2, method="axes", seed=4
    )
    assert explorer.class_dropdown is None  # unconditional: no class control
    first = explorer.image.value
    assert _png_size(first) == (3 * (8 * 28 + 9 * 2), 3 * (28 + 2 * 2))

    explorer.new_seed_button.click()
    assert explorer.seed_box.value == 5
    np.testing.assert_allclose(
        explorer.state["images"], sampling.generate_images(generator, 8, seed=5), atol=1e-6
    )
    assert explorer.image.value != first

    before = explorer.state["z"].copy()
    explorer.direction_sliders[1].value = 2.0
    np.testing.assert_allclose(
        explorer.state["z"] - before, np.tile(2.0 * np.eye(16)[1], (8, 1)), atol=1e-6
    )

    explorer.truncation_slider.value = 0.0
    assert np.ptp(explorer.state["images"], axis=0).max() == 0  # every column the same product
    explorer.reset_button.click()
    assert explorer.truncation_slider.value == 1.0 and explorer.direction_sliders[1].value == 0.0
    np.testing.assert_allclose(explorer.state["z"], before, atol=1e-6)


def test_latent_explorer_class_dropdown_for_conditional_generators(conditional):
    explorer = widgets.LatentExplorer(conditional, num_examples=10, num_directions=2, method="axes")
    assert explorer.class_dropdown is not None
    assert explorer.class_dropdown in explorer.widget.children[0].children
    assert [label for label, _ in explorer.class_dropdown.options][1:] == list(
        data.CLASS_NAMES
    )
    np.testing.assert_array_equal(explorer.state["labels"], np.arange(10))  # all classes in turn
    everything = explorer.image.value
    explorer.class_dropdown.value = 7  # sneakers
    np.testing.assert_array_equal(explorer.state["labels"], np.full(10, 7))
    np.testing.assert_allclose(
        explorer.state["images"],
        sampling.generate_images(conditional, 10, seed=0, labels=7),
        atol=1e-6,
    )
    assert explorer.image.value != everything


# ------------------------------------------------------------------ interpolation


def test_slerp_and_lerp():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    np.testing.assert_allclose(widgets.slerp(a, b, [0.0, 1.0]), [a, b], atol=1e-6)
    middle = widgets.slerp(a, b, 0.5)
    assert np.linalg.norm(middle) == pytest.approx(3.0)  # the arc keeps the length
    line = widgets.interpolate_latents(a, b, 3, "linear")
    assert np.linalg.norm(line[1]) == pytest.approx(3.0 / np.sqrt(2))  # the line cuts the corner
    np.testing.assert_allclose(
        widgets.slerp(a, 2 * a, 0.5), 1.5 * a
    )  # parallel: falls back to the line
    with pytest.raises(ValueError, match="num_steps must be an int of at least 2"):
        widgets.interpolate_latents(a, b, 1)
    with pytest.raises(ValueError, match="method must be one of"):
        widgets.interpolate_latents(a, b, 4, "cubic")


@pytest.mark.parametrize("method", widgets.INTERPOLATIONS)
def test_strip_ends_are_the_two_products(generator, method):
    strip = widgets.interpolation_strip(generator, (2, 9), num_steps=5, method=method)
    assert strip["images"].shape == (5, 28, 28, 1)
    np.testing.assert_allclose(
        strip["images"][0], sampling.generate_images(generator, 1, seed=2)[0], atol=1e-5
    )
    np.testing.assert_allclose(
        strip["images"][-1], sampling.generate_images(generator, 1, seed=9)[0], atol=1e-5
    )


def test_linear_and_spherical_differ_in_the_middle(generator):
    linear, spherical = (
        widgets.interpolation_strip(generator, (2, 9), num_steps=5, method=m)
        for m in widgets.INTERPOLATIONS
    )
    assert np.linalg.norm(spherical["z"][2]) > np.linalg.norm(linear["z"][2])
    assert not np.allclose(linear["images"][2], spherical["images"][2])


def test_conditional_strip_goes_from_class_to_class(conditional):
    strip = widgets.interpolation_strip(conditional, (1, 2), classes=(0, 9), num_steps=4)
    assert strip["labels"] == [0, 9]
    np.testing.assert_allclose(
        strip["images"][0], sampling.generate_images(conditional, 1, seed=1, labels=0)[0], atol=1e-5
    )
    np.testing.assert_allclose(
        strip["images"][-1],
        sampling.generate_images(conditional, 1, seed=2, labels=9)[0],
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="class labels must be in 0..9"):
        widgets.interpolation_strip(conditional, classes=(0, 10))


def test_export_strip_writes_png_and_gif(generator, tmp_path):
    strip = widgets.interpolation_strip(generator, (0, 1), num_steps=4)
    paths = widgets.export_strip(strip, tmp_path / "new", "morph", scale=2)
    assert paths["png"] == tmp_path / "new" / "morph.png"
    assert Image.open(paths["png"]).size == (2 * (4 * 28 + 5 * 2), 2 * (28 + 2 * 2))
    gif = Image.open(paths["gif"])
    assert gif.n_frames == 6  # 0 1 2 3 2 1: there and back
    assert gif.size == (2 * 32, 2 * 32)
    with pytest.raises(ValueError, match="folder must be a path"):
        widgets.export_strip(strip, None)


def test_interpolation_explorer_controls_and_save(generator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    explorer = widgets.InterpolationExplorer(generator, seeds=(0, 1), num_steps=6)
    assert explorer.class_a is None
    linear_png = explorer.image.value
    explorer.method_buttons.value = "spherical"
    assert explorer.state["method"] == "spherical" and explorer.image.value != linear_png
    explorer.steps_slider.value = 9
    assert len(explorer.state["images"]) == 9
    explorer.seed_b.value = 4
    np.testing.assert_allclose(
        explorer.state["images"][-1], sampling.generate_images(generator, 1, seed=4)[0], atol=1e-5
    )

    explorer.save_button.click()  # no folder given: nothing written, the status says why
    assert "Type a folder" in explorer.status.value and explorer.saved is None
    assert list(tmp_path.iterdir()) == []
    explorer.folder_box.value = str(tmp_path / "strips")
    explorer.save_button.click()
    assert explorer.saved["png"].exists() and explorer.saved["gif"].exists()
    assert explorer.saved["png"].name == "interpolation_0_4_spherical.png"


def test_interpolation_explorer_has_class_dropdowns_for_conditional(conditional):
    explorer = widgets.InterpolationExplorer(conditional, num_steps=3)
    assert (explorer.class_a.value, explorer.class_b.value) == (0, 9)
    explorer.class_b.value = 5
    assert explorer.state["labels"] == [0, 5]


def test_explorers_show_a_colour_folder_generator_with_its_class_names(tmp_path):
    """A 32x32 RGB generator trained on class sub-folders: its names in the dropdowns, colour PNGs."""

    keras.utils.set_random_seed(2)
    colour = models.build_conditional_generator(latent_dim=16, num_classes=3, image_shape=(32, 32, 3), width=8)
    colour.save(tmp_path / "generator.keras")
    (tmp_path / "generator.json").write_text(json.dumps({"class_names": ["bag", "dress", "sneaker"]}))
    loaded = sampling.load_generator(tmp_path / "generator.keras")
    assert widgets.class_names_of(loaded) == ["bag", "dress", "sneaker"]
    explorer = widgets.LatentExplorer(loaded, num_examples=6, num_directions=2)
    assert explorer.directions["method"] == "axes"  # the judge reads 28x28 grayscale only
    assert [label for label, _ in explorer.class_dropdown.options] == ["all classes", "bag", "dress", "sneaker"]
    explorer.class_dropdown.value = 2
    assert explorer.state["images"].shape == (6, 32, 32, 3)
    np.testing.assert_array_equal(explorer.state["labels"], np.full(6, 2))
    assert Image.open(io.BytesIO(bytes(explorer.image.value))).mode == "RGB"
    strip = widgets.InterpolationExplorer(loaded, num_steps=3)
    assert [label for label, _ in strip.class_a.options] == ["bag", "dress", "sneaker"]
    assert strip.state["images"].shape[1:] == (32, 32, 3)
    # Without the names file beside it the classes are numbered.
    (tmp_path / "generator.json").unlink()
    assert widgets.class_names_of(sampling.load_generator(tmp_path / "generator.keras")) == [
        "class 0", "class 1", "class 2"]


# ------------------------------------------------------------------ training monitor


def _tiny_gan():
    keras.utils.set_random_seed(0)
    gan = GAN(
        models.build_generator(latent_dim=16, width=8), models.build_discriminator(width=8), seed=0
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    return gan


def test_training_snapshot_before_and_after_an_epoch(generator):
    noise = sampling.sample_noise(4, 16, seed=0)
    empty = widgets.training_snapshot(generator, noise, {})
    assert empty["curves"] is None and empty["images"].shape == (4, 28, 28, 1)
    history = {
        "epoch": [1, 2],
        "d_loss": [1.3, 1.2],
        "g_loss": [0.7, 0.8],
        "d_real_acc": [0.5, 0.6],
        "d_fake_acc": [0.4, 0.5],
    }
    snapshot = widgets.training_snapshot(generator, noise, history)
    assert _png_size(snapshot["curves"])[0] > 300
    assert snapshot["text"] == "d_loss 1.200, g_loss 0.800, d_real_acc 0.600, d_fake_acc 0.500"


def test_monitor_updates_in_place_during_fit(tiny_images, capsys):
    gan = _tiny_gan()
    monitor = widgets.TrainingMonitor(num_examples=8, every_n_batches=2)
    grids, statuses, curves = [], [], []
    monitor.samples_image.observe(lambda change: grids.append(bytes(change["new"])), names="value")
    monitor.status.observe(lambda change: statuses.append(change["new"]), names="value")
    monitor.curves_image.observe(lambda change: curves.append(change["new"]), names="value")
    dataset = data.make_dataset(tiny_images, batch_size=32, subset=128)  # 4 batches/epoch
    gan.fit(dataset, epochs=2, verbose=0, callbacks=[monitor])
    assert monitor.history["epoch"] == [1, 2]
    assert {"d_loss", "g_loss", "d_real_acc", "d_fake_acc"} <= set(monitor.history)
    assert monitor.updates == 2 + 4  # two epoch ends, and batches 2 and 4 of each epoch
    assert len(grids) >= 2 and grids[-1] != grids[0]  # G trained: the fixed-noise grid changed
    assert _png_size(monitor.curves_image.value)[0] > 300
    assert monitor.status.value.startswith("epoch 2: d_loss")
    assert [s.split(":")[0] for s in statuses[1:]] == [
        "epoch 1, batch 2",
        "epoch 1, batch 4",
        "epoch 1",
        "epoch 2, batch 2",
        "epoch 2, batch 4",
        "epoch 2",
    ]
    assert len(curves) == 2  # the curves are redrawn at epoch ends only
    assert capsys.readouterr().out == ""  # nothing printed: the display updates in place
    np.testing.assert_allclose(
        monitor.state["images"], _generate(gan.generator, monitor._noise), atol=1e-6
    )


def test_monitor_works_with_train_gan(tiny_images, tmp_path):
    from pgan import runs

    monitor = widgets.TrainingMonitor(num_examples=4)
    config = runs.TrainConfig.quick(epochs=1, subset=128, batch_size=64)
    history = runs.train_gan(
        config, tmp_path / "run", images=tiny_images, callbacks=[monitor], verbose=0
    )
    assert monitor.history["d_loss"] == pytest.approx(history["d_loss"])
    assert monitor.updates == 1 and _png_size(monitor.curves_image.value)[0] > 300


def test_monitor_rejects_bad_settings():
    with pytest.raises(ValueError, match="every_n_batches must be None or a positive int"):
        widgets.TrainingMonitor(every_n_batches=0)


# ------------------------------------------------------------------ super-resolution


def test_compare_super_resolution_on_a_test_image(fashion_mnist):
    original = fashion_mnist.x_test[1]
    result = widgets.compare_super_resolution(original, scale=2, model="srresnet")
    assert result["low_res"].shape == (14, 14, 1) and result["model"].shape == (28, 28, 1)
    np.testing.assert_allclose(result["original"], original / 255.0, atol=1e-6)
    bicubic = superres.classical_upscale(superres.degrade(result["original"][None], 2), 2)
    assert result["scores"]["bicubic"]["psnr"] == pytest.approx(
        fidelity.psnr(bicubic, result["original"][None])[0]
    )
    assert (
        result["scores"]["model"]["psnr"] > result["scores"]["bicubic"]["psnr"] + 2
    )  # SRResNet beats bicubic
    assert result["name"] == "srresnet"


def test_compare_super_resolution_bad_inputs():
    with pytest.raises(ValueError, match="one uint8 grayscale image"):
        widgets.compare_super_resolution(np.zeros((28, 28, 3), np.uint8))
    with pytest.raises(ValueError, match="scale must be one of"):
        widgets.compare_super_resolution(np.zeros((28, 28), np.uint8), scale=3)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        widgets.photo_ground_truth("/no/such/photo.png")
    with pytest.raises(ValueError, match="image_size must be a multiple of 4"):
        widgets.photo_ground_truth("/no/such/photo.png", image_size=30)


def _write_photo(path):
    """A dark 'product' on a white background, 60x40 RGB: the opposite of Fashion-MNIST's look."""
    photo = np.full((40, 60, 3), 255, np.uint8)
    photo[8:32, 15:45] = (120, 30, 30)
    Image.fromarray(photo).save(path)
    return path


def test_super_resolution_comparer_controls(fashion_mnist, tmp_path):
    comparer = widgets.SuperResolutionComparer(images=fashion_mnist.x_test[:20], index=1)
    first = comparer.image.value
    assert _png_size(first) == (4 * (4 * 28 + 5 * 2), 4 * (28 + 2 * 2))
    assert "Test image 1" in comparer.status.value and "PSNR" in comparer.scores.value
    comparer.scale_buttons.value = 4
    assert comparer.state["low_res"].shape == (7, 7, 1) and comparer.image.value != first
    comparer.model_dropdown.value = "espcn"
    assert comparer.state["name"] == "espcn" and "espcn: PSNR" in comparer.scores.value
    comparer.index_box.value = 5
    np.testing.assert_allclose(
        comparer.state["original"][..., 0], fashion_mnist.x_test[5, ..., 0] / 255.0, atol=1e-6
    )

    comparer.source_buttons.value = "my photo"
    assert comparer.status.value == "Type the path of a photo."
    comparer.path_box.value = str(tmp_path / "missing.png")
    assert (
        comparer.status.value.startswith("Cannot use that photo:")
        and "is not a file" in comparer.status.value
    )
    comparer.path_box.value = str(_write_photo(tmp_path / "bag.png"))
    assert (
        "is the ground truth" in comparer.status.value
        and "shrunk by 4 first" in comparer.status.value
    )
    original = comparer.state["original"]
    assert original.shape == (28, 28, 1)
    assert original[0, 0, 0] == 0 and original[14, 14, 0] > 0.3  # inverted: light product on black


# ------------------------------------------------------------------ toy GAN learning rate


def test_toy_learning_rate_explorer():
    explorer = widgets.ToyLearningRateExplorer(learning_rate=1e-3, steps=100, seed=1)
    state = explorer.state
    assert state["history"].config["learning_rate"] == pytest.approx(1e-3)
    assert state["coverage"].shape == (2,) and 0 <= state["coverage"].sum() <= 1
    assert len(state["history"].d_loss) == 100 and sorted(state["history"].snapshots)[-1] == 100
    first = explorer.image.value
    assert _png_size(first)[0] > 400
    explorer.lr_slider.value = 1e-2
    assert explorer.state["history"].config["learning_rate"] == pytest.approx(1e-2)
    assert explorer.image.value != first and "learning rate 1e-02" in explorer.status.value
    # The pure function reproduces the widget's run.
    again = widgets.toy_learning_rate_run(1e-2, steps=100, seed=1)
    np.testing.assert_allclose(again["history"].d_loss, explorer.state["history"].d_loss, rtol=1e-5)
