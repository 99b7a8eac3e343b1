"""Flow-model training runs: the same run folders, resume, time limit, NaN stop and grids as GAN runs.

``train_flow(config, run_dir)`` trains a :class:`pgan.diffusion.FlowModel` for a
:class:`pgan.config.TrainConfig` with a flow preset. Its run folder holds what a
GAN run's does (``config.json``, ``state.json``, ``checkpoints/``, ``samples/``,
``history.json``, ``run.json``; :mod:`pgan.runs`), with the velocity network (the EMA
network where there is one) exported as ``flow.keras``.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np

from pgan import backend, data, pipelines, rundir
from pgan.callbacks import (
    BackgroundWriter,
    ResumableCheckpoint,
    StopOnNonFinite,
    TimeLimit,
    TrainingDivergedError,
)
from pgan.config import RESUME_KEYS, TrainConfig
from pgan.diffusion.flow import integrate
from pgan.diffusion.model import FlowModel
from pgan.diffusion.unet import build_velocity_net
from pgan.recipes import RECIPES
from pgan.runs import hardware_record, saved_config, wait_for_writes

PRESETS = {"flow": {"width": 32, "attention": True}, "flow_small": {"width": 16, "attention": True}}
"""The flow presets' U-Nets (:func:`pgan.diffusion.build_velocity_net`'s settings); ``flow_small`` for a CPU."""

FLOW_DEFAULTS = RECIPES["flow"]
"""Settings a flow run trains well with (the GAN's defaults suit a GAN: Adam's beta_1 0.5, a rate of 2e-4)."""

GAN_ONLY = ("loss", "g_loss", "label_smoothing", "n_critic", "gp_weight", "r1_weight", "augment", "augment_p",
            "aux_weight", "d_learning_rate", "g_learning_rate", "update", "spectral_norm", "dropout", "init_from",
            "mixed_precision", "strategy", "distribution")
"""Settings of a GAN that a flow run does not have: refused unless left at their defaults."""


def check_flow_config(config: TrainConfig) -> None:
    """Refuse a config a flow run cannot train: another preset, or a GAN-only setting changed.

    Raises:
        ValueError: the message names each GAN-only setting that was set.
    """
    if config.preset not in PRESETS:
        raise ValueError(f"train_flow trains a flow preset ({', '.join(PRESETS)}), got {config.preset!r}; train "
                         "a GAN with pgan.runs.train_gan.")
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    changed = [name for name in GAN_ONLY if getattr(config, name) != defaults[name]]
    if changed:
        shown = ", ".join(f"{name}={getattr(config, name)!r}" for name in changed)
        raise ValueError(f"{shown}: these settings of a GAN run (its discriminator, its loss, its engines) are "
                         "not a flow run's. Drop them for --model flow.")


def _check_labels(config: TrainConfig, images, labels) -> int | None:
    """The number of classes of a conditional run (None for an unconditional one); checks ``labels``."""
    if config.conditional is None:
        return None
    if labels is None:
        raise ValueError("A conditional run needs class labels: pass labels=... (ints 0..C-1, one per image) "
                         "or train on Fashion-MNIST (images=None).")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"labels must be {len(images)} non-negative ints (one per image), got shape "
                         f"{labels.shape} of {labels.dtype}.")
    return int(labels.max()) + 1


def build_flow(config: TrainConfig, image_shape=(28, 28, 1), num_classes: int | None = None) -> FlowModel:
    """Build and compile the flow model of ``config`` (``num_classes``: None for an unconditional model).

    Taught in notebooks/12_flow_matching.ipynb.
    """
    network = build_velocity_net(image_shape, num_classes, **PRESETS[config.preset], sample_steps=config.sample_steps,
                                 guidance=config.guidance if num_classes is not None else 1.0)
    model = FlowModel(network, seed=config.seed, ema_decay=config.ema_decay, label_dropout=config.label_dropout)
    model.compile(
        keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                              global_clipnorm=config.clip_norm),
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
    )
    return model


class FlowSampleGrid(keras.callbacks.Callback):
    """Save a grid of a flow model's samples from fixed noise every ``every`` epochs, and a GIF at the end.

    :class:`pgan.callbacks.SampleGrid` for a flow model: the same noise each time,
    ``steps`` Euler steps of the EMA network (where there is one), one column per
    class for a conditional model. The PNG is written by a :class:`BackgroundWriter`.

    Args:
        output_dir: folder for ``epoch_0001.png``... and ``progress.gif``.
        num_examples: images per grid.
        seed: seed of the fixed noise.
        every: save every this many epochs.
        steps: Euler steps per sample.
        guidance: classifier-free guidance scale (conditional models).

    Taught in notebooks/12_flow_matching.ipynb.
    """

    def __init__(self, output_dir, num_examples: int = 64, seed: int = 0, every: int = 1, steps: int = 32,
                 guidance: float = 1.0):
        super().__init__()
        self.output_dir = Path(output_dir)
        self.num_examples, self.seed, self.every = num_examples, seed, every
        self.steps, self.guidance = steps, guidance
        self.writer = BackgroundWriter("pgan-flow-grid")

    def on_train_begin(self, logs=None):
        self.output_dir.mkdir(parents=True, exist_ok=True)
        shape = tuple(int(s) for s in self.model.network.inputs[0].shape[1:])
        self.noise = np.random.default_rng(self.seed).standard_normal((self.num_examples, *shape)).astype("float32")
        num_classes = self.model.num_classes
        self.labels = None if num_classes is None else (np.arange(self.num_examples) % num_classes).astype("int32")
        self.ncols = num_classes

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            from pgan.plotting import save_grid

            images = integrate(self.model.sampling_network, self.noise, self.steps, self.labels, self.guidance)
            self.writer.submit(save_grid, images, self.output_dir / f"epoch_{epoch + 1:04d}.png", self.ncols)

    def on_train_end(self, logs=None):
        from pgan.plotting import save_gif

        self.writer.wait()
        frames = sorted(self.output_dir.glob("epoch_*.png"))
        if frames:
            save_gif(frames, self.output_dir / "progress.gif")


class StopFlowOnNonFinite(StopOnNonFinite):
    """:class:`pgan.callbacks.StopOnNonFinite` for a flow model: checks its ``loss`` and its EMA weights."""

    def _check(self, logs, where):
        value = (logs or {}).get("loss")
        if value is not None and not np.isfinite(float(value)):
            self.model.stop_training = True
            raise TrainingDivergedError(f"the flow-matching loss became {float(value)} at {where}. {self.ADVICE}")

    def on_epoch_end(self, epoch, logs=None):
        where = f"the end of epoch {epoch + 1}"
        self._check(logs, where)
        weights = self.model.sampling_network.get_weights()
        if not all(np.isfinite(w).all() for w in weights):
            self.model.stop_training = True
            raise TrainingDivergedError(f"the sampled network has NaN or infinite weights at {where}. {self.ADVICE}")


def flow_callbacks(config: TrainConfig, run_dir, checkpoint, limit) -> list:
    """The callbacks :func:`train_flow` trains with: NaN stop, time limit, checkpoints, sample grids."""
    run_dir = Path(run_dir)
    return [
        StopFlowOnNonFinite(),
        limit,
        checkpoint,
        FlowSampleGrid(run_dir / "samples", seed=config.seed, every=config.sample_every, steps=config.sample_steps,
                       guidance=config.guidance),
        *([keras.callbacks.TensorBoard(run_dir / "logs")] if config.tensorboard else []),
    ]


def train_flow(config: TrainConfig, run_dir, images=None, labels=None, callbacks=(), verbose="auto") -> dict:
    """Train (or resume) a flow-matching run in ``run_dir``; return the per-epoch history.

    Args:
        config: a :class:`TrainConfig` with a flow preset, ``"flow"`` or ``"flow_small"``
            (``conditional="classes"`` trains a class-conditional model).
        run_dir: the run folder; re-running on the same folder resumes.
        images: uint8 (N, H, W, C) training images; Fashion-MNIST's train split by default.
        labels: class labels of ``images`` (conditional runs; Fashion-MNIST's by default).
        callbacks: extra Keras callbacks (e.g. a live monitor).
        verbose: passed to ``fit``.

    Returns:
        The history dict (``loss`` and ``epoch_seconds``, one entry per finished epoch).

    Taught in notebooks/12_flow_matching.ipynb.
    """
    check_flow_config(config)
    run_dir = rundir.start(run_dir, "flow", dataclasses.asdict(config), RESUME_KEYS, normalize=saved_config)
    if images is None:
        catalog = data.load_fashion_mnist()
        images, labels = catalog.x_train, catalog.y_train if labels is None else labels
    num_classes = _check_labels(config, images, labels)
    keras.utils.set_random_seed(config.seed)
    checkpoint = ResumableCheckpoint(run_dir, min_interval_seconds=config.checkpoint_seconds)
    start = time.perf_counter()
    model = build_flow(config, images.shape[1:], num_classes)
    done = checkpoint.restore(model)
    limit = TimeLimit(config.time_limit_minutes, sum(checkpoint.history.get("epoch_seconds", [])))
    if done < config.epochs and not limit.reached:
        dataset = pipelines.training_input(images, config.batch_size, labels=labels if num_classes else None,
                                           subset=config.subset, seed=config.seed + done)
        own = flow_callbacks(config, run_dir, checkpoint, limit)
        try:
            model.fit(dataset, epochs=config.epochs, initial_epoch=done, verbose=verbose, shuffle=False,
                      callbacks=[*own, *callbacks])
        finally:  # a crash or Ctrl-C too: the last finished epoch's checkpoint reaches the disk
            wait_for_writes(own)
    rundir.atomic_write(run_dir / "flow.keras", model.sampling_network.save)
    train_steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    history = checkpoint.history
    seconds = sum(history.get("epoch_seconds", []))
    rundir.write_json(run_dir / "run.json", {
        "config": dataclasses.asdict(config),
        "kind": "flow",
        "epochs_done": len(history.get("loss", [])),
        "train_steps": train_steps,
        "resumed_from_epoch": done,
        "stopped_by_time_limit": limit.reached,
        "exported": "ema_network" if config.ema_decay else "network",
        "parameters": model.network.count_params(),
        "train_seconds_total": round(seconds, 1),
        "wall_seconds_this_call": round(time.perf_counter() - start, 1),
        "num_train_images": int(min(len(images), config.subset or len(images))),
        "hardware": hardware_record(),
        "versions": backend.versions(),
        "final": {k: v[-1] for k, v in history.items() if v},
    })
    return history
