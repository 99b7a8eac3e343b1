"""Self-checks for the notebooks' exercises: one line of feedback, never a traceback.

Each ``check_...`` takes the learner's answer (a function), runs it on fixed
inputs, compares the result with pgan's reference, prints one line starting with
"Correct: " or "Not yet: " (with a hint), and returns True or False. A checker
never raises: a stub that still raises ``NotImplementedError``, an answer that
crashes, returns ``None`` or returns the wrong kind of thing all get a
"Not yet" line. Every check runs in well under two seconds on a CPU.

| notebook | exercise | checker |
|---|---|---|
| 01 | scale uint8 pixels to [-1, 1] | :func:`check_scaling` |
| 02 | output size of a convolution | :func:`check_conv_output_size` |
| 03 | discriminator loss from logits | :func:`check_discriminator_loss` |
| 03 | non-saturating generator loss | :func:`check_generator_loss` |
| 04 | a generator with resize-convolutions | :func:`check_generator` |
| 04 | a discriminator that outputs logits | :func:`check_discriminator` |
| 05 | one discriminator step by hand | :func:`check_discriminator_step` |
| 06 | the Fréchet distance in one dimension | :func:`check_frechet_1d` |
| 07 | depth to space (the sub-pixel shuffle) | :func:`check_depth_to_space` |
| 08 | PSNR | :func:`check_psnr` |
| 09 | the WGAN-GP gradient penalty | :func:`check_gradient_penalty` |
| 09 | the hinge loss of D | :func:`check_hinge_loss` |
| 10 | the projection discriminator's logit | :func:`check_projection_logit` |
| 11 | spherical interpolation | :func:`check_slerp` |

Used in notebooks/00_welcome.ipynb to notebooks/11_interactive_explorer.ipynb.
"""

from __future__ import annotations

import functools
import re

import numpy as np

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MAX_MESSAGE = 300


def _one_line(text: str) -> str:
    """Squash a message (an exception's, say) into one short line."""
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _report(ok: bool, message: str) -> bool:
    print(("Correct: " if ok else "Not yet: ") + _one_line(message))
    return ok


class _Failed(Exception):
    """The learner's function failed; the message is the feedback line."""


def _call(fn, *args):
    """Run the learner's ``fn``; raise ``_Failed`` with one line of feedback if it fails."""
    try:
        result = fn(*args)
    except NotImplementedError:
        raise _Failed(
            "not implemented yet (your function still raises NotImplementedError): "
            "replace the `raise` line with your answer."
        ) from None
    except Exception as err:  # the learner's code may fail in any way
        raise _Failed(f"your function raised {type(err).__name__}: {_one_line(err)}") from None
    if result is None:
        raise _Failed("your function returned None: did you forget the `return`?")
    return result


def _checker(check):
    """Make ``check`` never raise: failures of the answer, or of checking it, become "Not yet"."""

    @functools.wraps(check)
    def wrapper(answer, *args, **kwargs):
        if not callable(answer):
            return _report(
                False,
                f"pass your function itself, e.g. {check.__name__}(my_function), not "
                f"{type(answer).__name__} (the result of calling it).",
            )
        try:
            return bool(check(answer, *args, **kwargs))
        except _Failed as failed:
            return _report(False, str(failed))
        except Exception as err:  # an answer of the wrong kind can break the comparison itself
            return _report(False, f"could not check your answer ({type(err).__name__}: {_one_line(err)}).")

    return wrapper


_MEAN_LOSS = "one number (the mean loss)"
_MEAN_HINT = ": average over the whole batch (ops.mean with no axis)"


def _scalar(value, what: str = "a single number", hint: str = "") -> float:
    """``value`` as a Python float, or ``_Failed`` saying what came back instead."""
    from keras import ops

    array = np.asarray(ops.convert_to_numpy(value) if not isinstance(value, (int, float)) else value)
    if array.size != 1:
        raise _Failed(f"return {what}, got an array of shape {array.shape}{hint}.")
    return float(array.reshape(()))


# --- 01 Product images ---------------------------------------------------------------------


