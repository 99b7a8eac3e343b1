"""Flow matching (rectified flow): the objective and the samplers, as small pure functions.

A straight path joins each noise image to a data image:
``x_t = (1 - t) * noise + t * data`` for t from 0 (noise) to 1 (data). Along it the
image moves at the constant velocity ``data - noise``. A network trained to predict
that velocity from ``(x_t, t)`` (a mean squared error) learns, for every noisy
image, the average direction towards the data. Sampling starts from fresh noise at
t = 0 and follows the predicted velocity to t = 1 in a few steps of an ODE solver
(Euler: ``x <- x + dt * v(x, t)``).

Classifier-free guidance mixes a conditional network's velocity for a class with its
velocity for "no class": ``v = v_uncond + guidance * (v_cond - v_uncond)``;
guidance 1 is the conditional velocity, larger values push samples towards what
makes the class recognisable.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

SOLVERS = ("euler", "heun")
TIME_SAMPLINGS = ("uniform", "logit_normal")


def _per_example(t, x):
    """``t`` (batch,) reshaped to broadcast against ``x`` (batch, H, W, C)."""
    return ops.reshape(ops.cast(t, x.dtype), (-1,) + (1,) * (len(x.shape) - 1))


def interpolate(noise, data, t):
    """The point at time ``t`` on the straight path from ``noise`` (t = 0) to ``data`` (t = 1).

    Args:
        noise, data: arrays (batch, H, W, C).
        t: times in [0, 1], shape (batch,).

    Returns:
        ``(1 - t) * noise + t * data``, one t per image.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    noise, data = ops.convert_to_tensor(noise), ops.convert_to_tensor(data)
    t = _per_example(t, data)
    return (1.0 - t) * noise + t * data


def velocity_target(noise, data):
    """The velocity along the straight path, the same at every t: ``data - noise``.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    return ops.convert_to_tensor(data) - ops.convert_to_tensor(noise)


def flow_matching_loss(predicted_velocity, noise, data):
    """The flow-matching loss: mean squared error between the predicted and the true velocity.

    Args:
        predicted_velocity: the network's output at ``interpolate(noise, data, t)``.
        noise, data: the two ends of each image's path.

    Returns:
        A scalar: the mean over images and pixels of ``(predicted - (data - noise))**2``.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    error = ops.cast(predicted_velocity, "float32") - ops.cast(velocity_target(noise, data), "float32")
    return ops.mean(ops.square(error))


def sample_times(batch_size, seed, distribution: str = "logit_normal"):
    """Training times t in (0, 1), one per image.

    ``"uniform"``: every t equally often. ``"logit_normal"`` (Esser et al. 2024):
    ``sigmoid(n)`` for a standard normal ``n``, which draws the middle of the path,
    where the velocity is hardest to guess, more often than its ends.

    Args:
        batch_size: how many times.
        seed: a ``keras.random.SeedGenerator`` (or an int).
        distribution: "logit_normal" or "uniform".
    """
    if distribution == "uniform":
        return keras.random.uniform((batch_size,), seed=seed)
    if distribution == "logit_normal":
        return ops.sigmoid(keras.random.normal((batch_size,), seed=seed))
    raise ValueError(f"Unknown time distribution {distribution!r}: choose one of {list(TIME_SAMPLINGS)}.")


def euler_step(velocity_fn, x, t: float, dt: float):
    """One Euler step of the sampling ODE: ``x + dt * velocity_fn(x, t)``.

    Args:
        velocity_fn: ``(x, t) -> velocity`` (t a float: the same time for every image).
        x: the images at time ``t``.
        t: the current time.
        dt: the step (``1 / steps``).

    Taught in notebooks/12_flow_matching.ipynb.
    """
    return x + dt * velocity_fn(x, t)


