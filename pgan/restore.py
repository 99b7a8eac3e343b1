"""Restoration of damaged product images: denoising, deblurring, inpainting.

**Damage** (fixed and documented, so tables compare; images in [0, 1]):

- ``denoise``: additive Gaussian noise, sigma = 0.2 (about 51 grey levels), clipped.
- ``deblur``: Gaussian blur, sigma = 1.5 (7x7 kernel, edge padding), plus noise sigma = 0.01.
- ``inpaint``: one to three random rectangles of 6 to 12 pixels a side, over the
  product's bounding box, set to 0; the model also gets the mask (1 = missing).

Training pairs use damage seed 0 on the training images; scores use seed 1 on
the test images, so a model never sees its test damage.

**Classical baselines**: a 3x3 median filter (noise), Wiener deconvolution with
the known blur kernel (blur), harmonic (diffusion) filling of the holes (masks).

**Model**: :func:`build_unet`, a small U-Net that predicts a correction added to
its input; for inpainting the known pixels are kept exactly. Trained with L1
and then fine-tuned with an added adversarial and feature loss
(:func:`pgan.enhance.fine_tune_adversarially`).

Taught in notebooks/08_restoration.ipynb; used by ``pgan restore``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from pgan import fidelity
from pgan.enhance import check_unit_images as _check_unit

TASKS = ("denoise", "deblur", "inpaint")
VARIANTS = ("l1", "adversarial")
NOISE_SIGMA = 0.2
BLUR_SIGMA = 1.5
BLUR_SIZE = 7
BLUR_NOISE_SIGMA = 0.01
HOLE_SIZES = (6, 12)
BASELINES = {"denoise": "median 3x3", "deblur": "Wiener", "inpaint": "diffusion fill"}
TRAIN_SEED, TEST_SEED = 0, 1
WIENER_NSR = 0.005  # noise-to-signal ratio of the Wiener filter, chosen on training images


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    return task


# ------------------------------------------------------------------------------ damage


def blur_kernel(sigma: float = BLUR_SIGMA, size: int = BLUR_SIZE) -> np.ndarray:
    """The 2-D Gaussian point-spread function used by ``deblur`` (sums to 1)."""
    return np.outer(fidelity.gaussian_kernel(size, sigma), fidelity.gaussian_kernel(size, sigma))


def gaussian_blur(images, sigma: float = BLUR_SIGMA, size: int = BLUR_SIZE) -> np.ndarray:
    """Blur (N, H, W, C) images with a Gaussian, edge padding, same size out."""
    x = _check_unit(images)
    pad = size // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    return fidelity._filter_valid(padded, fidelity.gaussian_kernel(size, sigma)).astype(np.float32)


def random_holes(shape, seed: int = 0, images=None) -> np.ndarray:
    """Masks (N, H, W, 1), 1 where pixels are missing: one to three rectangles per image.

    With ``images``, the rectangles are centred inside each product's bounding box.
    """
    n, height, width = shape[0], shape[1], shape[2]
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, height, width, 1), np.float32)
    for i in range(n):
        top, bottom, left, right = 0, height, 0, width
        if images is not None:
            rows, cols = np.nonzero(images[i, ..., 0] > 0.1)
            if len(rows):
                top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        for _ in range(rng.integers(1, 4)):
            h, w = rng.integers(HOLE_SIZES[0], HOLE_SIZES[1] + 1, size=2)
            cy, cx = rng.integers(top, bottom), rng.integers(left, right)
            y0, x0 = np.clip(cy - h // 2, 0, height - h), np.clip(cx - w // 2, 0, width - w)
            masks[i, y0 : y0 + h, x0 : x0 + w] = 1.0
    return masks


def damage(clean, task: str, seed: int = TEST_SEED) -> tuple[np.ndarray, np.ndarray | None]:
    """Damage clean (N, H, W, C) images in [0, 1] the way ``task`` defines.

    Returns:
        ``(damaged, mask)``: float32 images in [0, 1] and, for ``inpaint``, the
        (N, H, W, 1) mask (1 = missing); ``mask`` is None for the other tasks.

    Taught in notebooks/08_restoration.ipynb.
    """
    task = _check_task(task)
    x = _check_unit(clean, "clean")
    rng = np.random.default_rng(seed)
    if task == "denoise":
        return np.clip(x + rng.normal(0, NOISE_SIGMA, x.shape), 0, 1).astype(np.float32), None
    if task == "deblur":
        blurred = gaussian_blur(x) + rng.normal(0, BLUR_NOISE_SIGMA, x.shape)
        return np.clip(blurred, 0, 1).astype(np.float32), None
    mask = random_holes(x.shape, seed, images=x)
    return (x * (1.0 - mask)).astype(np.float32), mask


def model_inputs(damaged, mask=None) -> np.ndarray:
    """What the U-Net reads: the damaged image, plus the mask as a last channel for inpainting."""
    damaged = _check_unit(damaged, "damaged")
    return damaged if mask is None else np.concatenate([damaged, mask.astype(np.float32)], axis=-1)


def training_pairs(images_uint8, task: str, seed: int = TRAIN_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(model inputs, clean targets) from uint8 (N, 28, 28, 1) images."""
    clean = np.asarray(images_uint8, dtype=np.float32) / 255.0
    damaged, mask = damage(clean, task, seed)
    return model_inputs(damaged, mask), clean