@_checker
def check_scaling(to_model_range_fn) -> bool:
    """Exercise (01): a function mapping uint8 [0, 255] to float32 [-1, 1].

    Taught in notebooks/01_product_images.ipynb.
    """
    from pgan.data import to_model_range

    x = np.array([[0, 1, 127, 128, 254, 255]], dtype=np.uint8)
    got = np.asarray(_call(to_model_range_fn, x.copy()))
    if got.dtype != np.float32:
        return _report(False, f"return float32, got {got.dtype} (models train in float32).")
    want = to_model_range(x)
    if got.shape != want.shape:
        return _report(False, f"shape {got.shape}, expected {want.shape}.")
    if np.allclose(got, x / 255.0, atol=1e-6):
        return _report(False, "that is [0, 1]; a tanh generator outputs [-1, 1]: use x / 127.5 - 1.")
    if not np.allclose(got, want, atol=1e-6):
        return _report(False, f"0 -> {got.flat[0]:.3f} and 255 -> {got.flat[-1]:.3f}; expected -1 and 1.")
    return _report(True, "0 maps to -1, 255 to 1, and the dtype is float32.")


# --- 02 CNN foundations --------------------------------------------------------------------


@_checker
def check_conv_output_size(output_size_fn) -> bool:
    """Exercise (02): ``output_size_fn(input_size, kernel_size, stride, padding)`` of a Conv2D.

    Taught in notebooks/02_cnn_foundations.ipynb.
    """
    cases = [(28, 3, 1, "same", 28), (28, 3, 1, "valid", 26), (28, 5, 2, "same", 14),
             (28, 5, 2, "valid", 12), (7, 2, 2, "valid", 3), (13, 3, 2, "same", 7)]
    for size, kernel, stride, padding, want in cases:
        got = _call(output_size_fn, size, kernel, stride, padding)
        if np.ndim(got) != 0 or isinstance(got, (str, bytes)) or not float(got) == want:
            return _report(
                False,
                f"input {size}, kernel {kernel}, stride {stride}, padding {padding!r}: got {got}, "
                f"expected {want}. Hint: 'same' gives ceil(n / s), 'valid' floor((n - k) / s) + 1.",
            )
    return _report(True, f"all {len(cases)} cases match Keras' Conv2D.")


# --- 03 GAN theory -------------------------------------------------------------------------


def _fixed_logits():
    rng = np.random.default_rng(0)
    real = rng.normal(1.0, 2.0, (64, 1)).astype(np.float32)
    fake = rng.normal(-1.0, 2.0, (64, 1)).astype(np.float32)
    # Include extreme logits: a sigmoid-then-log answer breaks on them.
    real[:2] = [[40.0], [-40.0]]
    fake[:2] = [[40.0], [-40.0]]
    return real, fake


# float32 sigmoid(-120) underflows to 0, so log(sigmoid(x)) is -inf there (sigmoid(-40) still fits).
_EXTREME_LOGITS = np.array([[120.0], [-120.0], [0.0]], dtype=np.float32)


@_checker
def check_discriminator_loss(loss_fn) -> bool:
    """Exercise (03): ``loss_fn(real_logits, fake_logits)`` = -log D(x) - log(1 - D(G(z))).

    Taught in notebooks/03_gan_theory.ipynb.
    """
    from pgan.losses import discriminator_loss

    real, fake = _fixed_logits()
    got = _scalar(_call(loss_fn, real, fake), _MEAN_LOSS, _MEAN_HINT)
    want = _scalar(discriminator_loss(real, fake))
    swapped = _scalar(discriminator_loss(fake, real))
    extreme = _scalar(_call(loss_fn, _EXTREME_LOGITS, _EXTREME_LOGITS), _MEAN_LOSS, _MEAN_HINT)
    if not np.isfinite(got) or not np.isfinite(extreme):
        return _report(False, "the loss is not finite for large logits: work from logits "
                              "(softplus or from_logits=True), not log(sigmoid(x)).")
    if abs(got - swapped) < 1e-4:
        return _report(False, "real and fake are swapped: real images should be labelled 1.")
    if abs(got - want) > 1e-4:
        return _report(False, f"got {got:.4f}, expected {want:.4f}. Check signs and the mean.")
    return _report(True, f"{got:.4f}, finite even for logits of +-40.")


