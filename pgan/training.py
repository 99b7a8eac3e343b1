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
import threading
import time
import warnings
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


class StatelessSeeds:
    """Seeds for random draws inside a stateless (JAX) step.

    ``next()`` returns the current seed array and advances it, as
    ``keras.random.SeedGenerator.next()`` does, without mutating a variable;
    ``state`` is the value to write back after the step.
    """

    def __init__(self, state):
        self.state = state

    def next(self):
        seed = self.state
        self.state = seed + np.array([0, 1], dtype=seed.dtype)
        return seed


def _draw(seeds):
    return seeds if isinstance(seeds, keras.random.SeedGenerator) else seeds.next()


def _discriminator_head(discriminator) -> str:
    takes_label, names_class = len(discriminator.inputs) == 2, len(discriminator.outputs) == 2
    if takes_label:
        return "projection_ac" if names_class else "projection"
    return "acgan" if names_class else "unconditional"


class GAN(keras.Model):
    """A generator and a discriminator trained against each other with ``fit()``.

    Args:
        generator: maps noise (batch, latent_dim) to images in [-1, 1]; a
            conditional generator takes ``[noise, labels]``
            (:func:`pgan.models.build_conditional_generator`).
        discriminator: maps images to one logit per image; for a conditional
            generator either ``[images, labels] -> logit`` (projection) or
            ``images -> [logit, class_logits]`` (AC-GAN).
        latent_dim: size of the noise; read from ``generator`` when omitted.
        seed: seed of all randomness drawn in ``train_step`` (a ``keras.random.SeedGenerator``).
        ema_decay: keep ``ema_generator``, an exponential moving average of G's
            weights (e.g. 0.999), updated after every step; sampling and export use it.

    Each ``train_step`` (update="alternating", the default) draws fresh noise,
    takes ``n_critic`` optimizer steps on D, then draws new noise and takes one
    step on G through the *updated* D. The ``n_critic`` D steps share the step's
    real batch, each with fresh noise (WGAN-GP's paper draws a new real batch for
    each critic step, so its epoch has ``n_critic`` times fewer G steps than one
    here). ``update="simultaneous"`` is the TF DCGAN
    tutorial's variant: one forward pass, both gradients from it (cheaper,
    slightly staler). A conditional GAN generates fakes with the real batch's
    labels, so both sides of D see the same classes. On the JAX backend
    ``compile`` swaps in ``_jax_train_step``, the same updates written
    statelessly; mixed float16 is TensorFlow only.

    Metrics: ``d_loss``, ``g_loss``, ``d_real_acc`` (share of real images D
    calls real: logit > 0) and ``d_fake_acc`` (share of fakes D calls fake);
    with a class head (AC-GAN, projection_ac) also ``d_class_acc`` (D's class accuracy on real images).

    Taught in notebooks/05_training_on_gpu.ipynb (and 09, 10 for the options).
    """

    def __init__(self, generator, discriminator, latent_dim=None, seed=None, ema_decay=None, **kwargs):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        from pgan.sampling import num_classes_of

        if latent_dim is None:
            latent_dim = int(generator.inputs[0].shape[-1])
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.num_classes = num_classes_of(generator)
        self.d_head = _discriminator_head(discriminator)
        if (self.num_classes is None) != (self.d_head == "unconditional"):
            raise ValueError(
                f"generator {generator.name!r} is {'un' if self.num_classes is None else ''}conditional "
                f"but discriminator {discriminator.name!r} has a {self.d_head!r} head. Pair a conditional "
                "generator with build_conditional_discriminator(head='projection', 'acgan' or "
                "'projection_ac'), and a "
                "plain generator with build_discriminator."
            )
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.ema_generator = None
        if ema_decay is not None:
            if not 0.0 < self.ema_decay < 1.0:
                raise ValueError(f"ema_decay must be in (0, 1), e.g. 0.999; got {ema_decay!r}.")
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
            self.ema_generator.trainable = False
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_acc_tracker = keras.metrics.Mean(name="d_real_acc")
        self.fake_acc_tracker = keras.metrics.Mean(name="d_fake_acc")
        self.takes_label = self.d_head in ("projection", "projection_ac")
        self.names_class = self.d_head in ("acgan", "projection_ac")
        self.class_acc_tracker = keras.metrics.Mean(name="d_class_acc") if self.names_class else None
        # Both sub-models are already built; nothing is left for fit() to build.
        self.built = True

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        loss: str = "gan",
        g_loss="non_saturating",
        update: str = "alternating",
        jit_compile=None,
        **options,
    ):
        """Set the two optimizers, the losses and the stabilisers.

        Args:
            d_optimizer: optimizer of the discriminator.
            g_optimizer: optimizer of the generator (a different object). Gradient
                clipping and two time-scale learning rates are set on these
                (``Adam(4e-4, global_clipnorm=1.0)``).
            loss: the loss family: "gan" (cross-entropy, the article's), "hinge",
                "wasserstein", "least_squares" or "relativistic" (see ``pgan.losses``).
            g_loss: for loss "gan": "non_saturating" (default), "minimax" or a
                function of fake logits.
            update: "alternating" (D then G, fresh noise) or "simultaneous".
            jit_compile: compile the step with XLA. None (default): off on TensorFlow
                (slower on CPU), on with JAX (an uncompiled JAX step runs op by op).
            **options: ``label_smoothing`` (one-sided, loss "gan" only), ``n_critic``
                (D steps per G step, on the same real batch), ``gp_weight`` (WGAN-GP
                penalty weight, e.g. 10), ``r1_weight`` (R1 gamma), ``augment``
                (DiffAugment policy, e.g. "translation,cutout"), ``augment_p`` (the
                probability of each of its transformations per image, default 1), ``aux_weight``
                (weight of the class loss of a class head, default 1); anything else goes to
                ``keras.Model.compile`` (e.g. ``steps_per_execution``).

        Under a ``mixed_float16`` policy both optimizers are wrapped in
        ``keras.optimizers.LossScaleOptimizer``, so small float16 gradients do not
        underflow; each optimizer scales its own loss and unscales its own gradients.
        """
        from pgan import augment

        settings = {"label_smoothing": 0.0, "n_critic": 1, "gp_weight": 0.0, "r1_weight": 0.0,
                    "augment": None, "augment_p": 1.0, "aux_weight": 1.0}
        for key in settings:
            if key in options:
                settings[key] = options.pop(key)
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer are the same object; the two networks need "
                "their own optimizer state. Create two optimizers."
            )
        if update not in ("alternating", "simultaneous"):
            raise ValueError(f"update must be 'alternating' or 'simultaneous', got {update!r}.")
        self.d_loss_fn, family_g_loss = losses.get_loss_family(loss)
        if loss == "gan":
            fn = losses.get_generator_loss(g_loss)
            self.g_loss_fn = lambda fake_logits, real_logits=None: fn(fake_logits)
        elif g_loss != "non_saturating" or settings["label_smoothing"]:
            raise ValueError(
                f"g_loss and label_smoothing choose variants of the cross-entropy loss 'gan'; "
                f"loss={loss!r} has its own generator loss. Drop them or use loss='gan'."
            )
        else:
            self.g_loss_fn = family_g_loss
        n_critic = settings["n_critic"]
        if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"n_critic must be a positive int, got {n_critic!r}.")
        for key in ("gp_weight", "r1_weight", "aux_weight"):
            if float(settings[key]) < 0:
                raise ValueError(f"{key} must be >= 0, got {settings[key]!r}.")
        if update == "simultaneous" and (n_critic > 1 or settings["gp_weight"] or settings["r1_weight"]):
            raise ValueError(
                "update='simultaneous' takes one forward pass for both networks; n_critic > 1 and "
                "gradient penalties need update='alternating'."
            )
        on_jax = keras.backend.backend() == "jax"
        if jit_compile is None:
            jit_compile = on_jax
        if on_jax and keras.config.dtype_policy().name == "mixed_float16":
            raise ValueError(
                "mixed_float16 training is TensorFlow only in pgan (it needs loss scaling); "
                "train in float32 on JAX, or unset KERAS_BACKEND to train on TensorFlow."
            )
        super().compile(optimizer=None, jit_compile=jit_compile, **options)
        if keras.config.dtype_policy().name == "mixed_float16":
            d_optimizer, g_optimizer = (
                opt if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (d_optimizer, g_optimizer)
            )
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_name = loss
        self.label_smoothing = float(settings["label_smoothing"])
        self.n_critic = n_critic
        self.gp_weight = float(settings["gp_weight"])
        self.r1_weight = float(settings["r1_weight"])
        self.augment_policy = augment.parse_policy(settings["augment"])
        self.augment_p = augment.check_probability(settings["augment_p"])
        self.aux_weight = float(settings["aux_weight"])
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
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.real_acc_tracker, self.fake_acc_tracker]
        return trackers + ([self.class_acc_tracker] if self.class_acc_tracker is not None else [])

    @property
    def sampling_generator(self):
        """The generator to draw samples from: the EMA generator when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def call(self, inputs, training=False):
        """Generate images from noise (and labels, for a conditional generator)."""
        return self.generator(inputs, training=training)

    # -------------------------------------------------------------- shared pieces

    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            real = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            real, labels = data, None
        real = ops.convert_to_tensor(real)  # numpy batches (eager steps) would not mix with tensor labels
        if self.num_classes is None:
            return real, None
        if labels is None:
            raise ValueError(
                "A conditional GAN trains on (images, labels) batches; build the dataset with "
                "pgan.data.make_dataset(images, labels=labels)."
            )
        return real, ops.cast(ops.reshape(labels, (-1,)), "int32")

    def _noise(self, batch_size, seeds=None):
        return keras.random.normal((batch_size, self.latent_dim), seed=_draw(seeds or self.seed_generator))

    def _g_inputs(self, z, labels):
        return z if labels is None else [z, labels]

    def _d_inputs(self, images, labels):
        return [images, labels] if self.takes_label else images

    def _split(self, outputs):
        """D's outputs as (logits, class_logits or None)."""
        if self.names_class:
            return outputs[0], outputs[1]
        return outputs, None

    def _augmented(self, images, seeds):
        if not self.augment_policy:
            return images
        from pgan.augment import diff_augment

        return diff_augment(images, self.augment_policy, seeds, self.augment_p)

    def _d_loss(self, real_logits, fake_logits):
        if self.loss_name == "gan":
            return losses.discriminator_loss(real_logits, fake_logits, self.label_smoothing)
        return self.d_loss_fn(real_logits, fake_logits)

    def _d_objective(self, discriminate, input_gradients, real, labels, fake, seeds):
        """D's total loss: the loss family, AC-GAN's class loss, and the gradient penalties.

        ``discriminate(images, labels) -> (logits, class_logits)`` runs D in training
        mode; ``input_gradients(images, labels)`` returns dD/dx (backend-specific).
        Returns ``(loss, real_logits, fake_logits, real_class_logits, fake_class_logits)``
        (the class logits are None without a class head).
        """
        real_logits, real_cls = discriminate(self._augmented(real, seeds), labels)
        fake_logits, fake_cls = discriminate(self._augmented(fake, seeds), labels)
        loss = self._d_loss(real_logits, fake_logits)
        if self.d_head == "acgan":
            loss = loss + self.aux_weight * (
                losses.auxiliary_class_loss(labels, real_cls) + losses.auxiliary_class_loss(labels, fake_cls)
            )
        elif self.d_head == "projection_ac":
            # The class head learns from real images only: a classifier of real products,
            # which G's fakes must then satisfy (AC-GAN also trains it on its fakes).
            loss = loss + self.aux_weight * losses.auxiliary_class_loss(labels, real_cls)
        if self.gp_weight:
            weights = keras.random.uniform((ops.shape(real)[0],), seed=_draw(seeds))
            points = losses.interpolate(real, fake, weights)
            loss = loss + self.gp_weight * losses.gradient_penalty(input_gradients(points, labels))
        if self.r1_weight:
            real32 = ops.cast(real, "float32")
            loss = loss + 0.5 * self.r1_weight * losses.r1_penalty(input_gradients(real32, labels))
        return loss, real_logits, fake_logits, real_cls, fake_cls

    def _g_loss_from(self, fake_logits, fake_cls, real_logits, labels):
        loss = self.g_loss_fn(fake_logits, real_logits)
        if self.names_class:
            loss = loss + self.aux_weight * losses.auxiliary_class_loss(labels, fake_cls)
        return loss

    def _g_objective(self, discriminate, real, labels, fake, seeds):
        fake_logits, fake_cls = discriminate(self._augmented(fake, seeds), labels)
        real_logits = None
        if self.loss_name == "relativistic":
            real_logits, _ = discriminate(self._augmented(real, seeds), labels)
        return self._g_loss_from(fake_logits, fake_cls, real_logits, labels)

    def _metric_values(self, d_loss, g_loss, real_logits, fake_logits, real_cls, labels):
        values = [
            d_loss, g_loss,
            ops.mean(ops.cast(real_logits > 0, "float32")),
            ops.mean(ops.cast(fake_logits < 0, "float32")),
        ]
        if self.class_acc_tracker is not None:
            values.append(ops.mean(ops.cast(ops.argmax(real_cls, axis=-1) == labels, "float32")))
        return values

    # -------------------------------------------------------------- TensorFlow step

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

        real, labels = self._unpack(data)
        batch_size = ops.shape(real)[0]
        seeds = self.seed_generator
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables

        def discriminate(images, labels):
            return self._split(self.discriminator(self._d_inputs(images, labels), training=True))

        def input_gradients(images, labels):
            with tf.GradientTape() as tape:
                tape.watch(images)
                logits, _ = discriminate(images, labels)
                total = ops.sum(ops.cast(logits, "float32"))
            return tape.gradient(total, images)

        def generate():
            return self.generator(self._g_inputs(self._noise(batch_size, seeds), labels), training=True)

        if self.update == "simultaneous":
            with tf.GradientTape(persistent=True) as tape:
                fake = generate()
                d_loss, real_logits, fake_logits, real_cls, fake_cls = self._d_objective(
                    discriminate, input_gradients, real, labels, fake, seeds
                )
                g_loss = self._g_loss_from(fake_logits, fake_cls, real_logits, labels)
                d_scaled = self._scaled(self.d_optimizer, d_loss)
                g_scaled = self._scaled(self.g_optimizer, g_loss)
            self._step(self.d_optimizer, tape, d_scaled, d_vars)
            self._step(self.g_optimizer, tape, g_scaled, g_vars)
            del tape
        else:
            for _ in range(self.n_critic):
                fake = generate()
                with tf.GradientTape() as tape:
                    d_loss, real_logits, fake_logits, real_cls, _ = self._d_objective(
                        discriminate, input_gradients, real, labels, fake, seeds
                    )
                    d_scaled = self._scaled(self.d_optimizer, d_loss)
                self._step(self.d_optimizer, tape, d_scaled, d_vars)
            with tf.GradientTape() as tape:
                g_loss = self._g_objective(discriminate, real, labels, generate(), seeds)
                g_scaled = self._scaled(self.g_optimizer, g_loss)
            self._step(self.g_optimizer, tape, g_scaled, g_vars)
        if self.ema_generator is not None:
            decay = self.ema_decay
            for average, weight in zip(self.ema_generator.weights, self.generator.weights, strict=True):
                average.assign(decay * average + (1.0 - decay) * ops.cast(weight, average.dtype))
        for tracker, value in zip(
            self.metrics, self._metric_values(d_loss, g_loss, real_logits, fake_logits, real_cls, labels),
            strict=True,
        ):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # -------------------------------------------------------------- JAX step

    def _jax_train_step(self, state, data):
        """The round of ``train_step`` written statelessly: ``fit()``'s step on the JAX backend.

        ``state`` is (trainable, non_trainable, optimizer, metrics) variable values of
        the GAN; each network runs through ``stateless_call`` on its slice of it, the
        gradients come from ``jax.value_and_grad`` (``jax.vjp`` for the simultaneous
        update's single forward pass; ``jax.grad`` for the penalties' dD/dx) and
        ``stateless_apply`` returns the new weights and optimizer slots. Random draws
        use the seed generator's state, advanced per draw (:class:`StatelessSeeds`).
        """
        import jax

        trainable, non_trainable, optimizer_values, metric_values = (list(s) for s in state)
        real, labels = self._unpack(data)
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
        seeds = StatelessSeeds(non_trainable[seed_i])

        def d_functions(d_vars, box):
            """discriminate / input_gradients on weights ``d_vars``; D's new state goes to box[0]."""

            def discriminate(images, labels):
                out, box[0] = discriminator.stateless_call(
                    d_vars, box[0], self._d_inputs(images, labels), training=True
                )
                return self._split(out)

            def input_gradients(images, labels):
                def total(images):
                    out, _ = discriminator.stateless_call(
                        d_vars, box[0], self._d_inputs(images, labels), training=True
                    )
                    return ops.sum(ops.cast(self._split(out)[0], "float32"))

                return jax.grad(total)(images)

            return discriminate, input_gradients

        def generate(g_vars, g_state):
            z = self._noise(batch_size, seeds)
            return generator.stateless_call(g_vars, g_state, self._g_inputs(z, labels), training=True)

        if self.update == "simultaneous":
            z = self._noise(batch_size, seeds)

            def forward(d_vars, g_vars):
                fake, new_g_state = generator.stateless_call(g_vars, g_state, self._g_inputs(z, labels), training=True)
                box = [d_state]
                discriminate, input_gradients = d_functions(d_vars, box)
                d_loss, real_logits, fake_logits, real_cls, fake_cls = self._d_objective(
                    discriminate, input_gradients, real, labels, fake, seeds
                )
                g_loss = self._g_loss_from(fake_logits, fake_cls, real_logits, labels)
                return (d_loss, g_loss), (real_logits, fake_logits, real_cls, box[0], new_g_state)

            (d_loss, g_loss), pullback, aux = jax.vjp(forward, d_vars, g_vars, has_aux=True)
            real_logits, fake_logits, real_cls, d_state, g_state = aux
            one, zero = ops.ones_like(d_loss), ops.zeros_like(g_loss)
            d_grads = pullback((one, zero))[0]
            g_grads = pullback((zero, one))[1]
            d_vars, d_slots = self.d_optimizer.stateless_apply(d_slots, d_grads, d_vars)
            g_vars, g_slots = self.g_optimizer.stateless_apply(g_slots, g_grads, g_vars)
        else:
            for _ in range(self.n_critic):
                fake, g_state = generate(g_vars, g_state)

                def d_loss_fn(d_vars, fake=fake, d_state=d_state):
                    box = [d_state]
                    discriminate, input_gradients = d_functions(d_vars, box)
                    d_loss, real_logits, fake_logits, real_cls, _ = self._d_objective(
                        discriminate, input_gradients, real, labels, fake, seeds
                    )
                    return d_loss, (real_logits, fake_logits, real_cls, box[0])

                (d_loss, aux), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_vars)
                real_logits, fake_logits, real_cls, d_state = aux
                d_vars, d_slots = self.d_optimizer.stateless_apply(d_slots, d_grads, d_vars)
            z = self._noise(batch_size, seeds)

            def g_loss_fn(g_vars):
                fake, new_g_state = generator.stateless_call(g_vars, g_state, self._g_inputs(z, labels), training=True)
                box = [d_state]
                discriminate, _ = d_functions(d_vars, box)
                return self._g_objective(discriminate, real, labels, fake, seeds), (new_g_state, box[0])

            (g_loss, (g_state, d_state)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_vars)
            g_vars, g_slots = self.g_optimizer.stateless_apply(g_slots, g_grads, g_vars)

        for positions, values, target in (
            (d_t, d_vars, trainable), (g_t, g_vars, trainable),
            (d_n, d_state, non_trainable), (g_n, g_state, non_trainable),
        ):
            for i, value in zip(positions, values, strict=True):
                target[i] = value
        if self.ema_generator is not None:
            self._jax_update_ema(trainable, non_trainable)
        non_trainable[seed_i] = seeds.state
        logs, new_metric_values, start = {}, [], 0
        values = self._metric_values(d_loss, g_loss, real_logits, fake_logits, real_cls, labels)
        for tracker, value in zip(self.metrics, values, strict=True):
            count = len(tracker.variables)
            tracker_values = tracker.stateless_update_state(metric_values[start : start + count], value)
            logs[tracker.name] = tracker.stateless_result(tracker_values)
            new_metric_values.extend(tracker_values)
            start += count
        new_state = (trainable, non_trainable, [*d_slots, *g_slots], new_metric_values)
        return logs, new_state

    def make_train_function(self, force=False):
        """On JAX, ``steps_per_execution`` steps run inside one compiled call.

        Keras' JAX trainer runs ``steps_per_execution`` as a Python loop of compiled
        one-step calls, so every step still pays a dispatch of the whole state (some
        hundred arrays: weights, Adam slots, EMA, metrics). Here one compiled call
        takes K batches and runs the step K times in a row, unrolled: one dispatch and
        one donation of the state per K steps. The result is that of K single steps
        (tested); an epoch's last K-1 or fewer batches take the one-step call.

        Unrolled rather than ``jax.lax.scan``: measured on the 2-core CPU (workshop
        model, batch 64, K = 8) a scan ran at 75 img/s against 690 for single steps,
        while the unrolled call ran at 666; and XLA has run a GPU loop's control
        flow on the host, a sync per iteration (JAX issue #2491). The price is compile
        time, about K times that of one step (7.8 s against 2.7 s for K = 8 on that
        CPU). TensorFlow already runs ``steps_per_execution`` inside one
        ``tf.function``; there Keras' own function stays.
        """
        k = int(self.steps_per_execution or 1)
        if (keras.backend.backend() != "jax" or k == 1 or self.run_eagerly or not self.jit_compile
                or (self.train_function is not None and not force)):
            return super().make_train_function(force)
        import jax

        def k_steps(state, batches):
            for data in batches:
                logs, state = self.train_step(state, data)
            return logs, state

        k_steps = jax.jit(k_steps, donate_argnums=0)
        one_step = jax.jit(self.train_step, donate_argnums=0)

        def iterator_step(state, iterator):
            batches = [next(iterator)]  # StopIteration here ends the epoch, as in Keras
            for _ in range(k - 1):
                try:
                    batches.append(next(iterator))
                except StopIteration:
                    break
            if len(batches) == k:
                return k_steps(state, tuple(batches))
            for data in batches:
                logs, state = one_step(state, data)
            return logs, state

        self.train_function = iterator_step

    def _jax_update_ema(self, trainable, non_trainable):
        """EMA of G's new weights into the EMA generator's slots of ``non_trainable`` (in place)."""
        where = {id(v): ("t", i) for i, v in enumerate(self.trainable_variables)}
        where.update({id(v): ("n", i) for i, v in enumerate(self.non_trainable_variables)})
        decay = self.ema_decay
        for average, weight in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            kind, i = where[id(weight)]
            value = trainable[i] if kind == "t" else non_trainable[i]
            _, j = where[id(average)]
            non_trainable[j] = decay * non_trainable[j] + (1.0 - decay) * ops.cast(value, non_trainable[j].dtype)


