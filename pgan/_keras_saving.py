"""Keras' private saving internals, used in this one module: recording a checkpoint in memory.

A checkpoint is written while the next epoch trains (:class:`pgan.callbacks.ResumableCheckpoint`):
at the epoch's end the weights are copied to host memory (:func:`record_weights`),
and the ``.weights.h5`` file that ``model.save_weights`` would write is written
from those copies on a worker thread (:func:`write_recorded_weights`). Keras has no
public API for this, so :func:`weights_layout` walks the model with
``keras.src.saving.saving_lib`` as ``save_weights`` does. On a Keras version this
was not written for, or where the walk fails, it returns None and the checkpoint
falls back to ``save_weights`` itself; a test compares the two files.
"""

from __future__ import annotations

import keras
import numpy as np

from pgan import backend

TESTED_KERAS = ((3, 3), (4, 0))
"""Keras versions [from, to) whose saving internals this module is written for."""


def _keras_version() -> tuple[int, int]:
    major, minor = (int(part) for part in keras.version().split(".")[:2])
    return major, minor


_RECORDER = None


def _recorder_class():
    """A Keras weights store that keeps what ``save_weights`` would write in memory (built once)."""
    global _RECORDER
    if _RECORDER is None:
        from keras.src.saving import saving_lib

        class Recorder(saving_lib.H5IOStore):
            def __init__(self):  # no file: the entries stay in memory
                self.mode = "w"
                self.entries = []

            def make(self, path, metadata=None):
                self.entries.append((path, metadata, {}))
                return self

            def __setitem__(self, key, value):
                self.entries[-1][2][key] = value

            def __bool__(self):  # Keras asks whether the store is open
                return True

            def close(self):
                pass

        _RECORDER = Recorder
    return _RECORDER


def weights_layout(model):
    """What ``model.save_weights`` writes, as ``(path, metadata, {name: variable})`` entries.

    Walks the model as ``save_weights`` does (layers, optimizers, metrics), so it is
    done once per ``fit``; :func:`record_weights` then copies the values. None on an
    untested Keras version, where the walk fails, or where an entry is neither a
    variable nor an optimizer's saved variable (then save with ``save_weights``).
    """
    low, high = TESTED_KERAS
    if not low <= _keras_version() < high:
        return None
    try:
        from keras.src.saving import saving_lib

        store = _recorder_class()()
        saving_lib._save_state(model, weights_store=store, assets_store=None, inner_path="",
                               visited_saveables=set())
    except (ImportError, AttributeError, TypeError):
        return None
    layout = []
    for path, metadata, values in store.entries:
        if not all(isinstance(v, keras.Variable) for v in values.values()):
            values = _optimizer_variables(model, path, values)  # Keras' optimizers save numpy copies
            if values is None:
                return None
        layout.append((path, metadata, values))
    return layout


def _optimizer_variables(model, path, values):
    """``values`` (saved copies) mapped back to the variables of the optimizer at ``path``, or None."""
    owner = model
    for part in path.split("/"):
        owner = getattr(owner, part, None)
    if not isinstance(owner, keras.optimizers.Optimizer):
        return None
    variables = list(owner.variables)
    if list(values) != [str(i) for i in range(len(variables))]:
        return None
    saved = [np.asarray(values[str(i)]) for i in range(len(variables))]
    if not all(np.array_equal(a, keras.ops.convert_to_numpy(v)) for a, v in zip(saved, variables, strict=True)):
        return None  # not what Optimizer.save_own_variables saves
    return dict(zip(values, variables, strict=True))


def record_weights(layout):
    """Host copies of the variables of a :func:`weights_layout`: the file ``save_weights`` would write now.

    Copies, not views: on JAX the next training steps donate (reuse) the buffers the
    variables held. The measured cost, against ``save_weights``, is in
    ``benchmarks/results/jax_gpu.json`` (``callback_epoch_end_ms``).
    """
    variables = [v for _, _, values in layout for v in values.values()]
    host = iter(backend.host_copy(v.value for v in variables))
    return [(path, metadata, {key: next(host) for key in values}) for path, metadata, values in layout]


def write_recorded_weights(entries, path) -> None:
    """Write :func:`record_weights`' copies as a ``.weights.h5`` file (``model.load_weights`` reads it)."""
    from keras.src.saving import saving_lib

    store = saving_lib.H5IOStore(path, mode="w")
    try:
        for inner_path, metadata, values in entries:
            if metadata:
                store.make(inner_path, metadata=metadata)
            else:
                store.make(inner_path)
            for key, value in values.items():
                store[key] = value
    finally:
        store.close()