@_checker
def check_generator_loss(loss_fn) -> bool:
    """Exercise (03): the non-saturating generator loss, -log D(G(z)), from logits.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    from pgan.losses import generator_loss, minimax_generator_loss

    _, fake = _fixed_logits()
    got = _scalar(_call(loss_fn, fake), _MEAN_LOSS, _MEAN_HINT)
    extreme = _scalar(_call(loss_fn, _EXTREME_LOGITS), _MEAN_LOSS, _MEAN_HINT)
    if not np.isfinite(got) or not np.isfinite(extreme):
        return _report(False, "not finite for large logits: use softplus(-logits), not log(sigmoid(logits)).")
    if abs(got - _scalar(minimax_generator_loss(fake))) < 1e-4:
        return _report(False, "that is the minimax loss log(1 - D(G(z))); use -log D(G(z)).")
    want = _scalar(generator_loss(fake))
    if abs(got + want) < 1e-4:
        return _report(False, "the sign is flipped: G minimises -log D(G(z)) = softplus(-logits), a positive number.")
    if abs(got - want) > 1e-4:
        return _report(False, f"got {got:.4f}, expected {want:.4f}.")
    return _report(True, f"{got:.4f}: the non-saturating loss.")


# --- 04 Building the DCGAN -----------------------------------------------------------------


def _as_model(model):
    import keras

    if not isinstance(model, keras.Model):
        raise _Failed(f"return a keras.Model, got {type(model).__name__}.")
    return model


@_checker
def check_generator(build_fn, latent_dim: int = 100) -> bool:
    """Exercise (04): ``build_fn()`` returns a generator (batch, latent_dim) -> (batch, 28, 28, 1) in [-1, 1].

    Taught in notebooks/04_building_dcgan.ipynb.
    """
    import keras

    model = _as_model(_call(build_fn))
    z = np.random.default_rng(0).standard_normal((4, latent_dim)).astype(np.float32)
    try:
        out = np.asarray(keras.ops.convert_to_numpy(model(z, training=False)))
    except Exception as err:
        return _report(False, f"the model cannot take noise of shape {z.shape}: {type(err).__name__}: {err}")
    if out.shape != (4, 28, 28, 1):
        return _report(False, f"output shape {out.shape}, expected (4, 28, 28, 1). Count the stride-2 layers.")
    if not np.isfinite(out).all():
        return _report(False, "the output holds NaN or infinite pixels.")
    # An untrained network's outputs are small; large noise shows whether a tanh bounds them.
    big = np.asarray(keras.ops.convert_to_numpy(model(1000.0 * z, training=False)))
    if min(out.min(), big.min()) < -1.0 - 1e-5 or max(out.max(), big.max()) > 1.0 + 1e-5:
        return _report(False, "outputs leave [-1, 1]: end with a tanh activation.")
    if out.min() >= 0.0:
        return _report(False, "outputs are never negative: a sigmoid gives [0, 1], the data is in [-1, 1]; use tanh.")
    return _report(True, f"(4, {latent_dim}) -> (4, 28, 28, 1) in [-1, 1], {model.count_params():,} parameters.")


def _probe_images() -> np.ndarray:
    """16 images in [-1, 1] and beyond: products on black, noise, and noise scaled up 20 times."""
    rng = np.random.default_rng(0)
    products = np.full((6, 28, 28, 1), -1.0, np.float32)
    for i, image in enumerate(products):
        image[4 + i : 24 - i, 6:22] = rng.uniform(0.0, 1.0)
    noise = rng.uniform(-1.0, 1.0, (5, 28, 28, 1)).astype(np.float32)
    return np.concatenate([products, noise, 20.0 * noise]).astype(np.float32)


def _final_activation(model) -> str | None:
    """The name of the activation after the model's last weighted layer ("linear" for none)."""
    for layer in reversed(model.layers):
        name = getattr(getattr(layer, "activation", None), "__name__", None)
        if name not in (None, "linear") or layer.weights:
            return name or "linear"
    return None


