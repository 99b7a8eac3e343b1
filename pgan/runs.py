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
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np

from pgan import backend, distributed, models, pipelines, rundir, training_data
from pgan.callbacks import ResumableCheckpoint, SampleGrid, StopOnNonFinite, TimeLimit
from pgan.config import FLOW_PRESETS, RESUME_KEYS, TrainConfig
from pgan.gan import GAN, Objective
from pgan.runtime import sha256_file

__all__ = ["TrainConfig", "build_gan", "start_run", "train_gan", "training_callbacks", "initialise_from_run",
           "publish_generator", "copy_finished_model", "dtype_policy", "saved_config", "wait_for_writes",
           "hardware_record"]


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

    gan.compile(
        d_optimizer=adam(config.d_learning_rate),
        g_optimizer=adam(config.g_learning_rate),
        objective=Objective.from_config(config),
        update=config.update,
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
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


def saved_config(saved: dict) -> dict:
    """A run's saved settings in today's form: older runs lack newer settings (today's defaults
    apply) or spelled some another way ("none" for no augmentation)."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    try:
        return dataclasses.asdict(TrainConfig(**{k: v for k, v in saved.items() if k in names}))
    except (TypeError, ValueError):
        return saved


def start_run(run_dir, config: TrainConfig) -> Path:
    """Create or resume the run folder of ``config``: refused if it holds a run with other settings.

    The settings a resumed run must keep are :data:`pgan.config.RESUME_KEYS`.
    """
    return rundir.start(run_dir, "gan", dataclasses.asdict(config), RESUME_KEYS, normalize=saved_config)


def training_callbacks(config: TrainConfig, run_dir, checkpoint=None, limit=None, write: bool = True) -> list:
    """The callbacks :func:`train_gan` trains with: stop on NaN, time limit, checkpoints, sample grids.

    None of them makes Keras wait for a step's results after every step (on JAX that
    would keep the host from queuing steps ahead of a GPU); TensorBoard, when
    ``config.tensorboard`` asks for it, does.

    Args:
        config: the run's :class:`TrainConfig`.
        run_dir: the run folder (samples go to ``run_dir/samples``).
        checkpoint: the run's :class:`ResumableCheckpoint` (a new one by default).
        limit: the run's :class:`TimeLimit` (``config.time_limit_minutes`` by default).
        write: False in a multi-process run's processes other than the chief (they write nothing).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    run_dir = Path(run_dir)
    return [
        StopOnNonFinite(),
        limit if limit is not None else TimeLimit(config.time_limit_minutes),
        checkpoint if checkpoint is not None else ResumableCheckpoint(
            run_dir, min_interval_seconds=config.checkpoint_seconds, write=write),
        SampleGrid(run_dir / "samples", seed=config.seed, every=config.sample_every, write=write),
        *([keras.callbacks.TensorBoard(run_dir / "logs")] if config.tensorboard and write else []),
    ]


def wait_for_writes(callbacks) -> None:
    """Wait for every callback's background writes; then raise the first write that failed."""
    errors = []
    for callback in callbacks:
        writer = getattr(callback, "writer", None)
        if writer is not None:
            try:
                writer.wait()
            except RuntimeError as err:
                errors.append(err)
    if errors:
        raise errors[0]


