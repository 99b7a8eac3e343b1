"""Score every shipped super-resolution and restoration model on the full test set; draw the figures.

    python benchmarks/enhancement_figures.py        # about 3 minutes on a 2-core CPU

Writes ``benchmarks/results/enhancement.json`` (PSNR, SSIM and FCD of every method
on all 10,000 Fashion-MNIST test images, per scale and task) and three figures in
``docs/figures/``: ``superres.png`` (one product per class; low-res input, bicubic,
ESPCN, SRResNet, SRGAN, original at x2 and x4), ``perception_distortion.png``
(PSNR against FCD per method) and ``restoration.png`` (damaged, baseline, U-Net L1,
U-Net adversarial, clean per task). Prints the JSON on the last line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent


def one_per_class(labels, start: int = 0) -> list[int]:
    """The index of the first test image of each class at or after ``start``."""
    return [int(next(i for i in range(start, len(labels)) if labels[i] == c)) for c in range(10)]


def main() -> int:
    import numpy as np

    from pgan import data, plotting, restore, superres
    from pgan.enhance import predict_images
    from pgan.runtime import environment_report, quiet_tensorflow

    quiet_tensorflow()
    start = time.perf_counter()
    catalog = data.load_fashion_mnist()
    picks = one_per_class(catalog.y_test)
    figures = ROOT / "docs" / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    results = {"hardware": environment_report(), "num_test_images": len(catalog.x_test), "superres": {}, "restore": {}}

    rows, points = {}, {}
    for scale in superres.SCALES:
        models = {name: superres.load_sr_model(name, scale) for name in superres.MODELS}
        scores = superres.evaluate_sr(scale, models, catalog.x_test)
        results["superres"][f"x{scale}"] = scores
        print(superres.format_table(scores, scale))
        low, high = superres.protocol_pairs(catalog.x_test[picks], scale)
        rows[f"x{scale} input"] = low
        rows[f"x{scale} bicubic"] = superres.classical_upscale(low, scale)
        for name, model in models.items():
            rows[f"x{scale} {name}"] = superres.upscale_batch(model, low)
        points[scale] = scores
    rows["original"] = high
    fig = plotting.comparison_figure(rows, title="Super-resolution of Fashion-MNIST test products")
    fig.savefig(figures / "superres.png", dpi=80, bbox_inches="tight")

    fig = plotting.plot_perception_distortion(points, title="Perception-distortion: 10,000 test images")
    fig.savefig(figures / "perception_distortion.png", dpi=90, bbox_inches="tight")

    rows = {}
    clean = catalog.x_test[picks].astype(np.float32) / 255.0
    for task in restore.TASKS:
        models = {v: restore.load_restore_model(task, v) for v in restore.VARIANTS}
        scores = restore.evaluate_restoration(task, models, catalog.x_test)
        results["restore"][task] = scores
        print(task, json.dumps({k: {m: round(v, 3) for m, v in row.items()} for k, row in scores.items()}))
        damaged, mask = restore.damage(clean, task, restore.TEST_SEED)
        rows[f"{task}: damaged"] = damaged
        rows[f"{task}: {restore.BASELINES[task]}"] = restore.classical_restore(damaged, task, mask)
        for variant, model in models.items():
            rows[f"{task}: U-Net {variant}"] = predict_images(model, restore.model_inputs(damaged, mask))
    rows["clean"] = clean
    fig = plotting.comparison_figure(rows, title="Restoration of Fashion-MNIST test products")
    fig.savefig(figures / "restoration.png", dpi=80, bbox_inches="tight")

    results["seconds"] = time.perf_counter() - start
    out = ROOT / "benchmarks" / "results" / "enhancement.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