# -------------------------------------------------------------------- classical baselines


def median_filter(images, size: int = 3) -> np.ndarray:
    """Median of each ``size`` x ``size`` neighbourhood (edge padding): the denoising baseline."""
    x = _check_unit(images)
    pad = size // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))
    return np.median(windows.reshape(*windows.shape[:4], -1), axis=-1).astype(np.float32)


def wiener_deconvolution(images, kernel=None, nsr: float = WIENER_NSR) -> np.ndarray:
    """Undo a known blur in the frequency domain: X = conj(K) Y / (|K|^2 + nsr).

    The deblurring baseline: it knows the exact kernel, which real photos never tell you.
    """
    x = _check_unit(images)
    kernel = blur_kernel() if kernel is None else np.asarray(kernel, np.float64)
    pad = kernel.shape[0]
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    height, width = padded.shape[1:3]
    psf = np.zeros((height, width))
    psf[: kernel.shape[0], : kernel.shape[1]] = kernel
    psf = np.roll(psf, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), axis=(0, 1))
    k = np.fft.fft2(psf)[None, :, :, None]
    y = np.fft.fft2(padded, axes=(1, 2))
    restored = np.real(np.fft.ifft2(np.conj(k) * y / (np.abs(k) ** 2 + nsr), axes=(1, 2)))
    return np.clip(restored[:, pad:-pad, pad:-pad], 0, 1).astype(np.float32)


def diffusion_fill(images, mask, iterations: int = 200) -> np.ndarray:
    """Fill masked pixels by repeatedly averaging their four neighbours: the inpainting baseline."""
    x = _check_unit(images).copy()
    missing = np.broadcast_to(np.asarray(mask, np.float32) > 0.5, x.shape)
    for _ in range(iterations):
        p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
        average = (p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]) / 4.0
        x[missing] = average[missing]
    return x


def classical_restore(damaged, task: str, mask=None) -> np.ndarray:
    """The classical baseline for ``task`` (see ``BASELINES``)."""
    task = _check_task(task)
    if task == "denoise":
        return median_filter(damaged)
    if task == "deblur":
        return wiener_deconvolution(damaged)
    if mask is None:
        raise ValueError("inpainting needs the mask (1 = missing pixel).")
    return diffusion_fill(damaged, mask)


# ----------------------------------------------------------------------------- the model


@keras.saving.register_keras_serializable(package="pgan")
class ResidualOutput(layers.Layer):
    """Adds the network's correction to its input image; for inpainting keeps known pixels.

    Inputs ``[net_input, correction]``: the first ``channels`` channels of
    ``net_input`` are the damaged image; with ``inpaint`` the next one is the mask.

    Args:
        channels: image channels.
        inpaint: keep unmasked pixels exactly as given.
    """

    def __init__(self, channels: int = 1, inpaint: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.inpaint = int(channels), bool(inpaint)

    def call(self, inputs):
        net_input, correction = inputs
        image = net_input[..., : self.channels]
        restored = image + correction
        if self.inpaint:
            mask = net_input[..., self.channels : self.channels + 1]
            restored = image * (1.0 - mask) + restored * mask
        return restored

    def compute_output_shape(self, input_shapes):
        return input_shapes[1]

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "inpaint": self.inpaint}


def _conv_block(x, filters: int, name: str):
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i}")(x)
    return x


def build_unet(task: str = "denoise", channels: int = 1, filters: int = 32) -> keras.Model:
    """A two-level U-Net (28 -> 14 -> 7 -> 14 -> 28) predicting a correction to its input.

    Fully convolutional: any height and width divisible by 4. Inputs in [0, 1]
    with ``channels`` (+1 mask channel for ``inpaint``).

    Taught in notebooks/08_restoration.ipynb.
    """
    task = _check_task(task)
    net_input = keras.Input((None, None, channels + (task == "inpaint")), name="damaged")
    e1 = _conv_block(net_input, filters, "enc1")
    e2 = _conv_block(layers.MaxPooling2D(name="down1")(e1), filters * 2, "enc2")
    bottom = _conv_block(layers.MaxPooling2D(name="down2")(e2), filters * 4, "bottom")
    u2 = layers.Conv2D(filters * 2, 3, padding="same", activation="relu", name="up2_conv")(
        layers.UpSampling2D(name="up2")(bottom)
    )
    d2 = _conv_block(layers.Concatenate(name="skip2")([u2, e2]), filters * 2, "dec2")
    u1 = layers.Conv2D(filters, 3, padding="same", activation="relu", name="up1_conv")(
        layers.UpSampling2D(name="up1")(d2)
    )
    d1 = _conv_block(layers.Concatenate(name="skip1")([u1, e1]), filters, "dec1")
    correction = layers.Conv2D(channels, 1, name="correction")(d1)
    restored = ResidualOutput(channels, task == "inpaint", name="restored")([net_input, correction])
    return keras.Model(net_input, restored, name=f"unet_{task}")


