"""Self-checks for notebooks 03-04: the GAN game and the DCGAN's two networks.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    MEAN_HINT,
    MEAN_LOSS,
    Failed,
    call_answer,
    checker,
    fixed_logits,
    report,
    scalar,
)

__all__ = [
    "check_discriminator_loss",
    "check_generator_loss",
    "check_transposed_output_size",
    "check_generator",
    "check_discriminator",
]


# --- 03 GAN theory -------------------------------------------------------------------------


# float32 sigmoid(-120) underflows to 0, so log(sigmoid(x)) is -inf there (sigmoid(-40) still fits).
_EXTREME_LOGITS = np.array([[120.0], [-120.0], [0.0]], dtype=np.float32)


@checker
def check_discriminator_loss(loss_fn) -> bool:
    """Exercise (03): ``loss_fn(real_logits, fake_logits)`` = -log D(x) - log(1 - D(G(z))).

    Taught in notebooks/03_gan_theory.ipynb.
    """
    from pgan.losses import discriminator_loss

    real, fake = fixed_logits()
    got = scalar(call_answer(loss_fn, real, fake), MEAN_LOSS, MEAN_HINT)
    want = scalar(discriminator_loss(real, fake))
    swapped = scalar(discriminator_loss(fake, real))
    extreme = scalar(call_answer(loss_fn, _EXTREME_LOGITS, _EXTREME_LOGITS), MEAN_LOSS, MEAN_HINT)
    if not np.isfinite(got) or not np.isfinite(extreme):
        return report(False, "the loss is not finite for large logits: work from logits "
                              "(softplus or from_logits=True), not log(sigmoid(x)).")
    if abs(got - swapped) < 1e-4:
        return report(False, "real and fake are swapped: real images should be labelled 1.")
    if abs(got - want) > 1e-4:
        return report(False, f"got {got:.4f}, expected {want:.4f}. Check signs and the mean.")
    return report(True, f"{got:.4f}, finite even for logits of +-40.")


@checker
def check_generator_loss(loss_fn) -> bool:
    """Exercise (03): the non-saturating generator loss, -log D(G(z)), from logits.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    from pgan.losses import generator_loss, minimax_generator_loss

    _, fake = fixed_logits()
    got = scalar(call_answer(loss_fn, fake), MEAN_LOSS, MEAN_HINT)
    extreme = scalar(call_answer(loss_fn, _EXTREME_LOGITS), MEAN_LOSS, MEAN_HINT)
    if not np.isfinite(got) or not np.isfinite(extreme):
        return report(False, "not finite for large logits: use softplus(-logits), not log(sigmoid(logits)).")
    if abs(got - scalar(minimax_generator_loss(fake))) < 1e-4:
        return report(False, "that is the minimax loss log(1 - D(G(z))); use -log D(G(z)).")
    want = scalar(generator_loss(fake))
    if abs(got + want) < 1e-4:
        return report(False, "the sign is flipped: G minimises -log D(G(z)) = softplus(-logits), a positive number.")
    if abs(got - want) > 1e-4:
        return report(False, f"got {got:.4f}, expected {want:.4f}.")
    return report(True, f"{got:.4f}: the non-saturating loss.")


# --- 04 Building the DCGAN -----------------------------------------------------------------


# (input size n, kernel k, stride s, padding) -> Keras' Conv2DTranspose output size; k >= s throughout
# (for k < s the stamps leave gaps, and frameworks disagree on whether the last gap counts).
_TRANSPOSED_CASES = [(7, 5, 1, "same", 7), (7, 5, 2, "same", 14), (14, 5, 2, "same", 28),
                     (2, 3, 2, "valid", 5), (7, 4, 2, "valid", 16), (7, 5, 2, "valid", 17),
                     (5, 3, 3, "valid", 15), (4, 2, 2, "valid", 8)]

