"""Self-checks for notebook 11: the interactive explorer.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    call_answer,
    checker,
    report,
)

__all__ = ["check_slerp", "check_truncation"]


# --- 11 Interactive explorer ---------------------------------------------------------------


@checker
def check_slerp(slerp_fn) -> bool:
    """Exercise (11): ``slerp_fn(a, b, t)``, spherical interpolation between two latent vectors.

    Compared with :func:`pgan.widgets.slerp` at t = 0, 0.3, 0.5 and 1 on fixed vectors.
    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    from pgan.widgets import slerp

    rng = np.random.default_rng(11)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    for t in (0.0, 0.3, 0.5, 1.0):
        got = np.asarray(call_answer(slerp_fn, a.copy(), b.copy(), t), dtype=np.float64)
        want = np.asarray(slerp(a, b, t), dtype=np.float64)
        if got.shape != want.shape:
            return report(False, f"return one vector of shape {want.shape}, got shape {got.shape}.")
        if not np.allclose(got, want, atol=1e-5):
            if np.allclose(got, (1 - t) * a + t * b, atol=1e-5):
                return report(False, "that is the straight line (lerp): at t = 0.5 it is shorter than a and b; "
                                      "use the angle omega = arccos(a.b / (|a| |b|)).")
            return report(False, f"at t = {t} your point differs from slerp's by up to "
                                  f"{np.abs(got - want).max():.3g}; check sin((1 - t) omega) and sin(t omega).")
    return report(True, "your path follows the arc: same points as widgets.slerp at t = 0, 0.3, 0.5, 1.")


@checker
def check_truncation(truncate_fn) -> bool:
    """Exercise (11): ``truncate_fn(w, psi, w_mean)``, the truncation trick as a pull toward the mean latent.

    The answer is ``w_mean + psi * (w - w_mean)`` (StyleGAN's form, on its intermediate
    latent w): psi = 1 changes nothing, psi = 0 gives the mean. With ``w_mean = 0`` it is
    :func:`pgan.widgets.truncate_noise`, pgan's version on z. Checked on fixed latents
    around a mean that is not 0, and against ``truncate_noise`` with a zero mean.
    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    from pgan.widgets import truncate_noise

    rng = np.random.default_rng(11)
    w = rng.standard_normal((8, 16)) + 2.0
    w_mean = rng.normal(2.0, 0.5, 16)
    batch_mean = w.mean(axis=0)
    for psi in (0.7, 0.0, 1.0, 0.4):
        got = np.asarray(call_answer(truncate_fn, w.copy(), psi, w_mean.copy()), dtype=np.float64)
        want = w_mean + psi * (w - w_mean)
        if got.shape != want.shape:
            return report(False, f"return one latent per row, shape {want.shape}; got shape {got.shape}.")
        if np.allclose(got, want, atol=1e-5):
            continue
        if np.allclose(got, psi * w, atol=1e-5):
            return report(False, "psi * w pulls toward 0, right only when the mean latent is 0 (as for pgan's z); "
                                  "pull toward w_mean: w_mean + psi * (w - w_mean).")
        if np.allclose(got, w_mean + (1 - psi) * (w - w_mean), atol=1e-5):
            return report(False, "psi and 1 - psi are swapped: psi = 1 must change nothing, psi = 0 must give "
                                  "the mean latent.")
        if np.allclose(got, psi * (w - w_mean), atol=1e-5):
            return report(False, "add the mean back: w_mean + psi * (w - w_mean); yours is centred on 0.")
        if np.allclose(got, batch_mean + psi * (w - batch_mean), atol=1e-5):
            return report(False, "use the w_mean you are given, not the mean of this batch: StyleGAN estimates w's "
                                  "mean once, from many samples, and every batch is pulled toward it.")
        return report(False, f"at psi = {psi} your latents differ from w_mean + psi * (w - w_mean) by up to "
                              f"{np.abs(got - want).max():.3g}.")
    z = rng.standard_normal((4, 16)).astype(np.float32)
    got = np.asarray(call_answer(truncate_fn, z.copy(), 0.5, np.zeros(16)), dtype=np.float64)
    if got.shape != z.shape or not np.allclose(got, truncate_noise(z, 0.5), atol=1e-5):
        return report(False, "with w_mean = 0 your answer should equal widgets.truncate_noise(z, psi), psi * z.")
    return report(True, "w_mean + psi * (w - w_mean): psi = 1 keeps w, psi = 0 gives the mean; with a zero mean "
                         "it is widgets.truncate_noise.")
