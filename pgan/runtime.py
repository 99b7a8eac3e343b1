"""Run-time switches shared by the notebooks and the command line.

Quick mode, seeding, quieting TensorFlow's C++ logs and an environment report.
Taught in notebooks/00_welcome.ipynb.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import sys

QUICK_ENV_VAR = "PGAN_QUICK"
CLASS_ENV_VAR = "PGAN_CLASS"
_TRUE = {"1", "true", "yes", "on"}


def is_quick() -> bool:
    """Whether quick mode is on (``PGAN_QUICK=1``).

    Quick mode makes every notebook finish in about a minute on a CPU: a few
    training steps on a small subset. It is what CI runs. Full mode (the default)
    trains for real. Taught in notebooks/00_welcome.ipynb.
    """
    return os.environ.get(QUICK_ENV_VAR, "").strip().lower() in _TRUE


def run_mode() -> str:
    """How long the training notebooks train: "quick", "class" or "full".

    "quick" (``PGAN_QUICK=1``): about a minute per notebook on a CPU, what CI runs.
    "class" (``PGAN_CLASS=1``): the few minutes a workshop can wait for (notebook
    05 then trains the workshop recipe for 5 minutes instead of ``first`` for 1).
    "full" (neither): training for real. Quick mode wins when both are set.
    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    if is_quick():
        return "quick"
    return "class" if os.environ.get(CLASS_ENV_VAR, "").strip().lower() in _TRUE else "full"


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Send file descriptor 2 to /dev/null: C++ logs bypass Python's sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow() -> None:
    """Silence TensorFlow's start-up log lines (and its C++ logs afterwards).

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless the user set it, then, when Keras runs
    on TensorFlow, imports TensorFlow and starts its runtime with the process's
    stderr silenced: the lines TensorFlow prints before its logging is set up
    ("oneDNN custom operations are on", "Could not find cuda drivers") ignore
    ``TF_CPP_MIN_LOG_LEVEL`` and would otherwise land in notebook outputs.
    Call it before importing TensorFlow; afterwards it only sets the variables.
    The runtime is started, so configure logical devices before calling it.
    Taught in notebooks/00_welcome.ipynb.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow" or "tensorflow" in sys.modules:
        return
    with _stderr_fd_silenced():
        try:
            import tensorflow as tf
        except ImportError:
            return
        tf.zeros(())  # starts the runtime, which logs again
    tf.get_logger().setLevel("ERROR")  # Python-side INFO lines ("Using MirroredStrategy...")


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


def sha256_file(path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (model cards record it; loaders check it)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def environment_report() -> dict:
    """Versions, devices and data location, as a dict for display.

    Taught in notebooks/00_welcome.ipynb.
    """
    import numpy as np

    from pgan import backend, data

    report = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        **backend.versions(),
        "quick_mode": is_quick(),
        "cpu_cores": os.cpu_count(),
    }
    report["gpus"] = backend.gpu_devices()
    try:
        report["fashion_mnist"] = str(data.find_fashion_mnist())
    except data.DataNotFoundError:
        report["fashion_mnist"] = "not found (see data/README.md)"
    return report
