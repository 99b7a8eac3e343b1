"""pgan: deep learning for product images, taught in notebooks.

Importing ``pgan`` is cheap and has no side effects: TensorFlow and Keras are
imported by the submodules that need them (``pgan.models``, ``pgan.gan``...),
no seed is set and nothing is written or downloaded. See ``notebooks/00_welcome.ipynb``.
"""

from pgan.runtime import environment_report, is_quick, quiet_tensorflow, run_mode, set_seed

__version__ = "0.1.0"

__all__ = ["__version__", "environment_report", "is_quick", "quiet_tensorflow", "run_mode", "set_seed"]
