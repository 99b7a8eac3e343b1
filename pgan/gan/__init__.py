"""The GAN and its train step, one idea a module.

- :mod:`pgan.gan.objective`: what D and G minimise (losses, penalties, augmentation, class heads).
- :mod:`pgan.gan.model`: ``GAN(keras.Model)``: the networks, EMA, metrics, ``compile``.
- :mod:`pgan.gan.step_tf` / :mod:`pgan.gan.step_jax`: the train step of each backend.
- :mod:`pgan.gan.dcgan`: ``DCGAN``, the plain step the course teaches (TensorFlow).

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from pgan.gan.model import GAN, discriminator_head
from pgan.gan.objective import Objective

__all__ = ["DCGAN", "GAN", "Objective", "discriminator_head"]


def __getattr__(name):
    if name == "DCGAN":  # TensorFlow code: imported only when asked for
        from pgan import backend

        backend.require_tensorflow("pgan.gan.DCGAN (the lesson's step; on other backends use pgan.gan.GAN)")
        from pgan.gan.dcgan import DCGAN

        return DCGAN
    raise AttributeError(f"module 'pgan.gan' has no attribute {name!r}")
