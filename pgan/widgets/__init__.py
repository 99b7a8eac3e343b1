"""Interactive widgets: latent space, interpolation, a live training monitor, super-resolution, the toy GAN.

Every widget comes in two layers:

- a **pure function** that makes the picture: arrays in, a dict of arrays out
  (:func:`explore_latent`, :func:`interpolation_strip`, :func:`training_snapshot`,
  :func:`compare_super_resolution`, :func:`toy_learning_rate_run`). No ipywidgets
  inside, so tests and the notebooks' checked cells call them directly;
- a thin **class** that builds ipywidgets controls around that function and
  redraws on every change. Its ``state`` holds the function's last result, its
  ``widget`` the ipywidgets box, and the object displays itself in a notebook.

They run offline on a CPU from the models shipped in ``data/pretrained``; a
change redraws in a fraction of a second (the toy GAN retrains in seconds).

Taught in notebooks/11_interactive_explorer.ipynb; the toy-GAN explorer in
notebooks/03_gan_theory.ipynb.

Each widget has its own module: ``latent``, ``interpolation``, ``monitor``,
``super_resolution`` and ``toy``, on shared helpers in ``_common``. Import them from
here: ``from pgan import widgets; widgets.LatentExplorer(generator)``.
Importing ``pgan`` alone does not import this package (nor ipywidgets, nor Keras).
"""

from pgan.widgets._common import class_names_of, figure_png, to_png
from pgan.widgets.interpolation import (
    INTERPOLATIONS,
    InterpolationExplorer,
    export_strip,
    interpolate_latents,
    interpolation_strip,
    slerp,
)
from pgan.widgets.latent import (
    ALL_CLASSES,
    DIRECTION_METHODS,
    LatentExplorer,
    explore_latent,
    latent_directions,
    truncate_noise,
)
from pgan.widgets.monitor import TrainingMonitor, training_snapshot
from pgan.widgets.super_resolution import (
    SuperResolutionComparer,
    compare_super_resolution,
    photo_ground_truth,
)
from pgan.widgets.toy import ToyLearningRateExplorer, toy_learning_rate_run

__all__ = [
    "ALL_CLASSES",
    "DIRECTION_METHODS",
    "INTERPOLATIONS",
    "InterpolationExplorer",
    "LatentExplorer",
    "SuperResolutionComparer",
    "ToyLearningRateExplorer",
    "TrainingMonitor",
    "class_names_of",
    "compare_super_resolution",
    "explore_latent",
    "export_strip",
    "figure_png",
    "interpolate_latents",
    "interpolation_strip",
    "latent_directions",
    "photo_ground_truth",
    "slerp",
    "to_png",
    "toy_learning_rate_run",
    "training_snapshot",
    "truncate_noise",
]
