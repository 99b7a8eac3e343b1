"""The toy GAN's learning rate: retrain the 1-D toy GAN of ``pgan.toy`` from a slider and redraw it.

:func:`toy_learning_rate_run` trains and summarises; :class:`ToyLearningRateExplorer`
puts the sliders around it.

Taught in notebooks/03_gan_theory.ipynb.
"""

from __future__ import annotations

import time

import ipywidgets as ipw

from pgan.widgets._common import _App, _check_seed, figure_png


def toy_learning_rate_run(
    learning_rate: float = 1e-3, steps: int = 400, seed: int = 1, num_snapshots: int = 5
) -> dict:
    """Train the 1-D toy GAN of ``pgan.toy`` with ``learning_rate`` and summarise how it went.

    Returns:
        ``{"history": the ToyGANHistory, "coverage": share of the final samples near
        each mode, "collapsed": whether a mode got under 5%, "final_d_loss": D's mean
        loss over the last 10% of steps, "seconds": training time}``.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    from pgan import toy

    start = time.perf_counter()
    history = toy.train_toy_gan(
        steps=steps, learning_rate=learning_rate, seed=seed, num_snapshots=num_snapshots
    )
    coverage = toy.mode_coverage(history.final_samples)
    tail = max(1, steps // 10)
    return {
        "history": history,
        "coverage": coverage,
        "collapsed": bool(coverage.min() < 0.05),
        "final_d_loss": float(history.d_loss[-tail:].mean()),
        "seconds": time.perf_counter() - start,
    }


class ToyLearningRateExplorer(_App):
    """A learning-rate slider (and a steps slider) that retrain the toy GAN and redraw its snapshots.

    Releasing a slider retrains (a few seconds); the object trains once with the
    starting values, so it shows a result even where no browser runs the widgets.

    Args:
        learning_rate: the starting learning rate (the slider spans 1e-4 to 1e-1).
        steps: the starting number of training steps.
        seed: the toy GAN's seed (weights, data and noise).

    Attributes:
        lr_slider, steps_slider, image, status: the controls.
        state: the last :func:`toy_learning_rate_run` result.
    """

    def __init__(self, learning_rate: float = 1e-3, steps: int = 400, seed: int = 1):
        self.seed = _check_seed(seed)
        self.lr_slider = ipw.FloatLogSlider(
            value=learning_rate,
            base=10,
            min=-4,
            max=-1,
            step=0.25,
            description="learning rate",
            readout_format=".0e",
            continuous_update=False,
        )
        self.steps_slider = ipw.IntSlider(
            value=steps,
            min=100,
            max=max(3000, steps),
            step=100,
            description="steps",
            continuous_update=False,
        )
        self.image = ipw.Image(format="png")
        self.status = ipw.HTML()
        for control in (self.lr_slider, self.steps_slider):
            control.observe(lambda _: self.update(), names="value")
        self.widget = ipw.VBox(
            [ipw.HBox([self.lr_slider, self.steps_slider]), self.status, self.image]
        )
        self.update()

    def update(self):
        """Retrain with the sliders' values and redraw."""
        from pgan import toy

        self.status.value = f"training {self.steps_slider.value} steps..."
        self.state = toy_learning_rate_run(self.lr_slider.value, self.steps_slider.value, self.seed)
        fig = toy.plot_snapshots(self.state["history"])
        fig.suptitle(f"learning rate {self.lr_slider.value:.0e}", y=1.02)
        self.image.value = figure_png(fig)
        shares = " / ".join(f"{s:.0%}" for s in self.state["coverage"])
        self.status.value = (
            f"learning rate {self.lr_slider.value:.0e}, {self.steps_slider.value} steps in "
            f"{self.state['seconds']:.1f} s: near the modes {shares}"
            + (" (collapsed)" if self.state["collapsed"] else "")
        )
