"""The GAN's train step on TensorFlow: straight-line ``tf.GradientTape`` code.

One round of the game: ``n_critic`` updates of D on real and generated images,
then one update of G through the updated D (or, ``update="simultaneous"``, both
from one forward pass). What each update minimises is the
:class:`pgan.gan.objective.Objective`'s business; this module only takes the
gradients and applies them. Mixed float16 scales each loss
(``LossScaleOptimizer``), and under ``tf.distribute`` each replica contributes
``loss / replicas`` to the summed gradients.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from pgan import backend
from pgan.gan.objective import metric_values


def _scaled(optimizer, loss):
    """The loss each replica differentiates; call it inside the tape, so the scaling is recorded."""
    return optimizer.scale_loss(loss / backend.num_replicas())


class TensorFlowStep:
    """``GAN.train_step`` on TensorFlow (a mixin of :class:`pgan.gan.GAN`)."""

    def attach_optimizers(self):
        """Nothing to do: TensorFlow's ``fit()`` lets the step use ``d_optimizer`` and ``g_optimizer``."""

    def discriminate(self, images, labels):
        return self.split(self.discriminator(self.d_inputs(images, labels), training=True))

    def input_gradients(self, images, labels):
        """dD/dx at ``images`` (the penalties' input gradients)."""
        with tf.GradientTape() as tape:
            tape.watch(images)
            logits, _ = self.discriminate(images, labels)
            total = ops.sum(ops.cast(logits, "float32"))
        return tape.gradient(total, images)

    def generate(self, batch_size, labels):
        return self.generator(self.g_inputs(self.noise(batch_size), labels), training=True)

    def train_step(self, data):
        real, labels = self.unpack(data)
        batch_size = ops.shape(real)[0]
        objective, head, seeds = self.objective, self.d_head, self.seed_generator
        d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables

        if self.update == "simultaneous":
            with tf.GradientTape(persistent=True) as tape:
                fake = self.generate(batch_size, labels)
                d_loss, (real_logits, fake_logits, real_cls, fake_cls) = objective.discriminator_loss(
                    self.discriminate, self.input_gradients, real, fake, labels, seeds, head)
                g_loss = objective.generator_loss_from(fake_logits, fake_cls, real_logits, labels, head)
                d_scaled, g_scaled = _scaled(self.d_optimizer, d_loss), _scaled(self.g_optimizer, g_loss)
            self.d_optimizer.apply(tape.gradient(d_scaled, d_vars), d_vars)
            self.g_optimizer.apply(tape.gradient(g_scaled, g_vars), g_vars)
            del tape
        else:
            for _ in range(objective.n_critic):
                fake = self.generate(batch_size, labels)
                with tf.GradientTape() as tape:
                    d_loss, (real_logits, fake_logits, real_cls, _) = objective.discriminator_loss(
                        self.discriminate, self.input_gradients, real, fake, labels, seeds, head)
                    d_scaled = _scaled(self.d_optimizer, d_loss)
                self.d_optimizer.apply(tape.gradient(d_scaled, d_vars), d_vars)
            with tf.GradientTape() as tape:
                g_loss = objective.generator_loss(self.discriminate, real, self.generate(batch_size, labels),
                                          labels, seeds, head)
                g_scaled = _scaled(self.g_optimizer, g_loss)
            self.g_optimizer.apply(tape.gradient(g_scaled, g_vars), g_vars)

        if self.ema_generator is not None:
            decay = self.ema_decay
            for average, weight in zip(self.ema_generator.weights, self.generator.weights, strict=True):
                average.assign(decay * average + (1.0 - decay) * ops.cast(weight, average.dtype))
        values = metric_values(d_loss, g_loss, real_logits, fake_logits, real_cls, labels)
        for tracker, value in zip(self.metrics, values, strict=True):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}
