"""``GAN``: a generator and a discriminator trained against each other with ``fit()``.

:class:`AdversarialModel` is what every adversarial model of pgan shares (the GAN,
and the image-to-image fine-tuning of :mod:`pgan.enhance`); :class:`GAN` holds the
networks, the EMA generator, the metrics and the objective. The train step comes
from the backend's own module, chosen once, here:
:class:`pgan.gan.step_tf.TensorFlowStep` (``tf.GradientTape``) or
:class:`pgan.gan.step_jax.JaxStep` (a stateless step). The losses both steps
minimise are :class:`pgan.gan.objective.Objective`'s.

Taught in notebooks/05_training_on_gpu.ipynb (and 09, 10 for the options).
"""

from __future__ import annotations

import keras
from keras import ops

from pgan import backend
from pgan.gan.objective import HEADS_WITH_CLASSES, Objective, draw_seed, metric_values

if backend.is_jax():
    from pgan.gan.step_jax import JaxStep as BackendStep
else:
    from pgan.gan.step_tf import TensorFlowStep as BackendStep


def discriminator_head(discriminator) -> str:
    """"unconditional", "projection" (takes labels), "acgan" (names classes) or "projection_ac" (both)."""
    takes_label, names_class = len(discriminator.inputs) == 2, len(discriminator.outputs) == 2
    if takes_label:
        return "projection_ac" if names_class else "projection"
    return "acgan" if names_class else "unconditional"


class AdversarialModel(BackendStep, keras.Model):
    """Two networks trained against each other by ``fit()``: one that makes images, and a discriminator.

    The backend's step (:mod:`pgan.gan.step_tf` or :mod:`pgan.gan.step_jax`) takes
    the gradients and applies them: ``n_critic`` updates of D, then one of the image
    maker through the updated D (or both from one forward pass, ``update="simultaneous"``).
    A subclass says what is made and what each network minimises, with these methods:

    - ``generator_network()``: the network that makes images (the GAN's generator;
      the model being fine-tuned in :class:`pgan.enhance.AdversarialFineTuner`);
    - ``unpack(data)``: a batch as a tuple;
    - ``generate(run_generator, batch, seeds)``: the images made for ``batch``, by
      calling ``run_generator(inputs)``;
    - ``discriminator_objective(discriminate, input_gradients, batch, fake, seeds)``
      and ``generator_objective(discriminate, frozen, batch, fake, seeds)``: each
      network's loss and what the metrics need (``frozen(network, x)`` runs a network
      that does not train, such as a feature extractor);
    - ``metric_values(d_loss, d_out, g_loss, g_out, batch)``: one value per metric.

    It also holds ``d_optimizer``, ``g_optimizer``, ``objective`` (for ``n_critic``),
    ``update``, and optionally ``seed_generator`` and ``ema_generator``.
    """

    seed_generator = None
    ema_generator = None

    def d_inputs(self, images, labels):
        """What the discriminator is called with."""
        return images

    def split(self, outputs):
        """The discriminator's outputs as (logits, class_logits or None)."""
        return outputs, None

    def generator_objective_from(self, d_out, batch):
        raise NotImplementedError(f"{type(self).__name__} trains with update='alternating' only.")


