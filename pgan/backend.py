"""The Keras backend pgan runs on, read in one place, and what differs between backends.

Keras fixes its backend when it is first imported (``KERAS_BACKEND``, default
TensorFlow). pgan reads it here and nowhere else: the GAN's train step, the input
pipeline and the run's distribution strategy are chosen from :data:`NAME`, and
this module holds the few helpers that must be written once per backend. JAX code
is only imported on JAX and TensorFlow code only on TensorFlow.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np

NAME = keras.backend.backend()
"""The Keras backend: "tensorflow", "jax" (or "torch", where pgan only samples and evaluates)."""


def is_tensorflow() -> bool:
    return NAME == "tensorflow"


def is_jax() -> bool:
    return NAME == "jax"


def on_accelerator() -> bool:
    """True when JAX runs on a GPU or TPU (the device-resident input pipeline's condition)."""
    if not is_jax():
        return False
    import jax

    return jax.default_backend() != "cpu"


def accelerator_memory_bytes() -> int | None:
    """Memory of JAX's first device, where JAX reports it (GPUs do; the CPU does not)."""
    if not is_jax():
        return None
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return int(stats["bytes_limit"]) if stats.get("bytes_limit") else None


def check_supported(mixed_precision: str | None = None, strategy: str | None = None,
                    distribution: str | None = None) -> None:
    """Refuse settings this backend cannot train with, saying what to use instead.

    mixed_float16 needs the loss scaling pgan does on TensorFlow; bfloat16 keeps
    float32's range and needs none, so JAX trains with it too. ``tf.distribute``
    strategies are TensorFlow's; ``keras.distribution`` (``distribution=``) is JAX's
    in pgan (:mod:`pgan.distributed`).
    """
    if distribution is not None and not is_jax():
        raise ValueError(
            f"distribution={distribution!r} (keras.distribution) runs on JAX in pgan; the Keras backend is "
            f"{NAME!r}. Set KERAS_BACKEND=jax, or on TensorFlow use strategy='mirrored' (one machine's GPUs) "
            "or 'multi_worker' (several machines)."
        )
    if distribution is not None and strategy is not None:
        raise ValueError("distribution= (JAX) and strategy= (TensorFlow) are two engines for the same thing: "
                         "give one.")
    if is_tensorflow():
        return
    if mixed_precision is not None and not (mixed_precision == "mixed_bfloat16" and is_jax()):
        hint = " (on JAX use mixed_bfloat16, which needs no loss scaling)" if is_jax() else ""
        raise ValueError(
            f"mixed_precision={mixed_precision!r} is TensorFlow only in pgan{hint}; the Keras backend is "
            f"{NAME!r}. Drop the option, or unset KERAS_BACKEND to train on TensorFlow."
        )
    if strategy is not None:
        raise ValueError(
            f"strategy={strategy!r} is TensorFlow only in pgan; the Keras backend is {NAME!r}. On JAX use "
            "distribution='data_parallel' (keras.distribution), or unset KERAS_BACKEND to train on TensorFlow."
        )


def require_tensorflow(what: str) -> None:
    """Raise a clear error when ``what`` (a TensorFlow-only feature) is used on another backend."""
    if not is_tensorflow():
        raise RuntimeError(
            f"{what} runs on TensorFlow only; the Keras backend is {NAME!r}. Unset KERAS_BACKEND "
            "(or set it to tensorflow) before importing Keras."
        )


class _OneDevice:
    """No ``tf.distribute``: a no-op scope, one replica."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


def get_strategy(name: str | None):
    """A distribution strategy by name: None (one device, any backend) or "mirrored" (TensorFlow)."""
    if name not in (None, "mirrored"):
        raise ValueError(f"Unknown strategy {name!r}; use None or 'mirrored'.")
    check_supported(strategy=name)
    if not is_tensorflow():
        return _OneDevice()
    import tensorflow as tf

    return tf.distribute.MirroredStrategy() if name == "mirrored" else tf.distribute.get_strategy()


def num_replicas() -> int:
    """Replicas of the current ``tf.distribute`` strategy (1 outside one, and on other backends)."""
    if not is_tensorflow():
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def host_copy(arrays) -> list[np.ndarray]:
    """Numpy copies of backend arrays, owning their memory (one transfer call on JAX).

    Copies, not views: on JAX the next training step may donate (reuse) the buffers.
    """
    if is_jax():
        import jax

        arrays = jax.device_get(list(arrays))
    elif is_tensorflow():
        import tensorflow as tf

        # a tf.distribute variable (MultiWorkerMirroredStrategy's) has no __array__: read its local copy
        arrays = [a.read_value() if isinstance(a, tf.distribute.DistributedValues) else a for a in arrays]
    host = [np.asarray(keras.ops.convert_to_numpy(a)) for a in arrays]
    return [a if a.flags.owndata else a.copy() for a in host]


def gradient(fn, x: np.ndarray) -> np.ndarray:
    """d fn(x) / dx of a scalar function of one float32 array, by the backend's autodiff."""
    x = np.asarray(x, dtype=np.float32)
    if is_tensorflow():
        import tensorflow as tf

        tensor = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            value = fn(tensor)
        return tape.gradient(value, tensor).numpy()
    if is_jax():
        import jax

        return np.asarray(jax.grad(fn)(x))
    if NAME == "torch":
        import torch

        tensor = torch.tensor(x, requires_grad=True)
        fn(tensor).backward()
        return tensor.grad.numpy()
    raise NotImplementedError(f"pgan has no autodiff helper for the {NAME!r} backend.")


def gpu_devices() -> list[str]:
    """Names of the GPUs the backend can see (empty on a CPU-only machine)."""
    if is_tensorflow():
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return [tf.config.experimental.get_device_details(d).get("device_name", d.name) for d in gpus]
    if is_jax():
        import jax

        return [f"{d} ({d.device_kind})" for d in jax.devices() if d.platform == "gpu"]
    return []


def versions() -> dict:
    """Keras' version, its backend, and the backend library's version (for run records)."""
    found = {"keras": keras.__version__, "backend": NAME}
    if is_tensorflow():
        import tensorflow as tf

        found["tensorflow"] = tf.__version__
    elif is_jax():
        import jax

        found["jax"] = jax.__version__
    return found
