"""Training and applying image-to-image models: super-resolution and restoration share this.

- :func:`fit_pixel_model` trains any image-to-image ``keras.Model`` with a pixel
  loss (L1 by default) and a cosine learning-rate decay, with the same
  kill-safe checkpoints as GAN training (re-running on the run folder resumes).
- :class:`AdversarialFineTuner` fine-tunes such a model with a pixel loss, a
  feature ("perceptual") loss measured by the judge's convolutional features and
  an adversarial loss from :func:`build_patch_discriminator`: the SRGAN recipe,
  used for super-resolution (notebook 07) and restoration (notebook 08).
- :func:`process_tiled` applies a fully convolutional model to an image of any
  size in overlapping tiles, so large photos fit in memory.

Images are float32 in [0, 1] throughout.

Taught in notebooks/07_super_resolution.ipynb and notebooks/08_restoration.ipynb.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from pgan import data, pipelines, rundir
from pgan.callbacks import ResumableCheckpoint
from pgan.gan import Objective
from pgan.gan.model import AdversarialModel
from pgan.runtime import environment_report

FEATURE_LAYER = "block2_relu2"  # the judge's 14x14x64 features: edges and textures, not classes


# ------------------------------------------------------------------------------ input checks


def check_unit_images(images, name: str = "images") -> np.ndarray:
    """Validate (N, H, W, C) float images in [0, 1] and return them as float32.

    Raises:
        TypeError: uint8 images (the message says to divide by 255).
        ValueError: another shape, or values outside [0, 1] or not finite.
    """
    x = np.asarray(images)
    if x.dtype == np.uint8:
        raise TypeError(f"{name} are uint8; divide by 255 first: images.astype('float32') / 255.")
    if x.ndim != 4:
        raise ValueError(f"{name} must be (N, H, W, C) floats in [0, 1], got shape {x.shape}.")
    x = x.astype(np.float32)
    if not np.isfinite(x).all() or x.min() < -1e-6 or x.max() > 1 + 1e-6:
        raise ValueError(f"{name} must be floats in [0, 1], got values in [{x.min():.3g}, {x.max():.3g}].")
    return x


# --------------------------------------------------------------------------- pixel training


def fit_pixel_model(
    model,
    inputs: np.ndarray,
    targets: np.ndarray,
    run_dir,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    loss: str = "mae",
    verbose="auto",
) -> dict:
    """Train an image-to-image model on (inputs, targets) pairs; resumable.

    Adam with a cosine decay of the learning rate to zero over ``epochs``. After
    every epoch the weights and optimizer state are checkpointed atomically
    under ``run_dir``; calling again with the same arguments resumes after the
    last finished epoch. Calling with more ``epochs`` continues training on the
    longer cosine schedule (a warm restart: the rate jumps to where that
    schedule is, then decays to zero); any other change of settings is refused.
    At the end ``run_dir/model.keras`` and
    ``run_dir/run.json`` (settings, seconds, final loss, hardware) are written.

    Args:
        model: a ``keras.Model`` mapping inputs to outputs shaped like ``targets``.
        inputs, targets: float32 arrays, first axis the example.
        run_dir: the run's folder (created).
        epochs: passes over the data.
        batch_size, learning_rate: as usual.
        loss: ``"mae"`` (L1, sharper; used for the shipped models) or ``"mse"`` (L2).
        verbose: Keras' ``fit`` verbosity.

    Returns:
        The history: {metric: [value per epoch]} over all epochs, resumed ones included.
    """
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets differ in length: {len(inputs)} vs {len(targets)}.")
    if loss not in ("mae", "mse"):
        raise ValueError(f"loss must be 'mae' or 'mse', got {loss!r}.")
    steps = epochs * int(np.ceil(len(inputs) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    run_dir = _start_run(run_dir, {
        "model": model.name, "parameters": model.count_params(), "batch_size": batch_size,
        "learning_rate": learning_rate, "loss": loss, "num_train_images": len(inputs), "epochs": epochs,
    })
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
    checkpoint = ResumableCheckpoint(run_dir)
    model.optimizer.build(model.trainable_variables)
    done = checkpoint.restore(model)
    start = time.perf_counter()
    if done < epochs:
        model.fit(
            inputs, targets, batch_size=batch_size, epochs=epochs, initial_epoch=done,
            callbacks=[checkpoint], verbose=verbose, shuffle=True,
        )
    seconds = time.perf_counter() - start
    settings = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "loss": loss}
    _finish_run(model, run_dir, settings, len(inputs), seconds, checkpoint.history)
    return checkpoint.history


def _start_run(run_dir, settings: dict) -> Path:
    """Create or resume an image-to-image run folder (:func:`pgan.rundir.start`).

    A later call may raise ``epochs`` (continue training) but must match everything else.
    """
    keep = [key for key in settings if key != "epochs"]
    return rundir.start(run_dir, "image_to_image", settings, keep)


def _finish_run(model, run_dir: Path, settings: dict, num_images: int, seconds: float, history: dict):
    """Save the bare model (no optimizer state) and ``run.json``, both atomically."""
    bare = keras.Model.from_config(model.get_config())  # uncompiled: no optimizer state saved
    bare.set_weights(model.get_weights())
    rundir.atomic_write(run_dir / "model.keras", bare.save)
    run_json = run_dir / "run.json"
    previous = json.loads(run_json.read_text()) if run_json.exists() else {}
    info = {
        "model": model.name,
        "parameters": model.count_params(),
        **settings,
        "num_train_images": num_images,
        "train_seconds_total": previous.get("train_seconds_total", 0.0) + seconds,
        "hardware": environment_report(),
        "final": {k: v[-1] for k, v in history.items() if v},
    }
    rundir.write_json(run_json, info)


def score_outputs(outputs: dict, reference: np.ndarray, with_fcd: bool = True) -> dict:
    """PSNR, SSIM and (optionally) FCD of each {method: images in [0, 1]} against ``reference``.

    The reference's judge features are computed once. FCD needs more than 128 images
    (the judge's feature size); it is skipped, with a None value, for fewer.
    """
    from pgan import fidelity, metrics
    from pgan.judge import judge_features

    use_fcd = with_fcd and len(reference) > metrics.FEATURE_DIM
    reference_features = judge_features(reference, "unit") if use_fcd else None
    results = {}
    for name, images in outputs.items():
        row = fidelity.score(images, reference)
        if with_fcd:
            row["fcd"] = (
                metrics.frechet_distance(judge_features(images, "unit"), reference_features)
                if use_fcd
                else None
            )
        results[name] = row
    return results


def predict_images(model, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Run a model over inputs in batches; outputs clipped to [0, 1], float32 numpy."""
    chunks = [
        ops.convert_to_numpy(model(inputs[i : i + batch_size], training=False))
        for i in range(0, len(inputs), batch_size)
    ]
    return np.clip(np.concatenate(chunks), 0.0, 1.0).astype(np.float32)


# ------------------------------------------------------------------ adversarial fine-tuning


def build_patch_discriminator(image_shape=(28, 28, 1), filters: int = 32) -> keras.Model:
    """A small discriminator for 28x28 results: three strided convolutions, one logit.

    No BatchNorm (it couples real and fake batches); LeakyReLU 0.2. Inputs in [0, 1].
    """
    image = keras.Input(image_shape, name="image")
    x = layers.Rescaling(2.0, offset=-1.0)(image)
    for i, width in enumerate((filters, filters * 2, filters * 4)):
        x = layers.Conv2D(width, 3, strides=1 if i == 0 else 2, padding="same", name=f"conv{i + 1}")(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(image, logit, name="patch_discriminator")


def judge_feature_extractor(judge=None, layer: str = FEATURE_LAYER) -> keras.Model:
    """The judge's convolutional features for images in [0, 1], frozen (the perceptual loss)."""
    from pgan import judge as judge_module

    judge = judge if judge is not None else judge_module.load_judge()
    image = keras.Input((28, 28, 1), name="image")
    trunk = keras.Model(judge.input, judge.get_layer(layer).output)
    trunk.trainable = False
    features = trunk(layers.Rescaling(2.0, offset=-1.0)(image), training=False)
    return keras.Model(image, features, name="judge_features")


class AdversarialFineTuner(AdversarialModel):
    """Fine-tune an image-to-image model the SRGAN way: pixel + feature + adversarial loss.

    Each step updates the discriminator on (target, model output) with the GAN's
    cross-entropy loss, then the model on ``pixel_weight * L1 + feature_weight *
    MSE(judge features) + adversarial_weight * non-saturating GAN loss``. The pixel
    term keeps colours and layout right; the feature and adversarial terms trade a
    little PSNR for sharper, more realistic detail (the perception-distortion
    trade-off). The step is the GAN's (:mod:`pgan.gan.step_tf` or
    :mod:`pgan.gan.step_jax`), so it trains on TensorFlow and on JAX.

    Args:
        model: the pretrained image-to-image model (trained further in place).
        discriminator: e.g. :func:`build_patch_discriminator`.
        feature_extractor: e.g. :func:`judge_feature_extractor`, or None for no feature loss.
        pixel_weight, feature_weight, adversarial_weight: the loss weights.
    """

    def __init__(
        self, model, discriminator, feature_extractor=None,
        pixel_weight: float = 1.0, feature_weight: float = 0.1, adversarial_weight: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.model = model
        self.discriminator = discriminator
        self.feature_extractor = feature_extractor
        self.pixel_weight = float(pixel_weight)
        self.feature_weight = float(feature_weight) if feature_extractor is not None else 0.0
        self.adversarial_weight = float(adversarial_weight)
        names = ("d_loss", "g_loss", "pixel_loss", "feature_loss", "adversarial_loss")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.objective = Objective()  # the discriminator's side: the GAN's cross-entropy
        self.update = "alternating"
        self.built = True  # the sub-models are built; nothing is left for fit() to build

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.model.trainable_variables)
        self.attach_optimizers()

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.model(inputs, training=training)

    # ------------------------------------------------ what the adversarial step asks

    def generator_network(self):
        return self.model

    def unpack(self, data):
        inputs, targets, _ = keras.utils.unpack_x_y_sample_weight(data)
        return ops.convert_to_tensor(inputs), ops.convert_to_tensor(targets)

    def generate(self, run_generator, batch, seeds):
        return run_generator(batch[0])

    def discriminator_objective(self, discriminate, input_gradients, batch, fake, seeds):
        return self.objective.discriminator_loss(discriminate, input_gradients, batch[1], fake, None, seeds,
                                                 "unconditional")

    def generator_objective(self, discriminate, frozen, batch, fake, seeds):
        targets = batch[1]
        pixel = ops.mean(ops.abs(fake - targets))
        adversarial = self.objective.generator_loss(discriminate, targets, fake, None, seeds, "unconditional")
        feature = ops.zeros(())
        if self.feature_extractor is not None:
            features = frozen(self.feature_extractor, fake) - frozen(self.feature_extractor, targets)
            feature = ops.mean(ops.square(features))
        total = self.pixel_weight * pixel + self.feature_weight * feature + self.adversarial_weight * adversarial
        return total, (pixel, feature, adversarial)

    def metric_values(self, d_loss, d_out, g_loss, g_out, batch):
        return [d_loss, g_loss, *g_out]


def fine_tune_adversarially(
    model, inputs, targets, run_dir, epochs: int, batch_size: int = 64,
    learning_rate: float = 1e-4, weights: dict | None = None, verbose="auto",
) -> dict:
    """Fine-tune ``model`` with :class:`AdversarialFineTuner`; resumable like :func:`fit_pixel_model`.

    ``weights`` overrides the loss weights (keys ``pixel_weight``,
    ``feature_weight``, ``adversarial_weight``). Writes ``run_dir/model.keras``
    (the fine-tuned model alone) and ``run_dir/run.json``.
    """
    weights = {"pixel_weight": 1.0, "feature_weight": 0.1, "adversarial_weight": 0.01, **(weights or {})}
    run_dir = _start_run(run_dir, {
        "model": model.name, "parameters": model.count_params(), "batch_size": batch_size,
        "learning_rate": learning_rate, "num_train_images": len(inputs), "epochs": epochs, **weights,
    })
    tuner = AdversarialFineTuner(
        model, build_patch_discriminator(targets.shape[1:]), judge_feature_extractor(), **weights
    )
    tuner.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
    )
    checkpoint = ResumableCheckpoint(run_dir)
    done = checkpoint.restore(tuner)
    dataset = pipelines.paired_batches(inputs, targets, batch_size)
    start = time.perf_counter()
    if done < epochs:
        tuner.fit(
            dataset, epochs=epochs, initial_epoch=done, callbacks=[checkpoint], verbose=verbose,
            shuffle=False,  # the dataset shuffles itself
        )
    seconds = time.perf_counter() - start
    settings = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                "loss": "adversarial", **weights}
    _finish_run(model, run_dir, settings, len(inputs), seconds, checkpoint.history)
    return checkpoint.history


