"""Train the shipped super-resolution and restoration models, score them, publish them.

Every shipped image-enhancement model in ``data/pretrained/`` comes from one of
these commands (fixed seed; training images only; scored on the full test set):

    python benchmarks/train_enhancers.py sr --model espcn    --scale 2 --epochs 3
    python benchmarks/train_enhancers.py sr --model srresnet --scale 4 --epochs 5
    python benchmarks/train_enhancers.py sr --model srgan    --scale 4 --epochs 1   # after srresnet
    python benchmarks/train_enhancers.py restore --task denoise --variant l1 --epochs 2
    python benchmarks/train_enhancers.py restore --task denoise --variant adversarial --epochs 1 --subset 20000

(the same with the other scale and ``--task deblur|inpaint``; each model card's
``command`` holds the exact chain behind its file: SRResNet x2 was trained to 5,
then 8, then 12 epochs, each call resuming the previous one). Runs are resumable: re-run the same command
after a crash. ``--subset N`` trains on the first N training images, in its own run
folder ``runs/enhancers/NAME_subsetN``; with ``--out-dir /tmp/x`` too it is a smoke test
that leaves the shipped files alone. Prints the
model card as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent


def _run_dir(args, name: str) -> Path:
    """runs/enhancers/NAME, or NAME_subsetN on a subset, so a trial never resumes a full run."""
    return args.runs / (name if args.subset is None else f"{name}_subset{args.subset}")


def _base_card(args, base_name: str) -> dict:
    """What the fine-tuned model started from, for its card."""
    card = json.loads((args.out_dir / f"{base_name}.json").read_text())
    return {"base_model": {"file": card["file"], "sha256": card["sha256"], "command": card["command"],
                           "train_seconds_total": card["train_seconds_total"]}}


def _train(args, name: str, inputs, targets, base_name: str | None, build):
    """Train ``build()`` from scratch, or fine-tune the published ``base_name`` adversarially."""
    import keras

    from pgan import enhance

    run_dir = _run_dir(args, name)
    if base_name is None:
        enhance.fit_pixel_model(
            build(), inputs, targets, run_dir, args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate or 1e-3, verbose=2,
        )
        return run_dir, {}
    base = args.out_dir / f"{base_name}.keras"
    if not base.exists():
        sys.exit(f"{base} is missing: train and publish {base_name} first (see this script's docstring).")
    model = keras.saving.load_model(base, compile=False, safe_mode=True)
    enhance.fine_tune_adversarially(
        model, inputs, targets, run_dir, args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate or 1e-4, verbose=2,
    )
    return run_dir, _base_card(args, base_name)


def _load_trained(run_dir: Path):
    import keras

    return keras.saving.load_model(run_dir / "model.keras", compile=False, safe_mode=True)


def _sr(args, catalog):
    from pgan import superres

    low, high = superres.protocol_pairs(catalog.x_train[: args.subset], args.scale)
    name = superres.pretrained_name(args.model, args.scale)
    base = superres.pretrained_name("srresnet", args.scale) if args.model == "srgan" else None
    builders = {"espcn": superres.build_espcn, "srresnet": superres.build_srresnet}
    run_dir, extra = _train(args, name, low, high, base, lambda: builders[args.model](args.scale))
    scores = superres.evaluate_sr(args.scale, {args.model: _load_trained(run_dir)}, catalog.x_test)
    return run_dir, name, scores, {"task": "super-resolution", "scale": args.scale, **extra}


def _restore(args, catalog):
    from pgan import restore

    damaged, clean = restore.training_pairs(catalog.x_train[: args.subset], args.task, seed=args.seed)
    name = restore.pretrained_name(args.task, args.variant)
    base = restore.pretrained_name(args.task, "l1") if args.variant == "adversarial" else None
    run_dir, extra = _train(args, name, damaged, clean, base, lambda: restore.build_unet(args.task))
    scores = restore.evaluate_restoration(args.task, {args.variant: _load_trained(run_dir)}, catalog.x_test)
    return run_dir, name, scores, {"task": args.task, **extra}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    sr = sub.add_parser("sr")
    sr.add_argument("--model", choices=["espcn", "srresnet", "srgan"], required=True)
    sr.add_argument("--scale", type=int, choices=[2, 4], required=True)
    rs = sub.add_parser("restore")
    rs.add_argument("--task", choices=["denoise", "deblur", "inpaint"], required=True)
    rs.add_argument("--variant", choices=["l1", "adversarial"], required=True)
    for p in (sr, rs):
        p.add_argument("--epochs", type=int, required=True)
        p.add_argument("--batch-size", type=int, default=64)
        p.add_argument("--learning-rate", type=float, default=None)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--subset", type=int, default=None, help="train on the first N images")
        p.add_argument("--out-dir", type=Path, default=ROOT / "data" / "pretrained")
        p.add_argument("--runs", type=Path, default=ROOT / "runs" / "enhancers")
    args = parser.parse_args(argv)

    import pgan
    from pgan import data, enhance
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    pgan.set_seed(args.seed)
    catalog = data.load_fashion_mnist()
    run_dir, name, scores, extra = (_sr if args.kind == "sr" else _restore)(args, catalog)
    command = "python benchmarks/train_enhancers.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    # A run continued with more epochs (a warm restart of the cosine schedule) is reproduced
    # by its whole chain of commands, so the card records them all.
    log = run_dir / "commands.txt"
    previous = log.read_text().splitlines() if log.exists() else []
    if not previous or previous[-1] != command:
        log.write_text("\n".join([*previous, command]) + "\n")
        previous.append(command)
    enhance.publish_model(run_dir, args.out_dir, name, " && ".join(previous), scores, {"seed": args.seed, **extra})
    card = json.loads((args.out_dir / f"{name}.json").read_text())
    print(json.dumps(card))
    return 0


if __name__ == "__main__":
    sys.exit(main())
