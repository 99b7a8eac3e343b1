"""Training on several devices and machines with the engines Keras and TensorFlow provide.

One engine per backend, chosen here and nowhere else:

- **JAX** (``distribution="data_parallel"``): Keras' own distribution API,
  ``keras.distribution.DataParallel``. The weights are replicated on every device,
  each global batch is split over all devices of all processes, and XLA adds up
  the gradients (and BatchNormalization's batch statistics) over the whole batch:
  a step computes what one device computes on the same global batch. Several
  processes (GPUs on several machines) join with :func:`initialize`
  (``jax.distributed``).
- **TensorFlow** (``strategy=``): ``tf.distribute``. ``"mirrored"`` uses the GPUs of
  one machine; ``"multi_worker"`` (``MultiWorkerMirroredStrategy``) several machines,
  described by the ``TF_CONFIG`` environment variable. Each replica normalises its
  own share of the batch (BatchNormalization is not synchronised).

In both, every process runs the same program on the same run folder (a shared file
system for several machines); process 0, the *chief*, writes the files
(checkpoints, sample grids, the exported generator, ``run.json``).

Taught in notebooks/05_training_on_gpu.ipynb; commands in docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os

import keras
import numpy as np

from pgan import backend
from pgan.config import PROCESS_ENV_VARS

DISTRIBUTIONS = ("data_parallel",)  # JAX: keras.distribution
STRATEGIES = ("mirrored", "multi_worker")  # TensorFlow: tf.distribute
ENV_VARS = PROCESS_ENV_VARS
"""What :func:`initialize` reads when it is not given the coordinator, process count and id."""


def initialize(coordinator: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Join a run of several JAX processes (one per machine, or per GPU): ``jax.distributed``.

    Call it once at the start of every process, before anything runs on a device
    (``pgan train --coordinator HOST:PORT --num-processes N --process-id I`` does).
    Values not given are read from ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (the
    coordinator, process 0's ``host:port``), ``KERAS_DISTRIBUTION_NUM_PROCESSES``
    and ``KERAS_DISTRIBUTION_PROCESS_ID``. On CPUs the processes exchange gradients
    through gloo (jax's CPU collectives), which is how the tests run two processes
    on one machine.

    Raises:
        RuntimeError: the backend is not JAX.
        ValueError: a value is missing or out of range.
    """
    if not backend.is_jax():
        raise RuntimeError(
            f"initialize() joins JAX processes; the Keras backend is {backend.NAME!r}. Set KERAS_BACKEND=jax, "
            "or on TensorFlow use strategy='multi_worker' with TF_CONFIG (docs/distributed.md)."
        )
    env = os.environ
    coordinator = coordinator or (env.get(ENV_VARS[0]) or "").split(",")[0] or None
    num_processes = num_processes if num_processes is not None else _env_int(ENV_VARS[1])
    process_id = process_id if process_id is not None else _env_int(ENV_VARS[2])
    if coordinator is None or num_processes is None or process_id is None:
        raise ValueError(
            "A multi-process run needs the coordinator's host:port, the number of processes and this "
            "process's id: --coordinator 10.0.0.1:1234 --num-processes 2 --process-id 0 (or the variables "
            f"{', '.join(ENV_VARS)})."
        )
    if not 0 <= process_id < num_processes:
        raise ValueError(f"process id {process_id} must be in 0..{num_processes - 1} (--num-processes "
                         f"{num_processes}).")
    import jax

    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                               process_id=process_id)


def _env_int(name: str) -> int | None:
    text = os.environ.get(name)
    if text is None or text.strip() == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not an integer.") from None


def process_index() -> int:
    """This process's index among the run's processes (0: the chief, which writes the files)."""
    if backend.is_jax():
        import jax

        return jax.process_index()
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task", {})
    return int(task.get("index", 0)) if task.get("type", "worker") in ("worker", "chief") else 0


def process_count() -> int:
    """How many processes train together (1 unless :func:`initialize` or ``TF_CONFIG`` says otherwise)."""
    if backend.is_jax():
        import jax

        return jax.process_count()
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    return max(1, len(config.get("cluster", {}).get("worker", [])))


def is_chief() -> bool:
    """Whether this process writes the run's files (process 0)."""
    return process_index() == 0


def is_multi_process() -> bool:
    """Whether this is one of several JAX processes training together (:func:`initialize`)."""
    if not backend.is_jax():
        return False
    import jax

    return jax.process_count() > 1


def local_copy(model, previous=None):
    """A copy of ``model`` held by this process alone, with ``model``'s current weights.

    The chief draws its sample grids with it: under a multi-process ``keras.distribution``
    calling the run's own networks, or making a variable, is a step of every process.
    The copy is made with no distribution set; ``previous`` (an earlier copy) is reused.
    """
    current = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        copy = previous if previous is not None else keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
    finally:
        keras.distribution.set_distribution(current)
    return copy


