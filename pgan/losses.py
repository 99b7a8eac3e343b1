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


# ------------------------------------------------------------------ other losses
# Each family is a pair: a discriminator loss of (real_logits, fake_logits) and a
# generator loss of (fake_logits, real_logits=None). "Logits" here are D's raw
# outputs; for the Wasserstein loss they are the critic's scores.


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss of D (SAGAN, BigGAN): mean relu(1 - real) + mean relu(1 + fake).

    Zero once real scores are above 1 and fake scores below -1: D stops pushing
    on examples it already separates by a margin. Taught in notebooks/09_stabilizing_training.ipynb.
    """
    real, fake = _logits(real_logits), _logits(fake_logits)
    return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))


def hinge_generator_loss(fake_logits, real_logits=None):
    """Generator loss paired with the hinge D loss: -mean(D(G(z)))."""
    return -ops.mean(_logits(fake_logits))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Critic loss of WGAN: mean(fake) - mean(real) (an estimate of -W1 when D is 1-Lipschitz).

    Needs a Lipschitz constraint: add :func:`gradient_penalty` (WGAN-GP).
    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    return ops.mean(_logits(fake_logits)) - ops.mean(_logits(real_logits))


def wasserstein_generator_loss(fake_logits, real_logits=None):
    """Generator loss of WGAN: -mean(critic(G(z)))."""
    return -ops.mean(_logits(fake_logits))


def least_squares_discriminator_loss(real_logits, fake_logits):
    """LSGAN loss of D: 0.5 mean (real - 1)^2 + 0.5 mean fake^2.

    Fakes far on the correct side of the boundary still get a gradient, which
    the sigmoid cross-entropy loses. Taught in notebooks/09_stabilizing_training.ipynb.
    """
    real, fake = _logits(real_logits), _logits(fake_logits)
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_generator_loss(fake_logits, real_logits=None):
    """LSGAN loss of G: 0.5 mean (fake - 1)^2."""
    return 0.5 * ops.mean(ops.square(_logits(fake_logits) - 1.0))


def _needs_real(real_logits, name):
    if real_logits is None:
        raise ValueError(f"{name} compares fakes with real images: pass real_logits too.")
    return _logits(real_logits)


def relativistic_discriminator_loss(real_logits, fake_logits):
    """Relativistic average loss of D (RaGAN): is a real image more real than the average fake?

    softplus(-(real - mean fake)) + softplus(fake - mean real), averaged.
    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    real, fake = _logits(real_logits), _logits(fake_logits)
    return ops.mean(ops.softplus(-(real - ops.mean(fake)))) + ops.mean(ops.softplus(fake - ops.mean(real)))


def relativistic_generator_loss(fake_logits, real_logits=None):
    """Relativistic average loss of G: the D loss with the roles of real and fake swapped."""
    real = _needs_real(real_logits, "relativistic_generator_loss")
    return relativistic_discriminator_loss(fake_logits, real)


# ------------------------------------------------------------------ penalties


def interpolate(real, fake, weights):
    """Points on the lines between real and fake images: ``w * real + (1 - w) * fake``.

    Args:
        real, fake: image batches of the same shape (batch, H, W, C).
        weights: one weight per image, shape (batch,), drawn from U[0, 1]
            (WGAN-GP; a normal draw would leave the segment).
    """
    w = ops.reshape(ops.cast(weights, "float32"), (-1, 1, 1, 1))
    return w * ops.cast(real, "float32") + (1.0 - w) * ops.cast(fake, "float32")


def gradient_penalty(input_gradients, target: float = 1.0, epsilon: float = 1e-12):
    """WGAN-GP penalty: mean over the batch of (||dD/dx||_2 - target)^2.

    Args:
        input_gradients: gradients of D's output with respect to its input images
            (batch, H, W, C), taken at :func:`interpolate` points.
        target: the gradient norm to pull towards (1: a 1-Lipschitz critic).
        epsilon: added under the square root, so the penalty's own gradient is
            finite where D's gradient is exactly zero (sqrt'(0) is infinite).

    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    g = ops.cast(input_gradients, "float32")
    norms = ops.sqrt(ops.sum(ops.square(g), axis=tuple(range(1, len(g.shape)))) + epsilon)
    return ops.mean(ops.square(norms - target))


def r1_penalty(real_gradients):
    """R1 penalty (Mescheder et al. 2018): mean over real images of ||dD/dx||^2.

    Multiply by gamma / 2 (``GAN.compile(r1_weight=gamma)`` does). Pushes D to be
    flat around the real data, which makes the game converge locally.
    """
    g = ops.cast(real_gradients, "float32")
    return ops.mean(ops.sum(ops.square(g), axis=tuple(range(1, len(g.shape)))))


def auxiliary_class_loss(labels, class_logits):
    """AC-GAN's auxiliary loss: mean sparse categorical cross-entropy of D's class logits."""
    return ops.mean(
        ops.sparse_categorical_crossentropy(ops.cast(labels, "int32"), _logits(class_logits), from_logits=True)
    )


LOSS_FAMILIES = {
    "gan": (discriminator_loss, None),  # generator side: non_saturating or minimax
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "relativistic": (relativistic_discriminator_loss, relativistic_generator_loss),
}


def get_loss_family(name: str):
    """``(d_loss_fn, g_loss_fn)`` of a loss family: "gan", "hinge", "wasserstein", "least_squares", "relativistic".

    For "gan" the generator side is None: choose it with :func:`get_generator_loss`.
    """
    if name not in LOSS_FAMILIES:
        raise ValueError(f"Unknown loss {name!r}; choose one of {sorted(LOSS_FAMILIES)}.")
    return LOSS_FAMILIES[name]


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
