"""Run-time switches shared by the notebooks and the command line.

Quick mode, seeding, quieting TensorFlow's C++ logs and an environment report.
Taught in notebooks/00_welcome.ipynb.
"""

from __future__ import annotations

import os
import platform
import random

QUICK_ENV_VAR = "PGAN_QUICK"


def is_quick() -> bool:
    """Whether quick mode is on (``PGAN_QUICK=1``).

    Quick mode makes every notebook finish in about a minute on a CPU: a few
    training steps on a small subset. It is what CI runs. Full mode (the default)
    trains for real. Taught in notebooks/00_welcome.ipynb.
    """
    value = os.environ.get(QUICK_ENV_VAR, "").strip().lower()
    return value in {"1", "true", "yes", "on"}


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python log lines.

    Call it before TensorFlow is imported to also hide the start-up lines; it
    only sets environment variables that are not already set, so a user's own
    choice wins.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend for a reproducible run.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"set_seed expects an int, got {type(seed).__name__} ({seed!r}).")
    if seed < 0:
        raise ValueError(f"set_seed expects a non-negative seed, got {seed}.")
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)


def gpu_devices() -> list[str]:
    """Names of the GPUs the Keras backend can see (empty on a CPU-only machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    return []


def environment_report() -> dict:
    """Versions, devices and data location, as a dict for display.

    Taught in notebooks/00_welcome.ipynb.
    """
    import keras
    import numpy as np

    from pgan import data

    report = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "quick_mode": is_quick(),
        "cpu_cores": os.cpu_count(),
    }
    if report["backend"] == "tensorflow":
        import tensorflow as tf

        report["tensorflow"] = tf.__version__
    report["gpus"] = gpu_devices()
    try:
        report["fashion_mnist"] = str(data.find_fashion_mnist())
    except data.DataNotFoundError:
        report["fashion_mnist"] = "not found (see data/README.md)"
    return report
