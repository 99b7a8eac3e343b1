"""Photos of any size through apply_to_photo: same pixels as before, tiles streamed, bounded memory.

The reference below is the whole-image algorithm apply_to_photo used before it
streamed its tiles (float64 colour conversion, whole-image bicubic chroma,
full-size float copies), kept here to check that streaming changed no pixel by
more than one grey level.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from keras import layers, ops

from pgan import enhance
from pgan.superres import SubPixelUpsampling


def _reference_process_tiled(fn, image, scale=1, tile=128, overlap=8):
    height, width = image.shape[:2]
    if height <= tile and width <= tile:
        return np.asarray(fn(image[None]))[0]
    rows = []
    for top in range(0, height, tile):
        row = []
        for left in range(0, width, tile):
            t0, l0 = max(top - overlap, 0), max(left - overlap, 0)
            bottom, right = min(top + tile, height), min(left + tile, width)
            b1, r1 = min(bottom + overlap, height), min(right + overlap, width)
            out = np.asarray(fn(image[None, t0:b1, l0:r1]))[0]
            dt, dl = (top - t0) * scale, (left - l0) * scale
            row.append(out[dt : dt + (bottom - top) * scale, dl : dl + (right - left) * scale])
        rows.append(np.concatenate(row, axis=1))
    return np.concatenate(rows, axis=0)


def _reference_apply_to_photo(fn, image_uint8, scale=1, color="luminance", invert="auto", extra=None,
                              tile=128):
    image = image_uint8.astype(np.float32) / 255.0
    if invert == "auto":
        invert = enhance.has_light_background(image)
    if invert:
        image = 1.0 - image

    def one_channel(channel):
        if extra is not None:
            channel = np.concatenate([channel, np.asarray(extra, np.float32)], axis=-1)
        return np.clip(_reference_process_tiled(fn, channel, scale, tile), 0.0, 1.0)

    if image.shape[-1] == 1 or color == "per-channel":
        out = np.concatenate([one_channel(image[..., c : c + 1]) for c in range(image.shape[-1])], axis=-1)
    else:
        rgb_to_yuv = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]])
        yuv = image @ rgb_to_yuv.T
        luma = one_channel(yuv[..., :1])
        chroma = yuv[..., 1:]
        if scale > 1:
            chroma = ops.convert_to_numpy(layers.UpSampling2D(scale, interpolation="bicubic")(chroma[None]))[0]
        out = np.concatenate([luma, chroma], axis=-1) @ np.linalg.inv(rgb_to_yuv).T
    out = np.clip(out, 0.0, 1.0)
    if invert:
        out = 1.0 - out
    return np.round(out * 255.0).astype(np.uint8)


def _conv_model(scale, in_channels=1):
    """Two 3x3 convolutions (receptive field 5x5, inside the 8-pixel overlap), outputs near the input's."""
    x = inputs = keras.Input((None, None, in_channels))
    x = layers.Conv2D(8, 3, padding="same", activation="relu",
                      kernel_initializer=keras.initializers.RandomUniform(0, 2 / (9 * in_channels), seed=1))(x)
    x = layers.Conv2D(scale * scale, 3, padding="same",
                      kernel_initializer=keras.initializers.RandomUniform(0, 2 / 72, seed=2))(x)
    if scale > 1:
        x = SubPixelUpsampling(scale)(x)
    model = keras.Model(inputs, x)
    return lambda batch: ops.convert_to_numpy(model(np.asarray(batch, np.float32), training=False))


