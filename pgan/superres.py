"""Super-resolution of product images: the protocol, classical baselines, ESPCN, SRResNet, SRGAN.

**Protocol** (fixed, so numbers compare across notebooks, the CLI and the README):
a 28x28 Fashion-MNIST test image in [0, 1] is shrunk by 2 (to 14x14) or 4
(to 7x7) with antialiased bicubic resizing (:func:`degrade`), then brought back
to 28x28 by a method, and scored against the original with PSNR and SSIM
(:mod:`pgan.fidelity`, SSIM window 7) over the whole test set.

**Models** work on low-resolution inputs of any size (fully convolutional),
one channel in [0, 1]:

- :func:`build_espcn`: three convolutions at low resolution and one sub-pixel
  upsampling (Shi et al. 2016), tiny and fast.
- :func:`build_srresnet`: residual blocks without BatchNorm (as in EDSR, Lim et
  al. 2017), sub-pixel upsampling by 2 per step, and a global bicubic skip: the
  network only learns what bicubic upscaling misses.
- SRGAN: the SRResNet fine-tuned with :class:`pgan.enhance.AdversarialFineTuner`.

Shipped weights live in ``data/pretrained/sr_<model>_x<scale>.keras`` with
model cards; :func:`load_sr_model` checks their SHA-256.

Taught in notebooks/07_super_resolution.ipynb; used by ``pgan upscale`` and
``pgan evaluate-sr``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from pgan.enhance import check_unit_images as _check_unit_images

SCALES = (2, 4)
CLASSICAL = ("nearest", "bilinear", "bicubic")
MODELS = ("espcn", "srresnet", "srgan")
DEFAULT_MODEL = "srresnet"  # the best PSNR model (docs/results.md, "Super-resolution and restoration")


def _check_scale(scale) -> int:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}.")
    return int(scale)


# ------------------------------------------------------------------------ the protocol


def degrade(images, scale: int) -> np.ndarray:
    """Shrink (N, H, W, C) images in [0, 1] by ``scale`` with antialiased bicubic resizing.

    Raises:
        ValueError: H or W not divisible by ``scale``, or values outside [0, 1].

    Taught in notebooks/07_super_resolution.ipynb.
    """
    scale = _check_scale(scale)
    x = _check_unit_images(images)
    height, width = x.shape[1:3]
    if height % scale or width % scale:
        raise ValueError(
            f"images of {height}x{width} cannot be shrunk by {scale}: crop them to a multiple of {scale}."
        )
    small = ops.image.resize(x, (height // scale, width // scale), interpolation="bicubic", antialias=True)
    return np.clip(ops.convert_to_numpy(small), 0.0, 1.0).astype(np.float32)


def classical_upscale(low_res, scale: int, method: str = "bicubic") -> np.ndarray:
    """Enlarge (N, h, w, C) images in [0, 1] by ``scale`` with nearest, bilinear or bicubic."""
    if method not in CLASSICAL:
        raise ValueError(f"method must be one of {CLASSICAL}, got {method!r}.")
    x = _check_unit_images(low_res, "low_res")
    big = layers.UpSampling2D(_check_scale(scale), interpolation=method)(x)
    return np.clip(ops.convert_to_numpy(big), 0.0, 1.0).astype(np.float32)


def protocol_pairs(images_uint8, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """(low_res, high_res) float32 pairs in [0, 1] from uint8 (N, 28, 28, 1) images."""
    high = np.asarray(images_uint8, dtype=np.float32) / 255.0
    return degrade(high, scale), high


# -------------------------------------------------------------------------- the layers


def depth_to_space(x, block_size: int):
    """Rearrange (B, H, W, C*r*r) into (B, H*r, W*r, C): the sub-pixel shuffle, in keras.ops.

    Channel ``(i * r + j) * C + c`` of input pixel (h, w) becomes output pixel
    (h*r + i, w*r + j), channel c: the same order as ``tf.nn.depth_to_space``.
    """
    r = int(block_size)
    shape = ops.shape(x)
    batch, height, width, depth = shape[0], shape[1], shape[2], shape[3]
    channels = depth // (r * r)
    x = ops.reshape(x, (batch, height, width, r, r, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (batch, height * r, width * r, channels))


@keras.saving.register_keras_serializable(package="pgan")
class SubPixelUpsampling(layers.Layer):
    """Sub-pixel convolution's upsampling step (Shi et al. 2016): depth to space by ``scale``.

    A convolution first makes ``scale**2`` times the channels at low
    resolution; this layer spreads them out into a ``scale`` times larger image.
    Unlike a transposed convolution it cannot make checkerboard artefacts from
    uneven kernel overlap.

    Args:
        scale: the upsampling factor r; the input's channels must divide by r*r.
    """

    def __init__(self, scale: int = 2, **kwargs):
        super().__init__(**kwargs)
        if int(scale) < 2:
            raise ValueError(f"scale must be at least 2, got {scale!r}.")
        self.scale = int(scale)

    def build(self, input_shape):
        depth = input_shape[-1]
        if depth is not None and depth % (self.scale**2):
            raise ValueError(
                f"SubPixelUpsampling({self.scale}) needs channels divisible by {self.scale**2}, "
                f"got {depth}."
            )

    def call(self, inputs):
        return depth_to_space(inputs, self.scale)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.scale
        return (b, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


# -------------------------------------------------------------------------- the models


def build_espcn(scale: int = 2, channels: int = 1, filters: int = 64) -> keras.Model:
    """ESPCN: conv 5x5 (tanh), conv 3x3 (tanh), conv 3x3 to C*r*r, sub-pixel upsampling.

    Taught in notebooks/07_super_resolution.ipynb.
    """
    scale = _check_scale(scale)
    low_res = keras.Input((None, None, channels), name="low_res")
    x = layers.Conv2D(filters, 5, padding="same", activation="tanh", name="conv1")(low_res)
    x = layers.Conv2D(filters // 2, 3, padding="same", activation="tanh", name="conv2")(x)
    x = layers.Conv2D(channels * scale * scale, 3, padding="same", name="conv3")(x)
    high_res = SubPixelUpsampling(scale, name="subpixel")(x)
    return keras.Model(low_res, high_res, name=f"espcn_x{scale}")


def _residual_block(x, filters: int, name: str):
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(x)
    y = layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def build_srresnet(
    scale: int = 2, channels: int = 1, filters: int = 48, num_blocks: int = 6
) -> keras.Model:
    """SRResNet without BatchNorm, plus a global bicubic skip connection.

    head conv -> ``num_blocks`` x (conv, PReLU, conv, + skip) -> conv + head skip
    -> (conv to 4x channels, sub-pixel x2, PReLU) per factor of 2 -> conv to
    ``channels``, added to the bicubic enlargement of the input.

    Taught in notebooks/07_super_resolution.ipynb.
    """
    scale = _check_scale(scale)
    low_res = keras.Input((None, None, channels), name="low_res")
    head = layers.Conv2D(filters, 3, padding="same", name="head")(low_res)
    head = layers.PReLU(shared_axes=[1, 2], name="head_prelu")(head)
    x = head
    for i in range(num_blocks):
        x = _residual_block(x, filters, f"block{i + 1}")
    x = layers.Conv2D(filters, 3, padding="same", name="body_out")(x)
    x = layers.Add(name="body_skip")([head, x])
    for i in range(int(np.log2(scale))):
        x = layers.Conv2D(filters * 4, 3, padding="same", name=f"up{i + 1}_conv")(x)
        x = SubPixelUpsampling(2, name=f"up{i + 1}_subpixel")(x)
        x = layers.PReLU(shared_axes=[1, 2], name=f"up{i + 1}_prelu")(x)
    residual = layers.Conv2D(channels, 3, padding="same", name="tail")(x)
    bicubic = layers.UpSampling2D(scale, interpolation="bicubic", name="bicubic")(low_res)
    high_res = layers.Add(name="high_res")([bicubic, residual])
    return keras.Model(low_res, high_res, name=f"srresnet_x{scale}")


# ------------------------------------------------------------------ shipped models, scoring


def pretrained_name(model: str, scale: int) -> str:
    """The file stem of a shipped model: ``sr_srresnet_x2`` and so on."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}.")
    return f"sr_{model}_x{_check_scale(scale)}"


