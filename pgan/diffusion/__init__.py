"""Beyond GANs: a flow-matching (rectified-flow) model that makes the same products.

- :mod:`pgan.diffusion.flow`: the objective and the samplers as pure functions
  (``interpolate``, ``velocity_target``, ``flow_matching_loss``, ``euler_step``,
  ``heun_step``, ``sample``).
- :mod:`pgan.diffusion.unet`: ``build_velocity_net``, the small U-Net with a time
  (and class) embedding.
- :mod:`pgan.diffusion.model`: ``FlowModel(keras.Model)``, trained by ``fit()``, with an EMA network;
  its step is in :mod:`pgan.diffusion.step_tf` / :mod:`pgan.diffusion.step_jax`.
- :mod:`pgan.diffusion.runs`: ``train_flow(config, run_dir)``, run folders as for a GAN.
- :mod:`pgan.diffusion.sampling`: ``load_flow``, ``generate_images`` (for ``pgan sample`` and ``pgan evaluate``).

Taught in notebooks/12_flow_matching.ipynb.
"""

from pgan.diffusion.flow import (
    euler_step,
    flow_matching_loss,
    heun_step,
    integrate,
    interpolate,
    sample,
    sample_times,
    velocity_target,
)
from pgan.diffusion.model import FlowModel
from pgan.diffusion.runs import FLOW_DEFAULTS, FlowSampleGrid, build_flow, train_flow
from pgan.diffusion.sampling import generate_images, load_flow, sampling_settings
from pgan.diffusion.unet import build_velocity_net, is_flow_model, num_classes_of

__all__ = [
    "FLOW_DEFAULTS", "FlowModel", "FlowSampleGrid", "build_flow", "build_velocity_net", "euler_step",
    "flow_matching_loss", "generate_images", "heun_step", "integrate", "interpolate", "is_flow_model", "load_flow",
    "num_classes_of", "sample", "sample_times", "sampling_settings", "train_flow", "velocity_target",
]
