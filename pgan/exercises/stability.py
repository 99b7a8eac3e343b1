"""Self-checks for notebook 09: stabilizing training.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    Failed,
    call_answer,
    checker,
    fixed_logits,
    report,
    scalar,
)

__all__ = ["check_gradient_penalty", "check_hinge_loss", "check_power_iteration"]


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


@checker
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
    got = scalar(call_answer(penalty_fn, critic, real.copy(), fake.copy()), "one number (the mean penalty)")
    if not critic.inputs:
        return report(False, "your function never called critic(...): score the interpolated points with it.")
    points = critic.inputs[-1]
    if points.shape != real.shape:
        return report(False, f"the critic saw a batch of shape {points.shape}, expected {real.shape}: "
                              "interpolate each real image with its fake, w * real + (1 - w) * fake.")
    weights, residual = _segment_weights(points, real.astype(np.float64), fake.astype(np.float64))
    if residual.max() > 1e-3:
        return report(False, "the points are not on the lines between real and fake images: draw one weight per "
                              "image, shape (batch, 1, 1, 1), and mix w * real + (1 - w) * fake.")
    if weights.min() < -1e-4 or weights.max() > 1.0 + 1e-4:
        return report(False, "some interpolation weights are below 0 or above 1: draw them from U[0, 1] "
                              "(keras.random.uniform), not from a normal distribution, so every point lies "
                              "between its real and its fake image.")
    if weights.std() < 1e-6:
        return report(False, "every image got the same interpolation weight: draw one random weight per image.")
    if not (0.4 < weights.mean() < 0.6 and 0.2 < weights.std() < 0.37):
        return report(False, "the interpolation weights do not look uniform on [0, 1] (mean 0.5, standard "
                              "deviation 0.29): use keras.random.uniform.")
    sums = np.sum((scale * points.reshape(len(points), -1)) ** 2, axis=1)
    norms = np.sqrt(sums)
    want = float(np.mean((norms - 1.0) ** 2))
    if not np.isfinite(got):
        return report(False, "the penalty is not finite.")
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
                return report(False, hint)
        return report(False, f"got {got:.4f}, expected {want:.4f}: the mean over the batch of "
                              "(||dD/dx|| - 1)^2 at your points.")
    flat = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        penalty_at_zero = call_answer(penalty_fn, _QuadraticCritic(flat), real.copy(), fake.copy())
    try:
        gradient = tape.gradient(penalty_at_zero, flat)
    except (TypeError, ValueError):  # a Python or numpy number: nothing to differentiate
        gradient = None
    if gradient is None:
        return report(False, "the penalty does not depend on the critic's weights: compute dD/dx with a "
                              "GradientTape inside your function (not with numpy), so D's optimizer can follow it.")
    if not np.isfinite(float(gradient)):
        return report(False, "the penalty's gradient is NaN where the critic's input gradient is exactly zero "
                              "(the square root's slope is infinite at 0): add a small epsilon, "
                              "sqrt(sum(g^2) + 1e-12).")
    return report(True, "one uniform weight per image, the mean of (||dD/dx|| - 1)^2, and a finite "
                         "gradient even where dD/dx = 0.")


@checker
def check_hinge_loss(loss_fn) -> bool:
    """Exercise (09): the hinge loss of D, mean relu(1 - real) + mean relu(1 + fake).

    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    from pgan.losses import discriminator_loss, hinge_discriminator_loss

    real, fake = fixed_logits()
    real = real.copy()
    fake = fake.copy()
    real[2:6, 0] = [0.5, 1.0, 1.5, -0.5]  # scores on both sides of the margins
    fake[2:6, 0] = [-0.5, -1.0, -1.5, 0.5]
    got = scalar(call_answer(loss_fn, real.copy(), fake.copy()), "one number (the mean loss)")
    want = scalar(hinge_discriminator_loss(real, fake))
    if np.isclose(got, want, rtol=1e-5, atol=1e-5):
        return report(True, f"{got:.4f}: zero for real scores above +1 and fake scores below -1.")
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    diagnoses = [
        (scalar(hinge_discriminator_loss(fake, real)), "real and fake are swapped: push real scores above +1, "
                                                         "relu(1 - real), and fake scores below -1, relu(1 + fake)."),
        (np.mean(1.0 - real) + np.mean(1.0 + fake), "without the relu the loss keeps rewarding scores past the "
                                                      "margin (that is the Wasserstein loss plus 2): clip each "
                                                      "term at 0 with ops.relu."),
        (np.mean(relu(real - 1.0)) + np.mean(relu(-1.0 - fake)), "the relu's argument has the wrong sign: "
                                                                   "relu(1 - real) is zero once real > 1."),
        (np.sum(relu(1.0 - real)) + np.sum(relu(1.0 + fake)), "average over the batch (ops.mean), don't sum."),
        (np.mean(np.concatenate([relu(1.0 - real), relu(1.0 + fake)])),
         "average each term over its own batch, then add the two means."),
        (scalar(discriminator_loss(real, fake)), "that is the cross-entropy loss of notebook 03; the hinge loss "
                                                   "is relu(1 - real) + relu(1 + fake)."),
    ]
    for value, hint in diagnoses:
        if np.isclose(got, value, rtol=1e-5, atol=1e-5):
            return report(False, hint)
    return report(False, f"got {got:.4f}, expected {want:.4f}: mean relu(1 - real) + mean relu(1 + fake).")


