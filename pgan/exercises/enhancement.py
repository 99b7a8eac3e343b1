"""Self-checks for notebooks 07-08: super-resolution and restoration.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    call_answer,
    checker,
    report,
)

__all__ = ["check_depth_to_space", "check_psnr"]


# --- 07 Super-resolution -------------------------------------------------------------------


@checker
def check_depth_to_space(depth_to_space_fn) -> bool:
    """Exercise (07): the sub-pixel shuffle (B, H, W, C*r*r) -> (B, H*r, W*r, C), TF's channel order.

    Taught in notebooks/07_super_resolution.ipynb.
    """
    from keras import ops

    from pgan.superres import depth_to_space

    x = np.arange(2 * 3 * 4 * 8, dtype=np.float32).reshape(2, 3, 4, 8)
    got = np.asarray(ops.convert_to_numpy(call_answer(depth_to_space_fn, x.copy(), 2)))
    want = ops.convert_to_numpy(depth_to_space(x, 2))
    if got.shape != want.shape:
        return report(False, f"shape {got.shape} for input {x.shape} and r=2, expected {want.shape}.")
    if not np.array_equal(got, want):
        if np.array_equal(np.sort(got, axis=None), np.sort(want, axis=None)):
            return report(
                False, "right values, wrong places: reshape to (B, H, W, r, r, C), then swap the "
                "axes so each row of r values lands under its low-resolution row."
            )
        return report(False, "the values changed: depth to space only moves numbers, it never mixes them.")
    return report(True, f"{x.shape} -> {got.shape}, every value where tf.nn.depth_to_space puts it.")


# --- 08 Restoration ------------------------------------------------------------------------


@checker
def check_psnr(psnr_fn) -> bool:
    """Exercise (08): PSNR in dB of images in [0, 1], one value per image.

    Taught in notebooks/08_restoration.ipynb.
    """
    from pgan.fidelity import psnr

    rng = np.random.default_rng(0)
    clean = rng.random((3, 28, 28, 1))
    noisy = np.clip(clean + rng.normal(0, [[[[0.05]]], [[[0.1]]], [[[0.2]]]], clean.shape), 0, 1)
    got = np.asarray(call_answer(psnr_fn, noisy.copy(), clean.copy()), dtype=np.float64)
    want = psnr(noisy, clean)
    if got.shape != want.shape:
        return report(False, f"return one value per image, shape {want.shape}; got shape {got.shape}: "
                              "average over the pixel axes (1, 2, 3) only.")
    if np.allclose(got, want + 20 * np.log10(255.0), atol=1e-3):
        return report(False, "the peak is 1 for images in [0, 1], not 255.")
    if np.allclose(got, want / 2, atol=1e-3):
        return report(False, "half the expected value: PSNR is 10 log10(1 / MSE), or 20 log10(1 / RMSE).")
    if np.allclose(got, want * 2, atol=1e-3):
        return report(False, "twice the expected value: 10 log10 of the squared error, or 20 log10 of the root.")
    if not np.allclose(got, want, atol=1e-3):
        return report(False, f"got {np.round(got, 2)}, expected {np.round(want, 2)} dB.")
    return report(True, f"{np.round(got, 2)} dB for noise 0.05, 0.1, 0.2.")
