"""GAN losses as pure functions of discriminator logits.

The discriminator outputs a logit ``l``; D(x) = sigmoid(l). Writing every loss
with ``softplus`` keeps it exact where ``log(sigmoid(l))`` would underflow:

    -log(sigmoid(l))     = softplus(-l)
    -log(1 - sigmoid(l)) = softplus(l)

The source article's formulas, written correctly:

    L_D = -log D(x) - log(1 - D(G(z)))   -> discriminator_loss
    L_G = -log D(G(z))  (non-saturating) -> generator_loss
    L_G =  log(1 - D(G(z)))  (minimax)   -> minimax_generator_loss

Taught in notebooks/03_gan_theory.ipynb.
"""

from __future__ import annotations

from keras import ops


def _logits(x):
    # Losses are computed in float32 even when the model runs in float16/bfloat16.
    return ops.cast(x, "float32")


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Binary cross-entropy of D: real images labelled 1, generated images 0.

    Args:
        real_logits: D's logits on real images.
        fake_logits: D's logits on generated images.
        label_smoothing: one-sided smoothing; real targets become ``1 - label_smoothing``.

    Returns:
        A scalar: mean over real + mean over fake. Equals 2 log 2 ~ 1.386 when D
        outputs 0.5 everywhere.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing!r}.")
    real, fake = _logits(real_logits), _logits(fake_logits)
    target = 1.0 - label_smoothing
    real_term = target * ops.softplus(-real) + (1.0 - target) * ops.softplus(real)
    return ops.mean(real_term) + ops.mean(ops.softplus(fake))


def generator_loss(fake_logits):
    """Non-saturating generator loss, -log D(G(z)), mean over the batch.

    Its gradient is large exactly when D confidently rejects the fakes, which is
    the situation early in training. Taught in notebooks/03_gan_theory.ipynb.
    """
    return ops.mean(ops.softplus(-_logits(fake_logits)))


def minimax_generator_loss(fake_logits):
    """The original minimax generator loss, log(1 - D(G(z))), mean over the batch.

    G minimises it. Its gradient vanishes when D rejects the fakes
    (D(G(z)) -> 0), which is why :func:`generator_loss` is used in practice.
    Taught in notebooks/03_gan_theory.ipynb.
    """
    return -ops.mean(ops.softplus(_logits(fake_logits)))


GENERATOR_LOSSES = {
    "non_saturating": generator_loss,
    "minimax": minimax_generator_loss,
}


def get_generator_loss(name_or_fn):
    """Look up a generator loss by name ("non_saturating", "minimax") or pass a callable through."""
    if callable(name_or_fn):
        return name_or_fn
    if name_or_fn not in GENERATOR_LOSSES:
        raise ValueError(
            f"Unknown generator loss {name_or_fn!r}; choose one of {sorted(GENERATOR_LOSSES)} "
            "or pass a function of the fake logits."
        )
    return GENERATOR_LOSSES[name_or_fn]
