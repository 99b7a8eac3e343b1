"""The adversarial train step on JAX: the same round of the game as :mod:`pgan.gan.step_tf`, stateless.

Keras' JAX ``fit()`` calls ``train_step(state, data)`` with the model's variable
values and expects the new values back. Each network runs through
``stateless_call`` on its slice of that state, the gradients come from
``jax.value_and_grad`` (``jax.vjp`` for the simultaneous update's single forward
pass; ``jax.grad`` for the penalties' dD/dx), and ``stateless_apply`` returns the
new weights and optimizer slots. Random draws advance the seed generator's state
(:class:`StatelessSeeds`). The losses are :class:`pgan.gan.objective.Objective`'s,
the same code the TensorFlow step runs.

``steps_per_execution = K`` runs K steps inside one compiled call
(:meth:`JaxStep.make_train_function`).

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import jax
import numpy as np
from keras import ops


def _positions(variables, subset) -> list[int]:
    """Where each variable of ``subset`` sits in ``variables`` (matched by identity)."""
    index = {id(v): i for i, v in enumerate(variables)}
    return [index[id(v)] for v in subset]


class StatelessSeeds:
    """Seeds for random draws inside a stateless step.

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


class OptimizerPair:
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


class JaxStep:
    """``train_step`` of :class:`pgan.gan.model.AdversarialModel` on JAX (a mixin)."""

    def attach_optimizers(self):
        """Let Keras' JAX ``fit()`` carry both optimizers' variables through the step."""
        self.optimizer = OptimizerPair(self.d_optimizer, self.g_optimizer)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_values, metric_state = (list(s) for s in state)
        batch = self.unpack(data)
        generator, discriminator = self.generator_network(), self.discriminator
        g_t = _positions(self.trainable_variables, generator.trainable_variables)
        d_t = _positions(self.trainable_variables, discriminator.trainable_variables)
        g_n = _positions(self.non_trainable_variables, generator.non_trainable_variables)
        d_n = _positions(self.non_trainable_variables, discriminator.non_trainable_variables)
        d_vars, g_vars = [trainable[i] for i in d_t], [trainable[i] for i in g_t]
        d_state, g_state = [non_trainable[i] for i in d_n], [non_trainable[i] for i in g_n]
        num_d_slots = len(self.d_optimizer.variables)
        d_slots, g_slots = optimizer_values[:num_d_slots], optimizer_values[num_d_slots:]
        seed_i, seeds = None, None
        if self.seed_generator is not None:
            (seed_i,) = _positions(self.non_trainable_variables, [self.seed_generator.state])
            seeds = StatelessSeeds(non_trainable[seed_i])

        def d_functions(d_vars, box):
            """discriminate / input_gradients on weights ``d_vars``; D's new state goes to box[0]."""

            def discriminate(images, labels):
                out, box[0] = discriminator.stateless_call(d_vars, box[0], self.d_inputs(images, labels),
                                                           training=True)
                return self.split(out)

            def input_gradients(images, labels):
                def total(images):
                    out, _ = discriminator.stateless_call(d_vars, box[0], self.d_inputs(images, labels),
                                                          training=True)
                    return ops.sum(ops.cast(self.split(out)[0], "float32"))

                return jax.grad(total)(images)

            return discriminate, input_gradients

        def generator_run(g_vars, g_state, box):
            """run_generator on weights ``g_vars``; G's new state goes to box[0]."""

            def run_generator(inputs):
                out, box[0] = generator.stateless_call(g_vars, g_state, inputs, training=True)
                return out

            return run_generator

        where = {id(v): ("t", i) for i, v in enumerate(self.trainable_variables)}
        where.update({id(v): ("n", i) for i, v in enumerate(self.non_trainable_variables)})

        def frozen(network, inputs):
            """A network that does not train (a feature extractor), on its values in the state."""
            values = [[trainable[i] if kind == "t" else non_trainable[i] for kind, i in map(where.get, map(id, vs))]
                      for vs in (network.trainable_variables, network.non_trainable_variables)]
            out, _ = network.stateless_call(*values, inputs, training=False)
            return out

        if self.update == "simultaneous":

            def forward(d_vars, g_vars):
                g_box, d_box = [g_state], [d_state]
                fake = self.generate(generator_run(g_vars, g_state, g_box), batch, seeds)
                discriminate, input_gradients = d_functions(d_vars, d_box)
                d_loss, d_out = self.discriminator_objective(discriminate, input_gradients, batch, fake, seeds)
                g_loss, g_out = self.generator_objective_from(d_out, batch)
                return (d_loss, g_loss), (d_out, g_out, d_box[0], g_box[0])

            (d_loss, g_loss), pullback, aux = jax.vjp(forward, d_vars, g_vars, has_aux=True)
            d_out, g_out, d_state, g_state = aux
            one, zero = ops.ones_like(d_loss), ops.zeros_like(g_loss)
            d_grads = pullback((one, zero))[0]
            g_grads = pullback((zero, one))[1]
            d_vars, d_slots = self.d_optimizer.stateless_apply(d_slots, d_grads, d_vars)
            g_vars, g_slots = self.g_optimizer.stateless_apply(g_slots, g_grads, g_vars)
        else:
            for _ in range(self.objective.n_critic):
                g_box = [g_state]
                fake = self.generate(generator_run(g_vars, g_state, g_box), batch, seeds)
                g_state = g_box[0]

                def d_loss_fn(d_vars, fake=fake, d_state=d_state):
                    box = [d_state]
                    discriminate, input_gradients = d_functions(d_vars, box)
                    d_loss, d_out = self.discriminator_objective(discriminate, input_gradients, batch, fake, seeds)
                    return d_loss, (d_out, box[0])

                (d_loss, (d_out, d_state)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_vars)
                d_vars, d_slots = self.d_optimizer.stateless_apply(d_slots, d_grads, d_vars)

            def g_loss_fn(g_vars):
                g_box, d_box = [g_state], [d_state]
                fake = self.generate(generator_run(g_vars, g_state, g_box), batch, seeds)
                discriminate, _ = d_functions(d_vars, d_box)
                g_loss, g_out = self.generator_objective(discriminate, frozen, batch, fake, seeds)
                return g_loss, (g_out, g_box[0], d_box[0])

            (g_loss, (g_out, g_state, d_state)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_vars)
            g_vars, g_slots = self.g_optimizer.stateless_apply(g_slots, g_grads, g_vars)

        for positions, values, target in (
            (d_t, d_vars, trainable), (g_t, g_vars, trainable),
            (d_n, d_state, non_trainable), (g_n, g_state, non_trainable),
        ):
            for i, value in zip(positions, values, strict=True):
                target[i] = value
        if self.ema_generator is not None:
            self._update_ema(trainable, non_trainable)
        if seeds is not None:
            non_trainable[seed_i] = seeds.state
        logs, new_metric_state, start = {}, [], 0
        values = self.metric_values(d_loss, d_out, g_loss, g_out, batch)
        for tracker, value in zip(self.metrics, values, strict=True):
            count = len(tracker.variables)
            tracker_values = tracker.stateless_update_state(metric_state[start : start + count], value)
            logs[tracker.name] = tracker.stateless_result(tracker_values)
            new_metric_state.extend(tracker_values)
            start += count
        return logs, (trainable, non_trainable, [*d_slots, *g_slots], new_metric_state)

    def _update_ema(self, trainable, non_trainable):
        """EMA of G's new weights into the EMA generator's slots of ``non_trainable`` (in place)."""
        where = {id(v): ("t", i) for i, v in enumerate(self.trainable_variables)}
        where.update({id(v): ("n", i) for i, v in enumerate(self.non_trainable_variables)})
        decay = self.ema_decay
        for average, weight in zip(self.ema_generator.weights, self.generator_network().weights, strict=True):
            kind, i = where[id(weight)]
            value = trainable[i] if kind == "t" else non_trainable[i]
            _, j = where[id(average)]
            non_trainable[j] = decay * non_trainable[j] + (1.0 - decay) * ops.cast(value, non_trainable[j].dtype)

    def make_train_function(self, force=False):
        """``steps_per_execution`` steps inside one compiled call, unrolled.

        One compiled call takes K batches and runs the step K times in a row: one
        dispatch and one donation of the state (weights, Adam slots, EMA, metrics) per
        K steps. The result is that of K single steps (tested); an epoch's last K-1 or
        fewer batches take the one-step call. Unrolled rather than ``jax.lax.scan``,
        which was slower on a CPU and whose loop XLA may run on the host on a GPU; the
        price is compile time, about K times one step's. The measurements are in
        ``benchmarks/results/jax_gpu.json`` and ``docs/``.
        """
        k = int(self.steps_per_execution or 1)
        if k == 1 or self.run_eagerly or not self.jit_compile or (self.train_function is not None and not force):
            return super().make_train_function(force)

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
