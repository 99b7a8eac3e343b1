"""Self-checks for notebook 05: training the GAN.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    MEAN_HINT,
    call_answer,
    checker,
    report,
    scalar,
)

__all__ = ["check_discriminator_step", "check_ema_half_life", "check_ema_update"]


# --- 05 Training your first GAN --------------------------------------------------------------------


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


@checker
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
        return scalar(discriminator_loss(discriminator(real, training=True), discriminator(fakes, training=True)))

    want, want_inference = loss_now(fake), loss_now(fake_inference)
    g_before, d_before = _snapshot(generator), _snapshot(discriminator)
    got = scalar(call_answer(step_fn, generator, discriminator, d_optimizer, real, noise),
                  "the discriminator loss, one number", MEAN_HINT)
    if _changed(generator, g_before):
        return report(False, "the generator's weights changed: a discriminator step updates "
                              "discriminator.trainable_variables only (make the fakes outside the tape).")
    if not _changed(discriminator, d_before):
        return report(False, "the discriminator's weights did not change: compute the gradients with the tape "
                              "and apply them with d_optimizer.apply(gradients, discriminator.trainable_variables).")
    after = loss_now(fake)
    if not after < want:
        return report(False, f"the step made the discriminator worse (loss {want:.3f} -> {after:.3f} on this batch): "
                              "label real images 1 and fakes 0, i.e. discriminator_loss(real_logits, fake_logits), "
                              "and let the optimizer descend the gradient.")
    if abs(got - want) > 1e-4:
        if abs(got - want_inference) < 1e-4:
            return report(False, "make the fakes with generator(noise, training=True), as GAN.train_step does "
                                  "(notebook 04: BatchNorm behaves differently in inference mode).")
        return report(False, f"returned {got:.4f}, but the discriminator loss before the update was {want:.4f}: "
                              "return discriminator_loss(real_logits, fake_logits) from inside the step.")
    return report(True, "only the discriminator's weights changed, and its loss on this batch went down.")


def _ema_case():
    rng = np.random.default_rng(0)
    ema = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    weights = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    return ema, weights


@checker
def check_ema_update(update_fn) -> bool:
    """Exercise (05): ``update_fn(ema_weights, weights, decay)`` returns the new averaged weights.

    The average moves toward the trained weights: ``decay * ema + (1 - decay) * w`` for each array.
    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    ema, weights = _ema_case()
    decay = 0.9
    kept = [a.copy() for a in ema]
    got = call_answer(update_fn, [a.copy() for a in ema], [w.copy() for w in weights], decay)
    if not isinstance(got, (list, tuple)) or len(got) != len(ema):
        return report(False, f"return a list of {len(ema)} arrays (one per weight), got {type(got).__name__}.")
    got = [np.asarray(g, dtype=np.float64) for g in got]
    for g, a in zip(got, ema, strict=True):
        if g.shape != a.shape:
            return report(False, f"an averaged weight has shape {g.shape}, expected {a.shape}.")
    want = [decay * a + (1 - decay) * w for a, w in zip(kept, weights, strict=True)]
    swapped = [(1 - decay) * a + decay * w for a, w in zip(kept, weights, strict=True)]

    def close(xs, ys):
        return all(np.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in zip(xs, ys, strict=True))

    if close(got, want):
        return report(True, "each averaged weight moved 10% of the way toward the trained one (decay 0.9).")
    if close(got, swapped):
        return report(False, "decay and 1 - decay are swapped: the average keeps `decay` of itself and "
                             "takes 1 - decay of the new weights.")
    if close(got, weights):
        return report(False, "you returned the trained weights: the average should move only part of the way.")
    if close(got, kept):
        return report(False, "the average did not move: add (1 - decay) times the trained weights.")
    return report(False, "not the update decay * ema + (1 - decay) * w (for decay 0.9, the first value "
                         f"should be {want[0].flat[0]:.4f}, got {got[0].flat[0]:.4f}).")


@checker
def check_ema_half_life(half_life_fn) -> bool:
    """Exercise (05): ``half_life_fn(decay)``: after how many steps an update's weight in the EMA halves.

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    for decay in (0.5, 0.9, 0.99, 0.999):
        want = np.log(0.5) / np.log(decay)
        got = scalar(call_answer(half_life_fn, decay), "one number of steps")
        if np.isclose(got, want, rtol=1e-3):
            continue
        if np.isclose(got, 1.0 / (1.0 - decay), rtol=1e-3):
            return report(False, f"1 / (1 - d) = {got:.0f} is the average's time constant (where a weight "
                                 "has fallen to 1/e), not its half-life: solve d^k = 1/2.")
        if np.isclose(got, -want, rtol=1e-3):
            return report(False, "the sign is wrong: log(d) is negative, so k = log(1/2) / log(d) is positive.")
        return report(False, f"for decay {decay} got {got:.4g}, expected {want:.4g}: solve d^k = 1/2 for k.")
    return report(True, f"d = 0.99 halves in {np.log(0.5) / np.log(0.99):.0f} steps, d = 0.999 in "
                        f"{np.log(0.5) / np.log(0.999):.0f}.")
