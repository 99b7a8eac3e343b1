"""Does the discriminator overfit its training images? The measurement behind the DiffAugment result.

DiffAugment and ADA help when D memorises the real training set: it then scores
the images it trained on as real and unseen real images of the same kind as fake,
and its gradients stop teaching G about the data. This script loads finished
``pgan train`` runs from their last checkpoint and scores, with D in inference
mode:

* the real images the run trained on (its first ``subset`` training images),
* as many real images it never saw (the next training images, same distribution),
* the test split, and as many of G's samples (EMA generator where there is one).

For each set it reports the mean D(x) (sigmoid of the logit) and ADA's overfitting
heuristic r = E[sign(logit)] (ADA tunes its augmentation towards r = 0.6). The gap
between seen and unseen real images is the overfitting DiffAugment is meant to cure.

    python benchmarks/discriminator_overfit.py runs/study/ws_data10_nodrop_noaug runs/study/ws_data10_noaug
    python benchmarks/discriminator_overfit.py RUN ... --json benchmarks/results/discriminator_overfit.json

Scores are deterministic for a run folder (fixed noise seed, D in inference mode).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def d_scores(gan, images_model_range, batch_size: int = 500) -> dict:
    """Mean sigmoid(D(x)) and E[sign(logit)] over a set of model-range images."""
    import keras
    import numpy as np

    logits = np.concatenate([
        np.ravel(keras.ops.convert_to_numpy(gan.discriminator(images_model_range[i : i + batch_size],
                                                              training=False)))
        for i in range(0, len(images_model_range), batch_size)
    ]).astype(np.float64)
    return {"mean_d": round(float(np.mean(1.0 / (1.0 + np.exp(-logits)))), 4),
            "r_sign": round(float(np.mean(np.sign(logits))), 4),
            "n": int(len(logits))}


def score_run(run_dir: Path, num_fake: int | None = None) -> dict:
    from pgan import data, runs, sampling
    from pgan.callbacks import ResumableCheckpoint

    config_path = run_dir / "config.json"
    if not config_path.exists():
        raise SystemExit(f"{run_dir} has no config.json: pass a folder written by `pgan train --out`.")
    config = runs.TrainConfig.from_run(run_dir)
    if config.conditional is not None:
        raise SystemExit(f"{run_dir} is a conditional run; this script scores unconditional discriminators.")
    checkpoint = ResumableCheckpoint(run_dir)
    if checkpoint.read_state() is None:
        raise SystemExit(f"{run_dir} has no checkpoint to load (checkpoints/ and state.json).")
    fashion = data.load_fashion_mnist()
    seen_count = config.subset or len(fashion.x_train)
    seen = data.to_model_range(fashion.x_train[:seen_count])
    unseen_pool = fashion.x_train[seen_count:]
    gan = runs.build_gan(config, seen.shape[1:])
    epochs = checkpoint.restore(gan)
    n = min(seen_count, 10_000)
    result = {"run": run_dir.name, "epochs": epochs, "subset": config.subset, "augment": config.augment,
              "augment_p": config.augment_p, "dropout": config.dropout,
              "seen_real": d_scores(gan, seen[:n]), "test_real": d_scores(gan, data.to_model_range(fashion.x_test[:n]))}
    if len(unseen_pool):
        result["unseen_real"] = d_scores(gan, data.to_model_range(unseen_pool[:n]))
    fake = sampling.generate_images(gan.sampling_generator, num_fake or n, seed=0)
    result["fake"] = d_scores(gan, fake)
    held_out = result.get("unseen_real", result["test_real"])
    result["seen_minus_unseen_mean_d"] = round(result["seen_real"]["mean_d"] - held_out["mean_d"], 4)
    result["unseen_minus_fake_mean_d"] = round(held_out["mean_d"] - result["fake"]["mean_d"], 4)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders written by `pgan train --out`")
    parser.add_argument("--json", type=Path, default=None, help="also write all results to this JSON file")
    args = parser.parse_args(argv)
    results = []
    for run_dir in args.runs:
        result = score_run(run_dir)
        results.append(result)
        print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"what": __doc__.splitlines()[0], "runs": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
