"""Keras callbacks of a training run: sample grids, NaN stop, time limit, resumable checkpoints.

They work with any model that ``fit()`` trains (:class:`pgan.gan.GAN`, the lesson's
:class:`pgan.gan.DCGAN`, the image-to-image models of :mod:`pgan.enhance`), write
only under the folder they are given, and hand their disk work to a
:class:`BackgroundWriter` so that the next epoch starts while files are written.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import json
import math
import threading
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from pgan import distributed, rundir
from pgan._keras_saving import record_weights, weights_layout, write_recorded_weights


class TrainingDivergedError(FloatingPointError):
    """A loss became NaN or infinite; training stopped (checkpoints are kept)."""


class BackgroundWriter:
    """Run file-writing jobs on a worker thread, one at a time, in the order given.

    Training callbacks hand their disk work (a checkpoint's HDF5 file, a PNG) to a
    writer so that the next epoch starts while the files are written (on a GPU an
    epoch can be shorter than the write, and the accelerator would idle). :meth:`submit` first waits for the job before it,
    so at most one job runs and the files appear in order; a job's error is raised
    by the next :meth:`submit` or :meth:`wait`, so a failed write (a full disk, say)
    still stops training. The thread is not a daemon: Python finishes a running job
    before the interpreter exits.

    A job must only use data copied at submit time: the model's variables change
    (and on JAX their buffers are reused) once the next step runs.
    """

    def __init__(self, name: str = "pgan-writer"):
        self.name = name
        self._thread = None
        self._error = None

    def submit(self, job, *args) -> None:
        """Wait for the previous job, then start ``job(*args)`` on the worker thread."""
        self.wait()
        self._thread = threading.Thread(target=self._run, args=(job, args), name=self.name)
        self._thread.start()

    def _run(self, job, args):
        try:
            job(*args)
        except BaseException as err:  # handed to the training thread by wait()
            self._error = err

    def wait(self) -> None:
        """Wait for the running job (if any); raise its error, if it failed."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            err, self._error = self._error, None
            raise RuntimeError(f"{self.name}: writing a training file failed: {err}") from err


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of samples from fixed noise after every ``every`` epochs, and a GIF at the end.

    The images are generated at the epoch's end; the PNG is written by a
    :class:`BackgroundWriter` while the next epoch trains (all written by the
    end of ``fit``).

    Args:
        output_dir: folder for ``epoch_0001.png``... and ``progress.gif``.
        num_examples: images per grid (the same noise every time, so grids compare).
        seed: seed of the fixed noise.
        every: save every this many epochs.
        background: write the PNG on a worker thread (False: before the next epoch).
        write: False in the processes of a multi-process run other than the chief: they
            draw and write nothing (the chief draws from its own copy of the generator).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """

    def __init__(self, output_dir, num_examples: int = 64, seed: int = 0, every: int = 1, background: bool = True,
                 write: bool = True):
        super().__init__()
        self.output_dir = Path(output_dir)
        self.num_examples = num_examples
        self.seed = seed
        self.every = every
        self.background = background
        self.write = write
        self.noise = None
        self._local = None
        self.writer = BackgroundWriter("pgan-sample-grid")

    def on_train_begin(self, logs=None):
        if self.write:
            self.output_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(self.seed)
        self.noise = rng.standard_normal((self.num_examples, self.model.latent_dim)).astype("float32")
        self.inputs, self.ncols = self.noise, None
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes:  # a conditional GAN: one column per class
            labels = (np.arange(self.num_examples) % num_classes).astype("int32")
            self.inputs, self.ncols = [self.noise, labels], num_classes

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            from pgan.plotting import save_grid

            if not self.write:
                return
            generator = getattr(self.model, "sampling_generator", self.model.generator)
            if distributed.is_multi_process():
                generator = self._local = distributed.local_copy(generator, self._local)
            images = keras.ops.convert_to_numpy(generator(self.inputs, training=False))
            self.writer.submit(save_grid, images, self.output_dir / f"epoch_{epoch + 1:04d}.png", self.ncols)
            if not self.background:
                self.writer.wait()

    def on_train_end(self, logs=None):
        from pgan.plotting import save_gif

        self.writer.wait()
        frames = sorted(self.output_dir.glob("epoch_*.png"))
        if frames and self.write:
            save_gif(frames, self.output_dir / "progress.gif")


class StepSnapshots(keras.callbacks.Callback):
    """Every ``every`` training steps, keep the generator's images of fixed noise and the losses.

    For runs shorter than an epoch (a one-minute first GAN), where :class:`SampleGrid`
    would draw once. Keeps everything in memory: ``steps``, ``images`` (one array of
    ``num_examples`` images in [-1, 1] per snapshot, the first before training) and
    ``logs`` (the metrics Keras reports at that step: averages over the epoch so far).
    Images come from ``sampling_generator``, the EMA average where the GAN has one
    (a conditional GAN draws the classes in turn).
    A per-step hook makes Keras wait for each step's results, which costs nothing
    that matters on a CPU; leave it out of long GPU runs.

    Args:
        every: steps between two snapshots (counted by the generator's optimizer, so
            a resumed run continues the count).
        num_examples: images per snapshot.
        seed: seed of the fixed noise.

    Taught in notebooks/05_training_on_gpu.ipynb.
    """

    def __init__(self, every: int = 150, num_examples: int = 16, seed: int = 0):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive number of steps, got {every!r}.")
        self.every, self.num_examples, self.seed = every, num_examples, seed
        self.steps: list[int] = []
        self.images: list[np.ndarray] = []
        self.logs: list[dict] = []

    def _step(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))

    def _keep(self, logs=None):
        generator = getattr(self.model, "sampling_generator", self.model.generator)
        self.steps.append(self._step())
        self.images.append(keras.ops.convert_to_numpy(generator(self.inputs, training=False)))
        self.logs.append({key: float(value) for key, value in (logs or {}).items()})

    def on_train_begin(self, logs=None):
        rng = np.random.default_rng(self.seed)
        self.noise = rng.standard_normal((self.num_examples, self.model.latent_dim)).astype("float32")
        self.inputs = self.noise
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes:  # a conditional GAN: the classes in turn
            self.inputs = [self.noise, (np.arange(self.num_examples) % num_classes).astype("int32")]
        if not self.steps:
            self._keep()

    def on_train_batch_end(self, batch, logs=None):
        # With steps_per_execution > 1 Keras calls this every few steps: keep the first call past
        # each multiple of `every`.
        if self._step() // self.every > self.steps[-1] // self.every:
            self._keep(logs)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop training with a clear error when a loss becomes NaN or infinite.

    Checks every ``check_every`` batches and at each epoch end; at each epoch
    end it also checks a few generated images, since BatchNorm statistics can
    turn NaN while the training-mode losses stay finite. The error says what
    diverged and what to try; checkpoints already written are kept.
    """

    ADVICE = (
        "Try a lower learning rate (e.g. 1e-4), check the images are scaled to [-1, 1], "
        "keep the losses from_logits, or try without mixed precision. The last checkpoint "
        "is kept: fix the setting and run the same command to resume."
    )

    # Keras may run this callback's batch checks on its callback thread (JAX; on TensorFlow
    # Keras runs them in line): an error raised there reaches fit() a step or two later, and
    # at the latest at the epoch's end, before any checkpoint. Without this flag Keras waits
    # for every step's losses before it starts the next step (see TimeLimit).
    async_safe = True

    def __init__(self, check_every: int = 50):
        super().__init__()
        self.check_every = check_every

    def _check(self, logs, where):
        for key in ("d_loss", "g_loss"):
            value = (logs or {}).get(key)
            if value is not None and not math.isfinite(float(value)):
                self.model.stop_training = True
                who = "discriminator" if key == "d_loss" else "generator"
                raise TrainingDivergedError(f"{key} (the {who} loss) became {float(value)} at {where}. {self.ADVICE}")

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.check_every == 0:
            self._check(logs, f"batch {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        where = f"the end of epoch {epoch + 1}"
        self._check(logs, where)
        from pgan.sampling import generate_images

        images = generate_images(getattr(self.model, "sampling_generator", self.model.generator), 8, seed=epoch)
        if not np.isfinite(images).all():
            self.model.stop_training = True
            raise TrainingDivergedError(
                f"the generator outputs NaN or infinite pixels at {where} (in inference mode: "
                f"its BatchNorm statistics diverged) although the losses are finite. {self.ADVICE}"
            )


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``minutes`` of training time are spent (counting earlier resumed calls).

    Checked before every batch; once the time is spent, that batch is the epoch's
    last: the epoch ends early and is then checkpointed like a full one.
    ``reached`` says whether the limit stopped the run.

    Before the batch, not after it: a callback with its own ``on_train_batch_end``
    makes Keras wait for each step's results before it starts the next step. On
    JAX that wait kept the host from queuing steps ahead of a GPU (a sync per step);
    ``on_train_batch_begin`` gets no results, so nothing waits. The price: the clock
    is the host's, so on JAX the steps already queued (32 at most on the CPU) still
    run after the limit. The epoch's recorded time includes them.

    In a run of several processes each has its own clock, and all must stop at the
    same step: give ``agree`` (:meth:`pgan.distributed.Placement.agree`, the chief's
    answer in every process); the limit is then checked every ``agree_every`` batches.

    Args:
        minutes: the budget; None: no limit.
        already_spent: seconds of training already done (from the run's history).
        agree: a function from this process's answer to the run's (None: one process).
        agree_every: batches between two checks when ``agree`` is given.
    """

    def __init__(self, minutes: float | None, already_spent: float = 0.0, agree=None, agree_every: int = 20):
        super().__init__()
        self.budget = None if minutes is None else 60.0 * float(minutes)
        self.already_spent = float(already_spent)
        self.reached = self.budget is not None and self.already_spent >= self.budget
        self.agree = agree
        self.agree_every = agree_every
        self._start = None
        self._batches = 0

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self._batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self.budget is None:
            return
        spent = self.already_spent + time.perf_counter() - self._start >= self.budget
        if self.agree is not None:
            self._batches += 1
            if self._batches % self.agree_every:
                return
            spent = self.agree(spent)
        if spent:
            self.reached = True
            self.model.stop_training = True


class ResumableCheckpoint(keras.callbacks.Callback):
    """Checkpoint everything needed to resume (both networks, both optimizers, noise state).

    After each epoch it writes ``checkpoints/epoch_NNNN.weights.h5`` under a
    temporary name and renames it (a kill mid-write leaves the previous file),
    then atomically updates ``state.json`` (last epoch, checkpoint file,
    history) and deletes older checkpoints. :func:`restore` loads the latest.

    With ``background=True`` (the default) the weights are copied to host memory at
    the epoch's end (:func:`pgan._keras_saving.record_weights`) and the files are
    written by a :class:`BackgroundWriter` while the next epoch trains, in the same
    order, so ``state.json`` never names a file not yet on disk. Call
    :meth:`wait` (``on_train_end`` and :func:`pgan.runs.train_gan` do) before
    reading the files.

    It adds ``epoch_seconds`` to the history: the wall time from the previous epoch's
    end (from ``on_epoch_begin`` for a call's first epoch), so the epoch-end work of
    the callbacks after it counts too and the epochs add up to the training's time.

    ``min_interval_seconds`` skips the checkpoint of an epoch that ends sooner than
    that after the last one written (``history.json`` is still written every epoch).
    The first and last epoch of each ``fit`` and an epoch a time limit ended are
    always saved. This thins the checkpoints of short (GPU) epochs, whose write would
    cost more than the epoch; a kill then loses at most the unfinished epoch plus
    ``min_interval_seconds`` of training.

    Args:
        run_dir: the run's folder.
        keep: how many checkpoints to keep.
        background: write the files on a worker thread (False: before the next epoch).
        min_interval_seconds: write a checkpoint at most this often (0: after every epoch).
        write: False in the processes of a multi-process run other than the chief: they
            restore from the run folder and keep the history, and write nothing.
    """

    def __init__(self, run_dir, keep: int = 2, background: bool = True, min_interval_seconds: float = 0.0,
                 write: bool = True):
        super().__init__()
        self.write = write
        self.run_dir = Path(run_dir)
        self.keep = keep
        self.background = background
        self.min_interval_seconds = float(min_interval_seconds)
        self.history = {}
        self._epoch_start = None
        self._layout = None
        self._last_saved = None
        self.writer = BackgroundWriter("pgan-checkpoint")

    def on_train_begin(self, logs=None):
        self._layout = None  # a new fit (or a recompiled model) may have new variables
        self._last_saved = None  # the first epoch of each fit is saved
        self._epoch_start = None

    def _due(self, epoch) -> bool:
        now = time.perf_counter()
        due = (self._last_saved is None or now - self._last_saved >= self.min_interval_seconds
               or self.model.stop_training or epoch + 1 >= self.params.get("epochs", epoch + 1))
        if due:
            self._last_saved = now
        return due

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    def read_state(self) -> dict | None:
        """The saved state, or None when the run has no checkpoint yet."""
        if not self.state_path.exists():
            return None
        return rundir.read_json(self.state_path)

    def restore(self, model) -> int:
        """Load the latest checkpoint into ``model``; return the number of epochs done (0 if none)."""
        self.wait()
        state = self.read_state()
        if state is None:
            return 0
        ckpt = self.run_dir / state["checkpoint"]
        if not ckpt.exists():
            raise FileNotFoundError(
                f"{self.state_path} points to {ckpt}, which is missing. Delete {self.state_path} "
                "to restart the run from scratch."
            )
        # Keras warns ("Skipping nested container ...") before it raises on a mismatch; its
        # warnings are passed on only when the load succeeds (pgan's error below says it all).
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.load_weights(ckpt)
                error = None
            except ValueError as err:
                error = err
        if error is not None:
            raise ValueError(
                f"{ckpt} does not fit this run's networks, so the run cannot be resumed "
                f"({str(error).splitlines()[0]}). A spectral_norm run of an older pgan may use "
                "Keras' SpectralNormalization, whose weights pgan's SpectralNorm cannot read. "
                "Train afresh in a new --out folder; the run's exported "
                "generator.keras still loads and samples."
            ) from error
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        self.history = state.get("history", {})
        return int(state["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        # From the previous epoch's end: its remaining epoch-end work (this checkpoint, the
        # callbacks after it) counts towards this epoch, so the epochs add up to the wall time.
        if self._epoch_start is None:
            self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self._epoch_start is not None:
            now = time.perf_counter()
            logs["epoch_seconds"], self._epoch_start = now - self._epoch_start, now
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        if self.background and self._layout is None:  # the variables stay the same during one fit
            # In every process, even one that writes nothing: the walk makes a throw-away optimizer, and
            # under a multi-process engine making a variable is a step of every process.
            self._layout = weights_layout(self.model) or False
        if not self.write:
            return
        history_text = json.dumps(self.history, indent=1)  # this epoch's copy
        if not self._due(epoch):  # through the writer: after any checkpoint job still running
            self.writer.submit(rundir.atomic_write_text, self.run_dir / "history.json", history_text)
            return
        name = f"epoch_{epoch + 1:04d}.weights.h5"
        state = {"epoch": epoch + 1, "checkpoint": f"checkpoints/{name}", "history": self.history}
        texts = json.dumps(state, indent=1), history_text
        entries = record_weights(self._layout) if self.background and self._layout else None
        if entries is None:  # synchronous: save_weights reads the model now
            self.writer.wait()
            self._write(name, lambda tmp: self.model.save_weights(tmp), *texts)
        else:
            self.writer.submit(self._write, name, lambda tmp: write_recorded_weights(entries, tmp), *texts)

    def _write(self, name, save, state_text, history_text):
        folder = self.run_dir / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        rundir.atomic_write(folder / name, save)
        rundir.atomic_write_text(self.state_path, state_text)
        rundir.atomic_write_text(self.run_dir / "history.json", history_text)
        old = sorted(folder.glob("epoch_*.weights.h5"))[: -self.keep]
        for path in old:
            path.unlink(missing_ok=True)

    def wait(self) -> None:
        """Wait until the last epoch's checkpoint, ``state.json`` and ``history.json`` are on disk."""
        self.writer.wait()

    def on_train_end(self, logs=None):
        self.wait()