def heun_step(velocity_fn, x, t: float, dt: float):
    """One Heun step: an Euler step, then the average of the velocities at its start and its end.

    Two network evaluations per step, and second-order accurate: at the same
    number of evaluations it usually lands closer to the exact ODE solution than
    twice as many Euler steps when the path is curved.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    v_start = velocity_fn(x, t)
    v_end = velocity_fn(x + dt * v_start, t + dt)
    return x + 0.5 * dt * (v_start + v_end)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int (the ODE solver's steps, e.g. 32), got {steps!r}.")
    return int(steps)


def _check_guidance(guidance) -> float:
    if isinstance(guidance, bool) or not isinstance(guidance, (int, float, np.floating)) or not guidance >= 0:
        raise ValueError(f"guidance must be a number >= 0 (1: no guidance, e.g. 2.0), got {guidance!r}.")
    return float(guidance)


def velocity_function(network, labels=None, guidance: float = 1.0):
    """``(x, t) -> velocity`` of a velocity network, with classifier-free guidance for a conditional one.

    Args:
        network: a network from :func:`pgan.diffusion.build_velocity_net`.
        labels: int labels (batch,) of a conditional network (``num_classes`` means "no class").
        guidance: ``v_uncond + guidance * (v_cond - v_uncond)``; 1 is the conditional
            velocity alone (one network evaluation instead of two).

    The network runs compiled (``predict_on_batch``); images and velocities are numpy.
    """
    from pgan.diffusion.unet import num_classes_of

    num_classes = num_classes_of(network)
    guidance = _check_guidance(guidance)

    def velocity(x, t):
        times = np.full(len(x), t, dtype=np.float32)
        if num_classes is None:
            return network.predict_on_batch([x, times])
        if guidance == 1.0:
            return network.predict_on_batch([x, times, labels])
        null = np.full(len(x), num_classes, dtype=np.int32)
        both = network.predict_on_batch([np.concatenate([x, x]), np.concatenate([times, times]),
                                         np.concatenate([labels, null])])
        conditional, unconditional = both[: len(x)], both[len(x) :]
        return unconditional + guidance * (conditional - unconditional)

    return velocity


def integrate(network, noise, steps: int = 32, labels=None, guidance: float = 1.0, solver: str = "euler",
              batch_size: int = 500) -> np.ndarray:
    """Follow the network's velocity from ``noise`` (t = 0) to images (t = 1) in ``steps`` equal steps.

    Args:
        network: a velocity network (:func:`pgan.diffusion.build_velocity_net`).
        noise: float32 (N, H, W, C) starting points.
        steps: solver steps (each Heun step evaluates the network twice).
        labels: int32 (N,) classes of a conditional network (checked by :func:`sample`).
        guidance: classifier-free guidance scale (conditional networks).
        solver: "euler" or "heun".
        batch_size: images per network call.

    Returns:
        float32 (N, H, W, C) images, clipped to [-1, 1].
    """
    steps = _check_steps(steps)
    if solver not in SOLVERS:
        raise ValueError(f"Unknown solver {solver!r}: choose one of {list(SOLVERS)}.")
    step = euler_step if solver == "euler" else heun_step
    noise = np.asarray(noise, dtype=np.float32)
    dt = 1.0 / steps
    chunks = []
    for start in range(0, len(noise), batch_size):
        rows = slice(start, start + batch_size)
        velocity = velocity_function(network, None if labels is None else labels[rows], guidance)
        x = noise[rows]
        for i in range(steps):
            x = step(velocity, x, i * dt, dt)
        chunks.append(np.clip(x, -1.0, 1.0))
    return np.concatenate(chunks).astype(np.float32)


def sample_labels(network, num_examples: int, labels=None) -> np.ndarray | None:
    """The int32 labels to sample ``num_examples`` images of ``network`` with (None: unconditional).

    ``labels``: None (the classes in turn), one int for every image, or ``num_examples`` ints; the same
    rules as a conditional GAN's (:func:`pgan.sampling.class_labels`, which reads a flow network's classes).

    Raises:
        ValueError: labels for an unconditional network, or not in 0..num_classes-1.
    """
    from pgan.sampling import class_labels

    return class_labels(network, num_examples, labels)


def sample(network, num_examples: int, steps: int = 32, seed: int | None = None, labels=None,
           guidance: float = 1.0, solver: str = "euler", batch_size: int = 500) -> np.ndarray:
    """Draw ``num_examples`` images in [-1, 1] from a velocity network: noise, then ``steps`` solver steps.

    The same ``seed`` gives the same images. For a conditional network ``labels``
    picks the classes (default: all classes in turn) and ``guidance`` the
    classifier-free guidance scale.

    Returns:
        float32 numpy (num_examples, H, W, C) in [-1, 1].

    Raises:
        ValueError: a bad ``num_examples``, ``steps``, ``guidance``, ``solver`` or label.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    if isinstance(num_examples, bool) or not isinstance(num_examples, (int, np.integer)) or num_examples < 1:
        raise ValueError(f"num_examples must be a positive int, got {num_examples!r}.")
    _check_steps(steps)
    labels = sample_labels(network, int(num_examples), labels)
    shape = tuple(int(s) for s in network.inputs[0].shape[1:])
    noise = np.random.default_rng(seed).standard_normal((int(num_examples), *shape)).astype(np.float32)
    return integrate(network, noise, steps, labels, guidance, solver, batch_size)