class GAN(AdversarialModel):
    """A generator and a discriminator trained against each other with ``fit()``.

    Args:
        generator: maps noise (batch, latent_dim) to images in [-1, 1]; a
            conditional generator takes ``[noise, labels]``
            (:func:`pgan.models.build_conditional_generator`).
        discriminator: maps images to one logit per image; for a conditional
            generator either ``[images, labels] -> logit`` (projection) or
            ``images -> [logit, class_logits]`` (AC-GAN), or both (projection_ac).
        latent_dim: size of the noise; read from ``generator`` when omitted.
        seed: seed of all randomness drawn in ``train_step`` (a ``keras.random.SeedGenerator``).
        ema_decay: keep ``ema_generator``, an exponential moving average of G's
            weights (e.g. 0.999), updated after every step; sampling and export use it.

    Each ``train_step`` (``update="alternating"``, the default) draws fresh noise,
    takes ``n_critic`` optimizer steps on D, then draws new noise and takes one
    step on G through the *updated* D. The ``n_critic`` D steps share the step's
    real batch, each with fresh noise (WGAN-GP's paper draws a new real batch for
    each critic step). ``update="simultaneous"`` is the TF DCGAN tutorial's variant:
    one forward pass, both gradients from it. A conditional GAN generates fakes with
    the real batch's labels, so both sides of D see the same classes.

    Metrics: ``d_loss``, ``g_loss``, ``d_real_acc`` (share of real images D
    calls real: logit > 0) and ``d_fake_acc`` (share of fakes D calls fake); with a
    class head (acgan, projection_ac) also ``d_class_acc`` (D's class accuracy on
    real images).

    The plain game without options, in a few dozen lines, is :class:`pgan.gan.DCGAN`.

    Taught in notebooks/05_training_on_gpu.ipynb (and 09, 10 for the options).
    """

    def __init__(self, generator, discriminator, latent_dim=None, seed=None, ema_decay=None, **kwargs):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        from pgan.sampling import num_classes_of

        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.inputs[0].shape[-1] if latent_dim is None else latent_dim)
        self.num_classes = num_classes_of(generator)
        self.d_head = discriminator_head(discriminator)
        if (self.num_classes is None) != (self.d_head == "unconditional"):
            raise ValueError(
                f"generator {generator.name!r} is {'un' if self.num_classes is None else ''}conditional "
                f"but discriminator {discriminator.name!r} has a {self.d_head!r} head. Pair a conditional "
                "generator with build_conditional_discriminator(head='projection', 'acgan' or "
                "'projection_ac'), and a plain generator with build_discriminator."
            )
        self.takes_label = self.d_head in ("projection", "projection_ac")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.ema_generator = None
        if ema_decay is not None:
            if not 0.0 < self.ema_decay < 1.0:
                raise ValueError(f"ema_decay must be in (0, 1), e.g. 0.999; got {ema_decay!r}.")
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
            self.ema_generator.trainable = False
        # The attribute names are those of the checkpoints' entries: renaming one breaks resuming.
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_acc_tracker = keras.metrics.Mean(name="d_real_acc")
        self.fake_acc_tracker = keras.metrics.Mean(name="d_fake_acc")
        names_class = self.d_head in HEADS_WITH_CLASSES
        self.class_acc_tracker = keras.metrics.Mean(name="d_class_acc") if names_class else None
        self.objective = Objective()
        self.update = "alternating"
        self.built = True  # both sub-models are built; nothing is left for fit() to build

    def compile(self, d_optimizer, g_optimizer, objective: Objective | None = None, update: str = "alternating",
                jit_compile=None, steps_per_execution: int = 1, run_eagerly: bool = False, **settings):
        """Set the two optimizers, the objective and the update rule.

        Args:
            d_optimizer: optimizer of the discriminator.
            g_optimizer: optimizer of the generator (a different object). Gradient
                clipping and two time-scale learning rates are set on these
                (``Adam(4e-4, global_clipnorm=1.0)``).
            objective: an :class:`pgan.gan.Objective`; or give its settings as keywords
                instead (``loss="hinge"``, ``gp_weight=10.0``, ``n_critic=5``, ...).
            update: "alternating" (D then G, fresh noise) or "simultaneous".
            jit_compile: compile the step with XLA. None (default): off on TensorFlow
                (slower on CPU), on with JAX (an uncompiled JAX step runs op by op).
            steps_per_execution, run_eagerly: as in ``keras.Model.compile``.
            **settings: the settings of :class:`pgan.config.ObjectiveConfig`, when
                ``objective`` is not given.

        Under a ``mixed_float16`` policy both optimizers are wrapped in
        ``keras.optimizers.LossScaleOptimizer``, so small float16 gradients do not
        underflow; each optimizer scales its own loss and unscales its own gradients.
        """
        if objective is None:
            objective = Objective(**settings)
        elif settings:
            raise TypeError(f"Pass objective=... or its settings {sorted(settings)}, not both.")
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer are the same object; the two networks need "
                "their own optimizer state. Create two optimizers."
            )
        objective.check_update(update)
        policy = keras.config.dtype_policy().name
        backend.check_supported(mixed_precision=policy if policy.startswith("mixed") else None)
        if jit_compile is None:
            jit_compile = backend.is_jax()
        super().compile(optimizer=None, jit_compile=jit_compile, steps_per_execution=steps_per_execution,
                        run_eagerly=run_eagerly)
        if policy == "mixed_float16":
            d_optimizer, g_optimizer = (
                opt if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (d_optimizer, g_optimizer)
            )
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.objective, self.update = objective, update
        # Build the optimizer slots now, outside any replica context: under
        # tf.distribute, variables created lazily inside the step break the graph.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.attach_optimizers()

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

    # ------------------------------------------------ what the step asks of a GAN

    def generator_network(self):
        return self.generator

    def unpack(self, data):
        """A batch as ``(real images, int32 labels or None)``."""
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

    def noise(self, batch_size, seeds=None):
        """Fresh noise (batch_size, latent_dim) from the step's seeds."""
        return keras.random.normal((batch_size, self.latent_dim), seed=draw_seed(seeds or self.seed_generator))

    def g_inputs(self, z, labels):
        return z if labels is None else [z, labels]

    def d_inputs(self, images, labels):
        return [images, labels] if self.takes_label else images

    def split(self, outputs):
        if self.d_head in HEADS_WITH_CLASSES:
            return outputs[0], outputs[1]
        return outputs, None

    def generate(self, run_generator, batch, seeds):
        real, labels = batch
        return run_generator(self.g_inputs(self.noise(ops.shape(real)[0], seeds), labels))

    def discriminator_objective(self, discriminate, input_gradients, batch, fake, seeds):
        real, labels = batch
        return self.objective.discriminator_loss(discriminate, input_gradients, real, fake, labels, seeds,
                                                 self.d_head)

    def generator_objective(self, discriminate, frozen, batch, fake, seeds):
        real, labels = batch
        return self.objective.generator_loss(discriminate, real, fake, labels, seeds, self.d_head), None

    def generator_objective_from(self, d_out, batch):
        real_logits, fake_logits, _, fake_cls = d_out
        return self.objective.generator_loss_from(fake_logits, fake_cls, real_logits, batch[1], self.d_head), None

    def metric_values(self, d_loss, d_out, g_loss, g_out, batch):
        real_logits, fake_logits, real_cls, _ = d_out
        return metric_values(d_loss, g_loss, real_logits, fake_logits, real_cls, batch[1])