def _photo(height, width, channels, light_background, seed=0):
    """A textured 'product' on a plain background, in colour when ``channels`` is 3."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    shade = 60 + 120 * (yy / height)[..., None] + 40 * np.sin(xx / 7.0)[..., None] * np.ones(channels)
    shade = shade + rng.normal(0, 12, (height, width, channels)) + np.arange(channels) * 25
    product = ((yy - height / 2) ** 2 / (0.35 * height) ** 2 + (xx - width / 2) ** 2 / (0.4 * width) ** 2) < 1
    background = 245 if light_background else 10
    photo = np.where(product[..., None], shade, background)
    return np.clip(photo, 0, 255).astype(np.uint8)


CASES = {  # name: (channels, color, scale, light background, with an inpainting mask)
    "gray_x1_light": (1, "luminance", 1, True, False),
    "gray_x2_dark": (1, "luminance", 2, False, False),
    "gray_x4_light": (1, "luminance", 4, True, False),
    "rgb_luminance_x1_light": (3, "luminance", 1, True, False),
    "rgb_luminance_x2_light": (3, "luminance", 2, True, False),
    "rgb_luminance_x4_dark": (3, "luminance", 4, False, False),
    "rgb_per_channel_x2_light": (3, "per-channel", 2, True, False),
    "gray_mask_x1_light": (1, "per-channel", 1, True, True),
    "rgb_mask_x1_dark": (3, "per-channel", 1, False, True),
}


def _run_case(name, apply, **kwargs):
    channels, color, scale, light, with_mask = CASES[name]
    photo = _photo(150, 270, channels, light)  # 2 x 3 tiles of 128, the last ones partial
    mask = None
    if with_mask:
        mask = np.zeros((150, 270, 1), np.float32)
        mask[40:70, 100:230] = 1.0
    fn = _conv_model(scale, 2 if with_mask else 1)
    return apply(fn, photo, scale, color, extra=mask, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_streaming_matches_the_previous_algorithm(name):
    new = _run_case(name, enhance.apply_to_photo)
    old = _run_case(name, _reference_apply_to_photo)
    assert new.dtype == np.uint8 and new.shape == old.shape
    diff = np.abs(new.astype(int) - old.astype(int))
    assert diff.max() <= 1, name
    channels, color, *_ = CASES[name]
    if channels == 1 or color == "per-channel":  # float32 both before and now: the very same pixels
        np.testing.assert_array_equal(new, old)
    else:  # float64 colour conversion before, float32 now: a rare rounding flip at most
        assert diff.mean() < 0.01, name


@pytest.mark.parametrize("name", ["gray_x2_dark", "rgb_luminance_x2_light", "rgb_luminance_x4_dark",
                                  "gray_mask_x1_light"])
def test_tiles_leave_no_seams(name):
    """Tiled output equals one whole-image pass of a fully convolutional model (and bicubic chroma)."""
    tiled = _run_case(name, enhance.apply_to_photo)
    whole = _run_case(name, _reference_apply_to_photo, tile=10**6)
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1


def test_invert_decision_reads_the_whole_photos_border():
    photo = np.full((300, 300, 1), 10, np.uint8)  # dark, except the first tile, which is all white:
    photo[:128, :128] = 255  # the border is mostly dark, so the photo is not inverted
    photo[200:260, 200:260] = 200
    seen = []

    def spy(batch):
        seen.append(float(np.asarray(batch)[0, :4, :4].mean()))
        return np.asarray(batch)

    out = enhance.apply_to_photo(spy, photo)
    np.testing.assert_array_equal(out, photo)
    assert seen[0] == 1.0  # the white first tile went in as white: not inverted
    seen.clear()
    np.testing.assert_array_equal(enhance.apply_to_photo(spy, 255 - photo), 255 - photo)
    assert seen[0] == 1.0  # a light border: every tile inverted, even the black first one
    np.testing.assert_array_equal(enhance.apply_to_photo(spy, 255 - photo, invert=False), 255 - photo)


def test_output_dtype_and_shape_for_any_size():
    rng = np.random.default_rng(3)
    for shape, scale, color in [((13, 21, 1), 4, "luminance"), ((130, 9, 3), 2, "luminance"),
                                ((129, 257, 3), 2, "per-channel"), ((1, 1, 1), 2, "luminance")]:
        photo = rng.integers(0, 256, shape, dtype=np.uint8)
        out = enhance.apply_to_photo(_conv_model(scale), photo, scale, color)
        assert out.dtype == np.uint8
        assert out.shape == (shape[0] * scale, shape[1] * scale, shape[2])
    flipped = photo[::-1, ::-1]  # a view, not a contiguous array
    assert enhance.apply_to_photo(lambda b: np.asarray(b), flipped).shape == flipped.shape


def test_process_tiled_keeps_the_models_dtype_and_channels():
    image = np.random.default_rng(4).random((200, 140, 1)).astype(np.float32)

    def two_channels(batch):  # (1, h, w, 1) -> (1, 2h, 2w, 2)
        up = np.repeat(np.repeat(batch, 2, axis=1), 2, axis=2)
        return np.concatenate([up, 1 - up], axis=-1)

    out = enhance.process_tiled(two_channels, image, scale=2)
    np.testing.assert_array_equal(out, two_channels(image[None])[0])
    np.testing.assert_array_equal(out, _reference_process_tiled(two_channels, image, scale=2))


MEMORY_SCRIPT = textwrap.dedent("""
    import json, sys
    import keras, numpy as np
    from keras import layers, ops
    from pgan import enhance
    from pgan.superres import SubPixelUpsampling

    def status_kb(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])

    def one_layer(in_channels, scale):
        x = inputs = keras.Input((None, None, in_channels))
        x = layers.Conv2D(scale * scale, 3, padding="same")(x)
        return keras.Model(inputs, SubPixelUpsampling(scale)(x) if scale > 1 else x)

    model, restore = one_layer(1, 2), one_layer(2, 1)

    def upscale(batch):
        return ops.convert_to_numpy(model(batch, training=False))

    def inpaint(batch):
        return ops.convert_to_numpy(restore(batch, training=False))

    side = int(sys.argv[1])
    photo = np.full((side, side, 3), 245, np.uint8)  # a product on white: inverted on the way
    photo[side // 4 : -side // 4, side // 4 : -side // 4] = (30, 90, 150)
    mask = np.zeros((side, side, 1), np.float32)
    mask[side // 3 : side // 2] = 1
    cases = {"rgb_luminance_x2": (upscale, 2, "luminance", None),
             "rgb_per_channel_mask_x1": (inpaint, 1, "per-channel", mask)}
    for fn, scale, color, extra in cases.values():  # warm up TensorFlow's kernels on a small photo
        enhance.apply_to_photo(fn, photo[:300, :300], scale, color, extra=None if extra is None else extra[:300, :300])
    report = {}
    for name, (fn, scale, color, extra) in cases.items():
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak (VmHWM) to the current RSS
        except OSError as error:
            print(json.dumps({"skip": f"cannot reset the peak memory: {error}"}))
            sys.exit(0)
        start = status_kb("VmRSS")
        out = enhance.apply_to_photo(fn, photo, scale, color, extra=extra)
        report[name] = {"growth_bytes": (status_kb("VmHWM") - start) * 1024, "output_bytes": out.nbytes}
        del out
    print(json.dumps(report))
""")


def _peak_growth(side, env=None):
    """Run MEMORY_SCRIPT in a fresh process (``env``: say, a PYTHONPATH to measure another pgan)."""
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(side)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                            cwd=os.path.dirname(os.path.abspath(__file__)))
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc to read peak memory")
def test_peak_memory_grows_with_the_output_only():
    """A 1500x1500 photo: the peak grows by about the uint8 output, not by full-size float copies.

    The bound is the output twice over plus 64 MiB for a few tiles and the
    allocator's slack; the whole-image algorithm (the reference above) exceeds it many times over.
    """
    report = _peak_growth(1500)
    if "skip" in report:
        pytest.skip(report["skip"])
    for name, row in report.items():
        bound = 2 * row["output_bytes"] + 64 * 2**20
        assert row["growth_bytes"] < bound, (name, row)
