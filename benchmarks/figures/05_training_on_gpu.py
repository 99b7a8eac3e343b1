"""Figures of notebook 05: the first GAN's samples from the same noise as its one minute goes on.

    python benchmarks/figures/05_training_on_gpu.py     # about 80 s on a 2-core CPU

Trains the recipe ``first`` for one minute on all 60,000 images (what the notebook's quick
mode does), keeping the EMA generator's images of 8 fixed noise vectors every 150 steps
(:class:`pgan.callbacks.StepSnapshots`), and draws them one row per moment. Run it on an
idle machine: the minute is wall time.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pgan  # noqa: E402

pgan.quiet_tensorflow()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pgan import data, runs  # noqa: E402
from pgan.callbacks import StepSnapshots  # noqa: E402

OUT = ROOT / "docs" / "figures" / "05_training_on_gpu"
ROWS = 7
COLUMNS = 8


def snapshot_figure(snapshots: StepSnapshots, path: Path, seconds: float) -> Path:
    """One row per kept moment (evenly spread, the last included), COLUMNS images each."""
    keep = np.unique(np.linspace(0, len(snapshots.steps) - 1, ROWS).round().astype(int))
    fig, axes = plt.subplots(len(keep), COLUMNS, figsize=(COLUMNS * 0.8, len(keep) * 0.82))
    for row, index in zip(axes, keep, strict=True):
        for col, ax in enumerate(row):
            ax.imshow(snapshots.images[index][col, ..., 0], cmap="gray", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        row[0].set_ylabel(f"step {snapshots.steps[index]}", rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"Your first GAN: the same 8 noise vectors, {seconds:.0f} s of training on a 2-core CPU",
                 fontsize=10)
    fig.subplots_adjust(left=0.14, right=0.99, top=0.93, bottom=0.01, wspace=0.05, hspace=0.08)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main() -> None:
    images = data.load_fashion_mnist().x_train
    config = runs.TrainConfig.from_recipe("first", time_limit_minutes=1, seed=0)
    snapshots = StepSnapshots(every=150, num_examples=COLUMNS, seed=0)
    run_dir = Path(tempfile.mkdtemp(prefix="pgan_fig05_"))
    try:
        history = runs.train_gan(config, run_dir, images=images, callbacks=[snapshots], verbose=0)
        seconds = sum(history["epoch_seconds"])
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    path = snapshot_figure(snapshots, OUT / "first_gan_steps.png", seconds)
    print(f"{path.relative_to(ROOT)}: steps {snapshots.steps[0]}..{snapshots.steps[-1]}")


if __name__ == "__main__":
    main()