# ------------------------------------------------------------------ callbacks


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class BackgroundWriter:
    """Run file-writing jobs on a worker thread, one at a time, in the order given.

    Training callbacks hand their disk work (a checkpoint's HDF5 file, a PNG) to a
    writer so that the next epoch starts while the files are written: on a GPU an
    epoch of the article's DCGAN takes about 0.6 s, and the accelerator would idle
    during every epoch-end write. :meth:`submit` first waits for the job before it,
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


_RECORDER = None


def _weights_recorder_class():
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

    Walks the model as ``save_weights`` does (layers, optimizers, metrics; about 25 ms
    for the article's GAN), so it is done once per ``fit``; :func:`record_weights`
    then copies the values. None where this Keras version's saving internals differ,
    or where an entry is neither a variable nor an optimizer's saved variable (then
    save with ``save_weights`` itself).
    """
    try:
        from keras.src.saving import saving_lib

        store = _weights_recorder_class()()
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
    variables held. For the article's GAN (30 MB with both optimizers' state) this took
    8 ms on JAX on a 2-core CPU and 42 ms on an H200, against 33-41 and 118 ms for
    ``save_weights``; :func:`write_recorded_weights` then writes the file at leisure.
    """
    variables = [v for _, _, values in layout for v in values.values()]
    arrays = [v.value for v in variables]
    if keras.backend.backend() == "jax":  # one transfer call for all, not one wait per variable
        import jax

        arrays = jax.device_get(arrays)
    host = [np.asarray(keras.ops.convert_to_numpy(a)) for a in arrays]
    # A view of backend memory is copied (JAX on a CPU hands out views; it then declines to
    # donate those buffers, but the recording should not rest on that).
    host = iter([a if a.flags.owndata else a.copy() for a in host])
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

    Taught in notebooks/05_training_on_gpu.ipynb.
    """

    def __init__(self, output_dir, num_examples: int = 64, seed: int = 0, every: int = 1, background: bool = True):
        super().__init__()
        self.output_dir = Path(output_dir)
        self.num_examples = num_examples
        self.seed = seed
        self.every = every
        self.background = background
        self.noise = None
        self.writer = BackgroundWriter("pgan-sample-grid")

    def on_train_begin(self, logs=None):
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

            generator = getattr(self.model, "sampling_generator", self.model.generator)
            images = keras.ops.convert_to_numpy(generator(self.inputs, training=False))
            self.writer.submit(save_grid, images, self.output_dir / f"epoch_{epoch + 1:04d}.png", self.ncols)
            if not self.background:
                self.writer.wait()

    def on_train_end(self, logs=None):
        from pgan.plotting import save_gif

        self.writer.wait()
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

    Args:
        minutes: the budget; None: no limit.
        already_spent: seconds of training already done (from the run's history).
    """

    def __init__(self, minutes: float | None, already_spent: float = 0.0):
        super().__init__()
        self.budget = None if minutes is None else 60.0 * float(minutes)
        self.already_spent = float(already_spent)
        self.reached = self.budget is not None and self.already_spent >= self.budget
        self._start = None

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        if self.budget is not None and self.already_spent + time.perf_counter() - self._start >= self.budget:
            self.reached = True
            self.model.stop_training = True


class ResumableCheckpoint(keras.callbacks.Callback):
    """Checkpoint everything needed to resume (both networks, both optimizers, noise state).

    After each epoch it writes ``checkpoints/epoch_NNNN.weights.h5`` under a
    temporary name and renames it (a kill mid-write leaves the previous file),
    then atomically updates ``state.json`` (last epoch, checkpoint file,
    history) and deletes older checkpoints. :func:`restore` loads the latest.

    With ``background=True`` (the default) the weights are copied to host memory at
    the epoch's end (:func:`record_weights`, milliseconds) and the files are
    written by a :class:`BackgroundWriter` while the next epoch trains, in the same
    order, so ``state.json`` never names a file not yet on disk. On a GPU the
    synchronous write took longer than 40 steps of the article's DCGAN. Call
    :meth:`wait` (``on_train_end`` and :func:`pgan.runs.train_gan` do) before
    reading the files.

    It adds ``epoch_seconds`` to the history: the wall time from the previous epoch's
    end (from ``on_epoch_begin`` for a call's first epoch), so the epoch-end work of
    the callbacks after it counts too and the epochs add up to the training's time.

    ``min_interval_seconds`` skips the checkpoint of an epoch that ends sooner than
    that after the last one written (``history.json`` is still written every epoch).
    The first and last epoch of each ``fit`` and an epoch a time limit ended are
    always saved. On a GPU an epoch of the article's DCGAN takes 0.7 s, and a
    checkpoint (both networks and both optimizers, 30 MB) after each of them cost
    more than its weight; a kill then loses at most the unfinished epoch plus
    ``min_interval_seconds`` of training.

    Args:
        run_dir: the run's folder.
        keep: how many checkpoints to keep.
        background: write the files on a worker thread (False: before the next epoch).
        min_interval_seconds: write a checkpoint at most this often (0: after every epoch).
    """

    def __init__(self, run_dir, keep: int = 2, background: bool = True, min_interval_seconds: float = 0.0):
        super().__init__()
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
        try:
            return json.loads(self.state_path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(
                f"{self.state_path} is not valid JSON ({err}). Delete it to restart the run "
                "from scratch, or restore it from a backup."
            ) from err

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
                f"({str(error).splitlines()[0]}). A run with spectral_norm trained by pgan before "
                "2026-11-27 used Keras' SpectralNormalization, whose weights pgan's SpectralNorm "
                "cannot read. Train afresh in a new --out folder; the run's exported "
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
        history_text = json.dumps(self.history, indent=1)  # this epoch's copy
        if not self._due(epoch):  # through the writer: after any checkpoint job still running
            self.writer.submit(_atomic_write_text, self.run_dir / "history.json", history_text)
            return
        name = f"epoch_{epoch + 1:04d}.weights.h5"
        state = {"epoch": epoch + 1, "checkpoint": f"checkpoints/{name}", "history": self.history}
        texts = json.dumps(state, indent=1), history_text
        if self.background and self._layout is None:  # the variables stay the same during one fit
            self._layout = weights_layout(self.model) or False
        entries = record_weights(self._layout) if self.background and self._layout else None
        if entries is None:  # synchronous: save_weights reads the model now
            self.writer.wait()
            self._write(name, lambda tmp: self.model.save_weights(tmp), *texts)
        else:
            self.writer.submit(self._write, name, lambda tmp: write_recorded_weights(entries, tmp), *texts)

    def _write(self, name, save, state_text, history_text):
        folder = self.run_dir / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"tmp_{name}"
        save(tmp)
        os.replace(tmp, folder / name)
        _atomic_write_text(self.state_path, state_text)
        _atomic_write_text(self.run_dir / "history.json", history_text)
        old = sorted(folder.glob("epoch_*.weights.h5"))[: -self.keep]
        for path in old:
            path.unlink(missing_ok=True)

    def wait(self) -> None:
        """Wait until the last epoch's checkpoint, ``state.json`` and ``history.json`` are on disk."""
        self.writer.wait()

    def on_train_end(self, logs=None):
        self.wait()
