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


def _sr(args, catalog):
    import keras

    from pgan import enhance, superres

    low, high = superres.protocol_pairs(catalog.x_train[: args.subset], args.scale)
    name = superres.pretrained_name(args.model, args.scale)
    run_dir = _run_dir(args, name)
    if args.model == "srgan":
        base = args.out_dir / f"{superres.pretrained_name('srresnet', args.scale)}.keras"
        if not base.exists():
            sys.exit(f"{base} is missing: train the SRResNet first (sr --model srresnet --scale {args.scale}).")
        model = keras.saving.load_model(base, compile=False, safe_mode=True)
        enhance.fine_tune_adversarially(
            model, low, high, run_dir, args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate or 1e-4, verbose=2,
        )
    else:
        builders = {"espcn": superres.build_espcn, "srresnet": superres.build_srresnet}
        model = builders[args.model](args.scale)
        enhance.fit_pixel_model(
            model, low, high, run_dir, args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate or 1e-3, verbose=2,
        )
    trained = keras.saving.load_model(run_dir / "model.keras", compile=False, safe_mode=True)
    scores = superres.evaluate_sr(args.scale, {args.model: trained}, catalog.x_test)
    extra = {"task": "super-resolution", "scale": args.scale}
    if args.model == "srgan":
        extra.update(_base_card(args, superres.pretrained_name("srresnet", args.scale)))
    return run_dir, name, scores, extra


def _restore(args, catalog):
    import keras

    from pgan import enhance, restore

    damaged, clean = restore.training_pairs(catalog.x_train[: args.subset], args.task, seed=args.seed)
    name = restore.pretrained_name(args.task, args.variant)
    run_dir = _run_dir(args, name)
    if args.variant == "adversarial":
        base = args.out_dir / f"{restore.pretrained_name(args.task, 'l1')}.keras"
        if not base.exists():
            sys.exit(f"{base} is missing: train the L1 model first (--variant l1).")
        model = keras.saving.load_model(base, compile=False, safe_mode=True)
        enhance.fine_tune_adversarially(
            model, damaged, clean, run_dir, args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate or 1e-4, verbose=2,
        )
    else:
        model = restore.build_unet(args.task)
        enhance.fit_pixel_model(
            model, damaged, clean, run_dir, args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate or 1e-3, verbose=2,
        )
    trained = keras.saving.load_model(run_dir / "model.keras", compile=False, safe_mode=True)
    scores = restore.evaluate_restoration(args.task, {args.variant: trained}, catalog.x_test)
    extra = {"task": args.task}
    if args.variant == "adversarial":
        extra.update(_base_card(args, restore.pretrained_name(args.task, "l1")))
    return run_dir, name, scores, extra


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