# ------------------------------------------------------------------ shipped models, scoring


def pretrained_name(task: str, variant: str = "l1") -> str:
    """The file stem of a shipped model: ``restore_denoise_l1`` and so on."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}.")
    return f"restore_{_check_task(task)}_{variant}"


def load_restore_model(task: str, variant: str = "l1", folder=None) -> keras.Model:
    """Load a shipped restoration U-Net after checking its SHA-256 against its card."""
    from pgan.sampling import verified_pretrained_path

    path = verified_pretrained_path(pretrained_name(task, variant), folder)
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def evaluate_restoration(task: str, models: dict | None = None, images_uint8=None, with_fcd: bool = True) -> dict:
    """Score the damaged input, the classical baseline and ``models`` against the clean images.

    Returns:
        {method: {"psnr", "ssim", "fcd"}}: ``"damaged"``, the baseline's name, then each
        model. FCD needs more than 128 images; with fewer it is None.

    Taught in notebooks/08_restoration.ipynb.
    """
    from pgan import data
    from pgan.enhance import predict_images, score_outputs

    if images_uint8 is None:
        images_uint8 = data.load_fashion_mnist().x_test
    clean = np.asarray(images_uint8, dtype=np.float32) / 255.0
    damaged, mask = damage(clean, task, TEST_SEED)
    outputs = {"damaged": damaged, BASELINES[task]: classical_restore(damaged, task, mask)}
    inputs = model_inputs(damaged, mask)
    outputs.update({name: predict_images(model, inputs) for name, model in (models or {}).items()})
    return score_outputs(outputs, clean, with_fcd)


def check_restore_model(model, task: str, path=None) -> None:
    """Raise a clear ValueError unless ``model`` is a working restoration model for ``task``.

    It must take the inputs ``task`` gives it, have finite weights, and turn test
    images of two sizes into one channel of the same size, finite and in about
    [0, 1] (:func:`pgan.model_files.check_image_model`). ``path``: the model's
    file, named in the messages.
    """
    from pgan import model_files

    want = 2 if _check_task(task) == "inpaint" else 1
    if model.inputs[0].shape[-1] != want:
        raise ValueError(
            f"{model_files.describe(model, path)} takes {model.inputs[0].shape[-1]} input channels, but "
            f"{task} needs {want} (image{' + mask' if want == 2 else ''}): use a model trained for {task}."
        )
    model_files.check_finite_weights(model, path)
    model_files.check_image_model(model, path, 1, "restoration")


def restore_photo(model, image_uint8, task: str, mask=None, invert="auto") -> np.ndarray:
    """Restore one photo of any size (uint8 (H, W, 1|3)) with a U-Net; uint8 out, same size.

    Colour photos are restored channel by channel. For ``inpaint``, ``mask`` is
    an (H, W) or (H, W, 1) array, nonzero where pixels are missing.

    Taught in notebooks/08_restoration.ipynb; used by ``pgan restore``.
    """
    from keras import ops

    from pgan import model_files
    from pgan.enhance import apply_to_photo

    task = _check_task(task)
    model_files.check_once(model, ("restore", task), lambda: check_restore_model(model, task))
    height, width = image_uint8.shape[:2]
    extra = None
    if task == "inpaint":
        if mask is None:
            raise ValueError("inpainting needs a mask: an image the photo's size, white where pixels are missing.")
        mask = np.asarray(mask)
        mask = mask[..., :1] if mask.ndim == 3 else mask[..., None]
        if mask.shape[:2] != (height, width):
            raise ValueError(
                f"the mask is {mask.shape[1]}x{mask.shape[0]} pixels but the photo is "
                f"{width}x{height}: draw the mask at the photo's size."
            )
        extra = mask > 0  # bool: apply_to_photo converts it tile by tile

    def run(batch):
        batch = np.asarray(batch, np.float32)
        if extra is not None:  # holes hold no information: blank them as in training
            batch = np.concatenate([batch[..., :1] * (1 - batch[..., 1:]), batch[..., 1:]], axis=-1)
        h, w = batch.shape[1:3]
        padded = np.pad(batch, ((0, 0), (0, -h % 4), (0, -w % 4), (0, 0)), mode="edge")
        return ops.convert_to_numpy(model(padded, training=False))[:, :h, :w]

    return apply_to_photo(run, image_uint8, 1, "per-channel", invert, extra=extra)
