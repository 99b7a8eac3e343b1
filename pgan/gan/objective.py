"""What one discriminator update and one generator update minimise, in ``keras.ops``.

:class:`Objective` takes the settings of :class:`pgan.config.ObjectiveConfig` (the
loss family, one-sided label smoothing, ``n_critic``, the WGAN-GP and R1 penalties,
DiffAugment, the class loss of a class head) and turns them into D's loss and G's
loss. The backend-specific steps (:mod:`pgan.gan.step_tf`, :mod:`pgan.gan.step_jax`)
call it with two functions of their own:

- ``discriminate(images, labels) -> (logits, class_logits or None)`` runs D in
  training mode;
- ``input_gradients(images, labels) -> dD/dx`` (for the penalties).

Everything here is backend-neutral, so both steps compute the same losses.

Taught in notebooks/09_stabilizing_training.ipynb and notebooks/10_conditional_products.ipynb.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import ops

from pgan import augment, losses
from pgan.config import ObjectiveConfig

HEADS_WITH_CLASSES = ("acgan", "projection_ac")


def draw_seed(seeds):
    """The seed of the next random draw: a ``keras.random.SeedGenerator`` or a stateless stand-in."""
    return seeds if isinstance(seeds, keras.random.SeedGenerator) else seeds.next()


@dataclasses.dataclass
class Objective(ObjectiveConfig):
    """The losses of one round of the GAN game, from :class:`pgan.config.ObjectiveConfig`'s settings.

    ``Objective()`` is the article's game: cross-entropy for D, the non-saturating
    loss for G. Each option is one keyword, e.g. ``Objective(loss="wasserstein",
    gp_weight=10.0, n_critic=5)`` for WGAN-GP.
    """

    def __post_init__(self):
        super().__post_init__()
        d_loss_fn, family_g_loss = losses.get_loss_family(self.loss)
        if self.loss == "gan":
            plain_g_loss = losses.get_generator_loss(self.g_loss)
            self._g_loss_fn = lambda fake_logits, real_logits=None: plain_g_loss(fake_logits)
            self._d_loss_fn = lambda real, fake: losses.discriminator_loss(real, fake, self.label_smoothing)
        else:
            self._g_loss_fn, self._d_loss_fn = family_g_loss, d_loss_fn
        self._policy = augment.parse_policy(self.augment)

    @classmethod
    def from_config(cls, config: ObjectiveConfig) -> Objective:
        """The objective of a :class:`pgan.config.TrainConfig` (or any ObjectiveConfig)."""
        return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(ObjectiveConfig)})

    def augmented(self, images, seeds):
        """DiffAugment of ``images`` (unchanged without a policy)."""
        if not self._policy:
            return images
        return augment.diff_augment(images, self._policy, seeds, self.augment_p)

    def discriminator_loss(self, discriminate, input_gradients, real, fake, labels, seeds, head: str):
        """D's total loss: the loss family, the class loss of a class head, the penalties.

        Returns:
            ``(loss, (real_logits, fake_logits, real_class_logits, fake_class_logits))``;
            the class logits are None without a class head.
        """
        real_logits, real_cls = discriminate(self.augmented(real, seeds), labels)
        fake_logits, fake_cls = discriminate(self.augmented(fake, seeds), labels)
        loss = self._d_loss_fn(real_logits, fake_logits)
        if head == "acgan":  # D names the class of real and of generated images
            loss = loss + self.aux_weight * (
                losses.auxiliary_class_loss(labels, real_cls) + losses.auxiliary_class_loss(labels, fake_cls)
            )
        elif head == "projection_ac":
            # The class head learns from real images only: a classifier of real products,
            # which G's fakes must then satisfy.
            loss = loss + self.aux_weight * losses.auxiliary_class_loss(labels, real_cls)
        if self.gp_weight:
            weights = keras.random.uniform((ops.shape(real)[0],), seed=draw_seed(seeds))
            points = losses.interpolate(real, fake, weights)
            loss = loss + self.gp_weight * losses.gradient_penalty(input_gradients(points, labels))
        if self.r1_weight:
            real32 = ops.cast(real, "float32")
            loss = loss + 0.5 * self.r1_weight * losses.r1_penalty(input_gradients(real32, labels))
        return loss, (real_logits, fake_logits, real_cls, fake_cls)

    def generator_loss(self, discriminate, real, fake, labels, seeds, head: str):
        """G's loss through D: the family's generator loss (and the class loss of a class head)."""
        fake_logits, fake_cls = discriminate(self.augmented(fake, seeds), labels)
        real_logits = None
        if self.loss == "relativistic":  # the relativistic loss compares fakes with reals
            real_logits, _ = discriminate(self.augmented(real, seeds), labels)
        return self.generator_loss_from(fake_logits, fake_cls, real_logits, labels, head)

    def generator_loss_from(self, fake_logits, fake_cls, real_logits, labels, head: str):
        """G's loss from D's outputs already computed (the simultaneous update's single pass)."""
        loss = self._g_loss_fn(fake_logits, real_logits)
        if head in HEADS_WITH_CLASSES:
            loss = loss + self.aux_weight * losses.auxiliary_class_loss(labels, fake_cls)
        return loss


def metric_values(d_loss, g_loss, real_logits, fake_logits, real_cls=None, labels=None) -> list:
    """The GAN's metrics, in the order of ``GAN.metrics``: losses, D's accuracies (and class accuracy)."""
    values = [
        d_loss, g_loss,
        ops.mean(ops.cast(real_logits > 0, "float32")),
        ops.mean(ops.cast(fake_logits < 0, "float32")),
    ]
    if real_cls is not None:
        values.append(ops.mean(ops.cast(ops.argmax(real_cls, axis=-1) == labels, "float32")))
    return values