# ------------------------------------------------------------------------- any image size


TILE, OVERLAP = 128, 8  # tile side and context margin, in input pixels


def _tile_grid(height: int, width: int, tile: int = TILE, overlap: int = OVERLAP):
    """Yield each tile as ``(core, window)``, both ``(top, left, bottom, right)`` in input pixels.

    The cores cover the image without overlapping; each window is its core plus
    ``overlap`` pixels of context on every side (less at the image's edges). An
    image no larger than ``tile`` is one tile whose window is the whole image.
    """
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            bottom, right = min(top + tile, height), min(left + tile, width)
            window = (max(top - overlap, 0), max(left - overlap, 0),
                      min(bottom + overlap, height), min(right + overlap, width))
            yield (top, left, bottom, right), window


def _crop_to_core(out: np.ndarray, core, window, scale: int) -> np.ndarray:
    """Cut the core's part out of a (h * scale, w * scale, C) result computed on the window."""
    (top, left, bottom, right), (t0, l0) = core, window[:2]
    dt, dl = (top - t0) * scale, (left - l0) * scale
    return out[dt : dt + (bottom - top) * scale, dl : dl + (right - left) * scale]


def process_tiled(fn, image: np.ndarray, scale: int = 1, tile: int = TILE, overlap: int = OVERLAP) -> np.ndarray:
    """Apply ``fn`` to an (H, W, C) image in overlapping tiles and stitch the results.

    ``fn`` maps a (1, h, w, C) float32 batch to (1, h * scale, w * scale, C').
    Images no larger than ``tile`` go through in one piece. Each tile is run
    with ``overlap`` extra pixels of context on every side, which are cropped
    away, so seams match a whole-image pass except within the receptive field.
    Each tile's result goes straight into one preallocated output array.
    """
    height, width = image.shape[:2]
    stitched = None
    for core, (t0, l0, b1, r1) in _tile_grid(height, width, tile, overlap):
        out = _crop_to_core(np.asarray(fn(image[None, t0:b1, l0:r1]))[0], core, (t0, l0), scale)
        if stitched is None:
            stitched = np.empty((height * scale, width * scale, out.shape[-1]), out.dtype)
        top, left, bottom, right = core
        stitched[top * scale : bottom * scale, left * scale : right * scale] = out
    return stitched


