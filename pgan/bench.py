"""Throughput benchmarks: pgan's ``fit()`` path against a minimal hand-written loop.

Speed is measured here and in ``benchmarks/``, never in unit tests.
Used by ``pgan bench`` and ``benchmarks/train_throughput.py``.
"""

from __future__ import annotations

import os
import platform
import time

import keras
import numpy as np

from pgan import backend, data, losses, models, pipelines
from pgan.gan import GAN


def _images(batch_size: int, steps: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (batch_size * steps, 28, 28, 1), dtype=np.uint8)


REPEATS = 4  # timed passes per path after a warm-up; the best one counts (this VM is noisy)


def _time_fit(preset: str, batch_size: int, steps: int, update: str, pipeline: str = "cached") -> float:
    """Images/s of ``GAN.fit`` for a plain model (best epoch after a warm-up).

    ``pipeline="cached"``: batches prepared once (cached tf.data; scaled numpy on JAX),
    so the step alone is timed. ``pipeline="training"``: the input pipeline training
    really uses (``make_dataset``: uint8 -> scale, reshuffle, batch, prefetch every
    epoch; ``pipelines.ImageBatches`` on JAX), so a starved step would show as a slowdown.
    """
    generator, discriminator = models.build_gan_models(preset)
    gan = GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5), update=update)
    return _fit_speed(gan, _images(batch_size, steps), batch_size, pipeline)


def _fit_speed(gan, images, batch_size: int, pipeline: str = "cached", labels=None) -> float:
    """Images/s of ``gan.fit`` over ``images`` (one epoch to compile, then the best of ``REPEATS``)."""
    if backend.is_tensorflow():
        dataset = data.make_dataset(images, batch_size, labels=labels)
        dataset = dataset.cache() if pipeline == "cached" else dataset
    elif pipeline == "cached" and labels is None:  # JAX: numpy batches, scaled once like the cached pipeline
        dataset = data.to_model_range(images)
    else:
        dataset = pipelines.ImageBatches(images, batch_size, labels=labels)
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    batched = not isinstance(dataset, np.ndarray)
    gan.fit(dataset, batch_size=None if batched else batch_size,
            epochs=1 + REPEATS, verbose=0, shuffle=False, callbacks=[Timer()])
    return len(images) // batch_size * batch_size / min(times[1:])


