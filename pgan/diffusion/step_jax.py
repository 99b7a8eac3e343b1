"""The flow-matching train step on JAX: the same step as :mod:`pgan.diffusion.step_tf`, stateless.

Keras' JAX ``fit()`` calls ``train_step(state, data)`` with the model's variable
values and expects the new values back. :meth:`FlowModel.flow_loss` runs inside a
``keras.StatelessScope`` that maps every variable to its value in the state, so
the network and the seed generator read those values, and the seed generator's
advanced state is read back from the scope; ``jax.value_and_grad`` takes the
gradient and the optimizer's ``stateless_apply`` the step.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import jax
import keras


class JaxFlowStep:
    """``train_step`` of :class:`pgan.diffusion.model.FlowModel` on JAX (a mixin)."""

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_values, metric_values = state
        images, labels = self.unpack(data)

        def loss_fn(trainable):
            mapping = [*zip(self.trainable_variables, trainable, strict=True),
                       *zip(self.non_trainable_variables, non_trainable, strict=True)]
            with keras.StatelessScope(state_mapping=mapping) as scope:
                loss = self.flow_loss(images, labels)
            return loss, [scope.get_current_value(v) for v in self.non_trainable_variables]

        (loss, non_trainable), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
        trainable, optimizer_values = self.optimizer.stateless_apply(optimizer_values, grads, trainable)
        if self.ema_network is not None:
            non_trainable = self._update_ema(trainable, non_trainable, optimizer_values)
        metric_values = self.loss_tracker.stateless_update_state(metric_values, loss)
        logs = {"loss": self.loss_tracker.stateless_result(metric_values)}
        return logs, (trainable, non_trainable, optimizer_values, metric_values)

    def _update_ema(self, trainable, non_trainable, optimizer_values):
        """The EMA network's new weights in a copy of ``non_trainable``."""
        where = {id(v): ("t", i) for i, v in enumerate(self.trainable_variables)}
        where.update({id(v): ("n", i) for i, v in enumerate(self.non_trainable_variables)})
        (step,) = [value for v, value in zip(self.optimizer.variables, optimizer_values, strict=True)
                   if v is self.optimizer.iterations]
        decay = self.ema_rate(step)
        non_trainable = list(non_trainable)
        for average, weight in zip(self.ema_network.weights, self.network.weights, strict=True):
            kind, i = where[id(weight)]
            value = trainable[i] if kind == "t" else non_trainable[i]
            _, j = where[id(average)]
            non_trainable[j] = decay * non_trainable[j] + (1.0 - decay) * value
        return non_trainable
