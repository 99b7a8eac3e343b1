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

__all__ = [
    "check_images_of_class",
    "check_count_parameters",
    "check_scaling",
    "check_to_uint8",
    "check_conv_output_size",
    "check_conv_parameters",
]


# --- 00 Welcome ----------------------------------------------------------------------------


@checker
def check_images_of_class(images_of_class_fn) -> bool:
    """Exercise (00): ``images_of_class_fn(images, labels, class_names, name)`` -> the images of ``name``.

    Taught in notebooks/00_welcome.ipynb.
    """
    class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress"]
    labels = np.array([2, 0, 1, 2, 3, 0, 2, 1], dtype=np.uint8)
    images = np.arange(len(labels) * 4, dtype=np.uint8).reshape(len(labels), 2, 2, 1) * 7
    for name in ("Pullover", "Trouser"):
        want = images[labels == class_names.index(name)]
        got = np.asarray(call_answer(images_of_class_fn, images.copy(), labels.copy(), list(class_names), name))
        if got.dtype == bool or got.shape == labels.shape:
            return report(False, f"for {name!r} you returned {got.size} values, one per image (a mask or "
                                 "labels?); return the images themselves: images[labels == index].")
        if got.size == 0:
            return report(False, f"no images of {name!r}: the labels are integers, not names; find the "
                                 "class's index first, class_names.index(name).")
        if got.shape == want.shape[1:]:
            return report(False, f"one image of {name!r}; return all {len(want)} of them, shaped "
                                 f"{want.shape}.")
        for index, other in enumerate(class_names):
            if other != name and got.shape == images[labels == index].shape and np.array_equal(
                    got, images[labels == index]):
                return report(False, f"for {name!r} you returned the images of {other!r} (label {index}); "
                                     f"{name!r} is label {class_names.index(name)}, its place in class_names.")
        if got.shape != want.shape or not np.array_equal(got, want):
            return report(False, f"for {name!r}: shape {got.shape}, expected {want.shape}, the images whose "
                                 "label is class_names.index(name), in their order.")
    return report(True, "you pick the images of a class by its name, in their order.")


def _parameter_count_probe():
    """A small model with a convolution, BatchNorm (non-trainable weights too) and a dense layer."""
    import keras
    from keras import layers

    return keras.Sequential(
        [keras.Input((6, 6, 1)), layers.Conv2D(4, 3), layers.BatchNormalization(), layers.Flatten(),
         layers.Dense(3)],
        name="probe",
    )


@checker
def check_count_parameters(count_fn) -> bool:
    """Exercise (00): ``count_fn(model)`` -> how many numbers the model's weights hold in all.

    Taught in notebooks/00_welcome.ipynb.
    """
    model = _parameter_count_probe()
    got = call_answer(count_fn, model)
    if isinstance(got, (str, bytes)) or np.ndim(got) != 0:
        return report(False, f"return one number, got {type(got).__name__}; add up the sizes of the "
                             "weights (np.prod(w.shape) for w in model.weights).")
    got = float(got)
    want = model.count_params()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    if got == want:
        return report(True, f"all {want:,} numbers, BatchNorm's {want - trainable:,} non-trainable ones "
                            "included, as count_params() says.")
    if got == len(model.layers):
        return report(False, f"{got:.0f} is the number of layers; count the numbers inside their weights.")
    if got == len(model.weights):
        return report(False, f"{got:.0f} is the number of weight arrays; add up their sizes "
                             "(np.prod(w.shape)), not the arrays.")
    if got == trainable:
        return report(False, f"{got:,.0f} counts only the trainable weights; BatchNorm also keeps a moving "
                             f"mean and variance ({want - trainable:,} numbers here): use model.weights.")
    return report(False, f"{got:,.0f} numbers, expected {want:,} for a model of {len(model.weights)} "
                         "weight arrays: add np.prod(w.shape) over model.weights.")


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


@checker
def check_to_uint8(to_uint8_fn) -> bool:
    """Exercise (01): a function mapping float [-1, 1] back to uint8 [0, 255], rounding and clipping.

    Taught in notebooks/01_product_images.ipynb.
    """
    import warnings

    from pgan.data import to_uint8

    inside = np.array([-1.0, -0.5, 0.0, 0.3, 0.999, 1.0], dtype=np.float32)
    outside = np.array([-1.3, 1.2], dtype=np.float32)
    x = np.concatenate([inside, outside])[None, :]
    with warnings.catch_warnings():  # a cast without clipping warns; the feedback line says it instead
        warnings.simplefilter("ignore")
        got = np.asarray(call_answer(to_uint8_fn, x.copy()))
    want = to_uint8(x)
    if got.shape != want.shape:
        return report(False, f"shape {got.shape}, expected {want.shape}: keep the shape.")
    if got.dtype != np.uint8:
        return report(False, f"return uint8, got {got.dtype} (pictures and files hold bytes): .astype(np.uint8).")
    n = len(inside)
    got_in, want_in = got[0, :n].astype(int), want[0, :n].astype(int)
    if not np.array_equal(got_in, want_in):
        if np.array_equal(got_in, np.floor((inside + 1.0) * 127.5).astype(int)):
            return report(False, "0.999 gave 254 instead of 255: astype truncates; round first (np.rint).")
        return report(False, f"-1 -> {got_in[0]}, 0 -> {got_in[2]}, 1 -> {got_in[5]}; expected 0, 128 and 255: "
                             "(x + 1) * 127.5, rounded.")
    if not np.array_equal(got[0, n:], want[0, n:]):
        return report(False, f"-1.3 -> {got[0, n]} and 1.2 -> {got[0, n + 1]}, expected 0 and 255: clip to "
                             "[0, 255] before the cast, or out-of-range values wrap around.")
    return report(True, "-1 maps to 0, 1 to 255, values round to the nearest byte and out-of-range ones clip.")


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


@checker
def check_conv_parameters(parameters_fn) -> bool:
    """Exercise (02): ``parameters_fn(kernel_size, in_channels, filters)``: the weights of a Conv2D with bias.

    Taught in notebooks/02_cnn_foundations.ipynb.
    """
    cases = [(3, 1, 32), (3, 32, 32), (3, 32, 64), (5, 64, 128), (1, 3, 8)]
    for kernel, channels, filters in cases:
        want = kernel * kernel * channels * filters + filters
        got = call_answer(parameters_fn, kernel, channels, filters)
        if isinstance(got, (str, bytes)) or np.ndim(got) != 0:
            return report(False, f"return one number, got {type(got).__name__}.")
        got = float(got)
        if got == want:
            continue
        layer = f"kernel {kernel}, {channels} input channels, {filters} filters: got {got:,.0f}, expected {want:,}"
        if got == want - filters:
            return report(False, f"{layer}. Add the biases: one per filter.")
        if got == kernel * kernel * filters + filters:
            return report(False, f"{layer}. Each filter has a {kernel}x{kernel} kernel for every input channel.")
        if got == kernel * channels * filters + filters:
            return report(False, f"{layer}. The kernel is {kernel}x{kernel}: square the kernel size.")
        if got == kernel * kernel * channels * filters + kernel * kernel * channels:
            return report(False, f"{layer}. There is one bias per filter (output channel), not per weight.")
        return report(False, f"{layer}. Hint: kernel_size**2 * in_channels weights per filter, plus its bias.")
    return report(True, f"all {len(cases)} layers match Conv2D.count_params().")