# ------------------------------------------------------------------------------ publishing


def publish_model(run_dir, dest_dir, name: str, command: str, scores: dict, extra: dict | None = None) -> Path:
    """Copy ``run_dir/model.keras`` to ``dest_dir/NAME.keras`` with a model card ``NAME.json``.

    The card holds the command, seed, settings, training seconds, hardware, the
    test-set ``scores`` and the file's SHA-256 (checked by
    :func:`pgan.sampling.verified_pretrained_path`).
    """
    from pgan.runs import copy_finished_model

    target, run, card = copy_finished_model(run_dir, dest_dir, name, "model.keras")
    card = {
        **card,
        "command": command,
        **(extra or {}),
        **{k: v for k, v in run.items() if k != "final"},
        "final_losses": run.get("final", {}),
        "scores": scores,
    }
    rundir.write_json(target.with_suffix(".json"), card)
    return target


# ------------------------------------------------------------------- the user's own photos

IMAGE_SUFFIXES = data.IMAGE_SUFFIXES


def list_images(path) -> list[Path]:
    """One image file, or the image files of a folder (sorted; files of other kinds ignored).

    In a folder, sub-folders, broken symbolic links, pipes and hidden photos are
    skipped with a warning that names each (``pgan.data.list_image_files``); pgan's own
    leftover temporaries (``.tmp_*``) and macOS ``._*`` files are skipped quietly.

    Raises:
        FileNotFoundError: ``path`` does not exist (or is a broken link), or a folder holds no image files.
        ValueError: ``path`` is neither a file nor a folder (a named pipe, socket or device).
        PermissionError: the folder cannot be listed.
    """
    path = Path(path).expanduser()
    if not path.exists():
        if path.is_symlink():
            raise FileNotFoundError(
                f"{path} is a broken symbolic link (its target {path.readlink()} does not exist): "
                "give an image file or a folder of images."
            )
        raise FileNotFoundError(f"{path} does not exist: give an image file or a folder of images.")
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValueError(
            f"{path} is not a regular file or a folder (a named pipe, socket or device): "
            "give an image file or a folder of images."
        )
    files, skipped = data.list_image_files(path, IMAGE_SUFFIXES)
    if not files:
        others = f" ({len(skipped)} skipped, see the warning)" if skipped else ""
        raise FileNotFoundError(
            f"{path} holds no image files ({', '.join(IMAGE_SUFFIXES)}){others}: put your photos there."
        )
    return files


