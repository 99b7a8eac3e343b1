"""Training a GAN with Keras: the ``GAN`` model, its train step and callbacks.

``GAN`` is a ``keras.Model`` whose ``train_step`` plays one round of the game:
update D on a batch of real and generated images, then update G through D.
Because it is a Keras model, ``fit()`` brings progress bars, callbacks,
TensorBoard, ``tf.distribute`` and XLA without extra code.

TensorFlow is the default backend and the one the notebooks teach. With
``KERAS_BACKEND=jax`` the same ``GAN`` trains through a stateless JAX step
(``stateless_call``, ``jax.value_and_grad``, ``optimizer.stateless_apply``);
that step is the only backend-specific code of the training path.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from pgan import losses


class TrainingDivergedError(FloatingPointError):
    """A loss became NaN or infinite; training stopped (checkpoints are kept)."""


def _num_replicas() -> int:
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def _positions(variables, subset) -> list[int]:
    """Where each variable of ``subset`` sits in ``variables`` (matched by identity)."""
    index = {id(v): i for i, v in enumerate(variables)}
    return [index[id(v)] for v in subset]


class _OptimizerPair:
    """D's and G's optimizer variables as one list: the JAX trainer's ``optimizer_variables``.

    Keras' JAX ``fit()`` carries ``model.optimizer.variables`` through the step as
    state; a GAN has two optimizers, so on JAX ``model.optimizer`` is this pair.
    """

    built = True

    def __init__(self, d_optimizer, g_optimizer):
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def variables(self):
        return [*self.d_optimizer.variables, *self.g_optimizer.variables]


class GAN(keras.Model):
    """A generator and a discriminator trained against each other with ``fit()``.

    Args:
        generator: maps noise (batch, latent_dim) to images in [-1, 1].
        discriminator: maps images to one logit per image.
        latent_dim: size of the noise; read from ``generator`` when omitted.
        seed: seed of the noise drawn in ``train_step`` (a ``keras.random.SeedGenerator``).

    Each ``train_step`` (update="alternating", the default) draws fresh noise,
    takes one optimizer step on D with ``discriminator_loss(real, fake)``, then
    draws new noise and takes one step on G with the generator loss computed
    through the *updated* D. ``update="simultaneous"`` is the TF DCGAN tutorial's
    variant: one forward pass, both gradients from it (cheaper, slightly staler).
    On the JAX backend ``compile`` swaps in ``_jax_train_step``, the same two
    updates written statelessly; mixed float16 is TensorFlow only.

    Metrics: ``d_loss``, ``g_loss``, ``d_real_acc`` (share of real images D
    calls real) and ``d_fake_acc`` (share of fakes D calls fake).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """

    def __init__(self, generator, discriminator, latent_dim=None, seed=None, **kwargs):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        if latent_dim is None:
            latent_dim = int(generator.input_shape[-1])
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_acc_tracker = keras.metrics.Mean(name="d_real_acc")
        self.fake_acc_tracker = keras.metrics.Mean(name="d_fake_acc")
        # Both sub-models are already built; nothing is left for fit() to build.
        self.built = True

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        g_loss="non_saturating",
        label_smoothing: float = 0.0,
        update: str = "alternating",
        jit_compile=None,
        **kwargs,
    ):
        """Set the two optimizers and the losses.

        Args:
            d_optimizer: optimizer of the discriminator.
            g_optimizer: optimizer of the generator (a different object).
            g_loss: "non_saturating" (default), "minimax" or a function of fake logits.
            label_smoothing: one-sided label smoothing of real targets in D's loss.
            update: "alternating" (D then G, fresh noise) or "simultaneous".
            jit_compile: compile the step with XLA. None (default): off on TensorFlow
                (slower on CPU), on with JAX (an uncompiled JAX step runs op by op).
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``steps_per_execution``).

        Under a ``mixed_float16`` policy both optimizers are wrapped in
        ``keras.optimizers.LossScaleOptimizer``, so small float16 gradients do not
        underflow; each optimizer scales its own loss and unscales its own gradients.
        """
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer are the same object; the two networks need "
                "their own optimizer state. Create two optimizers."
            )
        if update not in ("alternating", "simultaneous"):
            raise ValueError(f"update must be 'alternating' or 'simultaneous', got {update!r}.")
        on_jax = keras.backend.backend() == "jax"
        if jit_compile is None:
            jit_compile = on_jax
        if on_jax and keras.config.dtype_policy().name == "mixed_float16":
            raise ValueError(
                "mixed_float16 training is TensorFlow only in pgan (it needs loss scaling); "
                "train in float32 on JAX, or unset KERAS_BACKEND to train on TensorFlow."
            )
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        if keras.config.dtype_policy().name == "mixed_float16":
            d_optimizer, g_optimizer = (
                opt if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (d_optimizer, g_optimizer)
            )
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.g_loss_fn = losses.get_generator_loss(g_loss)
        self.label_smoothing = float(label_smoothing)
        self.update = update
        # Build the optimizer slots now, outside any replica context: under
        # tf.distribute, variables created lazily inside the step break the graph.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        if on_jax:
            # Keras' JAX fit() calls train_step(state, data) and carries model.optimizer's
            # variables in that state; the TensorFlow step above stays the one to read.
            self.optimizer = _OptimizerPair(self.d_optimizer, self.g_optimizer)
            self.train_step = self._jax_train_step

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.real_acc_tracker, self.fake_acc_tracker]

    def call(self, z, training=False):
        """Generate images from noise ``z``."""
        return self.generator(z, training=training)

    def _noise(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _d_loss(self, real_logits, fake_logits):
        return losses.discriminator_loss(real_logits, fake_logits, self.label_smoothing)

    @staticmethod
    def _scaled(optimizer, loss):
        # Gradients are summed across replicas, so each replica contributes loss / replicas;
        # under mixed float16 the LossScaleOptimizer multiplies by its loss scale.
        # Must run inside the tape, so the scaling is recorded.
        return optimizer.scale_loss(loss / _num_replicas())

    @staticmethod
    def _step(optimizer, tape, scaled_loss, variables):
        optimizer.apply(tape.gradient(scaled_loss, variables), variables)

    def train_step(self, data):
        import tensorflow as tf

        real = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = ops.shape(real)[0]
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        if self.update == "simultaneous":
            with tf.GradientTape(persistent=True) as tape:
                fake = self.generator(self._noise(batch_size), training=True)
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = self._d_loss(real_logits, fake_logits)
                g_loss = self.g_loss_fn(fake_logits)
                d_scaled = self._scaled(self.d_optimizer, d_loss)
                g_scaled = self._scaled(self.g_optimizer, g_loss)
            self._step(self.d_optimizer, tape, d_scaled, d_vars)
            self._step(self.g_optimizer, tape, g_scaled, g_vars)
            del tape
        else:
            fake = self.generator(self._noise(batch_size), training=True)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = self._d_loss(real_logits, fake_logits)
                d_scaled = self._scaled(self.d_optimizer, d_loss)
            self._step(self.d_optimizer, tape, d_scaled, d_vars)
            with tf.GradientTape() as tape:
                g_fake_logits = self.discriminator(
                    self.generator(self._noise(batch_size), training=True), training=True
                )
                g_loss = self.g_loss_fn(g_fake_logits)
                g_scaled = self._scaled(self.g_optimizer, g_loss)
            self._step(self.g_optimizer, tape, g_scaled, g_vars)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_acc_tracker.update_state(ops.mean(ops.cast(real_logits > 0, "float32")))
        self.fake_acc_tracker.update_state(ops.mean(ops.cast(fake_logits < 0, "float32")))
        return {m.name: m.result() for m in self.metrics}

    def _jax_train_step(self, state, data):
        """The round of ``train_step`` written statelessly: ``fit()``'s step on the JAX backend.

        ``state`` is (trainable, non_trainable, optimizer, metrics) variable values of
        the GAN; each network runs through ``stateless_call`` on its slice of it, the
        gradients come from ``jax.value_and_grad`` (``jax.vjp`` for the simultaneous
        update's single forward pass) and ``stateless_apply`` returns the new weights
        and optimizer slots. Noise uses the seed generator's state, advanced per draw.
        """
        import jax

        trainable, non_trainable, optimizer_values, metric_values = (list(s) for s in state)
        real = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = real.shape[0]
        generator, discriminator = self.generator, self.discriminator
        g_t = _positions(self.trainable_variables, generator.trainable_variables)
        d_t = _positions(self.trainable_variables, discriminator.trainable_variables)
        g_n = _positions(self.non_trainable_variables, generator.non_trainable_variables)
        d_n = _positions(self.non_trainable_variables, discriminator.non_trainable_variables)
        (seed_i,) = _positions(self.non_trainable_variables, [self.seed_generator.state])
        d_vars, g_vars = [trainable[i] for i in d_t], [trainable[i] for i in g_t]
        d_state, g_state = [non_trainable[i] for i in d_n], [non_trainable[i] for i in g_n]
        num_d_slots = len(self.d_optimizer.variables)
        d_slots, g_slots = optimizer_values[:num_d_slots], optimizer_values[num_d_slots:]
        seed = non_trainable[seed_i]

        def noise(seed):
            # What SeedGenerator.next() does, without mutating a variable.
            z = keras.random.normal((batch_size, self.latent_dim), seed=seed)
            return z, seed + np.array([0, 1], dtype=seed.dtype)

        def both_logits(d_vars, d_state, fake):
            real_logits, d_state = discriminator.stateless_call(d_vars, d_state, real, training=True)
            fake_logits, d_state = discriminator.stateless_call(d_vars, d_state, fake, training=True)
            return real_logits, fake_logits, d_state

        if self.update == "simultaneous":
            z, seed = noise(seed)

            def forward(d_vars, g_vars):
                fake, new_g_state = generator.stateless_call(g_vars, g_state, z, training=True)
                real_logits, fake_logits, new_d_state = both_logits(d_vars, d_state, fake)
                d_loss = self._d_loss(real_logits, fake_logits)
                g_loss = self.g_loss_fn(fake_logits)
                return (d_loss, g_loss), (real_logits, fake_logits, new_d_state, new_g_state)

            (d_loss, g_loss), pullback, aux = jax.vjp(forward, d_vars, g_vars, has_aux=True)
            real_logits, fake_logits, d_state, g_state = aux
            one, zero = ops.ones_like(d_loss), ops.zeros_like(g_loss)
            d_grads = pullback((one, zero))[0]
            g_grads = pullback((zero, one))[1]
            d_vars, d_slots = self.d_optimizer.stateless_apply(d_slots, d_grads, d_vars)
            g_vars, g_slots = self.g_optimizer.stateless_apply(g_slots, g_grads, g_vars)
        else:
            z, seed = noise(seed)
            fake, g_state = generator.stateless_call(g_vars, g_state, z, training=True)

            def d_loss_fn(d_vars):
                real_logits, fake_logits, new_d_state = both_logits(d_vars, d_state, fake)
                return self._d_loss(real_logits, fake_logits), (real_logits, fake_logits, new_d_state)

            (d_loss, aux), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_vars)
            real_logits, fake_logits, d_state = aux
            d_vars, d_slots = self.d_optimizer.stateless_apply(d_slots, d_grads, d_vars)
            z, seed = noise(seed)

            def g_loss_fn(g_vars):
                fake, new_g_state = generator.stateless_call(g_vars, g_state, z, training=True)
                logits, new_d_state = discriminator.stateless_call(d_vars, d_state, fake, training=True)
                return self.g_loss_fn(logits), (new_g_state, new_d_state)

            (g_loss, (g_state, d_state)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_vars)
            g_vars, g_slots = self.g_optimizer.stateless_apply(g_slots, g_grads, g_vars)

        for positions, values, target in (
            (d_t, d_vars, trainable), (g_t, g_vars, trainable),
            (d_n, d_state, non_trainable), (g_n, g_state, non_trainable),
        ):
            for i, value in zip(positions, values, strict=True):
                target[i] = value
        non_trainable[seed_i] = seed
        logs, new_metric_values, start = {}, [], 0
        for tracker, value in zip(self.metrics, (
            d_loss, g_loss,
            ops.mean(ops.cast(real_logits > 0, "float32")),
            ops.mean(ops.cast(fake_logits < 0, "float32")),
        ), strict=True):
            count = len(tracker.variables)
            values = tracker.stateless_update_state(metric_values[start : start + count], value)
            logs[tracker.name] = tracker.stateless_result(values)
            new_metric_values.extend(values)
            start += count
        new_state = (trainable, non_trainable, [*d_slots, *g_slots], new_metric_values)
        return logs, new_state


# ------------------------------------------------------------------ callbacks


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of samples from fixed noise after every ``every`` epochs, and a GIF at the end.

    Args:
        output_dir: folder for ``epoch_0001.png``... and ``progress.gif``.
        num_examples: images per grid (the same noise every time, so grids compare).
        seed: seed of the fixed noise.
        every: save every this many epochs.

    Taught in notebooks/05_training_on_gpu.ipynb.
    """

    def __init__(self, output_dir, num_examples: int = 64, seed: int = 0, every: int = 1):
        super().__init__()
        self.output_dir = Path(output_dir)
        self.num_examples = num_examples
        self.seed = seed
        self.every = every
        self.noise = None

    def on_train_begin(self, logs=None):
        self.output_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(self.seed)
        self.noise = rng.standard_normal((self.num_examples, self.model.latent_dim)).astype("float32")

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            from pgan.plotting import save_grid

            images = keras.ops.convert_to_numpy(self.model.generator(self.noise, training=False))
            save_grid(images, self.output_dir / f"epoch_{epoch + 1:04d}.png")

    def on_train_end(self, logs=None):
        from pgan.plotting import save_gif

        frames = sorted(self.output_dir.glob("epoch_*.png"))
        if frames:
            save_gif(frames, self.output_dir / "progress.gif")


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
        noise = keras.random.normal((8, self.model.latent_dim), seed=epoch)
        images = keras.ops.convert_to_numpy(self.model.generator(noise, training=False))
        if not np.isfinite(images).all():
            self.model.stop_training = True
            raise TrainingDivergedError(
                f"the generator outputs NaN or infinite pixels at {where} (in inference mode: "
                f"its BatchNorm statistics diverged) although the losses are finite. {self.ADVICE}"
            )


class ResumableCheckpoint(keras.callbacks.Callback):
    """Checkpoint everything needed to resume (both networks, both optimizers, noise state).

    After each epoch it writes ``checkpoints/epoch_NNNN.weights.h5`` under a
    temporary name and renames it (a kill mid-write leaves the previous file),
    then atomically updates ``state.json`` (last epoch, checkpoint file,
    history) and deletes older checkpoints. :func:`restore` loads the latest.

    Args:
        run_dir: the run's folder.
        keep: how many checkpoints to keep.
    """

    def __init__(self, run_dir, keep: int = 2):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.keep = keep
        self.history = {}
        self._epoch_start = None

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    def read_state(self) -> dict | None:
        """The saved state, or None when the run has no checkpoint yet."""
        if not self.state_path.exists():
            return None
        try:
            return json.loads(self.state_path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(
                f"{self.state_path} is not valid JSON ({err}). Delete it to restart the run "
                "from scratch, or restore it from a backup."
            ) from err

    def restore(self, model) -> int:
        """Load the latest checkpoint into ``model``; return the number of epochs done (0 if none)."""
        state = self.read_state()
        if state is None:
            return 0
        ckpt = self.run_dir / state["checkpoint"]
        if not ckpt.exists():
            raise FileNotFoundError(
                f"{self.state_path} points to {ckpt}, which is missing. Delete {self.state_path} "
                "to restart the run from scratch."
            )
        model.load_weights(ckpt)
        self.history = state.get("history", {})
        return int(state["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self._epoch_start is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._epoch_start
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        folder = self.run_dir / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch_{epoch + 1:04d}.weights.h5"
        tmp = folder / f"tmp_{name}"
        self.model.save_weights(tmp)
        os.replace(tmp, folder / name)
        state = {"epoch": epoch + 1, "checkpoint": f"checkpoints/{name}", "history": self.history}
        _atomic_write_text(self.state_path, json.dumps(state, indent=1))
        _atomic_write_text(self.run_dir / "history.json", json.dumps(self.history, indent=1))
        old = sorted(folder.glob("epoch_*.weights.h5"))[: -self.keep]
        for path in old:
            path.unlink(missing_ok=True)