def _time_minimal_loop(preset: str, batch_size: int, steps: int) -> float:
    """Images/s of a minimal ``tf.function`` GradientTape loop, same model and algorithm."""
    import tensorflow as tf

    generator, discriminator = models.build_gan_models(preset)
    latent_dim = generator.input_shape[-1]
    d_opt, g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt.build(discriminator.trainable_variables)
    g_opt.build(generator.trainable_variables)

    @tf.function
    def step(real):
        z = tf.random.normal((batch_size, latent_dim))
        fake = generator(z, training=True)
        with tf.GradientTape() as tape:
            d_loss = losses.discriminator_loss(
                discriminator(real, training=True), discriminator(fake, training=True)
            )
        d_opt.apply(tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
        z = tf.random.normal((batch_size, latent_dim))
        with tf.GradientTape() as tape:
            g_loss = losses.generator_loss(discriminator(generator(z, training=True), training=True))
        g_opt.apply(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        return d_loss, g_loss

    batches = [
        tf.constant(data.to_model_range(b))
        for b in np.split(_images(batch_size, steps), steps)
    ]
    best = float("inf")
    for _ in range(1 + REPEATS):  # the first pass traces; keep the best of the rest
        start = time.perf_counter()
        for b in batches:
            out = step(b)
        float(out[0])
        best = min(best, time.perf_counter() - start)
    return batch_size * steps / best


def _time_generation(preset: str, batch_size: int, generator=None) -> tuple[float, float]:
    """(images/s at ``batch_size``, milliseconds for one image) of ``preset``'s generator (or ``generator``)."""
    if generator is None:
        generator, _ = models.build_gan_models(preset)
    latent_dim = generator.inputs[0].shape[-1]
    z = np.random.default_rng(0).standard_normal((batch_size, latent_dim)).astype(np.float32)
    one = z[:1]
    if len(generator.inputs) == 2:  # conditional: noise and a class label
        labels = (np.arange(batch_size) % 10).astype(np.int32)
        z, one = [z, labels], [one, labels[:1]]
    predict = keras.ops.convert_to_numpy
    for _ in range(3):
        predict(generator(z, training=False))
        predict(generator(one, training=False))
    reps = 10
    start = time.perf_counter()
    for _ in range(reps):
        predict(generator(z, training=False))
    throughput = batch_size * reps / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(reps):
        predict(generator(one, training=False))
    latency_ms = 1000 * (time.perf_counter() - start) / reps
    return throughput, latency_ms


def _generation_and_machine(preset: str, batch_size: int, generator=None) -> dict:
    """The generation speed (see :func:`_time_generation`), then the machine and versions."""
    gen_speed, gen_ms = _time_generation(preset, batch_size, generator)
    return {
        "generate_img_per_s": round(gen_speed, 1),
        "generate_one_ms": round(gen_ms, 2),
        **backend.versions(),
        "device": (backend.gpu_devices() or ["cpu"])[0],
        "cpu": platform.processor() or platform.machine(),
        "cpu_cores": os.cpu_count(),
    }


def run_benchmark(preset: str = "dcgan", batch_size: int = 128, steps: int = 30) -> dict:
    """Measure training and generation throughput for one preset and batch size.

    Returns a JSON-ready dict with ``train_img_per_s`` (the ``fit()`` path),
    ``minimal_loop_img_per_s``, their ratio, ``train_img_per_s_input_pipeline``
    (``fit()`` fed by the real input pipeline instead of cached batches) and its
    ratio to the cached run (1.0: the pipeline never starves the step),
    ``generate_img_per_s`` and ``generate_one_ms``, plus the hardware and versions. The minimal loop is a
    ``tf.function``: on another Keras backend (JAX) it and the ratio are None.
    """
    if preset not in models.PRESETS:
        raise ValueError(f"Unknown model {preset!r}; choose one of {sorted(models.PRESETS)}.")

    fit_speed = _time_fit(preset, batch_size, steps, "alternating")
    pipeline_speed = _time_fit(preset, batch_size, steps, "alternating", pipeline="training")
    loop_speed = _time_minimal_loop(preset, batch_size, steps) if backend.is_tensorflow() else None
    return {
        "model": preset,
        "batch_size": batch_size,
        "steps": steps,
        "train_img_per_s": round(fit_speed, 1),
        "minimal_loop_img_per_s": loop_speed and round(loop_speed, 1),
        "fit_vs_minimal_loop": loop_speed and round(fit_speed / loop_speed, 3),
        "train_img_per_s_input_pipeline": round(pipeline_speed, 1),
        "input_pipeline_vs_cached": round(pipeline_speed / fit_speed, 3),
        **_generation_and_machine(preset, batch_size),
    }


def run_recipe_benchmark(recipe: str, batch_size: int | None = None, steps: int = 30) -> dict:
    """Training and generation throughput of a named recipe (``pgan train --recipe``).

    The GAN is built as ``pgan train`` builds it (``runs.build_gan``: the recipe's loss,
    critic steps, penalties, spectral norm, EMA, augmentation, conditional head), at the
    recipe's own batch size unless ``batch_size`` is given. In the same call the plain
    model of the recipe (the article's losses, alternating update, no extras) is timed
    at that batch size, so ``vs_plain_model`` says what the recipe's extras cost on this
    machine. Images/s count real images consumed: with ``n_critic`` 5 (wgan_gp) every
    batch feeds five critic steps and one generator step. Conditional recipes train on
    random labels (the speed does not depend on them).

    Quoted in notebooks/09_stabilizing_training.ipynb (what wgan_gp costs).
    """
    from pgan.runs import TrainConfig, build_gan

    config = TrainConfig.from_recipe(recipe, **({"batch_size": batch_size} if batch_size else {}))
    images = _images(config.batch_size, steps)
    labels = None
    if config.conditional:
        labels = np.random.default_rng(0).integers(0, 10, len(images)).astype(np.int32)
    gan = build_gan(config)
    speed = _fit_speed(gan, images, config.batch_size, labels=labels)
    plain = _time_fit(config.preset, config.batch_size, steps, "alternating")
    return {
        "recipe": recipe,
        "model": config.preset,
        "batch_size": config.batch_size,
        "steps": steps,
        "extras": _recipe_extras(config),
        "train_img_per_s": round(speed, 1),
        "plain_model_img_per_s": round(plain, 1),
        "vs_plain_model": round(speed / plain, 3),
        **_generation_and_machine(config.preset, config.batch_size, gan.sampling_generator),
    }


def run_flow_benchmark(batch_size: int | None = None, steps: int = 30, sample_steps=(8, 32)) -> dict:
    """Training and sampling speed of the flow model (``pgan train --recipe flow``; :mod:`pgan.diffusion`).

    ``train_img_per_s`` is timed as for a GAN (``fit()`` on cached batches). A flow
    model makes an image in ``n`` network evaluations where a GAN's generator takes
    one, so the sampling speed is given per step count: ``sample_ms_per_image`` for
    each of ``sample_steps`` (Euler steps; twice the evaluations with guidance).
    """
    from pgan import diffusion
    from pgan.config import TrainConfig

    config = TrainConfig.from_recipe("flow", **({"batch_size": batch_size} if batch_size else {}))
    model = diffusion.build_flow(config)
    speed = _fit_speed(model, _images(config.batch_size, steps), config.batch_size)
    network = model.sampling_network
    diffusion.sample(network, config.batch_size, steps=1, seed=0)  # compiles the network's call
    per_image = {}
    for count in sample_steps:
        start = time.perf_counter()
        diffusion.sample(network, config.batch_size, steps=count, seed=0)
        per_image[str(count)] = round(1000 * (time.perf_counter() - start) / config.batch_size, 3)
    return {
        "model": "flow",
        "batch_size": config.batch_size,
        "steps": steps,
        "parameters": network.count_params(),
        "train_img_per_s": round(speed, 1),
        "sample_ms_per_image": per_image,
        **backend.versions(),
        "device": (backend.gpu_devices() or ["cpu"])[0],
        "cpu": platform.processor() or platform.machine(),
        "cpu_cores": os.cpu_count(),
    }


# The TrainConfig settings that change what a training step computes (learning rates do not).
_STEP_SETTINGS = ("loss", "n_critic", "gp_weight", "r1_weight", "spectral_norm", "dropout", "ema_decay",
                  "augment", "conditional", "update")


def _recipe_extras(config) -> dict:
    """The step-changing settings where ``config`` differs from TrainConfig's defaults (the plain model)."""
    default = type(config)()
    return {key: getattr(config, key) for key in _STEP_SETTINGS if getattr(config, key) != getattr(default, key)}