def train_gan(config: TrainConfig, run_dir, images=None, callbacks=(), verbose="auto", labels=None) -> dict:
    """Train (or resume) a GAN run in ``run_dir``; return the per-epoch history.

    Args:
        config: a :class:`TrainConfig`.
        run_dir: the run folder; re-running on the same folder resumes.
        images: uint8 (N, H, W, C) training images, or a folder of product photos (flat, or one
            sub-folder per class: then the run is conditional), the same as ``config.images``;
            Fashion-MNIST's train split by default.
        labels: class labels of ``images`` arrays (conditional runs; Fashion-MNIST's by default).
        callbacks: extra Keras callbacks (e.g. a live monitor).
        verbose: passed to ``fit``.

    Returns:
        The history dict (lists per metric, one entry per finished epoch).

    With ``config.distribution`` or ``config.strategy`` the steps run on several devices
    or processes (:mod:`pgan.distributed`); every process then calls this function on
    the same run folder, and process 0 alone writes in it.

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    if config.preset in FLOW_PRESETS:
        raise ValueError(f"preset {config.preset!r} is a flow-matching model, not a GAN: train it with "
                         "pgan.diffusion.train_flow(config, run_dir) (`pgan train --model flow` does).")
    backend.check_supported(config.mixed_precision)
    place = distributed.placement(config.distribution, config.strategy, config.batch_size)
    if isinstance(images, str | os.PathLike):  # a folder of photos, as --images DIR
        config, images = dataclasses.replace(config, images=str(images)), None
    found = training_data.for_run(config, images, labels)
    config = _conditional_for(config, found)
    images, labels = found.images, found.labels if labels is None else labels
    run_dir = start_run(run_dir, config) if place.is_chief else Path(run_dir)
    if place.is_chief:
        _record_data(run_dir, found.record)
    num_classes = _check_labels(config, images, labels)
    keras.utils.set_random_seed(config.seed)
    checkpoint = ResumableCheckpoint(run_dir, min_interval_seconds=config.checkpoint_seconds, write=place.is_chief)
    start = time.perf_counter()
    init_record = run_dir / "initialised_from.json"
    with dtype_policy(config.mixed_precision), place.scope():
        gan = build_gan(config, images.shape[1:], num_classes)
        done = checkpoint.restore(gan)
        place.check_same_epoch(done)
        if done == 0 and config.init_from:
            init = initialise_from_run(gan, config.init_from, images.shape[1:], num_classes)
            if place.is_chief:
                rundir.write_json(init_record, init)
        limit = TimeLimit(config.time_limit_minutes, sum(checkpoint.history.get("epoch_seconds", [])),
                          agree=place.agree if place.num_processes > 1 else None)
        if done < config.epochs and not limit.reached:
            dataset = pipelines.training_input(
                images, config.batch_size, labels=labels if config.conditional else None,
                subset=config.subset, seed=config.seed + done, place=place)
            own = training_callbacks(config, run_dir, checkpoint, limit, write=place.is_chief)
            try:
                gan.fit(
                    dataset,
                    epochs=config.epochs,
                    initial_epoch=done,
                    verbose=verbose,
                    shuffle=False,  # the dataset reshuffles itself every epoch
                    callbacks=[*own, *callbacks],
                )
            finally:  # a crash or Ctrl-C too: the last finished epoch's checkpoint reaches the disk
                wait_for_writes(own)
        # With an EMA generator, the average is the model to use (sampled and exported).
        if place.is_chief:
            rundir.atomic_write(run_dir / "generator.keras", gan.sampling_generator.save)
            rundir.write_json(run_dir / "generator.json", model_info(found.record))
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
        "data": found.record,
        "distributed": place.record(),
        "hardware": hardware_record(),
        "versions": backend.versions(),
        "final": {k: v[-1] for k, v in history.items() if v},
    }
    if init_record.exists():
        run_info["initialised_from"] = json.loads(init_record.read_text())
    if place.is_chief:
        rundir.write_json(run_dir / "run.json", run_info)
    return history


def _conditional_for(config: TrainConfig, found: training_data.TrainingData) -> TrainConfig:
    """Class sub-folders make a run conditional (a projection head unless one is given); a flat folder cannot be."""
    if found.record["source"] != "folder":
        return config
    if found.labels is not None and config.conditional is None:
        return dataclasses.replace(config, conditional="projection")
    if found.labels is None and config.conditional is not None:
        raise ValueError(
            f"conditional={config.conditional!r} needs classes, and {config.images} holds no class sub-folders: "
            "put each class's photos in its own sub-folder (DIR/sneaker/*.jpg), or drop --conditional.")
    return config


def _record_data(run_dir: Path, record: dict) -> None:
    """Write the run's data record, or check a resumed run trains on the same kind of images."""
    path = run_dir / training_data.DATA_RECORD
    if path.exists():
        training_data.check_same_data(json.loads(path.read_text()), record, run_dir)
    rundir.write_json(path, record)


def model_info(record: dict) -> dict:
    """What ``generator.json`` beside a run's ``generator.keras`` says: its classes and training images.

    ``pgan sample --class-name`` and ``pgan evaluate`` read it (:func:`pgan.sampling.model_info`).
    """
    return {"class_names": record.get("class_names"), "image_shape": record.get("image_shape"), "data": record}


def hardware_record() -> dict:
    """The machine a run trained on, for its ``run.json``: architecture, processor, cores, GPUs."""
    return {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_cores": os.cpu_count(),
        "gpus": backend.gpu_devices(),
    }


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
    target = rundir.atomic_write(dest_dir / f"{name}.keras", lambda tmp: shutil.copyfile(source, tmp))
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
        **({"class_names": run["data"]["class_names"], "data": run["data"]}
           if run.get("data", {}).get("source") == "folder" else {}),
        "hardware": run["hardware"],
        "versions": run["versions"],
        "final_losses": run["final"],
        **({"initialised_from": run["initialised_from"]} if "initialised_from" in run else {}),
        "metrics": {},
        "samples": f"{name}_samples.png (seed 0, 100 images)",
    }
    rundir.write_json(target.with_suffix(".json"), card)
    return target
