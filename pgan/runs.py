"""Training runs: a config, a run folder, resume after a crash, and the exported generator.

``train_gan(config, run_dir)`` is what ``pgan train`` and the notebooks call.
A run folder holds::

    config.json            the settings (checked on resume)
    state.json             last finished epoch, checkpoint file, history
    checkpoints/           epoch_NNNN.weights.h5 (both networks and optimizers)
    samples/               epoch_NNNN.png from fixed noise, progress.gif
    history.json           per-epoch d_loss, g_loss, D accuracies, seconds
    initialised_from.json  the run a fine-tuning run started from (``init_from``)
    generator.keras        the trained generator (written at the end)
    run.json               what was run, where, how long

Running the same command again on an interrupted folder resumes from the last
finished epoch. Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np

from pgan import data, models
from pgan.recipes import RECIPES
from pgan.runtime import sha256_file
from pgan.training import GAN, ResumableCheckpoint, SampleGrid, StopOnNonFinite, TimeLimit

# Settings that must match when a run is resumed (the others may change, e.g. epochs).
_RESUME_KEYS = (
    "preset", "batch_size", "mixed_precision", "update", "seed",
    "conditional", "loss", "spectral_norm", "ema_decay", "augment", "augment_p", "subset", "init_from",
)

@dataclasses.dataclass
class TrainConfig:
    """Settings of a GAN training run.

    Attributes:
        preset: "dcgan" (the article's model) or "workshop" (smaller, faster on CPU).
        epochs: passes over the training images.
        batch_size: images per step (global batch under a distribution strategy).
        learning_rate: Adam learning rate of both networks (2e-4 as in DCGAN).
        beta_1: Adam's first-moment decay (0.5 as in DCGAN).
        seed: seeds weights, noise and shuffling.
        subset: train on the first ``subset`` images only (quick mode, small-data studies).
        update: "alternating" (D then G) or "simultaneous" (TF tutorial).
        g_loss: "non_saturating" or "minimax".
        mixed_precision: "mixed_float16" or "mixed_bfloat16" (GPU), or None. On JAX only
            "mixed_bfloat16" (float16 needs the loss scaling pgan does on TensorFlow).
        strategy: None (one device) or "mirrored" (all local GPUs); TensorFlow only.
        jit_compile: XLA-compile the train step; None: off on TensorFlow, on with JAX.
        sample_every: write a sample grid every this many epochs.
        checkpoint_seconds: write a checkpoint at most this often, in seconds; the first and
            last epoch of each call and a time-limit stop are always saved; 0: every epoch.
            A full-data epoch on a CPU takes longer than the default 10 s, so only fast (GPU)
            runs are thinned (``ResumableCheckpoint(min_interval_seconds=...)``).
        tensorboard: write TensorBoard logs to ``RUN_DIR/logs``.
        recipe: the name of the recipe these settings came from (a record only).
        conditional: None, "projection", "acgan" or "projection_ac" (a projection head and a
            class head trained on real images): train a class-conditional GAN.
        loss: "gan", "hinge", "wasserstein", "least_squares" or "relativistic".
        d_learning_rate, g_learning_rate: per-network rates (two time scales);
            None: ``learning_rate``.
        beta_2: Adam's second-moment decay.
        clip_norm: clip each network's gradient to this global norm (None: off).
        label_smoothing: one-sided smoothing of D's real targets (loss "gan").
        n_critic: D steps per G step.
        gp_weight: WGAN-GP penalty weight (0: off). r1_weight: R1 gamma (0: off).
        spectral_norm: spectral normalisation on every layer of D.
        dropout: D's dropout rate.
        ema_decay: keep an EMA generator with this decay (exported and sampled).
        augment: DiffAugment policy, e.g. "translation,cutout" (None: off).
        augment_p: the probability of each DiffAugment transformation per image (1: always).
        aux_weight: weight of the class loss of an "acgan" or "projection_ac" head.
        init_from: fine-tune: a run folder whose last checkpoint initialises the networks
            (:func:`initialise_from_run`); None: fresh weights.
        time_limit_minutes: stop after this much training time (over all resumes).
        steps_per_execution: training steps per compiled call (``keras.Model.compile``);
            more than 1 cuts the per-step overhead on a GPU and changes nothing else. On
            JAX the K steps are unrolled in one call (``GAN.make_train_function``), which
            takes about K times one step's compile time.
    """

    preset: str = "dcgan"
    epochs: int = 50
    batch_size: int = 256
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    seed: int = 0
    subset: int | None = None
    update: str = "alternating"
    g_loss: str = "non_saturating"
    mixed_precision: str | None = None
    strategy: str | None = None
    jit_compile: bool | None = None
    sample_every: int = 1
    tensorboard: bool = False
    recipe: str | None = None
    conditional: str | None = None
    loss: str = "gan"
    d_learning_rate: float | None = None
    g_learning_rate: float | None = None
    beta_2: float = 0.999
    clip_norm: float | None = None
    label_smoothing: float = 0.0
    n_critic: int = 1
    gp_weight: float = 0.0
    r1_weight: float = 0.0
    spectral_norm: bool = False
    dropout: float = 0.3
    ema_decay: float | None = None
    augment: str | None = None
    augment_p: float = 1.0
    aux_weight: float = 1.0
    init_from: str | None = None
    time_limit_minutes: float | None = None
    steps_per_execution: int = 1
    checkpoint_seconds: float = 10.0

    def __post_init__(self):
        if self.preset not in models.PRESETS:
            raise ValueError(f"Unknown preset {self.preset!r}; choose one of {sorted(models.PRESETS)}.")
        for name in ("epochs", "batch_size", "sample_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        seconds = self.checkpoint_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"checkpoint_seconds must be a number >= 0 (0: after every epoch), got {seconds!r}.")
        if self.mixed_precision not in (None, "mixed_float16", "mixed_bfloat16"):
            raise ValueError(
                f"mixed_precision must be None, 'mixed_float16' or 'mixed_bfloat16', "
                f"got {self.mixed_precision!r}."
            )
        if self.strategy not in (None, "mirrored"):
            raise ValueError(f"strategy must be None or 'mirrored', got {self.strategy!r}.")
        if self.conditional is not None and self.conditional not in models.CONDITIONAL_HEADS:
            raise ValueError(
                f"conditional must be None or one of {models.CONDITIONAL_HEADS}, got {self.conditional!r}."
            )
        from pgan import augment, losses

        losses.get_loss_family(self.loss)
        self.augment = augment.normalize_policy(self.augment)  # "none" -> None, " a, b" -> "a,b"
        augment.check_probability(self.augment_p)
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight must be >= 0, got {self.aux_weight!r}.")
        if self.time_limit_minutes is not None and self.time_limit_minutes <= 0:
            raise ValueError(f"time_limit_minutes must be positive, got {self.time_limit_minutes!r}.")

    @classmethod
    def from_recipe(cls, name: str, **overrides) -> TrainConfig:
        """The settings of a named recipe (see :data:`RECIPES`), with ``overrides`` on top.

        Taught in notebooks/09_stabilizing_training.ipynb.
        """
        if name not in RECIPES:
            raise ValueError(f"Unknown recipe {name!r}; choose one of {sorted(RECIPES)}.")
        return cls(**{**RECIPES[name], "recipe": name, **overrides})

    @classmethod
    def from_run(cls, run_dir) -> TrainConfig:
        """The settings a run folder was trained with (its ``config.json``).

        Settings that the pgan of the run did not have yet take today's defaults.
        """
        path = Path(run_dir) / "config.json"
        if not path.exists():
            raise FileNotFoundError(f"{run_dir} has no config.json: pass a folder written by `pgan train --out`.")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in json.loads(path.read_text()).items() if k in names})

    @classmethod
    def quick(cls, **overrides) -> TrainConfig:
        """A configuration that trains in well under a minute on a CPU (for tests and CI)."""
        settings = {"preset": "workshop", "epochs": 2, "batch_size": 64, "subset": 512}
        settings.update(overrides)
        return cls(**settings)


class ImageBatches(keras.utils.PyDataset):
    """Model-range batches, reshuffled every epoch: the JAX backend's input pipeline.

    The same batches as :func:`pgan.data.make_dataset` (scaled to [-1, 1], last
    short batch dropped) without ``tf.data``, so training needs no TensorFlow.

    On a GPU (or TPU) the scaled images are copied to the accelerator once and stay
    there: each batch is cut by one small compiled gather, so no image crosses from
    the host during training (Fashion-MNIST's 60,000 images take 188 MB). Elsewhere,
    or for a set over ``DEVICE_DATA_LIMIT`` bytes or a quarter of the accelerator's
    memory (the networks need the rest), batches are numpy arrays. Both give the
    same batches in the same order.

    Args:
        images: uint8 array (N, H, W, C).
        batch_size: images per batch.
        subset: use only the first ``subset`` images.
        seed: seed of the per-epoch shuffles.
        labels: optional int labels (N,); batches are ``(images, labels)``, else ``(images,)``.
        on_device: keep the images on the accelerator (True), on the host (False),
            or decide (None: on the device when JAX runs on a GPU or TPU and the
            scaled images fit :func:`device_data_limit`).
    """

    DEVICE_DATA_LIMIT = 4 * 2**30

    def __init__(self, images, batch_size: int, subset: int | None = None, seed: int = 0, labels=None,
                 on_device: bool | None = None):
        super().__init__()
        self.images = data.training_images(images, batch_size, subset=subset)
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int32)[: len(self.images)]
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        if on_device is None:
            on_device = _accelerator_backend() and self.images.size * 4 <= device_data_limit()
        self.on_device = bool(on_device)
        if self.on_device:
            import jax

            self._device = {"images": jax.device_put(data.to_model_range(self.images)),
                            "labels": None if self.labels is None else jax.device_put(self.labels)}
        self._shuffle()

    def __len__(self):
        return len(self.images) // self.batch_size

    def __getitem__(self, index):
        start = index * self.batch_size
        if self.on_device:
            device = self._device
            images, labels = _compiled_take()(device["images"], device["labels"], device["order"], start,
                                              self.batch_size)
        else:
            rows = self.order[start : start + self.batch_size]
            images = data.to_model_range(self.images[rows])
            labels = None if self.labels is None else self.labels[rows]
        return (images,) if self.labels is None else (images, labels)

    def on_epoch_end(self):
        self._shuffle()

    def _shuffle(self):
        """A new order of the images (on the device too, where the images are)."""
        self.order = self.rng.permutation(len(self.images))
        if self.on_device:
            import jax

            self._device["order"] = jax.device_put(self.order.astype(np.int32))


def device_data_limit() -> int:
    """Bytes of scaled images ``ImageBatches`` keeps on the accelerator: 4 GiB, at most a quarter of its memory."""
    limit = ImageBatches.DEVICE_DATA_LIMIT
    if keras.backend.backend() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}  # None on the CPU
        if stats.get("bytes_limit"):
            limit = min(limit, int(stats["bytes_limit"]) // 4)
    return limit


def _accelerator_backend() -> bool:
    """True when Keras runs on JAX and JAX's default device is not the CPU."""
    if keras.backend.backend() != "jax":
        return False
    import jax

    return jax.default_backend() != "cpu"


@functools.cache
def _compiled_take():
    """``take(images, labels, order, start, size)``: ``images[order[start:start+size]]`` (and the
    labels) as one compiled call on the device.

    Eager ``jax.numpy`` indexing costs several dispatches per batch; compiled, a batch
    costs one, and the host stays ahead of the training step.
    """
    import jax

    def take(images, labels, order, start, size):
        rows = jax.lax.dynamic_slice_in_dim(order, start, size)
        return images[rows], None if labels is None else labels[rows]

    return jax.jit(take, static_argnums=4)


def _training_input(config: TrainConfig, images, epochs_done: int, labels=None):
    """tf.data on TensorFlow, numpy batches elsewhere (JAX): no TensorFlow needed there."""
    seed = config.seed + epochs_done
    if config.conditional is None:
        labels = None
    elif labels is not None:
        labels = np.asarray(labels).astype(np.int32)
    if keras.backend.backend() == "tensorflow":
        return data.make_dataset(images, config.batch_size, labels=labels, subset=config.subset, seed=seed)
    return ImageBatches(images, config.batch_size, subset=config.subset, seed=seed, labels=labels)


def _check_labels(config: TrainConfig, images, labels) -> int:
    """The number of classes of a conditional run (10 for Fashion-MNIST); checks ``labels``."""
    if config.conditional is None:
        return 10
    if labels is None:
        raise ValueError(
            "A conditional run needs class labels: pass labels=... (ints 0..C-1, one per image) "
            "or train on Fashion-MNIST (images=None)."
        )
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(
            f"labels must be {len(images)} non-negative ints (one per image), got shape {labels.shape} "
            f"of {labels.dtype}."
        )
    return int(labels.max()) + 1


def _check_backend(config: TrainConfig) -> None:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    if config.mixed_precision == "mixed_bfloat16" and backend == "jax":
        return  # bfloat16 keeps float32's range: no loss scaling, so JAX can train with it too
    for name in ("mixed_precision", "strategy"):
        if getattr(config, name) is not None:
            hint = " (on JAX use mixed_bfloat16, which needs no loss scaling)" if name == "mixed_precision" else ""
            raise ValueError(
                f"{name}={getattr(config, name)!r} is TensorFlow only in pgan{hint}; the Keras backend "
                f"is {backend!r}. Drop the option, or unset KERAS_BACKEND to train on TensorFlow."
            )


def get_strategy(name: str | None):
    """A ``tf.distribute`` strategy by name: None -> the default (one device), "mirrored".

    On a backend other than TensorFlow only None is allowed; it returns a no-op scope.
    """
    if name is None and keras.backend.backend() != "tensorflow":
        return _NoStrategy()
    import tensorflow as tf

    if name is None:
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ValueError(f"Unknown strategy {name!r}; use None or 'mirrored'.")


class _NoStrategy:
    """One device, no ``tf.distribute``: what ``get_strategy(None)`` is on JAX."""

    def scope(self):
        return contextlib.nullcontext()


@contextlib.contextmanager
def dtype_policy(name: str | None):
    """Temporarily set Keras' global dtype policy (e.g. "mixed_float16")."""
    previous = keras.config.dtype_policy()
    if name:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build_gan(config: TrainConfig, image_shape=(28, 28, 1), num_classes: int = 10) -> GAN:
    """Build and compile the GAN for ``config`` (call inside the strategy's scope)."""
    generator, discriminator = models.build_gan_models(
        config.preset, image_shape, conditional=config.conditional, num_classes=num_classes,
        dropout=config.dropout, spectral_norm=config.spectral_norm,
    )
    gan = GAN(generator, discriminator, seed=config.seed, ema_decay=config.ema_decay)

    def adam(rate):
        return keras.optimizers.Adam(rate or config.learning_rate, beta_1=config.beta_1,
                                     beta_2=config.beta_2, global_clipnorm=config.clip_norm)

    options = {"label_smoothing": config.label_smoothing} if config.loss == "gan" else {}
    gan.compile(
        d_optimizer=adam(config.d_learning_rate),
        g_optimizer=adam(config.g_learning_rate),
        loss=config.loss,
        g_loss=config.g_loss,
        update=config.update,
        jit_compile=config.jit_compile,
        n_critic=config.n_critic,
        gp_weight=config.gp_weight,
        r1_weight=config.r1_weight,
        augment=config.augment,
        augment_p=config.augment_p,
        aux_weight=config.aux_weight,
        steps_per_execution=config.steps_per_execution,
        **options,
    )
    return gan


def _copy_matching_layers(source: keras.Model, target: keras.Model) -> list[str]:
    """Copy the weights of each layer of ``target`` from the same-named, same-shaped layer
    of ``source``; return the names of the layers left as they were."""
    by_name = {layer.name: layer for layer in source.layers}
    fresh = []
    for layer in target.layers:
        if not layer.weights:
            continue
        match = by_name.get(layer.name)
        if match is not None and [tuple(w.shape) for w in match.weights] == [tuple(w.shape) for w in layer.weights]:
            layer.set_weights(match.get_weights())
        else:
            fresh.append(layer.name)
    return fresh


def initialise_from_run(gan: GAN, source_dir, image_shape=(28, 28, 1), num_classes: int = 10) -> dict:
    """Fine-tuning: copy the networks of ``source_dir``'s last checkpoint into ``gan``.

    The source run is rebuilt from its ``config.json`` and its checkpoint loaded; then
    every layer of ``gan``'s generator, discriminator and EMA generator takes the weights
    of the source layer with the same name and shapes. The generator must match
    entirely; the discriminator may have new layers (e.g. the class head of
    ``conditional="projection_ac"`` on a projection run), which keep their fresh
    initialisation. The optimizers start fresh.

    Returns:
        What was loaded (run, epoch, checkpoint file and SHA-256, the discriminator
        layers left fresh), as recorded in the run's ``run.json``.

    Raises:
        FileNotFoundError: ``source_dir`` has no checkpoint.
        ValueError: the source generator differs from ``gan``'s (another preset or
            latent size, conditional against unconditional).
    """
    source_dir = Path(source_dir)
    source_checkpoint = ResumableCheckpoint(source_dir)
    state = source_checkpoint.read_state() if (source_dir / "config.json").exists() else None
    if state is None:
        raise FileNotFoundError(
            f"--init-from {source_dir}: expected a pgan run folder with config.json and state.json "
            "(a run that finished at least one epoch)."
        )
    source_config = TrainConfig.from_run(source_dir)
    with dtype_policy(source_config.mixed_precision):
        source = build_gan(source_config, image_shape, num_classes)
    epoch = source_checkpoint.restore(source)
    fresh_g = _copy_matching_layers(source.generator, gan.generator)
    if fresh_g:
        raise ValueError(
            f"--init-from {source_dir}: its generator ({source_config.preset!r}, conditional="
            f"{source_config.conditional!r}) does not match this run's (layers {fresh_g} differ). "
            "Fine-tune with the same --model and the same kind of generator (conditional or not)."
        )
    fresh_d = _copy_matching_layers(source.discriminator, gan.discriminator)
    if len(fresh_d) == len([layer for layer in gan.discriminator.layers if layer.weights]):
        raise ValueError(f"--init-from {source_dir}: no layer of its discriminator fits this run's.")
    if gan.ema_generator is not None:
        _copy_matching_layers(source.ema_generator or source.generator, gan.ema_generator)
    checkpoint_file = source_dir / state["checkpoint"]
    return {
        "run": str(source_dir),
        "epoch": epoch,
        "checkpoint": state["checkpoint"],
        "checkpoint_sha256": sha256_file(checkpoint_file),
        "config": dataclasses.asdict(source_config),
        "fresh_discriminator_layers": fresh_d,
    }


def _check_resume(run_dir: Path, config: TrainConfig) -> None:
    path = run_dir / "config.json"
    if not path.exists():
        return
    saved = json.loads(path.read_text())
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}  # runs from older pgan
    if saved.get("augment") is not None:  # runs from older pgan kept the spelling given, e.g. "none"
        from pgan.augment import normalize_policy

        saved["augment"] = normalize_policy(saved["augment"])
    changed = [k for k in _RESUME_KEYS if saved.get(k, defaults[k]) != getattr(config, k)]
    if changed:
        diffs = ", ".join(f"{k}: {saved.get(k)!r} -> {getattr(config, k)!r}" for k in changed)
        raise ValueError(
            f"{run_dir} holds a run with different settings ({diffs}). Resume it with its "
            "original settings, or pass a new --out folder."
        )


def _save_keras_atomically(model, path: Path) -> None:
    tmp = path.with_name(f"tmp_{path.name}")
    model.save(tmp)
    os.replace(tmp, path)


def training_callbacks(config: TrainConfig, run_dir, checkpoint=None, limit=None) -> list:
    """The callbacks :func:`train_gan` trains with: stop on NaN, time limit, checkpoints, sample grids.

    None of them makes Keras wait for a step's results after every step (on JAX that
    would keep the host from queuing steps ahead of a GPU); TensorBoard, when
    ``config.tensorboard`` asks for it, does.

    Args:
        config: the run's :class:`TrainConfig`.
        run_dir: the run folder (samples go to ``run_dir/samples``).
        checkpoint: the run's :class:`ResumableCheckpoint` (a new one by default).
        limit: the run's :class:`TimeLimit` (``config.time_limit_minutes`` by default).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    run_dir = Path(run_dir)
    return [
        StopOnNonFinite(),
        limit if limit is not None else TimeLimit(config.time_limit_minutes),
        checkpoint if checkpoint is not None else ResumableCheckpoint(
            run_dir, min_interval_seconds=config.checkpoint_seconds),
        SampleGrid(run_dir / "samples", seed=config.seed, every=config.sample_every),
        *([keras.callbacks.TensorBoard(run_dir / "logs")] if config.tensorboard else []),
    ]


def train_gan(config: TrainConfig, run_dir, images=None, callbacks=(), verbose="auto", labels=None) -> dict:
    """Train (or resume) a GAN run in ``run_dir``; return the per-epoch history.

    Args:
        config: a :class:`TrainConfig`.
        run_dir: the run folder; re-running on the same folder resumes.
        images: uint8 (N, H, W, C) training images; Fashion-MNIST's train split by default.
        labels: class labels of ``images`` (conditional runs; Fashion-MNIST's by default).
        callbacks: extra Keras callbacks (e.g. a live monitor).
        verbose: passed to ``fit``.

    Returns:
        The history dict (lists per metric, one entry per finished epoch).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    from pgan.runtime import backend_versions, gpu_devices

    _check_backend(config)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_resume(run_dir, config)
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=1))
    if images is None:
        catalog = data.load_fashion_mnist()
        images, labels = catalog.x_train, catalog.y_train if labels is None else labels
    num_classes = _check_labels(config, images, labels)
    keras.utils.set_random_seed(config.seed)
    checkpoint = ResumableCheckpoint(run_dir, min_interval_seconds=config.checkpoint_seconds)
    start = time.perf_counter()
    with dtype_policy(config.mixed_precision):
        strategy = get_strategy(config.strategy)
        with strategy.scope():
            gan = build_gan(config, images.shape[1:], num_classes)
        done = checkpoint.restore(gan)
        init_record = run_dir / "initialised_from.json"
        if done == 0 and config.init_from:
            init = initialise_from_run(gan, config.init_from, images.shape[1:], num_classes)
            init_record.write_text(json.dumps(init, indent=1))
        limit = TimeLimit(config.time_limit_minutes, sum(checkpoint.history.get("epoch_seconds", [])))
        if done < config.epochs and not limit.reached:
            dataset = _training_input(config, images, done, labels)
            try:
                gan.fit(
                    dataset,
                    epochs=config.epochs,
                    initial_epoch=done,
                    verbose=verbose,
                    shuffle=False,  # the dataset reshuffles itself every epoch
                    callbacks=[*training_callbacks(config, run_dir, checkpoint, limit), *callbacks],
                )
            finally:  # a crash or Ctrl-C too: the last finished epoch's checkpoint reaches the disk
                checkpoint.wait()
        # With an EMA generator, the average is the model to use (sampled and exported).
        _save_keras_atomically(gan.sampling_generator, run_dir / "generator.keras")
        # G's optimizer steps over all calls (restored from the checkpoint): exact where a time
        # limit ended the last epoch early, which the epoch count does not say.
        train_steps = int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations))
    history = checkpoint.history
    seconds = sum(history.get("epoch_seconds", []))
    run_info = {
        "config": dataclasses.asdict(config),
        "epochs_done": len(history.get("d_loss", [])),
        "train_steps": train_steps,
        "resumed_from_epoch": done,
        "stopped_by_time_limit": limit.reached,
        "exported": "ema_generator" if config.ema_decay else "generator",
        "train_seconds_total": round(seconds, 1),
        "wall_seconds_this_call": round(time.perf_counter() - start, 1),
        "num_train_images": int(min(len(images), config.subset or len(images))),
        "hardware": {
            "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(),
            "cpu_cores": os.cpu_count(),
            "gpus": gpu_devices(),
        },
        "versions": backend_versions(),
        "final": {k: v[-1] for k, v in history.items() if v},
    }
    if init_record.exists():
        run_info["initialised_from"] = json.loads(init_record.read_text())
    (run_dir / "run.json").write_text(json.dumps(run_info, indent=1))
    return history


