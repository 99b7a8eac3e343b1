"""Self-checks for the notebooks' exercises: one line of feedback, never a traceback.

Each ``check_...`` takes the learner's answer, compares it with pgan's
reference on fixed inputs, prints one line starting with "Correct" or
"Not yet", and returns True or False.

Used in notebooks/01_product_images.ipynb to notebooks/08_restoration.ipynb.
"""

from __future__ import annotations

import numpy as np


def _report(ok: bool, message: str) -> bool:
    print(("Correct: " if ok else "Not yet: ") + message)
    return ok


def _call(fn, *args):
    try:
        return fn(*args), None
    except Exception as err:  # the learner's code may fail in any way
        return None, f"your function raised {type(err).__name__}: {err}"


def check_scaling(to_model_range_fn) -> bool:
    """Exercise (01): a function mapping uint8 [0, 255] to float32 [-1, 1]."""
    from pgan.data import to_model_range

    x = np.array([[0, 1, 127, 128, 254, 255]], dtype=np.uint8)
    got, err = _call(to_model_range_fn, x)
    if err:
        return _report(False, err)
    got = np.asarray(got)
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


def check_conv_output_size(output_size_fn) -> bool:
    """Exercise (02): ``output_size_fn(input_size, kernel_size, stride, padding)`` of a Conv2D."""
    cases = [(28, 3, 1, "same", 28), (28, 3, 1, "valid", 26), (28, 5, 2, "same", 14),
             (28, 5, 2, "valid", 12), (7, 2, 2, "valid", 3), (13, 3, 2, "same", 7)]
    for size, kernel, stride, padding, want in cases:
        got, err = _call(output_size_fn, size, kernel, stride, padding)
        if err:
            return _report(False, err)
        if got != want:
            return _report(
                False,
                f"input {size}, kernel {kernel}, stride {stride}, padding {padding!r}: got {got}, "
                f"expected {want}. Hint: 'same' gives ceil(n / s), 'valid' floor((n - k) / s) + 1.",
            )
    return _report(True, f"all {len(cases)} cases match Keras' Conv2D.")


def _fixed_logits():
    rng = np.random.default_rng(0)
    real = rng.normal(1.0, 2.0, (64, 1)).astype(np.float32)
    fake = rng.normal(-1.0, 2.0, (64, 1)).astype(np.float32)
    # Include extreme logits: a sigmoid-then-log answer breaks on them.
    real[:2] = [[40.0], [-40.0]]
    fake[:2] = [[40.0], [-40.0]]
    return real, fake


def check_discriminator_loss(loss_fn) -> bool:
    """Exercise (03): ``loss_fn(real_logits, fake_logits)`` = -log D(x) - log(1 - D(G(z)))."""
    from keras import ops

    from pgan.losses import discriminator_loss

    real, fake = _fixed_logits()
    got, err = _call(loss_fn, real, fake)
    if err:
        return _report(False, err)
    got = float(ops.convert_to_numpy(got))
    want = float(ops.convert_to_numpy(discriminator_loss(real, fake)))
    swapped = float(ops.convert_to_numpy(discriminator_loss(fake, real)))
    if not np.isfinite(got):
        return _report(False, "the loss is not finite for large logits: work from logits "
                              "(softplus or from_logits=True), not log(sigmoid(x)).")
    if abs(got - swapped) < 1e-4:
        return _report(False, "real and fake are swapped: real images should be labelled 1.")
    if abs(got - want) > 1e-4:
        return _report(False, f"got {got:.4f}, expected {want:.4f}. Check signs and the mean.")
    return _report(True, f"{got:.4f}, finite even for logits of +-40.")