def _as_vector(value) -> np.ndarray:
    """A numpy or Keras array as a flat float64 numpy vector."""
    from keras import ops

    if not isinstance(value, np.ndarray):
        value = ops.convert_to_numpy(value)
    return np.asarray(value, dtype=np.float64).reshape(-1)


def _power_step(matrix, u):
    """One reference step: v = W u / ||W u||, then u' = W^T v / ||W^T v||; sigma = ||W^T v||."""
    v = matrix @ u
    v = v / np.linalg.norm(v)
    w = matrix.T @ v
    return float(np.linalg.norm(w)), w / np.linalg.norm(w)


@checker
def check_power_iteration(step_fn) -> bool:
    """Exercise (09): ``step_fn(matrix, u) -> (sigma, new_u)``, one step of power iteration.

    With W of shape (m, n) and a unit vector u of length n: v = W u / ||W u||,
    u' = W^T v / ||W^T v||, and sigma = ||W^T v|| (or ||W u'||), the estimate of W's
    largest singular value that spectral normalisation divides by. Checked on one
    step from a fixed u, then on 30 steps against the exact value from an SVD.
    Taught in notebooks/09_stabilizing_training.ipynb.
    """
    rng = np.random.default_rng(9)
    left, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    right, _ = np.linalg.qr(rng.normal(size=(7, 7)))
    singular_values = np.array([3.0, 1.5, 1.0, 0.8, 0.5, 0.3, 0.1])
    matrix = left[:, :7] @ np.diag(singular_values) @ right.T  # W is 12 x 7, sigma(W) = 3
    u0 = rng.normal(size=7)
    u0 /= np.linalg.norm(u0)

    def call(u):
        result = call_answer(step_fn, matrix.copy(), u.copy())
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Failed("return two things, (sigma, new_u): the estimate and the vector for the next call.")
        sigma = scalar(result[0], "one number as sigma")
        new_u = _as_vector(result[1])
        return sigma, new_u

    sigma, u1 = call(u0)
    if u1.shape == (12,):
        return report(False, "new_u has length 12, the length of v = W u: return u' = W^T v / ||W^T v||, "
                              "length 7 like the u you were given.")
    if u1.shape != (7,):
        return report(False, f"new_u has {u1.size} numbers, expected 7 (the length of u).")
    want_sigma, want_u = _power_step(matrix, u0)
    if np.allclose(u1, u0, atol=1e-6):
        return report(False, "new_u is the u you were given: return the refined vector, so the next call "
                              "continues from it.")
    if not np.isclose(np.linalg.norm(u1), 1.0, rtol=1e-4):
        return report(False, f"new_u has length {np.linalg.norm(u1):.3f}: divide it by its norm, or it grows or "
                              "shrinks with every call.")
    if np.isclose(sigma, np.linalg.norm(matrix), rtol=1e-4):
        return report(False, "that is the Frobenius norm, sqrt(sum of all sigma_i^2); the spectral norm is the "
                              "largest singular value alone.")
    if np.isclose(sigma, np.linalg.norm(matrix.T @ (matrix @ u0)), rtol=1e-4):
        return report(False, "sigma = ||W^T W u|| is about sigma squared: normalise v = W u / ||W u|| before "
                              "you multiply by W^T.")
    if not np.allclose(u1, want_u, atol=1e-5) and not np.allclose(u1, -want_u, atol=1e-5):
        if np.isclose(sigma, singular_values[0], rtol=1e-6):
            return report(False, "that is the exact answer (an SVD?): do one step of power iteration per call, "
                                  "as SpectralNorm does at every training call.")
        return report(False, "new_u is not W^T v / ||W^T v|| with v = W u / ||W u||.")
    accepted = (want_sigma, float(np.linalg.norm(matrix @ u1)), float(np.linalg.norm(matrix @ u0)))
    if not any(np.isclose(sigma, value, rtol=1e-4) for value in accepted):
        return report(False, f"new_u is right but sigma = {sigma:.4f} after one step, expected {want_sigma:.4f}: "
                              "sigma = ||W^T v|| (or ||W new_u||).")
    u = u1
    for _ in range(29):
        sigma, u = call(u)
    if not np.isclose(sigma, singular_values[0], rtol=1e-3):
        return report(False, f"after 30 calls sigma is {sigma:.4f}, but the largest singular value is "
                              f"{singular_values[0]:.4f}: feed each call the u the previous one returned.")
    return report(True, f"one step gives {want_sigma:.3f}, 30 steps {sigma:.4f}: the largest singular value, 3, "
                         "without an SVD.")
