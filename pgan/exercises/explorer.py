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

__all__ = ["check_slerp"]


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
