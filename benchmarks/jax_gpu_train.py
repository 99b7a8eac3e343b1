"""Train the article's DCGAN on Fashion-MNIST with pgan's ``GAN.fit`` on Keras' JAX backend.

Needs only JAX and Keras: TensorFlow need not be installed (where it is, Keras'
``set_random_seed`` imports it to seed it, nothing more). The training images are
scaled once and kept on the accelerator; every epoch draws a new permutation there,
so no batch crosses from the host. Prints one JSON object: wall time, time of the
first epoch (it includes XLA compilation), steady images/s and the final losses.

    pip install -e ".[jax]"   # plus "jax[cuda12]" on a GPU machine
    python benchmarks/jax_gpu_train.py                              # 50 epochs, batch 256
    python benchmarks/jax_gpu_train.py --epochs 1 --subset 512      # CPU smoke test

Speed is measured here, never in unit tests. Numbers depend on the machine:
the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"  # before Keras is imported: this script is JAX only


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["dcgan", "workshop"], default="dcgan")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--subset", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps-per-execution", type=int, default=1, help="training steps per compiled call")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with the Fashion-MNIST files")
    parser.add_argument("--out", type=Path, default=None, help="also save generator.keras and samples.png here")
    args = parser.parse_args(argv)

    import jax
    import keras
    import numpy as np

    from pgan import data, plotting, runs, sampling

    if keras.backend.backend() != "jax":
        raise SystemExit(f"Keras was already imported with the {keras.backend.backend()!r} backend.")
    images = data.training_images(data.load_fashion_mnist(args.data_dir).x_train, args.batch_size, args.subset)

    class DeviceImages(keras.utils.PyDataset):
        """Model-range images on the accelerator, reshuffled there every epoch."""

        def __init__(self, images, batch_size, seed):
            super().__init__()
            self.images = jax.device_put(data.to_model_range(images))
            self.batch_size = batch_size
            self.key = jax.random.key(seed)
            self.on_epoch_end()

        def __len__(self):
            return len(self.images) // self.batch_size

        def __getitem__(self, index):
            return (self.images[self.order[index * self.batch_size : (index + 1) * self.batch_size]],)

        def on_epoch_end(self):
            self.key, key = jax.random.split(self.key)
            self.order = jax.random.permutation(key, len(self.images))

    epoch_seconds = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            float(logs["d_loss"])  # waits for the epoch's last step
            epoch_seconds.append(time.perf_counter() - self.start)
            print(f"epoch {epoch + 1}: {epoch_seconds[-1]:.2f} s", file=sys.stderr, flush=True)

    keras.utils.set_random_seed(args.seed)
    config = runs.TrainConfig(preset=args.model, epochs=args.epochs, batch_size=args.batch_size,
                              subset=args.subset, seed=args.seed, steps_per_execution=args.steps_per_execution)
    gan = runs.build_gan(config, images.shape[1:])
    dataset = DeviceImages(images, args.batch_size, args.seed)
    start = time.perf_counter()
    history = gan.fit(dataset, epochs=args.epochs, verbose=0, callbacks=[Timer()]).history
    wall = time.perf_counter() - start
    images_per_epoch = len(dataset) * args.batch_size
    steady = epoch_seconds[1:] or epoch_seconds
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        gan.generator.save(args.out / "generator.keras")
        plotting.save_grid(sampling.generate_images(gan.generator, 64, seed=0), args.out / "samples.png")
    result = {
        "model": args.model,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "steps_per_execution": args.steps_per_execution,
        "num_train_images": int(len(images)),
        "train_seconds": round(wall, 2),
        "first_epoch_seconds": round(epoch_seconds[0], 2),
        "steady_epoch_seconds": round(statistics.median(steady), 3),
        "img_per_s_steady": round(images_per_epoch / statistics.median(steady), 1),
        "img_per_s_overall": round(images_per_epoch * args.epochs / wall, 1),
        "final": {key: round(float(values[-1]), 4) for key, values in history.items()},
        "finite": bool(all(np.isfinite(values).all() for values in history.values())),
        "keras": keras.__version__,
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