@functools.cache
def multi_worker_strategy():
    """TensorFlow's ``MultiWorkerMirroredStrategy`` for this process (made once, from ``TF_CONFIG``).

    TensorFlow configures its collective operations when the strategy is made, and only
    before any other TensorFlow operation has run: call this first thing in a program
    (``pgan train --strategy multi_worker`` does), then train.
    """
    backend.require_tensorflow("strategy='multi_worker'")
    import tensorflow as tf

    if "TF_CONFIG" not in os.environ:
        raise ValueError(
            "strategy='multi_worker' reads the cluster from TF_CONFIG, which is not set. Set it on every "
            'machine, e.g. TF_CONFIG=\'{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, '
            '"task": {"type": "worker", "index": 0}}\' (docs/distributed.md).'
        )
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as err:
        if "program startup" not in str(err):
            raise
        raise RuntimeError(
            "strategy='multi_worker' must be set up before TensorFlow runs anything: call "
            "pgan.distributed.multi_worker_strategy() at the top of the program (pgan train does), or run "
            "`pgan train --strategy multi_worker`. In a notebook, restart the kernel and call it first."
        ) from err


class Placement:
    """Where a run's steps run: its scope, its devices and processes, and its share of each batch.

    Made by :func:`placement`; :func:`pgan.runs.train_gan` builds and trains the GAN
    inside :meth:`scope`.

    Attributes:
        engine: "one_device", "data_parallel", "mirrored" or "multi_worker".
        num_devices: devices (replicas) a global batch is split over.
        num_processes: processes training together.
        process_index: this process's index (0 writes the files).
    """

    def __init__(self, engine: str, scope_factory, num_devices: int, num_processes: int, process_index: int):
        self.engine = engine
        self._scope_factory = scope_factory
        self.num_devices = num_devices
        self.num_processes = num_processes
        self.process_index = process_index

    @property
    def is_chief(self) -> bool:
        return self.process_index == 0

    def scope(self):
        """The context to build and train in."""
        return self._scope_factory()

    def local_batch_size(self, batch_size: int) -> int:
        """The images of each global batch that this process feeds."""
        return batch_size // self.num_processes if self.engine == "data_parallel" else batch_size

    def agree(self, flag: bool) -> bool:
        """The chief's ``flag``, in every process (the time limit must stop every process at the same step)."""
        if self.engine != "data_parallel" or self.num_processes == 1:
            return flag
        from jax.experimental import multihost_utils

        return bool(multihost_utils.broadcast_one_to_all(np.int32(flag)))

    def check_same_epoch(self, done: int) -> None:
        """Refuse to go on when the processes restored different epochs (not one shared run folder)."""
        if self.engine != "data_parallel" or self.num_processes == 1:
            return
        from jax.experimental import multihost_utils

        chief_done = int(multihost_utils.broadcast_one_to_all(np.int32(done)))
        if chief_done != done:
            raise RuntimeError(
                f"process {self.process_index} found {done} finished epochs in its run folder, process 0 found "
                f"{chief_done}: every process must see the same run folder (a shared file system)."
            )

    def record(self) -> dict:
        """What the run was distributed over, for ``run.json``."""
        return {"engine": self.engine, "devices": self.num_devices, "processes": self.num_processes}


def placement(distribution: str | None, strategy: str | None, batch_size: int) -> Placement:
    """The :class:`Placement` of a run with these settings (checked against the backend).

    Raises:
        ValueError: the backend cannot run these settings, or ``batch_size`` does not
            split evenly over the devices.
    """
    backend.check_supported(strategy=strategy, distribution=distribution)
    if distribution is not None:
        import jax

        devices = jax.devices()
        # pgan's input pipeline gives each process its part of every batch (ImageBatches' share)
        engine_scope = keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False).scope
        found = Placement("data_parallel", engine_scope, len(devices), jax.process_count(), jax.process_index())
    elif strategy is not None:
        tf_strategy = multi_worker_strategy() if strategy == "multi_worker" else backend.get_strategy(strategy)
        found = Placement(strategy, tf_strategy.scope, tf_strategy.num_replicas_in_sync, process_count(),
                          process_index())
    else:
        return Placement("one_device", contextlib.nullcontext, 1, 1, 0)
    if batch_size % found.num_devices:
        raise ValueError(
            f"batch_size {batch_size} does not split over {found.num_devices} devices: give a multiple of "
            f"{found.num_devices} (the global batch; each device takes batch_size / {found.num_devices})."
        )
    return found
