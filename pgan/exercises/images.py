"""Self-checks for notebooks 00-02: product images and CNN foundations.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    call_answer,
    checker,
    report,
)

__all__ = ["check_scaling", "check_conv_output_size"]


# --- 01 Product images ---------------------------------------------------------------------


@checker
def check_scaling(to_model_range_fn) -> bool:
    """Exercise (01): a function mapping uint8 [0, 255] to float32 [-1, 1].

    Taught in notebooks/01_product_images.ipynb.
    """
    from pgan.data import to_model_range

    x = np.array([[0, 1, 127, 128, 254, 255]], dtype=np.uint8)
    got = np.asarray(call_answer(to_model_range_fn, x.copy()))
    if got.dtype != np.float32:
        return report(False, f"return float32, got {got.dtype} (models train in float32).")
    want = to_model_range(x)
    if got.shape != want.shape:
        return report(False, f"shape {got.shape}, expected {want.shape}.")
    if np.allclose(got, x / 255.0, atol=1e-6):
        return report(False, "that is [0, 1]; a tanh generator outputs [-1, 1]: use x / 127.5 - 1.")
    if not np.allclose(got, want, atol=1e-6):
        return report(False, f"0 -> {got.flat[0]:.3f} and 255 -> {got.flat[-1]:.3f}; expected -1 and 1.")
    return report(True, "0 maps to -1, 255 to 1, and the dtype is float32.")


# --- 02 CNN foundations --------------------------------------------------------------------


@checker
def check_conv_output_size(output_size_fn) -> bool:
    """Exercise (02): ``output_size_fn(input_size, kernel_size, stride, padding)`` of a Conv2D.

    Taught in notebooks/02_cnn_foundations.ipynb.
    """
    cases = [(28, 3, 1, "same", 28), (28, 3, 1, "valid", 26), (28, 5, 2, "same", 14),
             (28, 5, 2, "valid", 12), (7, 2, 2, "valid", 3), (13, 3, 2, "same", 7)]
    for size, kernel, stride, padding, want in cases:
        got = call_answer(output_size_fn, size, kernel, stride, padding)
        if np.ndim(got) != 0 or isinstance(got, (str, bytes)) or not float(got) == want:
            return report(
                False,
                f"input {size}, kernel {kernel}, stride {stride}, padding {padding!r}: got {got}, "
                f"expected {want}. Hint: 'same' gives ceil(n / s), 'valid' floor((n - k) / s) + 1.",
            )
    return report(True, f"all {len(cases)} cases match Keras' Conv2D.")
