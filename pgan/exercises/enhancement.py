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

__all__ = ["check_depth_to_space", "check_diffusion_fill", "check_icnr", "check_psnr"]


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


@checker
def check_icnr(icnr_fn) -> bool:
    """Exercise (07): ``icnr_fn(sub_kernel, r)``, a sub-pixel kernel whose r*r sub-kernels are copies.

    ``sub_kernel`` is a (kh, kw, in, C) convolution kernel; the answer is the
    (kh, kw, in, C*r*r) kernel of the convolution before depth to space, such
    that every r x r block of the output starts as r*r copies of one value
    (ICNR, Aitken et al. 2017). Output channel (i*r + j)*C + c must hold
    ``sub_kernel[..., c]``: ``np.tile``, not ``np.repeat``. Checked with C = 3
    and r = 2, then r = 4.
    Taught in notebooks/07_super_resolution.ipynb.
    """
    from keras import ops

    rng = np.random.default_rng(7)
    sub_kernel = rng.normal(0.0, 0.1, (3, 3, 2, 3)).astype(np.float32)
    for r in (2, 4):
        got = np.asarray(ops.convert_to_numpy(call_answer(icnr_fn, sub_kernel.copy(), r)))
        want = np.tile(sub_kernel, (1, 1, 1, r * r))
        if got.shape != want.shape:
            if got.shape == sub_kernel.shape[:3] + (3 * r,):
                return report(False, f"shape {got.shape} for r={r}: the layer needs C*r*r = {3 * r * r} "
                                     "output channels (r*r copies of each), not C*r.")
            return report(False, f"shape {got.shape} for a {sub_kernel.shape} sub-kernel and r={r}, expected {want.shape}.")
        if np.allclose(got, np.repeat(sub_kernel, r * r, axis=-1)):
            return report(False, "each channel's copies sit side by side (np.repeat), but depth to space reads "
                                 "channel (i*r + j)*C + c for block position (i, j): repeat the whole kernel, np.tile.")
        if np.allclose(got, want):
            continue
        if np.allclose(got, np.tile(sub_kernel[..., :1], (1, 1, 1, 3 * r * r))):
            return report(False, "every output channel got channel 0's kernel: each of the C channels keeps its own.")
        return report(False, f"for r={r} the {r * r} sub-kernels of some channel are not copies of sub_kernel[..., c] "
                             "in depth-to-space order (channel (i*r + j)*C + c).")
    return report(True, "r*r copies of each sub-kernel in depth-to-space order, for r = 2 and 4: "
                        "every block of the untrained layer's output starts flat, so no checkerboard.")


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


def _fixed_holes():
    """Two 12x12 images in [0, 1] with holes, one of them touching the border."""
    rng = np.random.default_rng(8)
    images = rng.random((2, 12, 12, 1)).astype(np.float32)
    mask = np.zeros_like(images)
    mask[0, 3:8, 4:9] = 1.0  # inside
    mask[1, 0:4, 7:12] = 1.0  # in the top-right corner
    mask[1, 8:11, 2:5] = 1.0
    return images * (1.0 - mask), mask


def _diffuse(images, mask, iterations: int, pad: str = "edge", with_self: bool = False, everywhere: bool = False):
    """Diffusion fill and its typical mistakes (padding mode, a 5-point average, updating known pixels)."""
    x = images.astype(np.float64).copy()
    missing = np.ones(x.shape, bool) if everywhere else mask > 0.5
    for _ in range(iterations):
        p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=pad)
        total = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]
        average = (total + x) / 5.0 if with_self else total / 4.0
        x[missing] = average[missing]
    return x


@checker
def check_diffusion_fill(fill_fn) -> bool:
    """Exercise (08): ``fill_fn(damaged, mask, iterations)``, the inpainting baseline by hand.

    Each iteration sets every missing pixel (mask 1) to the mean of its four
    neighbours in the previous iterate, with edge padding at the border; known
    pixels never change. Compared with :func:`pgan.restore.diffusion_fill` on
    two fixed 12x12 images, 25 iterations.
    Taught in notebooks/08_restoration.ipynb.
    """
    from pgan.restore import diffusion_fill

    damaged, mask = _fixed_holes()
    iterations = 25
    got = np.asarray(call_answer(fill_fn, damaged.copy(), mask.copy(), iterations), dtype=np.float64)
    want = diffusion_fill(damaged, mask, iterations)
    if got.shape != want.shape:
        return report(False, f"return the images with the holes filled, shape {want.shape}; got shape {got.shape}.")
    if np.allclose(got, want, atol=1e-5):
        return report(True, f"the same as restore.diffusion_fill after {iterations} iterations; "
                            "known pixels untouched, the corner hole filled from its two known sides.")
    known = mask < 0.5
    if not np.allclose(got[known], damaged[known], atol=1e-6):
        return report(False, "known pixels changed: only the missing pixels (mask 1) get the average; "
                             "the others keep their values, as the border condition of the fill.")
    variants = {
        "at the border, np.roll (or wrap padding) takes the pixel from the opposite side: "
        "repeat the edge pixel instead, np.pad(..., mode='edge')": _diffuse(damaged, mask, iterations, pad="wrap"),
        "outside the image counts as 0 here, which darkens holes at the border: pad with the edge pixel, "
        "np.pad(..., mode='edge')": _diffuse(damaged, mask, iterations, pad="constant"),
        "that averages five values, the pixel itself included: take the mean of its four neighbours only":
            _diffuse(damaged, mask, iterations, with_self=True),
        "that ran 200 iterations: use the iterations your function is given (the check passes 25)":
            _diffuse(damaged, mask, 200),
        "that ran 1 iteration: repeat the update `iterations` times": _diffuse(damaged, mask, 1),
    }
    for hint, variant in variants.items():
        if np.allclose(got, variant, atol=1e-5):
            return report(False, hint + ".")
    if np.allclose(got, damaged, atol=1e-6):
        return report(False, "the holes are still 0: set each missing pixel to the mean of its four neighbours.")
    return report(False, f"the filled pixels differ from restore.diffusion_fill by up to {np.abs(got - want).max():.3f}: "
                         "compute all the averages from the previous iterate, then update the missing pixels together.")