def check_generator_loss(loss_fn) -> bool:
    """Exercise (03): the non-saturating generator loss, -log D(G(z)), from logits."""
    from keras import ops

    from pgan.losses import generator_loss, minimax_generator_loss

    _, fake = _fixed_logits()
    got, err = _call(loss_fn, fake)
    if err:
        return _report(False, err)
    got = float(ops.convert_to_numpy(got))
    if not np.isfinite(got):
        return _report(False, "not finite for large logits: use softplus(-logits).")
    if abs(got - float(ops.convert_to_numpy(minimax_generator_loss(fake)))) < 1e-4:
        return _report(False, "that is the minimax loss log(1 - D(G(z))); use -log D(G(z)).")
    want = float(ops.convert_to_numpy(generator_loss(fake)))
    if abs(got - want) > 1e-4:
        return _report(False, f"got {got:.4f}, expected {want:.4f}.")
    return _report(True, f"{got:.4f}: the non-saturating loss.")


def check_generator(build_fn, latent_dim: int = 100) -> bool:
    """Exercise (04): ``build_fn()`` returns a generator (batch, latent_dim) -> (batch, 28, 28, 1) in [-1, 1]."""
    import keras

    model, err = _call(build_fn)
    if err:
        return _report(False, err)
    if not isinstance(model, keras.Model):
        return _report(False, f"return a keras.Model, got {type(model).__name__}.")
    z = np.random.default_rng(0).standard_normal((4, latent_dim)).astype(np.float32)
    out, err = _call(lambda: keras.ops.convert_to_numpy(model(z, training=False)))
    if err:
        return _report(False, f"the model cannot take noise of shape {z.shape}: {err}")
    if out.shape != (4, 28, 28, 1):
        return _report(False, f"output shape {out.shape}, expected (4, 28, 28, 1). Count the stride-2 layers.")
    if out.min() < -1.0 - 1e-5 or out.max() > 1.0 + 1e-5:
        return _report(False, "outputs leave [-1, 1]: end with a tanh activation.")
    if out.min() >= 0.0:
        return _report(False, "outputs are never negative: a sigmoid gives [0, 1], the data is in [-1, 1]; use tanh.")
    return _report(True, f"(4, {latent_dim}) -> (4, 28, 28, 1) in [-1, 1], {model.count_params():,} parameters.")


def check_depth_to_space(depth_to_space_fn) -> bool:
    """Exercise (07): the sub-pixel shuffle (B, H, W, C*r*r) -> (B, H*r, W*r, C), TF's channel order."""
    from keras import ops

    from pgan.superres import depth_to_space

    x = np.arange(2 * 3 * 4 * 8, dtype=np.float32).reshape(2, 3, 4, 8)
    got, err = _call(lambda: ops.convert_to_numpy(depth_to_space_fn(x, 2)))
    if err:
        return _report(False, err)
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


def check_psnr(psnr_fn) -> bool:
    """Exercise (08): PSNR in dB of images in [0, 1], one value per image."""
    from pgan.fidelity import psnr

    rng = np.random.default_rng(0)
    clean = rng.random((3, 28, 28, 1))
    noisy = np.clip(clean + rng.normal(0, [[[[0.05]]], [[[0.1]]], [[[0.2]]]], clean.shape), 0, 1)
    got, err = _call(lambda: np.asarray(psnr_fn(noisy, clean), dtype=np.float64))
    if err:
        return _report(False, err)
    want = psnr(noisy, clean)
    if got.shape != want.shape:
        return _report(False, f"return one value per image, shape {want.shape}; got shape {got.shape}.")
    if np.allclose(got, want + 20 * np.log10(255.0), atol=1e-3):
        return _report(False, "the peak is 1 for images in [0, 1], not 255.")
    if np.allclose(got, want / 2, atol=1e-3):
        return _report(False, "half the expected value: PSNR is 10 log10(1 / MSE), or 20 log10(1 / RMSE).")
    if not np.allclose(got, want, atol=1e-3):
        return _report(False, f"got {np.round(got, 2)}, expected {np.round(want, 2)} dB.")
    return _report(True, f"{np.round(got, 2)} dB for noise 0.05, 0.1, 0.2.")
