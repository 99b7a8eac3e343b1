"""Self-checks for notebook 12: flow matching.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    Failed,
    call_answer,
    checker,
    report,
)

__all__ = ["check_euler_step", "check_flow_pair", "check_guidance"]

TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def _array(value, what: str) -> np.ndarray:
    """``value`` (numpy, a tensor, a list) as a float64 numpy array, or ``Failed`` naming ``what``."""
    from keras import ops

    try:
        return np.asarray(ops.convert_to_numpy(value), dtype=np.float64)
    except Exception:  # a string, a dict, anything that is not numbers
        raise Failed(f"return {what} as an array of numbers, got {type(value).__name__}.") from None


def _close(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, **TOLERANCE)


# --- 12 Flow matching ---------------------------------------------------------------------------


def _flow_case():
    """Three 4x4 noise and data images and one time per image (0 is among them)."""
    rng = np.random.default_rng(12)
    noise = rng.standard_normal((3, 4, 4, 1)).astype(np.float32)
    data = rng.uniform(-1.0, 1.0, (3, 4, 4, 1)).astype(np.float32)
    t = np.array([0.0, 0.3, 0.8], dtype=np.float32)
    return noise, data, t


@checker
def check_flow_pair(pair_fn) -> bool:
    """Exercise (12): ``pair_fn(noise, data, t)`` returns ``(x_t, target)``, a flow-matching training pair.

    ``noise`` and ``data`` are (batch, H, W, C) arrays, ``t`` has one time per image
    (batch,). The answer is the point on the straight path, ``(1 - t) * noise + t * data``
    with ``t`` broadcast over each image, and the velocity the network must predict
    there, ``data - noise``. Compared with :func:`pgan.diffusion.interpolate` and
    :func:`pgan.diffusion.velocity_target`.
    Taught in notebooks/12_flow_matching.ipynb.
    """
    from pgan import diffusion

    noise, data, t = _flow_case()
    got = call_answer(pair_fn, noise.copy(), data.copy(), t.copy())
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return report(False, f"return two arrays, (x_t, target), got {type(got).__name__}"
                             + (f" of length {len(got)}." if isinstance(got, (tuple, list)) else "."))
    x_t, target = _array(got[0], "x_t"), _array(got[1], "the target")
    want_x = _array(diffusion.interpolate(noise, data, t), "x_t")
    want_v = _array(diffusion.velocity_target(noise, data), "the target")
    if x_t.shape != want_x.shape:
        return report(False, f"x_t has shape {x_t.shape}, expected {want_x.shape} (the images' shape): reshape t "
                             "to (batch, 1, 1, 1), e.g. t[:, None, None, None], so each image gets its own t.")
    t4 = t[:, None, None, None].astype(np.float64)
    if _close(x_t, t4 * noise + (1 - t4) * data):
        return report(False, "x_t runs the wrong way: at t = 0 it must be the noise and at t = 1 the data, "
                             "(1 - t) * noise + t * data.")
    if not _close(x_t, want_x):
        return report(False, f"x_t is not (1 - t) * noise + t * data (for t = {t[1]}, its first pixel should be "
                             f"{want_x[1].flat[0]:.4f}, got {x_t[1].flat[0]:.4f}).")
    if target.shape == want_v.shape and _close(target, -want_v):
        return report(False, "the target points from the data to the noise: the velocity along the path from "
                             "noise (t = 0) to data (t = 1) is data - noise.")
    if target.shape == want_v.shape and _close(target, data - x_t):
        return report(False, "data - x_t shrinks to 0 as t grows; the velocity of the straight path is the same "
                             "at every t: data - noise.")
    if not _close(target, want_v):
        return report(False, f"the target has shape {target.shape} and is not data - noise, the velocity along "
                             "the straight path.")
    return report(True, "x_t starts at the noise, ends at the data, and moves at the constant velocity "
                        "data - noise.")


def _euler_case():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 3, 1)).astype(np.float32)
    calls = []

    def velocity(images, t):
        calls.append(float(t))
        return (1.0 + t) * images - 0.5

    return x, velocity, calls


@checker
def check_euler_step(step_fn) -> bool:
    """Exercise (12): ``step_fn(velocity_fn, x, t, dt)`` takes one Euler step of the sampling ODE.

    The answer is ``x + dt * velocity_fn(x, t)``: the images move ``dt`` along the
    velocity the network predicts at the current time. Compared with
    :func:`pgan.diffusion.euler_step` on a velocity that depends on ``x`` and ``t``.
    Taught in notebooks/12_flow_matching.ipynb.
    """
    from pgan import diffusion

    x, velocity, calls = _euler_case()
    t, dt = 0.25, 0.125
    want = _array(diffusion.euler_step(velocity, x, t, dt), "the new images")
    calls.clear()
    got = _array(call_answer(step_fn, velocity, x.copy(), t, dt), "the new images")
    v = _array(velocity(x, t), "v")
    if got.shape != want.shape:
        return report(False, f"returned shape {got.shape}, expected {want.shape}: the images after the step.")
    if _close(got, want):
        return report(True, f"x + dt * v(x, t): the images moved 1/{round(1 / dt)} of the way along the velocity.")
    if _close(got, v):
        return report(False, "you returned the velocity; return the images after the step, x + dt * v.")
    if _close(got, x - dt * v):
        return report(False, "the sign is wrong: sampling runs from t = 0 (noise) to t = 1 (data), so x + dt * v.")
    if _close(got, x + v):
        return report(False, "the whole velocity was added: scale it by the step, x + dt * v.")
    if _close(got, x + dt * _array(velocity(x, t + dt), "v")):
        return report(False, "you evaluated the velocity at t + dt: an Euler step uses the velocity at the "
                             "current time t (Heun's step also looks at the end).")
    if _close(got, x):
        return report(False, "the images did not move: add dt times velocity_fn(x, t).")
    return report(False, f"not x + dt * velocity_fn(x, t) (the first value should be {want.flat[0]:.4f}, got "
                         f"{got.flat[0]:.4f}).")


@checker
def check_guidance(guidance_fn) -> bool:
    """Exercise (12): ``guidance_fn(v_cond, v_uncond, guidance)``, the classifier-free guided velocity.

    The answer is ``v_uncond + guidance * (v_cond - v_uncond)``: guidance 1 gives the
    conditional velocity, 0 the unconditional one, larger values push further from
    "no class" towards the class (as :mod:`pgan.diffusion.flow` samples).
    Taught in notebooks/12_flow_matching.ipynb.
    """
    rng = np.random.default_rng(7)
    v_cond = rng.standard_normal((2, 4, 4, 1)).astype(np.float32)
    v_uncond = rng.standard_normal((2, 4, 4, 1)).astype(np.float32)
    results = {}
    for guidance in (0.0, 1.0, 2.5):
        results[guidance] = _array(call_answer(guidance_fn, v_cond.copy(), v_uncond.copy(), guidance),
                                   "the guided velocity")
    want = {g: v_uncond + g * (v_cond - v_uncond) for g in results}
    if all(_close(results[g], want[g]) for g in results):
        return report(True, "guidance 0 is the unconditional velocity, 1 the conditional one, 2.5 goes past it.")
    got = results[2.5]
    if got.shape != v_cond.shape:
        return report(False, f"returned shape {got.shape}, expected {v_cond.shape}: one velocity per pixel.")
    if _close(got, v_cond + 2.5 * (v_uncond - v_cond)):
        return report(False, "v_cond and v_uncond are swapped: start from the unconditional velocity and move "
                             "guidance times (v_cond - v_uncond) towards the class.")
    if _close(got, v_cond + 2.5 * (v_cond - v_uncond)):
        return report(False, "that is the (1 + w) convention, where w = 0 means no guidance; here guidance 1 must "
                             "give v_cond alone: v_uncond + guidance * (v_cond - v_uncond).")
    if _close(got, 2.5 * v_cond):
        return report(False, "scaling v_cond alone also scales the image's speed; mix the two velocities: "
                             "v_uncond + guidance * (v_cond - v_uncond).")
    if not _close(results[1.0], v_cond):
        return report(False, "with guidance 1 the answer must be v_cond, the conditional velocity alone.")
    return report(False, f"not v_uncond + guidance * (v_cond - v_uncond) (for guidance 2.5 the first value should "
                         f"be {want[2.5].flat[0]:.4f}, got {got.flat[0]:.4f}).")