def read_photo(path, max_pixels: int | None = data.DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read a photo at its own size as uint8 (H, W, 1) for grayscale files or (H, W, 3).

    Grayscale files are all one-channel ones: 8-bit, 16-bit (scaled to 8 bits, not
    clipped), 32-bit integer and float. Transparency becomes white. ``max_pixels`` is
    ``pgan.data.DEFAULT_MAX_PIXELS`` unless given (None: no limit).

    Raises:
        ValueError: naming the file when it is missing, empty, unreadable, corrupt, not an
            image or larger than ``max_pixels`` (a possible decompression bomb).
    """
    return data.load_image(path, image_size=None, grayscale="auto", invert=False, max_pixels=max_pixels)


def write_photo(image_uint8: np.ndarray, path) -> Path:
    """Write an (H, W, 1|3) uint8 image atomically (a temporary file, then a rename)."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    array = image_uint8[..., 0] if image_uint8.shape[-1] == 1 else image_uint8
    image_format = Image.registered_extensions().get(path.suffix.lower(), "PNG")
    return rundir.atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format=image_format))


def has_light_background(image01: np.ndarray) -> bool:
    """True when the border pixels are mostly light (a product shot on white)."""
    border = np.concatenate([image01[0].ravel(), image01[-1].ravel(), image01[:, 0].ravel(), image01[:, -1].ravel()])
    return float(border.mean()) > 0.5