@_checker
def check_discriminator(build_fn) -> bool:
    """Exercise (04): ``build_fn()`` returns a discriminator (batch, 28, 28, 1) -> (batch, 1) logits.

    The output must be a logit (any real number, no sigmoid), one per image.
    Taught in notebooks/04_building_dcgan.ipynb.
    """
    import keras

    model = _as_model(_call(build_fn))
    images = _probe_images()
    try:
        out = np.asarray(keras.ops.convert_to_numpy(model(images, training=False)), dtype=np.float64)
    except Exception as err:
        return _report(False, f"the model cannot take images of shape {images.shape}: {type(err).__name__}: {err}")
    batch = len(images)
    if out.shape == (batch,):
        return _report(False, f"output shape {out.shape}: keep the last axis, (batch, 1), as Dense(1) gives.")
    if out.ndim == 2 and out.shape[0] == batch and out.shape[1] != 1:
        return _report(False, f"output shape {out.shape}: one logit per image, so end with Dense(1), not Dense({out.shape[1]}).")
    if out.shape != (batch, 1):
        return _report(False, f"output shape {out.shape}, expected ({batch}, 1): Flatten the feature maps, then Dense(1).")
    if not np.isfinite(out).all():
        return _report(False, "the output holds NaN or infinite values.")
    final = _final_activation(model)
    if final in ("sigmoid", "softmax"):
        return _report(False, f"the last layer applies a {final}: output the logit (Dense(1) with no "
                              "activation); pgan's losses take logits (from_logits=True).")
    if final == "relu":
        return _report(False, "the last layer applies a ReLU: a logit is any real number, negative for "
                              "'fake'; use Dense(1) with no activation.")
    if out.min() >= 0.0 and out.max() <= 1.0:
        return _report(False, "every output lies in [0, 1], even for images scaled up 20 times: that looks "
                              "like a probability. Output the logit (no sigmoid); pgan's losses take logits.")
    if np.ptp(out) < 1e-6:
        return _report(False, "every image gets the same score: the output does not depend on the image.")
    return _report(True, f"({batch}, 28, 28, 1) -> ({batch}, 1) logits, no sigmoid, {model.count_params():,} parameters.")


# --- 05 Training on GPU --------------------------------------------------------------------


def _tiny_gan_inputs():
    """A small generator and a dropout-free discriminator (deterministic in training mode), real images and noise."""
    from pgan import models

    generator = models.build_generator(latent_dim=8, width=8, name="check_generator")
    discriminator = models.build_discriminator(width=8, dropout=0.0, name="check_discriminator")
    rng = np.random.default_rng(0)
    real = np.full((16, 28, 28, 1), -1.0, np.float32)
    real[:, 6:22, 8:20] = rng.uniform(0.2, 1.0, (16, 1, 1, 1))
    noise = rng.standard_normal((16, 8)).astype(np.float32)
    return generator, discriminator, real, noise


def _snapshot(model):
    return [np.array(v.numpy() if hasattr(v, "numpy") else v) for v in model.trainable_weights]


def _changed(model, before) -> bool:
    return any(not np.array_equal(b, np.asarray(v.numpy())) for b, v in zip(before, model.trainable_weights, strict=True))


