"""Full-reference image quality: PSNR and SSIM between a result and the original.

Super-resolution and restoration are scored against the undamaged original.
Both measures here work on float images in [0, 1] shaped (N, H, W, C), in plain
numpy, so they give the same numbers on every Keras backend:

- **PSNR** (peak signal-to-noise ratio), ``10 * log10(1 / MSE)`` per image, in dB.
- **SSIM** (structural similarity, Wang et al. 2004) with a 7x7 Gaussian window
  (sigma 1.5) over "valid" positions, K1 = 0.01, K2 = 0.03, averaged over
  positions and channels per image. This is ``tf.image.ssim(..., max_val=1.0,
  filter_size=7)`` (the unit tests check they agree); 7 rather than the usual 11
  because a 28x28 product would leave only 18x18 positions with an 11x11 window.

The functions return one value per image; average them for a table.

Taught in notebooks/07_super_resolution.ipynb and notebooks/08_restoration.ipynb.
"""

from __future__ import annotations

import numpy as np

SSIM_FILTER_SIZE = 7
SSIM_SIGMA = 1.5
PSNR_CAP = 100.0  # dB reported for a pixel-perfect result (MSE = 0)


def check_pair(result, original, name: str = "result") -> tuple[np.ndarray, np.ndarray]:
    """Validate two image stacks for scoring and return them as float64 arrays.

    Raises:
        ValueError: shapes differ, are not (N, H, W, C), or values are outside [0, 1].
    """
    a = np.asarray(result, dtype=np.float64)
    b = np.asarray(original, dtype=np.float64)
    if a.ndim == 3:
        a, b = a[None], b[None] if b.ndim == 3 else b
    if a.ndim != 4 or a.shape != b.shape:
        raise ValueError(
            f"{name} and original must have the same (N, H, W, C) shape, got {a.shape} and "
            f"{b.shape}. Upscale or restore to the original's size before scoring."
        )
    for label, x in ((name, a), ("original", b)):
        if not np.isfinite(x).all() or x.min() < -1e-6 or x.max() > 1 + 1e-6:
            raise ValueError(
                f"{label} must be finite floats in [0, 1] (got min {np.nanmin(x):.3g}, max "
                f"{np.nanmax(x):.3g}). Convert with pgan.data.to_unit_range or divide uint8 by 255."
            )
    return np.clip(a, 0, 1), np.clip(b, 0, 1)


def psnr(result, original) -> np.ndarray:
    """Peak signal-to-noise ratio in dB per image (pixel range [0, 1]), shape (N,).

    A perfect result gets ``PSNR_CAP`` (100 dB) instead of infinity.
    """
    a, b = check_pair(result, original)
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(1.0 / mse)
    return np.minimum(values, PSNR_CAP).astype(np.float64)


def gaussian_kernel(size: int = SSIM_FILTER_SIZE, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """A normalised 1-D Gaussian window of ``size`` taps."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    kernel = np.exp(-(x**2) / (2.0 * sigma**2))
    return kernel / kernel.sum()


def _filter_valid(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering over axes 1 and 2 of (N, H, W, C)."""
    k = len(kernel)
    windows = np.lib.stride_tricks.sliding_window_view(x, k, axis=1)  # (N, H-k+1, W, C, k)
    x = windows @ kernel
    windows = np.lib.stride_tricks.sliding_window_view(x, k, axis=2)
    return windows @ kernel


def ssim(result, original, filter_size: int = SSIM_FILTER_SIZE) -> np.ndarray:
    """Structural similarity per image (pixel range [0, 1]), shape (N,); 1.0 means identical.

    Raises:
        ValueError: as :func:`check_pair`, or images smaller than the window.
    """
    a, b = check_pair(result, original)
    if min(a.shape[1:3]) < filter_size:
        raise ValueError(
            f"SSIM needs images of at least {filter_size}x{filter_size} pixels, got "
            f"{a.shape[1]}x{a.shape[2]}."
        )
    kernel = gaussian_kernel(filter_size)
    c1, c2 = 0.01**2, 0.03**2
    mu_a, mu_b = _filter_valid(a, kernel), _filter_valid(b, kernel)
    var_a = _filter_valid(a * a, kernel) - mu_a**2
    var_b = _filter_valid(b * b, kernel) - mu_b**2
    cov = _filter_valid(a * b, kernel) - mu_a * mu_b
    luminance = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    structure = (2 * cov + c2) / (var_a + var_b + c2)
    return (luminance * structure).mean(axis=(1, 2, 3))


def score(result, original) -> dict:
    """Mean PSNR (dB) and SSIM over a stack of images: ``{"psnr": ..., "ssim": ...}``."""
    return {"psnr": float(psnr(result, original).mean()), "ssim": float(ssim(result, original).mean())}
