"""Self-checks for notebook 06: evaluating generated products.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    call_answer,
    checker,
    report,
    scalar,
)

__all__ = ["check_frechet_1d"]


# --- 06 Evaluation -------------------------------------------------------------------------


@checker
def check_frechet_1d(frechet_fn) -> bool:
    """Exercise (06): ``frechet_fn(a, b)`` = (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2 for two 1-d samples.

    Compared with :func:`pgan.metrics.frechet_distance` on one feature.
    Taught in notebooks/06_evaluation.ipynb.
    """
    from pgan.metrics import frechet_distance

    rng = np.random.default_rng(6)
    a, b = rng.normal(0.0, 1.0, 40), rng.normal(0.5, 2.0, 60)
    got = scalar(call_answer(frechet_fn, a.copy(), b.copy()), "one number")
    want = frechet_distance(a[:, None], b[:, None])
    if np.isclose(got, want, rtol=1e-6):
        return report(True, f"{got:.4f}, the same as metrics.frechet_distance on these samples.")
    mean_term = (a.mean() - b.mean()) ** 2
    if np.isclose(got, mean_term + (a.std() - b.std()) ** 2, rtol=1e-6):
        return report(False, "close, but np.cov (and frechet_distance) divide by N - 1: use std(ddof=1).")
    for ddof in (0, 1):
        if np.isclose(got, mean_term + (a.var(ddof=ddof) - b.var(ddof=ddof)) ** 2, rtol=1e-6):
            return report(False, "that compares variances; the formula takes standard deviations, sigma, not sigma squared.")
    if np.isclose(got**2, want, rtol=1e-6):
        return report(False, "that is the square root: the Fréchet distance of FID and FCD is the squared distance.")
    return report(False, f"got {got:.4f}, expected {want:.4f}.")
