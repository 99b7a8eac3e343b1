"""Train the article's DCGAN on Fashion-MNIST with pgan's ``GAN.fit`` on Keras' JAX backend.

Needs only JAX and Keras: TensorFlow need not be installed (where it is, Keras'
``set_random_seed`` imports it to seed it, nothing more). The training images are
scaled once and kept on the accelerator (``pgan.pipelines.ImageBatches(on_device=True)``,
what ``pgan train`` uses on a GPU); only each epoch's shuffled order crosses from the
host. Prints one JSON object: wall time, time of the first epoch (it includes XLA
compilation), steady images/s and the final losses. ``--steps-per-execution K`` runs
K steps per compiled call (unrolled on JAX, see ``GAN.make_train_function``).
``--train-callbacks`` trains with ``pgan train``'s callbacks too (NaN check, time limit,
a checkpoint and a sample grid after every epoch: ``runs.training_callbacks``), so the
numbers are those of ``pgan train``; ``callback_epoch_end_ms`` says what each callback's
epoch-end work costs, ``--sync-writes`` writes the files before the next epoch, and
``--checkpoint-seconds`` sets how often a checkpoint is written
(``TrainConfig.checkpoint_seconds``). ``queue_ms_first_20_steps`` is how long the host
took to start the last epoch's first 20 steps: far below 20 steps' time when the host
queues steps ahead of the device, about 20 steps' time when something waits after each.

    pip install -e ".[jax]"   # plus "jax[cuda12]" on a GPU machine
    python benchmarks/jax_gpu_train.py                              # 50 epochs, batch 256
    python benchmarks/jax_gpu_train.py --epochs 1 --subset 512      # CPU smoke test
    python benchmarks/jax_gpu_train.py --minimal-epochs 10          # and a minimal JAX loop, same run
    python benchmarks/jax_gpu_train.py --batch-size 1024 --mixed-precision mixed_bfloat16

Speed is measured here, never in unit tests. Numbers depend on the machine:
the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"  # before Keras is imported: this script is JAX only


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["dcgan", "workshop"], default="dcgan")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--subset", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps-per-execution", type=int, default=1, help="training steps per compiled call")
    parser.add_argument("--update", choices=["alternating", "simultaneous"], default="alternating",
                        help="alternating: D step, then G step on fresh noise (pgan's default); simultaneous: "
                             "one generator pass for both updates (the TF tutorial's loop, less work per step)")
    parser.add_argument("--mixed-precision", choices=["mixed_bfloat16"], default=None,
                        help="compute in bfloat16, weights in float32 (both fit() and the minimal loop)")
    parser.add_argument("--minimal-epochs", type=int, default=0,
                        help="also time this many epochs of a minimal hand-written JAX loop of the same models "
                             "(simultaneous update, as the TF tutorial), after the fit() run")
    parser.add_argument("--train-callbacks", action="store_true",
                        help="also train with pgan train's callbacks (checkpoints and sample grids in a "
                             "temporary folder)")
    parser.add_argument("--sync-writes", action="store_true",
                        help="with --train-callbacks: write checkpoints and grids before the next epoch "
                             "starts (as pgan did until the tenth session of 2026-11-27) instead of on a "
                             "worker thread")
    parser.add_argument("--checkpoint-seconds", type=float, default=None,
                        help="with --train-callbacks: TrainConfig.checkpoint_seconds (default 10; 0: a "
                             "checkpoint after every epoch)")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with the Fashion-MNIST files")
    parser.add_argument("--out", type=Path, default=None, help="also save generator.keras and samples.png here")
    args = parser.parse_args(argv)

    import jax
    import keras
    import numpy as np

    from pgan import data, pipelines, plotting, runs, sampling

    if keras.backend.backend() != "jax":
        raise SystemExit(f"Keras was already imported with the {keras.backend.backend()!r} backend.")
    images = data.training_images(data.load_fashion_mnist(args.data_dir).x_train, args.batch_size, args.subset)

    epoch_seconds, queue_ms = [], []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start, self.queued = time.perf_counter(), False

        def on_train_batch_begin(self, batch, logs=None):  # no results asked for: nothing waits
            if batch >= 20 and not self.queued:
                queue_ms.append(1000 * (time.perf_counter() - self.start))
                self.queued = True

        def on_epoch_end(self, epoch, logs=None):
            float(logs["d_loss"])  # waits for the epoch's last step
            epoch_seconds.append(time.perf_counter() - self.start)
            print(f"epoch {epoch + 1}: {epoch_seconds[-1]:.2f} s", file=sys.stderr, flush=True)

    keras.utils.set_random_seed(args.seed)
    config = runs.TrainConfig(preset=args.model, epochs=args.epochs, batch_size=args.batch_size,
                              subset=args.subset, seed=args.seed, steps_per_execution=args.steps_per_execution,
                              update=args.update, mixed_precision=args.mixed_precision,
                              **({} if args.checkpoint_seconds is None
                                 else {"checkpoint_seconds": args.checkpoint_seconds}))
    with runs.dtype_policy(args.mixed_precision):
        gan = runs.build_gan(config, images.shape[1:])
        # Scaled once and kept on the accelerator; batches are cut there (pipelines.ImageBatches).
        dataset = pipelines.ImageBatches(images, args.batch_size, seed=args.seed, on_device=True)
        start = time.perf_counter()
        run_dir = Path(tempfile.mkdtemp(prefix="pgan_bench_run_")) if args.train_callbacks else None
        train_callbacks = runs.training_callbacks(config, run_dir) if run_dir else []
        epoch_end_ms = {}
        for callback in train_callbacks:
            if hasattr(callback, "background"):  # the checkpoint and the grid
                callback.background = not args.sync_writes
            time_epoch_end(callback, epoch_end_ms)
        # The timer last: an epoch's time includes the other callbacks' epoch-end work.
        history = gan.fit(dataset, epochs=args.epochs, verbose=0, callbacks=[*train_callbacks, Timer()]).history
        wall = time.perf_counter() - start
    if run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)
    images_per_epoch = len(dataset) * args.batch_size
    steady = epoch_seconds[1:] or epoch_seconds
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        gan.generator.save(args.out / "generator.keras")
        plotting.save_grid(sampling.generate_images(gan.generator, 64, seed=0), args.out / "samples.png")
    result = {
        "model": args.model,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "steps_per_execution": args.steps_per_execution,
        "update": args.update,
        "mixed_precision": args.mixed_precision,
        "num_train_images": int(len(images)),
        "train_seconds": round(wall, 2),
        "first_epoch_seconds": round(epoch_seconds[0], 2),
        "steady_epoch_seconds": round(statistics.median(steady), 3),
        "train_callbacks": args.train_callbacks,
        "queue_ms_first_20_steps": round(queue_ms[-1], 1) if queue_ms else None,
        "sync_writes": args.sync_writes if args.train_callbacks else None,
        "checkpoint_seconds": config.checkpoint_seconds if args.train_callbacks else None,
        # Median over the epochs after the first of each callback's on_epoch_end; the
        # background writes (checkpoint file, PNG) run beside the next epoch and are not in it.
        "callback_epoch_end_ms": {name: round(statistics.median(ms[1:] or ms), 2)
                                  for name, ms in epoch_end_ms.items()} or None,
        "img_per_s_steady": round(images_per_epoch / statistics.median(steady), 1),
        "img_per_s_overall": round(images_per_epoch * args.epochs / wall, 1),
        "final": {key: round(float(values[-1]), 4) for key, values in history.items()},
        "finite": bool(all(np.isfinite(values).all() for values in history.values())),
        "keras": keras.__version__,
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
    }
    if args.minimal_epochs:
        minimal = minimal_loop_img_per_s(args, config, images)
        result["minimal_loop"] = minimal
        result["ratio_fit_to_minimal"] = round(result["img_per_s_steady"] / minimal["img_per_s_steady"], 3)
    print(json.dumps(result))
    return 0


def time_epoch_end(callback, times: dict) -> None:
    """Record how long ``callback.on_epoch_end`` takes, in ms, under its class name in ``times``."""
    inner = callback.on_epoch_end

    def on_epoch_end(epoch, logs=None):
        start = time.perf_counter()
        inner(epoch, logs)
        times.setdefault(type(callback).__name__, []).append(1000 * (time.perf_counter() - start))

    callback.on_epoch_end = on_epoch_end


def minimal_loop_img_per_s(args, config, images) -> dict:
    """A minimal hand-written JAX loop (the TF DCGAN tutorial's shape) of freshly built models.

    One jitted step: cut the batch from the images on the device, generate a batch, score
    real and fake, and take both gradients from that one forward pass (``jax.vjp``), then
    Adam on each network (``config``'s rate and betas). No metrics, callbacks or EMA: the
    floor that ``GAN.fit`` is compared with. (Before 2026-11-27's sixth session it also cut
    each batch with eager ``jax.numpy`` indexing and did not donate the state: 60,700 img/s
    on an H200 where the same compiled step on a fixed batch ran 120,500 with donation.)
    """
    import jax
    import keras

    from pgan import data, models, runs

    device_images = jax.device_put(data.to_model_range(images))
    with runs.dtype_policy(config.mixed_precision):
        generator, discriminator = models.build_gan_models(config.preset, images.shape[1:])
    g_opt, d_opt = (keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)
                    for _ in range(2))
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)

    update = minimal_step(generator, discriminator, g_opt, d_opt)

    def step(state, images, order, start, key):
        real = images[jax.lax.dynamic_slice_in_dim(order, start, args.batch_size)]
        key, z_key = jax.random.split(key)
        state, loss = update(state, real, z_key)
        return state, key, loss

    # One compiled call per step, the state donated (as Keras' fit() does); the batch is cut
    # and the noise drawn inside it, so the host does nothing else per step.
    step = jax.jit(step, donate_argnums=0)

    state = initial_state(generator, discriminator, g_opt, d_opt)
    key = jax.random.key(args.seed)
    steps = len(device_images) // args.batch_size
    seconds = []
    for _ in range(args.minimal_epochs):
        key, shuffle_key = jax.random.split(key)
        order = jax.random.permutation(shuffle_key, len(device_images))
        start = time.perf_counter()
        for index in range(steps):
            state, key, loss = step(state, device_images, order, index * args.batch_size, key)
        float(loss)  # waits for the epoch's last step
        seconds.append(time.perf_counter() - start)
    steady = seconds[1:] or seconds
    return {"epochs": args.minimal_epochs, "first_epoch_seconds": round(seconds[0], 2),
            "steady_epoch_seconds": round(statistics.median(steady), 3),
            "img_per_s_steady": round(steps * args.batch_size / statistics.median(steady), 1),
            "final_loss_sum": round(float(loss), 4)}


def initial_state(generator, discriminator, g_opt, d_opt) -> tuple:
    """The minimal step's state: G's and D's variable values, then each optimizer's slots."""
    return tuple([v.value for v in variables] for variables in (
        generator.trainable_variables, generator.non_trainable_variables,
        discriminator.trainable_variables, discriminator.non_trainable_variables,
        g_opt.variables, d_opt.variables))


def minimal_step(generator, discriminator, g_opt, d_opt):
    """``step(state, real, key) -> (state, d_loss + g_loss)``: one update of the minimal loop, not jitted.

    Draws the noise from ``key``, generates a batch, scores real and fake, takes both
    gradients from that one forward pass (``jax.vjp``) and applies each optimizer
    (``optimizer.stateless_apply``). ``state`` is :func:`initial_state`'s tuple. Also
    timed on its own by ``benchmarks/jax_step_breakdown.py``.
    """
    import jax
    from keras import ops

    from pgan import losses

    latent = generator.input_shape[-1]

    def step(state, real, key):
        g_tv, g_ntv, d_tv, d_ntv, g_slots, d_slots = state
        z = jax.random.normal(key, (real.shape[0], latent))

        def forward(g_tv, d_tv):
            fake, new_g_ntv = generator.stateless_call(g_tv, g_ntv, z, training=True)
            real_logits, new_d_ntv = discriminator.stateless_call(d_tv, d_ntv, real, training=True)
            fake_logits, new_d_ntv = discriminator.stateless_call(d_tv, new_d_ntv, fake, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            return (d_loss, losses.generator_loss(fake_logits)), (new_g_ntv, new_d_ntv)

        (d_loss, g_loss), pullback, (g_ntv, d_ntv) = jax.vjp(forward, g_tv, d_tv, has_aux=True)
        _, d_grads = pullback((ops.ones_like(d_loss), ops.zeros_like(g_loss)))
        g_grads, _ = pullback((ops.zeros_like(d_loss), ops.ones_like(g_loss)))
        d_tv, d_slots = d_opt.stateless_apply(d_slots, d_grads, d_tv)
        g_tv, g_slots = g_opt.stateless_apply(g_slots, g_grads, g_tv)
        return (g_tv, g_ntv, d_tv, d_ntv, g_slots, d_slots), d_loss + g_loss

    return step


if __name__ == "__main__":
    sys.exit(main())
