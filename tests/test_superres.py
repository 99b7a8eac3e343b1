import keras
import numpy as np
import pytest

from pgan import superres


@pytest.fixture
def test_subset(fashion_mnist):
    return fashion_mnist.x_test[:300]


def test_depth_to_space_matches_a_hand_computation():
    # One 1x1 pixel with 4 channels [a, b, c, d] becomes the 2x2 block [[a, b], [c, d]].
    x = np.array([1.0, 2.0, 3.0, 4.0], np.float32).reshape(1, 1, 1, 4)
    out = keras.ops.convert_to_numpy(superres.depth_to_space(x, 2))
    np.testing.assert_array_equal(out[0, ..., 0], [[1.0, 2.0], [3.0, 4.0]])
    # Two output channels: channel index (i * r + j) * C + c.
    x = np.arange(8, dtype=np.float32).reshape(1, 1, 1, 8)
    out = keras.ops.convert_to_numpy(superres.depth_to_space(x, 2))
    np.testing.assert_array_equal(out[0, ..., 0], [[0, 2], [4, 6]])
    np.testing.assert_array_equal(out[0, ..., 1], [[1, 3], [5, 7]])


def test_depth_to_space_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    x = np.random.default_rng(0).random((2, 3, 5, 36)).astype(np.float32)
    for r in (2, 3):
        want = tf.nn.depth_to_space(x, r).numpy()
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(superres.depth_to_space(x, r)), want)


def test_subpixel_layer_config_and_errors():
    layer = superres.SubPixelUpsampling(2)
    assert superres.SubPixelUpsampling.from_config(layer.get_config()).scale == 2
    with pytest.raises(ValueError, match="divisible by 4"):
        superres.SubPixelUpsampling(2)(keras.Input((7, 7, 6)))
    with pytest.raises(ValueError, match="at least 2"):
        superres.SubPixelUpsampling(1)


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("builder", [superres.build_espcn, superres.build_srresnet])
def test_models_enlarge_any_size_by_scale(builder, scale):
    model = builder(scale)
    for h, w in ((28 // scale, 28 // scale), (5, 9)):
        out = model(np.zeros((2, h, w, 1), np.float32))
        assert tuple(out.shape) == (2, h * scale, w * scale, 1)


def test_untrained_srresnet_starts_at_bicubic():
    # The global bicubic skip: with the residual's last conv zeroed, output == bicubic.
    model = superres.build_srresnet(2)
    tail = model.get_layer("tail")
    tail.set_weights([np.zeros_like(w) for w in tail.get_weights()])
    low = np.random.default_rng(0).random((3, 14, 14, 1)).astype(np.float32)
    out = np.clip(keras.ops.convert_to_numpy(model(low)), 0, 1)
    np.testing.assert_allclose(out, superres.classical_upscale(low, 2, "bicubic"), atol=1e-5)


def test_degrade_shapes_and_errors():
    images = np.random.default_rng(0).random((2, 28, 28, 1)).astype(np.float32)
    assert superres.degrade(images, 2).shape == (2, 14, 14, 1)
    assert superres.degrade(images, 4).shape == (2, 7, 7, 1)
    with pytest.raises(ValueError, match="multiple of 4"):
        superres.degrade(images[:, :26, :26], 4)
    with pytest.raises(ValueError, match="scale must be one of"):
        superres.degrade(images, 3)
    with pytest.raises(TypeError, match="uint8"):
        superres.degrade((images * 255).astype(np.uint8), 2)


def test_protocol_baselines(test_subset):
    # The documented protocol's numbers (README, notebook 07): bicubic ~19.2 dB at x2, ~16.0 at x4.
    results = {s: superres.evaluate_sr(s, images_uint8=test_subset, with_fcd=False) for s in (2, 4)}
    assert 18.6 < results[2]["bicubic"]["psnr"] < 19.8
    assert 15.4 < results[4]["bicubic"]["psnr"] < 16.6
    for s in (2, 4):
        assert results[s]["bicubic"]["psnr"] > results[s]["nearest"]["psnr"]


@pytest.mark.parametrize("scale", [2, 4])
def test_every_shipped_model_beats_bicubic(test_subset, scale):
    models = {name: superres.load_sr_model(name, scale) for name in superres.MODELS}
    results = superres.evaluate_sr(scale, models, images_uint8=test_subset[:200], with_fcd=False)
    for name in superres.MODELS:
        assert results[name]["psnr"] > results["bicubic"]["psnr"] + 1.0, (name, results)
        assert results[name]["ssim"] > results["bicubic"]["ssim"], (name, results)


def test_upscale_photo_any_size_gray_and_rgb():
    model = superres.build_espcn(2)
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 255, (13, 21, 1), dtype=np.uint8)
    rgb = rng.integers(0, 255, (9, 150, 3), dtype=np.uint8)  # wider than one tile
    assert superres.upscale_photo(model, gray, 2).shape == (26, 42, 1)
    for color in ("luminance", "per-channel"):
        out = superres.upscale_photo(model, rgb, 2, color)
        assert out.shape == (18, 300, 3) and out.dtype == np.uint8


def test_tiling_matches_a_whole_image_pass():
    from pgan import enhance

    model = superres.build_espcn(2)  # receptive field 9x9 at low resolution: overlap 8 covers it
    image = np.random.default_rng(1).random((40, 50, 1)).astype(np.float32)

    def run(batch):
        return keras.ops.convert_to_numpy(model(batch))

    whole = run(image[None])[0]
    tiled = enhance.process_tiled(run, image, scale=2, tile=16, overlap=8)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
