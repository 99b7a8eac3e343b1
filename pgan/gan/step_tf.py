"""The adversarial train step on TensorFlow: straight-line ``tf.GradientTape`` code.

One round of the game: ``n_critic`` updates of D on real and generated images,
then one update of the image maker through the updated D (or, with
``update="simultaneous"``, both from one forward pass). What each update
minimises is the model's business (:class:`pgan.gan.GAN` asks its
:class:`pgan.gan.Objective`); this module takes the gradients and applies them.
Mixed float16 scales each loss (``LossScaleOptimizer``), and under
``tf.distribute`` each replica contributes ``loss / replicas`` to the summed gradients.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from pgan import backend


def _scaled(optimizer, loss):
    """The loss each replica differentiates; call it inside the tape, so the scaling is recorded."""
    return optimizer.scale_loss(loss / backend.num_replicas())


def _frozen(network, inputs):
    return network(inputs, training=False)


class TensorFlowStep:
    """``train_step`` of :class:`pgan.gan.model.AdversarialModel` on TensorFlow (a mixin)."""

    def attach_optimizers(self):
        """Nothing to do: TensorFlow's ``fit()`` lets the step use ``d_optimizer`` and ``g_optimizer``."""

    def _discriminate(self, images, labels):
        return self.split(self.discriminator(self.d_inputs(images, labels), training=True))

    def _input_gradients(self, images, labels):
        """dD/dx at ``images`` (the penalties' input gradients)."""
        with tf.GradientTape() as tape:
            tape.watch(images)
            logits, _ = self._discriminate(images, labels)
            total = ops.sum(ops.cast(logits, "float32"))
        return tape.gradient(total, images)

    def train_step(self, data):
        batch = self.unpack(data)
        generator, seeds = self.generator_network(), self.seed_generator
        d_vars, g_vars = self.discriminator.trainable_variables, generator.trainable_variables

        def run_generator(inputs):
            return generator(inputs, training=True)

        if self.update == "simultaneous":
            with tf.GradientTape(persistent=True) as tape:
                fake = self.generate(run_generator, batch, seeds)
                d_loss, d_out = self.discriminator_objective(self._discriminate, self._input_gradients, batch,
                                                             fake, seeds)
                g_loss, g_out = self.generator_objective_from(d_out, batch)
                d_scaled, g_scaled = _scaled(self.d_optimizer, d_loss), _scaled(self.g_optimizer, g_loss)
            self.d_optimizer.apply(tape.gradient(d_scaled, d_vars), d_vars)
            self.g_optimizer.apply(tape.gradient(g_scaled, g_vars), g_vars)
            del tape
        else:
            for _ in range(self.objective.n_critic):
                fake = self.generate(run_generator, batch, seeds)  # outside the tape: D's update only
                with tf.GradientTape() as tape:
                    d_loss, d_out = self.discriminator_objective(self._discriminate, self._input_gradients,
                                                                 batch, fake, seeds)
                    d_scaled = _scaled(self.d_optimizer, d_loss)
                self.d_optimizer.apply(tape.gradient(d_scaled, d_vars), d_vars)
            with tf.GradientTape() as tape:
                fake = self.generate(run_generator, batch, seeds)
                g_loss, g_out = self.generator_objective(self._discriminate, _frozen, batch, fake, seeds)
                g_scaled = _scaled(self.g_optimizer, g_loss)
            self.g_optimizer.apply(tape.gradient(g_scaled, g_vars), g_vars)

        if self.ema_generator is not None:
            decay = self.ema_decay
            for average, weight in zip(self.ema_generator.weights, generator.weights, strict=True):
                average.assign(decay * average + (1.0 - decay) * ops.cast(weight, average.dtype))
        values = self.metric_values(d_loss, d_out, g_loss, g_out, batch)
        for tracker, value in zip(self.metrics, values, strict=True):
            tracker.update_state(value)
        logs = {m.name: m.result() for m in self.metrics}
        if _collective_multi_worker():
            # Keras 3 reduces each log over its first axis under MultiWorkerMirroredStrategy, which a
            # scalar lacks ("Invalid reduction dimension 0", tensorflow/tensorflow#72388,
            # keras-team/keras#20585); a length-1 vector reduces to the same scalar.
            logs = {name: tf.reshape(value, (1,)) for name, value in logs.items()}
        return logs


def _collective_multi_worker() -> bool:
    return isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy)
