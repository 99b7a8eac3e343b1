"""Loading a saved flow model and drawing images from it, as ``pgan sample`` and ``pgan evaluate`` do.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from pgan.diffusion.flow import sample
from pgan.diffusion.unet import SamplingSettings, is_flow_model


def sampling_settings(network) -> dict:
    """The default ``steps`` and ``guidance`` a velocity network was saved with.

    Raises:
        TypeError: ``network`` is not a velocity network (e.g. a GAN's generator).
    """
    if not is_flow_model(network):
        raise TypeError(f"{getattr(network, 'name', network)!r} is not a flow model's velocity network; "
                        "build one with pgan.diffusion.build_velocity_net or load it with load_flow.")
    layer = next(layer for layer in network.layers if isinstance(layer, SamplingSettings))
    return {"steps": layer.sample_steps, "guidance": layer.guidance}


def load_flow(path: str | os.PathLike) -> keras.Model:
    """Load a velocity network saved as ``.keras`` (``safe_mode=True``: no pickled code) and check it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a ``.keras`` file, unreadable, not a velocity network (built
            by :func:`pgan.diffusion.build_velocity_net`), or NaN/infinite weights.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    from pgan import model_files

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. Train one with `pgan train --model flow --out RUN_DIR` "
                                "(it writes RUN_DIR/flow.keras).")
    model = model_files.load_model_file(path)
    if not is_flow_model(model):
        raise ValueError(
            f"{path} holds {model.name!r}, which is not a flow model's velocity network (inputs [x_t, t] or "
            f"[x_t, t, label], a TimeEmbedding layer); got inputs {[tuple(i.shape) for i in model.inputs]}. "
            "For a GAN's generator use pgan.sampling.load_generator."
        )
    model_files.check_finite_weights(model, path)
    return model


def generate_images(model, num_examples: int, seed: int = 0, steps: int | None = None, labels=None,
                    guidance: float | None = None) -> np.ndarray:
    """Draw ``num_examples`` images in [0, 1] from a velocity network (float32, (N, H, W, C)).

    What :func:`pgan.metrics.evaluate_images` scores with ``pixel_range="unit"`` and
    ``pgan sample`` saves. ``steps`` and ``guidance`` default to the settings the
    network was saved with (:func:`sampling_settings`); ``labels`` as in
    :func:`pgan.diffusion.flow.sample`. The same seed gives the same images.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    defaults = sampling_settings(model)
    images = sample(model, num_examples, defaults["steps"] if steps is None else steps, seed, labels,
                    defaults["guidance"] if guidance is None else guidance)
    return (images + 1.0) / 2.0
