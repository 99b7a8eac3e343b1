"""Score the generator inside training checkpoints: FCD (and the other metrics) per epoch.

A run folder keeps only its last checkpoints; copy the ones to score elsewhere
while it trains (or pass the run folder's own). For each checkpoint this
rebuilds the run's GAN from ``config.json``, loads the weights, and scores the
generator that sampling uses (the EMA one when the run keeps it) on N samples
with the project's judge. Prints one JSON object per checkpoint, and a list at
the end; ``--out`` also writes it.

    python benchmarks/checkpoint_fcd.py --run runs/reference --checkpoints runs/snapshots/*.h5
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="the run folder (its config.json is used)")
    parser.add_argument("--checkpoints", type=Path, nargs="+", required=True, help="epoch_NNNN.weights.h5 files")
    parser.add_argument("--num", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=None, help="also write the list as JSON here")
    args = parser.parse_args(argv)

    from pgan import metrics, runs
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    config = runs.TrainConfig.from_run(args.run)
    history = json.loads((args.run / "history.json").read_text())
    results = []
    for path in sorted(args.checkpoints):
        epoch = int(re.search(r"epoch_(\d+)", path.name).group(1))
        gan = runs.build_gan(config, num_classes=10)
        gan.load_weights(path)
        result = metrics.evaluate_generator(gan.sampling_generator, num=args.num, seed=0)
        seconds = history.get("epoch_seconds", [])[:epoch]
        row = {
            "epoch": epoch,
            "train_seconds": round(sum(seconds), 1) if len(seconds) == epoch else None,
            **{k: result[k] for k in ("n", "fcd", "kid", "precision", "recall", "class_tv",
                                      "classes_present", "memorization_flag")},
        }
        print(json.dumps(row), flush=True)
        results.append(row)
    if args.out:
        saved = json.loads((args.run / "config.json").read_text())
        args.out.write_text(json.dumps({"run": str(args.run), "config": saved, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