def copy_finished_model(run_dir, dest_dir, name: str, model_file: str) -> tuple[Path, dict, dict]:
    """Copy ``run_dir/model_file`` to ``dest_dir/NAME.keras``: the shared first step of publishing.

    Returns:
        ``(target, run, card)``: the copied file, the run's ``run.json`` and the start
        of its model card (name, file, SHA-256, bytes).

    Raises:
        FileNotFoundError: the run has not finished (no ``model_file`` or ``run.json``).
    """
    import shutil

    run_dir, dest_dir = Path(run_dir), Path(dest_dir)
    source = run_dir / model_file
    if not source.exists() or not (run_dir / "run.json").exists():
        raise FileNotFoundError(f"{run_dir} has no finished run ({model_file} and run.json).")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{name}.keras"
    shutil.copyfile(source, target)
    run = json.loads((run_dir / "run.json").read_text())
    card = {"name": name, "file": target.name, "sha256": sha256_file(target), "bytes": target.stat().st_size}
    return target, run, card


def publish_generator(run_dir, dest_dir, name: str, command: str) -> Path:
    """Copy a finished run's generator to ``dest_dir/NAME.keras`` with a model card ``NAME.json``.

    The card records the command, config, seed, epochs, training time, hardware,
    versions, final losses and the file's SHA-256 (checked by
    :func:`pgan.sampling.load_pretrained`). A sample grid from fixed noise is
    written beside it as ``NAME_samples.png``.
    """
    from pgan import plotting, sampling

    target, run, card = copy_finished_model(run_dir, dest_dir, name, "generator.keras")
    generator = sampling.load_generator(target)
    plotting.save_grid(sampling.generate_images(generator, 100, seed=0), dest_dir / f"{name}_samples.png", ncols=10)
    card = {
        **card,
        "parameters": generator.count_params(),
        "latent_dim": sampling.latent_dim_of(generator),
        "command": command,
        "config": run["config"],
        "seed": run["config"]["seed"],
        "epochs": run["epochs_done"],
        **({"train_steps": run["train_steps"]} if "train_steps" in run else {}),
        "train_seconds": run["train_seconds_total"],
        "num_train_images": run["num_train_images"],
        "hardware": run["hardware"],
        "versions": run["versions"],
        "final_losses": run["final"],
        **({"initialised_from": run["initialised_from"]} if "initialised_from" in run else {}),
        "metrics": {},
        "samples": f"{name}_samples.png (seed 0, 100 images)",
    }
    target.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    return target
