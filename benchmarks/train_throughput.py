"""Training and generation throughput of pgan's fit() path vs a minimal tf.function loop.

Runs ``pgan.bench.run_benchmark`` for each model and batch size and writes the
results as JSON (one object per configuration) plus a summary line each. With
``--recipes``, runs ``pgan.bench.run_recipe_benchmark`` instead: each training recipe
as ``pgan train --recipe`` builds it, against its plain model in the same call.

    python benchmarks/train_throughput.py --out benchmarks/results/train_throughput.json
    python benchmarks/train_throughput.py --models workshop --batch-sizes 128 --steps 10
    python benchmarks/train_throughput.py --recipes all --batch-sizes 64 256 --steps 20 \
        --out benchmarks/results/recipe_throughput.json

Speed is measured here, never in unit tests. Numbers depend on the machine:
the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["dcgan", "workshop"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[64, 128, 256])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per epoch (best of 2 epochs)")
    parser.add_argument("--recipes", nargs="+", default=None,
                        help="time these training recipes (or 'all') instead of the models")
    parser.add_argument("--out", type=Path, default=None, help="write all results to this JSON file")
    args = parser.parse_args(argv)

    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    from pgan.bench import run_benchmark, run_recipe_benchmark
    from pgan.config import FLOW_PRESETS
    from pgan.recipes import RECIPES

    if args.recipes:
        # the GAN recipes; the flow model's speed is `pgan bench --model flow` (pgan.bench.run_flow_benchmark)
        gan_recipes = [name for name in RECIPES if RECIPES[name]["preset"] not in FLOW_PRESETS]
        names = gan_recipes if args.recipes == ["all"] else args.recipes
        unknown = sorted(set(names) - set(RECIPES))
        if unknown:
            parser.error(f"unknown recipes {unknown}; choose from {sorted(RECIPES)} or 'all'")
        jobs = [(run_recipe_benchmark, name) for name in names]
    else:
        jobs = [(run_benchmark, model) for model in args.models]
    results = []
    for run, name in jobs:
        for batch_size in args.batch_sizes:
            result = run(name, batch_size, steps=args.steps)
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