_RGB_TO_YUV = np.array(
    [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]], np.float32
)
_YUV_TO_RGB = np.linalg.inv(_RGB_TO_YUV.astype(np.float64)).astype(np.float32)


def _has_light_border(image_uint8: np.ndarray) -> bool:
    """:func:`has_light_background` for a uint8 photo, reading only its border (no float copy)."""
    border = np.concatenate([image_uint8[0].ravel(), image_uint8[-1].ravel(),
                             image_uint8[:, 0].ravel(), image_uint8[:, -1].ravel()])
    return 2 * int(border.sum(dtype=np.int64)) > 255 * border.size  # mean / 255 > 0.5, exactly


def _photo_tile(fn, pixels: np.ndarray, mask, scale: int, luminance: bool, core, window) -> np.ndarray:
    """One output tile of :func:`apply_to_photo`: float32 in [0, 1], not yet inverted back.

    ``pixels`` is the window's (h, w, C) float32 input (already inverted when
    asked), ``mask`` its (h, w, E) extra channels or None.
    """

    def one_channel(channel):
        if mask is not None:
            channel = np.concatenate([channel, mask], axis=-1)
        out = np.asarray(fn(channel[None]), np.float32)[0]
        return np.clip(_crop_to_core(out, core, window, scale), 0.0, 1.0)

    if not luminance:
        return np.concatenate([one_channel(pixels[..., c : c + 1]) for c in range(pixels.shape[-1])], axis=-1)
    yuv = pixels @ _RGB_TO_YUV.T
    chroma = yuv[..., 1:]
    if scale > 1:  # bicubic reads 2 pixels either side: the window's overlap covers them
        size = (chroma.shape[0] * scale, chroma.shape[1] * scale)
        chroma = ops.convert_to_numpy(
            ops.image.resize(chroma[None], size, interpolation="bicubic", data_format="channels_last")
        )[0]
    yuv = np.concatenate([one_channel(yuv[..., :1]), _crop_to_core(chroma, core, window, scale)], axis=-1)
    return np.clip(yuv @ _YUV_TO_RGB.T, 0.0, 1.0)


