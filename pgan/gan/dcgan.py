"""The GAN game in its plainest form: the train step notebook 05 teaches (TensorFlow).

``DCGAN`` is what :class:`pgan.gan.GAN` does with its default settings, written
out without options: draw noise, update D on real and generated images with the
cross-entropy loss, draw new noise, update G through the updated D with the
non-saturating loss. ``fit()`` runs it, with pgan's callbacks. A test checks that
it computes the same losses and weights as ``GAN`` for those settings; the
options (loss families, penalties, ``n_critic``, augmentation, class heads, EMA,
mixed precision, the JAX backend) are ``GAN``'s.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from pgan import losses


class DCGAN(keras.Model):
    """A generator and a discriminator, trained by ``fit()`` with the article's losses.

    Args:
        generator: noise (batch, latent_dim) -> images in [-1, 1].
        discriminator: images -> one logit per image.
        seed: seed of the noise drawn in ``train_step``.
    """

    def __init__(self, generator, discriminator, seed=None, **kwargs):
        super().__init__(name="dcgan", **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, data):
        real_images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch_size = tf.shape(real_images)[0]

        # 1. The discriminator: real images should score high, generated ones low.
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake_images = self.generator(noise, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
        d_weights = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(d_loss, d_weights), d_weights)

        # 2. The generator: fresh noise, judged by the discriminator just updated.
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = losses.generator_loss(fake_logits)
        g_weights = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(g_loss, g_weights), g_weights)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
