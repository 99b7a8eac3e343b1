"""The flow-matching train step on TensorFlow: a ``tf.GradientTape`` around :meth:`FlowModel.flow_loss`.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import tensorflow as tf


class TensorFlowFlowStep:
    """``train_step`` of :class:`pgan.diffusion.model.FlowModel` on TensorFlow (a mixin)."""

    def train_step(self, data):
        images, labels = self.unpack(data)
        variables = self.network.trainable_variables
        with tf.GradientTape() as tape:
            loss = self.flow_loss(images, labels)
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        if self.ema_network is not None:
            decay = self.ema_rate(self.optimizer.iterations)
            for average, weight in zip(self.ema_network.weights, self.network.weights, strict=True):
                average.assign(decay * average + (1.0 - decay) * weight)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}