# Typical wrong answers, each with the hint that diagnoses it.
_TRANSPOSED_MISTAKES = [
    (lambda n, k, s, p: -(-n // s) if p == "same" else (n - k) // s + 1,
     "that is a convolution's output size, which shrinks the image; a transposed convolution "
     "enlarges it by the stride."),
    (lambda n, k, s, p: n * s,
     "right for 'same', but 'valid' keeps every stamp whole, so the last stamp sticks out "
     "k - s pixels past n * s."),
    (lambda n, k, s, p: (n - 1) * s + k,
     "right for 'valid', but 'same' crops the output to exactly n * s."),
    (lambda n, k, s, p: n * s if p == "same" else n * s + k,
     "one stamp too many: the n stamps start at 0, s, ..., (n - 1) * s, so the last one ends at "
     "(n - 1) * s + k."),
    (lambda n, k, s, p: n if p == "same" else n + k - 1,
     "the stride is missing: the stamps are s pixels apart."),
]


@checker
def check_transposed_output_size(output_size_fn) -> bool:
    """Exercise (04): ``output_size_fn(n, kernel_size, stride, padding)`` of a Conv2DTranspose.

    ``padding`` is "same" or "valid"; the cases have kernel_size >= stride.
    Taught in notebooks/04_building_dcgan.ipynb.
    """
    answers = []
    for size, kernel, stride, padding, _ in _TRANSPOSED_CASES:
        got = call_answer(output_size_fn, size, kernel, stride, padding)
        if np.ndim(got) != 0 or isinstance(got, (str, bytes, bool)):
            return report(False, f"return one whole number, got {got!r} for n={size}, k={kernel}, "
                                 f"s={stride}, padding={padding!r}.")
        answers.append(float(got))
    wants = [float(case[-1]) for case in _TRANSPOSED_CASES]
    if answers == wants:
        return report(True, f"all {len(wants)} cases match Keras' Conv2DTranspose.")
    for mistake, hint in _TRANSPOSED_MISTAKES:
        if answers == [float(mistake(*case[:4])) for case in _TRANSPOSED_CASES]:
            return report(False, hint)
    got, case = next((a, c) for a, w, c in zip(answers, wants, _TRANSPOSED_CASES, strict=True) if a != w)
    size, kernel, stride, padding, want = case
    return report(False, f"n={size}, k={kernel}, s={stride}, padding {padding!r}: got {got:g}, expected "
                         f"{want}. Picture the stamps: one per input pixel, s pixels apart, each k wide.")


def _as_model(model):
    import keras

    if not isinstance(model, keras.Model):
        raise Failed(f"return a keras.Model, got {type(model).__name__}.")
    return model


@checker
def check_generator(build_fn, latent_dim: int = 100) -> bool:
    """Exercise (04): ``build_fn()`` returns a generator (batch, latent_dim) -> (batch, 28, 28, 1) in [-1, 1].

    Taught in notebooks/04_building_dcgan.ipynb.
    """
    import keras

    model = _as_model(call_answer(build_fn))
    z = np.random.default_rng(0).standard_normal((4, latent_dim)).astype(np.float32)
    try:
        out = np.asarray(keras.ops.convert_to_numpy(model(z, training=False)))
    except Exception as err:
        return report(False, f"the model cannot take noise of shape {z.shape}: {type(err).__name__}: {err}")
    if out.shape != (4, 28, 28, 1):
        return report(False, f"output shape {out.shape}, expected (4, 28, 28, 1). Count the stride-2 layers.")
    if not np.isfinite(out).all():
        return report(False, "the output holds NaN or infinite pixels.")
    # An untrained network's outputs are small; large noise shows whether a tanh bounds them.
    big = np.asarray(keras.ops.convert_to_numpy(model(1000.0 * z, training=False)))
    if min(out.min(), big.min()) < -1.0 - 1e-5 or max(out.max(), big.max()) > 1.0 + 1e-5:
        return report(False, "outputs leave [-1, 1]: end with a tanh activation.")
    if out.min() >= 0.0:
        return report(False, "outputs are never negative: a sigmoid gives [0, 1], the data is in [-1, 1]; use tanh.")
    return report(True, f"(4, {latent_dim}) -> (4, 28, 28, 1) in [-1, 1], {model.count_params():,} parameters.")


_PROBE_SCALE = 1000.0


def _probe_images() -> np.ndarray:
    """16 images in [-1, 1] and far beyond: products on black, noise, and noise scaled up 1000 times.

    An untrained logit head can give small positive scores to every ordinary image; scaled up
    1000 times, the images push any logit out of [0, 1], while a probability stays inside.
    """
    rng = np.random.default_rng(0)
    products = np.full((6, 28, 28, 1), -1.0, np.float32)
    for i, image in enumerate(products):
        image[4 + i : 24 - i, 6:22] = rng.uniform(0.0, 1.0)
    noise = rng.uniform(-1.0, 1.0, (5, 28, 28, 1)).astype(np.float32)
    return np.concatenate([products, noise, _PROBE_SCALE * noise]).astype(np.float32)


def _final_activation(model) -> str | None:
    """The name of the activation after the model's last weighted layer ("linear" for none)."""
    for layer in reversed(model.layers):
        name = getattr(getattr(layer, "activation", None), "__name__", None)
        if name not in (None, "linear") or layer.weights:
            return name or "linear"
    return None


@checker
def check_discriminator(build_fn) -> bool:
    """Exercise (04): ``build_fn()`` returns a discriminator (batch, 28, 28, 1) -> (batch, 1) logits.

    The output must be a logit (any real number, no sigmoid), one per image.
    Taught in notebooks/04_building_dcgan.ipynb.
    """
    import keras

    model = _as_model(call_answer(build_fn))
    images = _probe_images()
    try:
        out = np.asarray(keras.ops.convert_to_numpy(model(images, training=False)), dtype=np.float64)
    except Exception as err:
        return report(False, f"the model cannot take images of shape {images.shape}: {type(err).__name__}: {err}")
    batch = len(images)
    if out.shape == (batch,):
        return report(False, f"output shape {out.shape}: keep the last axis, (batch, 1), as Dense(1) gives.")
    if out.ndim == 2 and out.shape[0] == batch and out.shape[1] != 1:
        return report(False, f"output shape {out.shape}: one logit per image, so end with Dense(1), not Dense({out.shape[1]}).")
    if out.shape != (batch, 1):
        return report(False, f"output shape {out.shape}, expected ({batch}, 1): Flatten the feature maps, then Dense(1).")
    if not np.isfinite(out).all():
        return report(False, "the output holds NaN or infinite values.")
    final = _final_activation(model)
    if final in ("sigmoid", "softmax"):
        return report(False, f"the last layer applies a {final}: output the logit (Dense(1) with no "
                              "activation); pgan's losses take logits (from_logits=True).")
    if final == "relu":
        return report(False, "the last layer applies a ReLU: a logit is any real number, negative for "
                              "'fake'; use Dense(1) with no activation.")
    if out.min() >= 0.0 and out.max() <= 1.0:
        return report(False, f"every output lies in [0, 1], even for images scaled up {_PROBE_SCALE:.0f} times: that looks "
                              "like a probability. Output the logit (no sigmoid); pgan's losses take logits.")
    if np.ptp(out) < 1e-6:
        return report(False, "every image gets the same score: the output does not depend on the image.")
    return report(True, f"({batch}, 28, 28, 1) -> ({batch}, 1) logits, no sigmoid, {model.count_params():,} parameters.")