def load_sr_model(model: str = DEFAULT_MODEL, scale: int = 2, folder=None) -> keras.Model:
    """Load a shipped super-resolution model after checking its SHA-256 against its card."""
    from pgan.sampling import verified_pretrained_path

    path = verified_pretrained_path(pretrained_name(model, scale), folder)
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def upscale_batch(model, low_res, batch_size: int = 256) -> np.ndarray:
    """Run a super-resolution model over (N, h, w, C) images in [0, 1]; clipped float32 output."""
    from pgan.enhance import predict_images

    return predict_images(model, _check_unit_images(low_res, "low_res"), batch_size)


def evaluate_sr(scale: int, models: dict | None = None, images_uint8=None, with_fcd: bool = True) -> dict:
    """Score the classical methods and ``models`` ({name: keras.Model}) on the protocol.

    Args:
        scale: 2 or 4.
        models: models to score besides nearest/bilinear/bicubic.
        images_uint8: (N, 28, 28, 1) originals; the full Fashion-MNIST test set by default.
        with_fcd: also compute the Fréchet classifier distance between each
            method's upscaled images and the originals (lower: more realistic;
            needs more than 128 images, else None).

    Returns:
        {method: {"psnr": dB, "ssim": ..., "fcd": ...}}, in the order scored.

    Taught in notebooks/07_super_resolution.ipynb; ``pgan evaluate-sr`` prints it.
    """
    from pgan import data
    from pgan.enhance import score_outputs

    if images_uint8 is None:
        images_uint8 = data.load_fashion_mnist().x_test
    low, high = protocol_pairs(images_uint8, scale)
    outputs = {m: classical_upscale(low, scale, m) for m in CLASSICAL}
    outputs.update({name: upscale_batch(model, low) for name, model in (models or {}).items()})
    return score_outputs(outputs, high, with_fcd)


