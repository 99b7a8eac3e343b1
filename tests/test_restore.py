import keras
import numpy as np
import pytest

from pgan import fidelity, restore


@pytest.fixture
def test_subset(fashion_mnist):
    return fashion_mnist.x_test[:200]


@pytest.fixture
def clean(tiny_images):
    return tiny_images[:16].astype(np.float32) / 255.0


@pytest.mark.parametrize("task", restore.TASKS)
def test_damage_is_deterministic_and_in_range(clean, task):
    a, mask_a = restore.damage(clean, task, seed=3)
    b, mask_b = restore.damage(clean, task, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == clean.shape and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    assert (mask_a is None) == (task != "inpaint")
    assert not np.array_equal(a, restore.damage(clean, task, seed=4)[0])


def test_inpaint_masks_cover_part_of_the_product(clean):
    damaged, mask = restore.damage(clean, "inpaint")
    assert mask.shape == clean.shape[:3] + (1,)
    fraction = mask.mean(axis=(1, 2, 3))
    assert np.all(fraction > 0.04) and np.all(fraction < 0.6)
    np.testing.assert_array_equal(damaged[mask[..., 0] > 0], 0.0)
    np.testing.assert_array_equal(damaged[mask[..., 0] == 0], clean[mask[..., 0] == 0])


def test_blur_kernel_sums_to_one_and_keeps_flat_images():
    np.testing.assert_allclose(restore.blur_kernel().sum(), 1.0)
    flat = np.full((1, 10, 10, 1), 0.4, np.float32)
    np.testing.assert_allclose(restore.gaussian_blur(flat), flat, atol=1e-6)


def test_classical_baselines_help(test_subset):
    clean = test_subset.astype(np.float32) / 255.0
    for task in restore.TASKS:
        damaged, mask = restore.damage(clean, task)
        before = fidelity.psnr(damaged, clean).mean()
        after = fidelity.psnr(restore.classical_restore(damaged, task, mask), clean).mean()
        assert after > before + 1.0, (task, before, after)


def test_median_filter_removes_an_isolated_speck():
    image = np.zeros((1, 7, 7, 1), np.float32)
    image[0, 3, 3] = 1.0
    np.testing.assert_array_equal(restore.median_filter(image), 0.0)


@pytest.mark.parametrize("task", restore.TASKS)
def test_unet_shapes_any_size_divisible_by_4(task):
    model = restore.build_unet(task)
    channels = 2 if task == "inpaint" else 1
    for h, w in ((28, 28), (12, 40)):
        assert tuple(model(np.zeros((2, h, w, channels), np.float32)).shape) == (2, h, w, 1)


def test_inpainting_keeps_known_pixels_exactly(clean):
    model = restore.build_unet("inpaint")
    damaged, mask = restore.damage(clean[:4], "inpaint")
    out = keras.ops.convert_to_numpy(model(restore.model_inputs(damaged, mask)))
    known = mask[..., 0] == 0
    np.testing.assert_allclose(out[known], damaged[known], atol=1e-6)


def test_residual_output_layer_round_trips():
    layer = restore.ResidualOutput(3, inpaint=True)
    again = restore.ResidualOutput.from_config(layer.get_config())
    assert again.channels == 3 and again.inpaint


@pytest.mark.parametrize("task", restore.TASKS)
def test_shipped_models_beat_input_and_baseline(test_subset, task):
    models = {v: restore.load_restore_model(task, v) for v in restore.VARIANTS}
    results = restore.evaluate_restoration(task, models, test_subset, with_fcd=False)
    baseline = results[restore.BASELINES[task]]["psnr"]
    for variant in restore.VARIANTS:
        assert results[variant]["psnr"] > results["damaged"]["psnr"] + 2.0, (variant, results)
        assert results[variant]["psnr"] > baseline, (variant, results)


def test_restore_photo_rgb_any_size_and_mask_errors():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, (30, 45, 3), dtype=np.uint8)
    out = restore.restore_photo(restore.build_unet("denoise"), photo, "denoise")
    assert out.shape == photo.shape and out.dtype == np.uint8
    inpaint = restore.build_unet("inpaint")
    mask = np.zeros((30, 45), bool)
    mask[10:15, 10:20] = True
    out = restore.restore_photo(inpaint, photo, "inpaint", mask, invert=False)
    np.testing.assert_array_equal(out[~mask], photo[~mask])  # known pixels kept
    with pytest.raises(ValueError, match="needs a mask"):
        restore.restore_photo(inpaint, photo, "inpaint")
    with pytest.raises(ValueError, match="45x30"):
        restore.restore_photo(inpaint, photo, "inpaint", mask[:20])
