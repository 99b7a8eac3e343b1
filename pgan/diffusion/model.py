"""``FlowModel``: a velocity network trained by flow matching with ``fit()``, with an EMA copy.

Each training step draws, for every image of the batch, a noise image and a time t;
the network predicts the velocity at ``interpolate(noise, image, t)`` and the loss is
:func:`pgan.diffusion.flow.flow_matching_loss`. A conditional model replaces a share
of the labels (``label_dropout``) with "no class", which guidance needs. The gradient
step comes from the backend's module, chosen once, here:
:mod:`pgan.diffusion.step_tf` or :mod:`pgan.diffusion.step_jax`.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import keras
from keras import ops

from pgan import backend
from pgan.diffusion.flow import TIME_SAMPLINGS, flow_matching_loss, interpolate, sample_times
from pgan.diffusion.unet import num_classes_of

if backend.is_jax():
    from pgan.diffusion.step_jax import JaxFlowStep as BackendStep
else:
    from pgan.diffusion.step_tf import TensorFlowFlowStep as BackendStep


class FlowModel(BackendStep, keras.Model):
    """A velocity network trained by flow matching with ``fit()``.

    Args:
        network: a velocity network (:func:`pgan.diffusion.build_velocity_net`).
        seed: seed of the noise, times and label dropout (a ``keras.random.SeedGenerator``).
        ema_decay: keep ``ema_network``, an exponential moving average of the
            network's weights (e.g. 0.999), updated after every step; sampling and
            export use it. The decay warms up as ``min(ema_decay, (1 + n) / (10 + n))``
            after n steps, so that a short run's average is not its random start.
        label_dropout: share of a conditional model's training labels replaced by
            "no class" (label ``num_classes``).
        time_sampling: "logit_normal" or "uniform" (:func:`pgan.diffusion.flow.sample_times`).

    Fit it on batches of images in [-1, 1] (and int labels, for a conditional
    network), as :func:`pgan.pipelines.training_input` makes them. Metric: ``loss``.

    Taught in notebooks/12_flow_matching.ipynb.
    """

    def __init__(self, network, seed=None, ema_decay=None, label_dropout: float = 0.1,
                 time_sampling: str = "logit_normal", **kwargs):
        kwargs.setdefault("name", "flow_model")
        super().__init__(**kwargs)
        if time_sampling not in TIME_SAMPLINGS:
            raise ValueError(f"Unknown time_sampling {time_sampling!r}: choose one of {list(TIME_SAMPLINGS)}.")
        if not 0.0 <= float(label_dropout) < 1.0:
            raise ValueError(f"label_dropout must be in [0, 1), e.g. 0.1; got {label_dropout!r}.")
        self.network = network
        self.num_classes = num_classes_of(network)
        self.label_dropout = float(label_dropout)
        self.time_sampling = time_sampling
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.ema_network = None
        if ema_decay is not None:
            if not 0.0 < self.ema_decay < 1.0:
                raise ValueError(f"ema_decay must be in (0, 1), e.g. 0.999; got {ema_decay!r}.")
            self.ema_network = keras.models.clone_model(network)
            self.ema_network.set_weights(network.get_weights())
            self.ema_network.trainable = False
        # The attribute names are those of the checkpoints' entries: renaming one breaks resuming.
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True  # the network is built; nothing is left for fit() to build

    def compile(self, optimizer, jit_compile=None, steps_per_execution: int = 1, run_eagerly: bool = False):
        """Set the optimizer (e.g. ``keras.optimizers.Adam(1e-3)``).

        Args:
            optimizer: the network's optimizer.
            jit_compile: compile the step with XLA; None: on with JAX, off on TensorFlow.
            steps_per_execution, run_eagerly: as in ``keras.Model.compile``.
        """
        if jit_compile is None:
            jit_compile = backend.is_jax()
        super().compile(optimizer=optimizer, jit_compile=jit_compile, steps_per_execution=steps_per_execution,
                        run_eagerly=run_eagerly)
        self.optimizer.build(self.network.trainable_variables)  # its slots exist before a checkpoint loads

    @property
    def metrics(self):
        return [self.loss_tracker]

    @property
    def sampling_network(self):
        """The network to sample from and to export: the EMA network when there is one."""
        return self.ema_network if self.ema_network is not None else self.network

    def call(self, inputs, training=False):
        """The network's velocity at ``[x_t, t]`` (or ``[x_t, t, labels]``)."""
        return self.network(inputs, training=training)

    def unpack(self, data):
        """A batch as ``(images, int32 labels or None)``."""
        if isinstance(data, (tuple, list)):
            images, labels = data[0], (data[1] if len(data) > 1 else None)
        else:
            images, labels = data, None
        images = ops.convert_to_tensor(images)
        if self.num_classes is None:
            return images, None
        if labels is None:
            raise ValueError("A conditional flow model trains on (images, labels) batches; build them with "
                             "pgan.pipelines.training_input(images, batch_size, labels=labels).")
        return images, ops.cast(ops.reshape(labels, (-1,)), "int32")

    def flow_loss(self, images, labels=None):
        """The flow-matching loss of one batch, with fresh noise, times (and dropped labels).

        The lesson in six lines: draw noise and t, walk t of the way from the noise to
        the image, ask the network for the velocity there, compare with ``image - noise``.
        """
        batch_size = ops.shape(images)[0]
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator)
        t = sample_times(batch_size, self.seed_generator, self.time_sampling)
        inputs = [interpolate(noise, images, t), t]
        if labels is not None:
            dropped = keras.random.uniform((batch_size,), seed=self.seed_generator) < self.label_dropout
            inputs.append(ops.where(dropped, ops.full_like(labels, self.num_classes), labels))
        return flow_matching_loss(self.network(inputs, training=True), noise, images)

    def ema_rate(self, step):
        """The decay of the EMA after ``step`` optimizer steps: ``min(ema_decay, (1 + step) / (10 + step))``."""
        step = ops.cast(step, "float32")
        return ops.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