def format_table(results: dict, scale: int) -> str:
    """A plain-text table of :func:`evaluate_sr` or restoration results."""
    has_fcd = any("fcd" in row for row in results.values())
    lines = [f"x{scale}  {'method':<10} {'PSNR dB':>8} {'SSIM':>7}" + ("   FCD" if has_fcd else "")]
    for name, row in results.items():
        line = f"     {name:<10} {row['psnr']:8.2f} {row['ssim']:7.4f}"
        if has_fcd:
            fcd = row.get("fcd")
            line += f" {fcd:6.2f}" if fcd is not None else "      -"
        lines.append(line)
    return "\n".join(lines)


def check_sr_model(model, scale: int, path=None) -> None:
    """Raise a clear ValueError unless ``model`` is a working super-resolution model for ``scale``.

    It must take one channel, have finite weights, and turn test images of two
    sizes into one channel ``scale`` times the size, finite and in about [0, 1]
    (:func:`pgan.model_files.check_image_model`). ``path``: the model's file,
    named in the messages.
    """
    from pgan import model_files

    label = model_files.describe(model, path)
    channels = model.inputs[0].shape[-1]
    if channels != 1:
        raise ValueError(
            f"{label} takes {channels} channels; pgan's super-resolution models take one "
            "(grayscale or luminance) channel."
        )
    model_files.check_finite_weights(model, path)
    model_files.check_image_model(model, path, _check_scale(scale), "super-resolution")


def upscale_photo(model, image_uint8, scale: int, color: str = "luminance", invert="auto") -> np.ndarray:
    """Enlarge one photo of any size (uint8 (H, W, 1|3)) by ``scale`` with ``model``; uint8 out.

    Colour photos go through the model on their luminance (``color="luminance"``)
    or channel by channel; see :func:`pgan.enhance.apply_to_photo`.

    Taught in notebooks/07_super_resolution.ipynb; used by ``pgan upscale``.
    """
    from pgan import model_files
    from pgan.enhance import apply_to_photo

    model_files.check_once(model, ("super-resolution", _check_scale(scale)), lambda: check_sr_model(model, scale))

    def run(batch):
        return ops.convert_to_numpy(model(np.asarray(batch, np.float32), training=False))

    return apply_to_photo(run, image_uint8, scale, color, invert)
