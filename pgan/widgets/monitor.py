"""A live training monitor: samples from fixed noise and the loss and accuracy curves, redrawn in place.

:func:`training_snapshot` makes the picture; :class:`TrainingMonitor` is the
Keras callback that shows it while ``fit()`` runs.

Taught in notebooks/11_interactive_explorer.ipynb.
"""

from __future__ import annotations

import ipywidgets as ipw
import keras
import numpy as np

from pgan import plotting, sampling
from pgan.widgets._common import _App, _check_seed, _generate, figure_png, to_png

_LOG_ORDER = ("d_loss", "g_loss", "d_real_acc", "d_fake_acc")


def _in_order(logs: dict) -> dict:
    """The GAN's logs, losses first (Keras sorts them by name), then anything else."""
    first = [k for k in _LOG_ORDER if k in logs]
    return {k: logs[k] for k in [*first, *sorted(set(logs) - set(first))]}


def training_snapshot(generator, noise, history: dict, labels=None) -> dict:
    """What :class:`TrainingMonitor` shows: samples from fixed noise and the curves so far.

    Args:
        generator: the generator being trained.
        noise: the fixed latents (N, latent_dim).
        history: per-epoch lists, e.g. ``{"d_loss": [...], "g_loss": [...], "d_real_acc": [...],
            "d_fake_acc": [...]}``; may be empty before the first epoch ends.
        labels: classes for a conditional generator.

    Returns:
        ``{"images": (N, H, W, C) in [-1, 1], "curves": PNG bytes of
        ``plotting.plot_history`` or None while the history is empty, "text": the last values}``.

    Taught in notebooks/11_interactive_explorer.ipynb.
    """
    images = _generate(generator, np.asarray(noise, np.float32), labels)
    history = _in_order({k: v for k, v in history.items() if v and ("loss" in k or "acc" in k)})
    curves = figure_png(plotting.plot_history(history)) if history else None
    text = ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.items())
    return {"images": images, "curves": curves, "text": text}


class TrainingMonitor(keras.callbacks.Callback, _App):
    """A Keras callback that shows a GAN's training live: samples, losses and D's accuracies.

    Pass it to ``GAN.fit(..., callbacks=[monitor])`` or
    ``runs.train_gan(config, run_dir, callbacks=[monitor])`` and display it
    (``display(monitor)`` or end a cell with it) before training. At every
    epoch end it redraws, in place, a grid from fixed noise and the curves of
    ``d_loss``/``g_loss`` and ``d_real_acc``/``d_fake_acc``; nothing is printed,
    so the notebook's output does not grow. Combine it with ``verbose=0``.

    Args:
        num_examples: products in the grid (the same noise every time, so grids compare).
        seed: seed of the fixed noise.
        every_n_batches: also refresh the grid and the numbers every this many
            batches (None: at epoch ends only).

    Attributes:
        history: the per-epoch logs seen so far (and "epoch", numbered from 1).
        state: the last :func:`training_snapshot`; updates: how many redraws so far.
        samples_image, curves_image, status, widget: the display.
    """

    def __init__(self, num_examples: int = 16, seed: int = 0, every_n_batches: int | None = None):
        super().__init__()
        if every_n_batches is not None and (
            isinstance(every_n_batches, bool)
            or not isinstance(every_n_batches, int)
            or every_n_batches < 1
        ):
            raise ValueError(
                f"every_n_batches must be None or a positive int, got {every_n_batches!r}."
            )
        self.num_examples = num_examples
        self.seed = _check_seed(seed)
        self.every_n_batches = every_n_batches
        self.history: dict = {}
        self.state: dict = {}
        self.updates = 0
        self.samples_image = ipw.Image(format="png")
        self.curves_image = ipw.Image(format="png")
        self.status = ipw.HTML("waiting for training to start")
        self.widget = ipw.VBox([self.status, self.samples_image, self.curves_image])
        self._noise = self._labels = None
        self._epoch = 0

    def _generator(self):
        generator = getattr(self.model, "generator", None)
        if generator is None:
            raise TypeError(
                f"TrainingMonitor needs a GAN with a .generator, got {type(self.model).__name__}."
            )
        return generator

    def on_train_begin(self, logs=None):
        generator = self._generator()
        self._noise = sampling.sample_noise(
            self.num_examples, sampling.latent_dim_of(generator), self.seed
        )
        self._labels = sampling.class_labels(generator, self.num_examples)
        self.status.value = "training..."

    def _redraw(self, where: str, logs=None, with_curves: bool = True):
        # Mid-epoch redraws skip the curves: they change only at epoch ends, and plotting costs time.
        self.state = training_snapshot(
            self._generator(), self._noise, self.history if with_curves else {}, self._labels
        )
        self.samples_image.value = to_png(
            self.state["images"], ncols=min(8, self.num_examples), scale=2
        )
        if self.state["curves"] is not None:
            self.curves_image.value = self.state["curves"]
        numbers = ", ".join(f"{k} {float(v):.3f}" for k, v in _in_order(logs or {}).items())
        self.status.value = f"{where}: {numbers}"
        self.updates += 1

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_batches and (batch + 1) % self.every_n_batches == 0:
            self._redraw(f"epoch {self._epoch}, batch {batch + 1}", logs, with_curves=False)

    def on_epoch_end(self, epoch, logs=None):
        self.history.setdefault("epoch", []).append(epoch + 1)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self._redraw(f"epoch {epoch + 1}", logs)