def apply_to_photo(
    fn, image_uint8: np.ndarray, scale: int = 1, color: str = "luminance", invert="auto", extra=None
):
    """Apply a one-channel model ``fn`` to a photo of any size and colour; return uint8.

    The photo goes through in overlapping tiles (as :func:`process_tiled`), each
    finished to uint8 and written straight into the output, so memory is the
    uint8 output plus a few tiles, whatever the photo's size.

    Args:
        fn: maps a (1, h, w, 1) float batch in [0, 1] to (1, h*scale, w*scale, 1).
        image_uint8: (H, W, 1) or (H, W, 3).
        scale: the model's enlargement (1 for restoration).
        color: for RGB, ``"luminance"`` (model on Y, colour channels by bicubic;
            the usual super-resolution choice) or ``"per-channel"`` (model on R, G, B).
        invert: the models learned light products on black (Fashion-MNIST);
            ``"auto"`` inverts photos on a light background before and after.
        extra: an (H, W, 1) float array appended to each channel before ``fn``
            (the inpainting mask), tiled along with it.
    """
    if color not in ("luminance", "per-channel"):
        raise ValueError(f"color must be 'luminance' or 'per-channel', got {color!r}.")
    image_uint8 = np.asarray(image_uint8)
    extra = None if extra is None else np.asarray(extra)
    if invert == "auto":
        invert = _has_light_border(image_uint8)
    height, width, channels = image_uint8.shape
    luminance = channels != 1 and color == "luminance"
    output = np.empty((height * scale, width * scale, channels), np.uint8)
    for core, window in _tile_grid(height, width):
        t0, l0, b1, r1 = window
        pixels = image_uint8[t0:b1, l0:r1].astype(np.float32) / 255.0
        if invert:
            pixels = 1.0 - pixels
        mask = None if extra is None else extra[t0:b1, l0:r1].astype(np.float32)
        out = _photo_tile(fn, pixels, mask, scale, luminance, core, window)
        if invert:
            out = 1.0 - out
        top, left, bottom, right = core
        output[top * scale : bottom * scale, left * scale : right * scale] = np.round(out * 255.0)
    return output
