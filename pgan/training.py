"""Where the training code of earlier pgan lived; its pieces now have a module each.

- the GAN and its train step: :mod:`pgan.gan` (``GAN``, ``DCGAN``, ``Objective``);
- callbacks: :mod:`pgan.callbacks`;
- settings: :mod:`pgan.config`; runs: :mod:`pgan.runs`.

The names below are kept so that code written for earlier pgan still imports.
"""

from pgan.callbacks import (
    BackgroundWriter,
    ResumableCheckpoint,
    SampleGrid,
    StopOnNonFinite,
    TimeLimit,
    TrainingDivergedError,
)
from pgan.gan import GAN

__all__ = ["GAN", "BackgroundWriter", "ResumableCheckpoint", "SampleGrid", "StopOnNonFinite", "TimeLimit",
           "TrainingDivergedError"]