@_checker
def check_discriminator_step(step_fn) -> bool:
    """Exercise (05): one discriminator step, ``step_fn(generator, discriminator, d_optimizer, real_images, noise)``.

    The step generates fakes from ``noise``, computes ``discriminator_loss`` on
    real and fake logits (both networks in training mode), applies its gradient
    to the discriminator's variables only, and returns the loss (before the update).
    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    import keras

    from pgan.losses import discriminator_loss

    generator, discriminator, real, noise = _tiny_gan_inputs()
    d_optimizer = keras.optimizers.Adam(1e-2)
    fake = generator(noise, training=True)
    fake_inference = generator(noise, training=False)

    def loss_now(fakes):
        return _scalar(discriminator_loss(discriminator(real, training=True), discriminator(fakes, training=True)))

    want, want_inference = loss_now(fake), loss_now(fake_inference)
    g_before, d_before = _snapshot(generator), _snapshot(discriminator)
    got = _scalar(_call(step_fn, generator, discriminator, d_optimizer, real, noise),
                  "the discriminator loss, one number", _MEAN_HINT)
    if _changed(generator, g_before):
        return _report(False, "the generator's weights changed: a discriminator step updates "
                              "discriminator.trainable_variables only (make the fakes outside the tape).")
    if not _changed(discriminator, d_before):
        return _report(False, "the discriminator's weights did not change: compute the gradients with the tape "
                              "and apply them with d_optimizer.apply(gradients, discriminator.trainable_variables).")
    after = loss_now(fake)
    if not after < want:
        return _report(False, f"the step made the discriminator worse (loss {want:.3f} -> {after:.3f} on this batch): "
                              "label real images 1 and fakes 0, i.e. discriminator_loss(real_logits, fake_logits), "
                              "and let the optimizer descend the gradient.")
    if abs(got - want) > 1e-4:
        if abs(got - want_inference) < 1e-4:
            return _report(False, "make the fakes with generator(noise, training=True), as GAN.train_step does "
                                  "(notebook 04: BatchNorm behaves differently in inference mode).")
        return _report(False, f"returned {got:.4f}, but the discriminator loss before the update was {want:.4f}: "
                              "return discriminator_loss(real_logits, fake_logits) from inside the step.")
    return _report(True, "only the discriminator's weights changed, and its loss on this batch went down.")


# --- 06 Evaluation -------------------------------------------------------------------------


@_checker
def check_frechet_1d(frechet_fn) -> bool:
    """Exercise (06): ``frechet_fn(a, b)`` = (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2 for two 1-d samples.

    Compared with :func:`pgan.metrics.frechet_distance` on one feature.
    Taught in notebooks/06_evaluation.ipynb.
    """
    from pgan.metrics import frechet_distance

    rng = np.random.default_rng(6)
    a, b = rng.normal(0.0, 1.0, 40), rng.normal(0.5, 2.0, 60)
    got = _scalar(_call(frechet_fn, a.copy(), b.copy()), "one number")
    want = frechet_distance(a[:, None], b[:, None])
    if np.isclose(got, want, rtol=1e-6):
        return _report(True, f"{got:.4f}, the same as metrics.frechet_distance on these samples.")
    mean_term = (a.mean() - b.mean()) ** 2
    if np.isclose(got, mean_term + (a.std() - b.std()) ** 2, rtol=1e-6):
        return _report(False, "close, but np.cov (and frechet_distance) divide by N - 1: use std(ddof=1).")
    for ddof in (0, 1):
        if np.isclose(got, mean_term + (a.var(ddof=ddof) - b.var(ddof=ddof)) ** 2, rtol=1e-6):
            return _report(False, "that compares variances; the formula takes standard deviations, sigma, not sigma squared.")
    if np.isclose(got**2, want, rtol=1e-6):
        return _report(False, "that is the square root: the Fréchet distance of FID and FCD is the squared distance.")
    return _report(False, f"got {got:.4f}, expected {want:.4f}.")


# --- 07 Super-resolution -------------------------------------------------------------------


@_checker
def check_depth_to_space(depth_to_space_fn) -> bool:
    """Exercise (07): the sub-pixel shuffle (B, H, W, C*r*r) -> (B, H*r, W*r, C), TF's channel order.

    Taught in notebooks/07_super_resolution.ipynb.
    """
    from keras import ops

    from pgan.superres import depth_to_space

    x = np.arange(2 * 3 * 4 * 8, dtype=np.float32).reshape(2, 3, 4, 8)
    got = np.asarray(ops.convert_to_numpy(_call(depth_to_space_fn, x.copy(), 2)))
    want = ops.convert_to_numpy(depth_to_space(x, 2))
    if got.shape != want.shape:
        return _report(False, f"shape {got.shape} for input {x.shape} and r=2, expected {want.shape}.")
    if not np.array_equal(got, want):
        if np.array_equal(np.sort(got, axis=None), np.sort(want, axis=None)):
            return _report(
                False, "right values, wrong places: reshape to (B, H, W, r, r, C), then swap the "
                "axes so each row of r values lands under its low-resolution row."
            )
        return _report(False, "the values changed: depth to space only moves numbers, it never mixes them.")
    return _report(True, f"{x.shape} -> {got.shape}, every value where tf.nn.depth_to_space puts it.")


# --- 08 Restoration ------------------------------------------------------------------------


@_checker
def check_psnr(psnr_fn) -> bool:
    """Exercise (08): PSNR in dB of images in [0, 1], one value per image.

    Taught in notebooks/08_restoration.ipynb.
    """
    from pgan.fidelity import psnr

    rng = np.random.default_rng(0)
    clean = rng.random((3, 28, 28, 1))
    noisy = np.clip(clean + rng.normal(0, [[[[0.05]]], [[[0.1]]], [[[0.2]]]], clean.shape), 0, 1)
    got = np.asarray(_call(psnr_fn, noisy.copy(), clean.copy()), dtype=np.float64)
    want = psnr(noisy, clean)
    if got.shape != want.shape:
        return _report(False, f"return one value per image, shape {want.shape}; got shape {got.shape}: "
                              "average over the pixel axes (1, 2, 3) only.")
    if np.allclose(got, want + 20 * np.log10(255.0), atol=1e-3):
        return _report(False, "the peak is 1 for images in [0, 1], not 255.")
    if np.allclose(got, want / 2, atol=1e-3):
        return _report(False, "half the expected value: PSNR is 10 log10(1 / MSE), or 20 log10(1 / RMSE).")
    if np.allclose(got, want * 2, atol=1e-3):
        return _report(False, "twice the expected value: 10 log10 of the squared error, or 20 log10 of the root.")
    if not np.allclose(got, want, atol=1e-3):
        return _report(False, f"got {np.round(got, 2)}, expected {np.round(want, 2)} dB.")
    return _report(True, f"{np.round(got, 2)} dB for noise 0.05, 0.1, 0.2.")


# --- 09 Stabilizing training ---------------------------------------------------------------


class _QuadraticCritic:
    """A stand-in critic D(x) = scale / 2 * ||x||^2 per image, so dD/dx = scale * x is known exactly.

    It records the images it is called on (the learner's interpolated points).
    """

    def __init__(self, scale):
        self.scale = scale
        self.inputs = []

    def __call__(self, images, training=False):
        from keras import ops

        self.inputs.append(np.asarray(ops.convert_to_numpy(images), dtype=np.float64))
        x = ops.cast(images, "float32")
        return 0.5 * self.scale * ops.sum(ops.square(x), axis=(1, 2, 3))[:, None]


def _segment_weights(points, real, fake):
    """For each point, its weight w on the line fake + w (real - fake), and its distance from that line."""
    direction = (real - fake).reshape(len(real), -1)
    offset = (points - fake).reshape(len(real), -1)
    weights = np.sum(offset * direction, axis=1) / np.sum(direction**2, axis=1)
    residual = np.linalg.norm(offset - weights[:, None] * direction, axis=1) / np.linalg.norm(direction, axis=1)
    return weights, residual


@_checker
def check_gradient_penalty(penalty_fn) -> bool:
    """Exercise (09): ``penalty_fn(critic, real_images, fake_images)``, the WGAN-GP penalty.

    It should draw one weight per image from U[0, 1], score the points
    ``w * real + (1 - w) * fake`` with ``critic`` inside a GradientTape, and return
    the batch mean of (||dD/dx||_2 - 1)^2, with a small epsilon under the square root.
    Checked with a critic whose input gradient is known: where the points are,
    the value, and that the penalty's own gradient stays finite where dD/dx = 0.
    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    import tensorflow as tf

    rng = np.random.default_rng(9)
    real = rng.uniform(-1.0, 1.0, (256, 6, 6, 1)).astype(np.float32)
    fake = rng.uniform(-1.0, 1.0, (256, 6, 6, 1)).astype(np.float32)
    scale = 0.5
    critic = _QuadraticCritic(scale)
    got = _scalar(_call(penalty_fn, critic, real.copy(), fake.copy()), "one number (the mean penalty)")
    if not critic.inputs:
        return _report(False, "your function never called critic(...): score the interpolated points with it.")
    points = critic.inputs[-1]
    if points.shape != real.shape:
        return _report(False, f"the critic saw a batch of shape {points.shape}, expected {real.shape}: "
                              "interpolate each real image with its fake, w * real + (1 - w) * fake.")
    weights, residual = _segment_weights(points, real.astype(np.float64), fake.astype(np.float64))
    if residual.max() > 1e-3:
        return _report(False, "the points are not on the lines between real and fake images: draw one weight per "
                              "image, shape (batch, 1, 1, 1), and mix w * real + (1 - w) * fake.")
    if weights.min() < -1e-4 or weights.max() > 1.0 + 1e-4:
        return _report(False, "some interpolation weights are below 0 or above 1: draw them from U[0, 1] "
                              "(keras.random.uniform), not from a normal distribution, so every point lies "
                              "between its real and its fake image.")
    if weights.std() < 1e-6:
        return _report(False, "every image got the same interpolation weight: draw one random weight per image.")
    if not (0.4 < weights.mean() < 0.6 and 0.2 < weights.std() < 0.37):
        return _report(False, "the interpolation weights do not look uniform on [0, 1] (mean 0.5, standard "
                              "deviation 0.29): use keras.random.uniform.")
    sums = np.sum((scale * points.reshape(len(points), -1)) ** 2, axis=1)
    norms = np.sqrt(sums)
    want = float(np.mean((norms - 1.0) ** 2))
    if not np.isfinite(got):
        return _report(False, "the penalty is not finite.")
    if not np.isclose(got, want, rtol=1e-4, atol=1e-6):
        diagnoses = [
            (np.mean((sums - 1.0) ** 2), "you used the squared norm: take the square root, "
                                         "||g|| = sqrt(sum of g^2 over axes 1, 2, 3)."),
            (np.mean(norms - 1.0), "square the difference: the penalty is (||g|| - 1)^2."),
            (np.mean(np.abs(norms - 1.0)), "square the difference: the penalty is (||g|| - 1)^2."),
            ((np.sqrt(sums.sum()) - 1.0) ** 2, "compute one norm per image (sum over axes 1, 2, 3), then "
                                               "average the penalties over the batch."),
            (np.mean((norms / len(points) - 1.0) ** 2), "differentiate the critic's scores themselves (or their "
                                                        "sum), not their mean: ops.mean divides each image's "
                                                        "gradient by the batch size."),
            (np.sum((norms - 1.0) ** 2), "average the penalties over the batch (ops.mean), don't sum them."),
        ]
        for value, hint in diagnoses:
            if np.isclose(got, value, rtol=1e-4, atol=1e-6):
                return _report(False, hint)
        return _report(False, f"got {got:.4f}, expected {want:.4f}: the mean over the batch of "
                              "(||dD/dx|| - 1)^2 at your points.")
    flat = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        penalty_at_zero = _call(penalty_fn, _QuadraticCritic(flat), real.copy(), fake.copy())
    try:
        gradient = tape.gradient(penalty_at_zero, flat)
    except (TypeError, ValueError):  # a Python or numpy number: nothing to differentiate
        gradient = None
    if gradient is None:
        return _report(False, "the penalty does not depend on the critic's weights: compute dD/dx with a "
                              "GradientTape inside your function (not with numpy), so D's optimizer can follow it.")
    if not np.isfinite(float(gradient)):
        return _report(False, "the penalty's gradient is NaN where the critic's input gradient is exactly zero "
                              "(the square root's slope is infinite at 0): add a small epsilon, "
                              "sqrt(sum(g^2) + 1e-12).")
    return _report(True, "one uniform weight per image, the mean of (||dD/dx|| - 1)^2, and a finite "
                         "gradient even where dD/dx = 0.")


@_checker
def check_hinge_loss(loss_fn) -> bool:
    """Exercise (09): the hinge loss of D, mean relu(1 - real) + mean relu(1 + fake).

    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    from pgan.losses import discriminator_loss, hinge_discriminator_loss

    real, fake = _fixed_logits()
    real = real.copy()
    fake = fake.copy()
    real[2:6, 0] = [0.5, 1.0, 1.5, -0.5]  # scores on both sides of the margins
    fake[2:6, 0] = [-0.5, -1.0, -1.5, 0.5]
    got = _scalar(_call(loss_fn, real.copy(), fake.copy()), "one number (the mean loss)")
    want = _scalar(hinge_discriminator_loss(real, fake))
    if np.isclose(got, want, rtol=1e-5, atol=1e-5):
        return _report(True, f"{got:.4f}: zero for real scores above +1 and fake scores below -1.")
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    diagnoses = [
        (_scalar(hinge_discriminator_loss(fake, real)), "real and fake are swapped: push real scores above +1, "
                                                         "relu(1 - real), and fake scores below -1, relu(1 + fake)."),
        (np.mean(1.0 - real) + np.mean(1.0 + fake), "without the relu the loss keeps rewarding scores past the "
                                                      "margin (that is the Wasserstein loss plus 2): clip each "
                                                      "term at 0 with ops.relu."),
        (np.mean(relu(real - 1.0)) + np.mean(relu(-1.0 - fake)), "the relu's argument has the wrong sign: "
                                                                   "relu(1 - real) is zero once real > 1."),
        (np.sum(relu(1.0 - real)) + np.sum(relu(1.0 + fake)), "average over the batch (ops.mean), don't sum."),
        (np.mean(np.concatenate([relu(1.0 - real), relu(1.0 + fake)])),
         "average each term over its own batch, then add the two means."),
        (_scalar(discriminator_loss(real, fake)), "that is the cross-entropy loss of notebook 03; the hinge loss "
                                                   "is relu(1 - real) + relu(1 + fake)."),
    ]
    for value, hint in diagnoses:
        if np.isclose(got, value, rtol=1e-5, atol=1e-5):
            return _report(False, hint)
    return _report(False, f"got {got:.4f}, expected {want:.4f}: mean relu(1 - real) + mean relu(1 + fake).")


# --- 10 Conditional products ---------------------------------------------------------------


@_checker
def check_projection_logit(logit_fn) -> bool:
    """Exercise (10): ``logit_fn(features, unconditional_logit, class_embeddings, labels)``, the projection logit.

    ``features`` phi(x) (batch, F), ``unconditional_logit`` psi(phi(x)) (batch, 1),
    ``class_embeddings`` (num_classes, F), ``labels`` (batch,) ints; the answer is
    psi(phi(x)) + <embed(y), phi(x)>, shape (batch, 1). Compared with the output of a
    small :func:`pgan.models.build_conditional_discriminator` (head="projection").
    Taught in notebooks/10_conditional_products.ipynb.
    """
    import keras

    from pgan import models

    discriminator = models.build_conditional_discriminator(
        num_classes=10, width=4, dropout=0.0, head="projection", name="check_projection"
    )
    rng = np.random.default_rng(10)
    images = rng.uniform(-1.0, 1.0, (8, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 3, 7, 7, 9, 1, 5, 2], dtype=np.int32)
    parts = keras.Model(discriminator.inputs, [discriminator.get_layer("flatten").output,
                                                discriminator.get_layer("logit").output])
    features, logit = (np.asarray(keras.ops.convert_to_numpy(t), dtype=np.float32)
                       for t in parts([images, labels], training=False))
    embeddings = np.asarray(keras.ops.convert_to_numpy(discriminator.get_layer("label_embedding").embeddings))
    want = np.asarray(keras.ops.convert_to_numpy(discriminator([images, labels], training=False)), dtype=np.float64)
    got = np.asarray(keras.ops.convert_to_numpy(
        _call(logit_fn, features.copy(), logit.copy(), embeddings.copy(), labels.copy())), dtype=np.float64)
    batch = len(labels)
    projection = np.sum(embeddings[labels] * features, axis=1, keepdims=True)
    if got.shape == (batch, batch):
        return _report(False, f"shape {got.shape}: you dotted every image with every label's embedding; take each "
                              "row's own dot product, ops.sum(embedded * features, axis=-1, keepdims=True).")
    if got.shape == (batch,):
        return _report(False, f"shape {got.shape}: keep one column, ({batch}, 1), like D's other logits "
                              "(keepdims=True).")
    if got.shape != want.shape:
        return _report(False, f"shape {got.shape}, expected {want.shape}: one logit per image.")
    tolerance = {"rtol": 1e-4, "atol": 1e-5}
    if np.allclose(got, want, **tolerance):
        return _report(True, f"{want.shape} logits, equal to the projection discriminator's own output.")
    if np.allclose(got, projection, **tolerance):
        return _report(False, "add the unconditional logit psi(phi(x)): the projection alone only says how "
                              "well x fits class y, not whether it looks real.")
    if np.allclose(got, logit, **tolerance):
        return _report(False, "the label has no effect: add the dot product of the class embedding "
                              "embed(y) with the features phi(x).")
    if np.allclose(got, logit * projection, **tolerance):
        return _report(False, "add the two terms, psi(phi(x)) + <embed(y), phi(x)>; don't multiply them.")
    return _report(False, "not the projection discriminator's logit: pick each image's own class embedding, "
                          "ops.take(class_embeddings, labels, axis=0), and add its dot product with the "
                          "features to the unconditional logit.")


# --- 11 Interactive explorer ---------------------------------------------------------------


@_checker
def check_slerp(slerp_fn) -> bool:
    """Exercise (11): ``slerp_fn(a, b, t)``, spherical interpolation between two latent vectors.

    Compared with :func:`pgan.widgets.slerp` at t = 0, 0.3, 0.5 and 1 on fixed vectors.
    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    from pgan.widgets import slerp

    rng = np.random.default_rng(11)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    for t in (0.0, 0.3, 0.5, 1.0):
        got = np.asarray(_call(slerp_fn, a.copy(), b.copy(), t), dtype=np.float64)
        want = np.asarray(slerp(a, b, t), dtype=np.float64)
        if got.shape != want.shape:
            return _report(False, f"return one vector of shape {want.shape}, got shape {got.shape}.")
        if not np.allclose(got, want, atol=1e-5):
            if np.allclose(got, (1 - t) * a + t * b, atol=1e-5):
                return _report(False, "that is the straight line (lerp): at t = 0.5 it is shorter than a and b; "
                                      "use the angle omega = arccos(a.b / (|a| |b|)).")
            return _report(False, f"at t = {t} your point differs from slerp's by up to "
                                  f"{np.abs(got - want).max():.3g}; check sin((1 - t) omega) and sin(t omega).")
    return _report(True, "your path follows the arc: same points as widgets.slerp at t = 0, 0.3, 0.5, 1.")
