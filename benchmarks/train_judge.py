"""Train the judge: the Fashion-MNIST classifier whose features score generated images.

The judge is ``pgan.models.build_classifier()`` (inputs in [-1, 1], logits out),
trained on the 60,000 training images only, for a fixed number of epochs (no
early stopping and no model selection on the test set), with a fixed seed. It is
written to ``data/pretrained/judge.keras`` with a model card ``judge.json``
(command, seed, epochs, time, test accuracy, per-class accuracy, SHA-256), which
``pgan.judge.load_judge()`` checks before loading.

    python benchmarks/train_judge.py                      # what ships (about 10 min on a 2-core CPU)
    python benchmarks/train_judge.py --epochs 1 --subset 2048 --out-dir /tmp/judge   # a smoke test

Prints one JSON object (the card) on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent


def train_judge(epochs, batch_size, learning_rate, seed, shift, flip, subset=None):
    """Train a fresh classifier; return ``(classifier, catalog, history, seconds)``."""
    import keras

    import pgan
    from pgan import data, models

    pgan.set_seed(seed)
    catalog = data.load_fashion_mnist()
    dataset = data.make_dataset(
        catalog.x_train,
        batch_size,
        labels=catalog.y_train,
        seed=seed,
        subset=subset,
        drop_remainder=False,
    )
    classifier = models.build_classifier()
    # Light augmentation, active in training only; the saved judge is the bare classifier.
    augment = []
    if flip:
        augment.append(keras.layers.RandomFlip("horizontal", seed=seed, name="flip"))
    if shift > 0:
        augment.append(
            keras.layers.RandomTranslation(
                shift,
                shift,
                fill_mode="constant",
                fill_value=-1.0,
                interpolation="nearest",
                seed=seed,
                name="shift",
            )
        )
    trainer = keras.Sequential(
        [keras.Input((28, 28, 1)), *augment, classifier], name="judge_trainer"
    )
    steps = epochs * -(-min(len(catalog.x_train), subset or len(catalog.x_train)) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    trainer.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = trainer.fit(dataset, epochs=epochs, verbose=2)
    seconds = time.perf_counter() - start
    return classifier, catalog, history.history, seconds


def test_accuracy(classifier, catalog) -> tuple[float, dict]:
    """Overall and per-class accuracy on the 10,000 test images."""
    import numpy as np

    from pgan import data

    logits = classifier.predict(data.to_model_range(catalog.x_test), batch_size=1000, verbose=0)
    predicted = np.argmax(logits, axis=1)
    correct = predicted == catalog.y_test
    per_class = {
        name: round(float(correct[catalog.y_test == c].mean()), 4)
        for c, name in enumerate(catalog.class_names)
    }
    return round(float(correct.mean()), 4), per_class


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--learning-rate", type=float, default=1e-3, help="peak Adam rate (cosine decay to 0)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--shift", type=float, default=0.0, help="random shifts, as a fraction of 28 px (0: off)"
    )
    parser.add_argument("--flip", action="store_true", help="random horizontal flips")
    parser.add_argument(
        "--subset", type=int, default=None, help="train on N images only (smoke test)"
    )
    parser.add_argument("--out-dir", type=Path, default=ROOT / "data" / "pretrained")
    parser.add_argument("--name", default="judge")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from pgan import models
    from pgan.runtime import sha256_file

    classifier, catalog, history, seconds = train_judge(
        args.epochs,
        args.batch_size,
        args.learning_rate,
        args.seed,
        args.shift,
        args.flip,
        args.subset,
    )
    accuracy, per_class = test_accuracy(classifier, catalog)

    # Save a fresh copy without the optimizer's state: half the size, same weights.
    judge = models.build_classifier()
    judge.set_weights(classifier.get_weights())
    args.out_dir.mkdir(parents=True, exist_ok=True)
    target = args.out_dir / f"{args.name}.keras"
    tmp = target.with_name(f"tmp_{target.name}")
    judge.save(tmp)
    os.replace(tmp, target)

    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    card = {
        "name": args.name,
        "file": target.name,
        "sha256": sha256_file(target),
        "bytes": target.stat().st_size,
        "what": "pgan.models.build_classifier() trained on Fashion-MNIST's training split; "
        "the judge of pgan.metrics (features: the 128-d 'features' layer)",
        "command": f"python benchmarks/train_judge.py {argv_text}".strip(),
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "num_train_images": min(len(catalog.x_train), args.subset or len(catalog.x_train)),
        "learning_rate": args.learning_rate,
        "schedule": "Adam, cosine decay to 0",
        "augmentation": {"horizontal_flip": args.flip, "shift_fraction": args.shift},
        "input_range": [-1.0, 1.0],
        "feature_layer": "features",
        "feature_dim": int(judge.get_layer("features").output.shape[-1]),
        "parameters": judge.count_params(),
        "train_seconds": round(seconds, 1),
        "train_accuracy_last_epoch": round(float(history["accuracy"][-1]), 4),
        "test_accuracy": accuracy,
        "per_class_test_accuracy": per_class,
        "model_selection": "none: fixed epochs; the test split is used once, for this card",
        "hardware": {
            "machine": platform.machine(),
            "cpu_cores": os.cpu_count(),
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        },
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card))
    return 0


if __name__ == "__main__":
    sys.exit(main())
