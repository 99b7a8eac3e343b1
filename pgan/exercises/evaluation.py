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

__all__ = ["check_frechet_1d", "check_precision"]


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


def _toy_sets():
    """The fixed real and generated 2-d points of :func:`check_precision`.

    Real: four blobs. Generated: two of the four blobs (mode dropping) plus a
    cloud of outliers between them, so precision, recall, density and coverage
    all differ.
    """
    rng = np.random.default_rng(60)
    centres = np.array([[3.0, 0.0], [0.0, 3.0], [-3.0, 0.0], [0.0, -3.0]])
    real = centres[rng.integers(0, 4, 240)] + 0.5 * rng.standard_normal((240, 2))
    fake = centres[rng.integers(0, 2, 150)] + 0.5 * rng.standard_normal((150, 2))
    outliers = rng.uniform(-2.0, 2.0, (50, 2))
    return real, np.concatenate([fake, outliers])


def _precision_with_radius_column(real: np.ndarray, fake: np.ndarray, column: int) -> float:
    """Precision with each real ball reaching the ``column``-th entry of its sorted distances."""
    real_d = ((real[:, None, :] - real[None, :, :]) ** 2).sum(-1)
    radius = np.sort(real_d, axis=1)[:, column]
    fake_d = ((fake[:, None, :] - real[None, :, :]) ** 2).sum(-1)
    return float((fake_d <= radius[None, :]).any(axis=1).mean())


@checker
def check_precision(precision_fn) -> bool:
    """Exercise (06): ``precision_fn(real, fake, k)``, the share of generated points inside the real manifold.

    The real manifold is the union of balls around each real point reaching its
    k-th nearest *other* real point (Kynkäänniemi et al. 2019). Compared with
    :func:`pgan.metrics.manifold_metrics` on fixed 2-d points, with k = 3.
    Taught in notebooks/06_evaluation.ipynb.
    """
    from pgan.metrics import manifold_metrics

    real, fake = _toy_sets()
    k = 3
    got = scalar(call_answer(precision_fn, real.copy(), fake.copy(), k), "one number (a share of the generated points)")
    want = manifold_metrics(real, fake, k)
    if np.isclose(got, want["precision"], atol=1e-9):
        return report(
            True, f"precision {got:.3f}: most outliers fall outside every real ball; "
            f"recall would be {want['recall']:.3f} (two of the four blobs are missing)."
        )
    if np.isclose(got, want["precision"] * len(fake)):
        return report(False, f"that is a count ({got:.0f} points); precision is a share: divide by the number of generated points.")
    if np.isclose(got, want["recall"], atol=1e-9):
        return report(False, "that is recall (real points inside the generated manifold): "
                             "precision asks which *generated* points lie inside balls around the *real* ones.")
    if np.isclose(got, want["density"], atol=1e-9):
        return report(False, "that is density (how many balls hold each point, / k): "
                             "count a generated point once if it lies inside *any* real ball.")
    if np.isclose(got, want["coverage"], atol=1e-9):
        return report(False, "that is coverage (the share of real balls holding a generated point): "
                             "precision is the share of generated points inside some real ball.")
    if np.isclose(got, _precision_with_radius_column(real, fake, k - 1), atol=1e-9):
        return report(False, "off by one neighbour: each real point's nearest point is itself (distance 0), "
                             "so its k-th nearest *other* point is column k of the sorted distances, not k - 1.")
    if np.isclose(got, manifold_metrics(real, fake, 5)["precision"], atol=1e-9):
        return report(False, "that is the precision for k = 5: use the k your function is given (the check passes 3).")
    return report(False, f"got {got:.4f}, expected {want['precision']:.4f} (k = {k}).")
