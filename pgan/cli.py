"""The ``pgan`` command line: the notebooks' code for long runs and GPU servers.

    pgan train  --model dcgan|workshop --epochs N --batch-size B --out RUN_DIR
    pgan sample --generator FILE.keras --num N --out FILE.npy|FILE.png [--seed S]
    pgan bench  --model dcgan|workshop | --recipe NAME [--batch-size B] [--json]
    pgan evaluate --generator FILE.keras | --images FILE.npy [--num N] [--json]
    pgan upscale --scale 2|4 [--model espcn|srresnet|srgan] --input PATH --out DIR
    pgan evaluate-sr --scale 2|4 [--model NAME] [--json]
    pgan restore --task denoise|deblur|inpaint [--variant l1|adversarial] --input PATH --out DIR [--mask FILE]

Also ``python -m pgan``. Errors in the user's input print one clear line and
exit with status 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from pgan import settings
from pgan.config import FLOW_PRESETS, TrainConfig
from pgan.recipes import RECIPES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgan", description="Deep learning for product images: train, sample and benchmark GANs."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser(
        "train", help="train a GAN (a --recipe or your own settings); re-run on the same --out to resume"
    )
    # Settings default to None: a --recipe's values (or TrainConfig's defaults) apply unless given.
    train.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                       help="a named recipe (docs/recipes.md); other options override it")
    train.add_argument("--out", required=True, type=Path, help="run folder (created; resumed if it exists)")
    train.add_argument("--quick", action="store_true", help="a tiny run for a smoke test (2 epochs, 512 images)")
    group = train.add_argument_group(
        "training settings", "pgan.config.TrainConfig (docs/settings.md). A --recipe's values replace the "
        "defaults shown; the options you give override both.")
    settings.add_arguments(group, TrainConfig)
    several = train.add_argument_group(
        "several processes", "--distribution data_parallel across machines (JAX): start the same command on each, "
        "with its own --process-id (docs/distributed.md). Defaults: KERAS_DISTRIBUTION_JOB_ADDRESSES, "
        "KERAS_DISTRIBUTION_NUM_PROCESSES, KERAS_DISTRIBUTION_PROCESS_ID.")
    several.add_argument("--coordinator", default=None, metavar="HOST:PORT", help="process 0's address and a free port")
    several.add_argument("--num-processes", type=settings.positive_int, default=None, help="processes in the run")
    several.add_argument("--process-id", type=int, default=None, help="this process's id, 0 to N-1 (0 writes the files)")
    train.add_argument("--data-dir", type=Path, default=None, help="folder with the Fashion-MNIST files (not "
                       "your own photos: those are --images DIR)")
    train.add_argument("--verbose", type=int, choices=[0, 1, 2], default=2)

    sample = sub.add_parser("sample", help="draw images from a trained generator")
    sample.add_argument("--generator", required=True, type=Path, help="a .keras generator")
    sample.add_argument("--num", type=settings.positive_int, default=64)
    sample.add_argument("--out", required=True, type=Path, help="FILE.npy (float32 in [0, 1]) or FILE.png (grid)")
    sample.add_argument("--seed", type=int, default=0)
    which = sample.add_mutually_exclusive_group()
    which.add_argument("--class", dest="class_id", type=int, default=None,
                       help="conditional generators: draw only this class (0 to classes - 1)")
    which.add_argument("--class-name", default=None,
                       help="conditional generators: draw only this class, by name (e.g. Sneaker, or the "
                            "name of a class sub-folder it was trained on)")
    sample.add_argument("--steps", type=settings.positive_int, default=None,
                        help="flow models: Euler steps from noise to image (default: the model's own)")

    bench = sub.add_parser("bench", help="training and generation throughput, as JSON")
    bench_what = bench.add_mutually_exclusive_group()
    bench_what.add_argument("--model", choices=["dcgan", "workshop", "first", "flow"], default=None,
                            help="default dcgan; flow: the flow model's training and sampling (recipe flow)")
    bench_what.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                            help="a training recipe, built as `pgan train --recipe` builds it, timed "
                                 "against its plain model (default batch size: the recipe's)")
    bench.add_argument("--batch-size", type=settings.positive_int, default=None, help="default 128 (a model) "
                       "or the recipe's")
    bench.add_argument("--steps", type=settings.positive_int, default=30, help="timed training steps")
    bench.add_argument("--json", action="store_true", help="print one JSON object on the last line")

    evaluate = sub.add_parser(
        "evaluate", help="score a generator or saved samples: FCD, KID, precision/recall, classes, copies"
    )
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--generator", type=Path, help="a .keras generator")
    source.add_argument(
        "--images", type=Path, help="FILE.npy of float32 in [0, 1], (N, 28, 28, 1), as `pgan sample` writes"
    )
    evaluate.add_argument(
        "--num", type=settings.positive_int, default=10_000,
        help="N, 129 to 10000 (default 10000): images generated, or the first N of --images",
    )
    evaluate.add_argument("--real", type=Path, default=None,
                          help="a folder of your own training photos (as given to pgan train --images): score "
                               "in pixel space against them, for generators of other products than Fashion-MNIST")
    evaluate.add_argument("--seed", type=int, default=0, help="noise seed of --generator")
    evaluate.add_argument("--steps", type=settings.positive_int, default=None,
                          help="flow models: Euler steps from noise to image (default: the model's own)")
    evaluate.add_argument("--json", action="store_true", help="also print one JSON object on the last line")

    upscale = sub.add_parser("upscale", help="enlarge product photos 2x or 4x with a super-resolution model")
    upscale.add_argument("--scale", type=int, choices=[2, 4], required=True)
    upscale.add_argument("--model", choices=["espcn", "srresnet", "srgan"], default="srresnet",
                         help="shipped model (default srresnet, the best PSNR)")
    upscale.add_argument("--weights", type=Path, default=None, help="a .keras model of your own instead")
    upscale.add_argument("--input", required=True, type=Path, help="an image file or a folder of images")
    upscale.add_argument("--out", required=True, type=Path, help="folder for the results (same file names)")
    upscale.add_argument("--color", choices=["luminance", "per-channel"], default="luminance",
                         help="how RGB photos go through the one-channel model")
    _add_photo_options(upscale)

    evaluate_sr = sub.add_parser("evaluate-sr", help="PSNR/SSIM/FCD of baselines and models on the SR protocol")
    evaluate_sr.add_argument("--scale", type=int, choices=[2, 4], required=True)
    evaluate_sr.add_argument("--model", choices=["espcn", "srresnet", "srgan"], action="append",
                             help="a shipped model to score (repeatable; default: all three)")
    evaluate_sr.add_argument("--num", type=settings.positive_int, default=10_000,
                             help="test images, 129 to 10000 (default all 10000)")
    evaluate_sr.add_argument("--json", action="store_true", help="also print one JSON object on the last line")

    restore = sub.add_parser("restore", help="denoise, deblur or inpaint product photos with a U-Net")
    restore.add_argument("--task", choices=["denoise", "deblur", "inpaint"], required=True)
    restore.add_argument("--variant", choices=["l1", "adversarial"], default="l1",
                         help="shipped model: trained with L1 (default) or fine-tuned adversarially")
    restore.add_argument("--weights", type=Path, default=None, help="a .keras model of your own instead")
    restore.add_argument("--input", required=True, type=Path, help="an image file or a folder of images")
    restore.add_argument("--out", required=True, type=Path, help="folder for the results (same file names)")
    restore.add_argument("--mask", type=Path, default=None,
                         help="inpaint: an image, white where pixels are missing, or a folder of masks "
                              "named like the inputs")
    _add_photo_options(restore)
    return parser


def _add_photo_options(command) -> None:
    from pgan.data import DEFAULT_MAX_PIXELS

    command.add_argument("--max-pixels", type=settings.positive_int, default=DEFAULT_MAX_PIXELS,
                         help=f"refuse input photos with more pixels than this (default {DEFAULT_MAX_PIXELS:,}: "
                              "a guard against decompression bombs); raise it for genuine larger photos")
    command.add_argument("--skip-existing", action="store_true",
                         help="skip inputs whose result is already in --out (to finish an interrupted run)")


def train_config_from_args(args):
    """The TrainConfig of ``pgan train``: the recipe (if any), then the options given."""
    overrides = settings.given(args, TrainConfig)
    if args.quick:  # a tiny run, unless these are given too
        quick = TrainConfig.quick()
        for name in ("epochs", "batch_size", "subset"):
            overrides.setdefault(name, getattr(quick, name))
    if args.recipe:
        return TrainConfig.from_recipe(args.recipe, **overrides)
    return TrainConfig(**overrides)


def _cmd_train(args) -> int:
    from pgan import data, runs, training_data

    config = train_config_from_args(args)
    if config.preset in FLOW_PRESETS:  # not a GAN: pgan.diffusion's flow-matching model
        from pgan.diffusion import train_flow

        catalog = data.load_fashion_mnist(args.data_dir)
        history = train_flow(config, args.out, images=catalog.x_train, labels=catalog.y_train, verbose=args.verbose)
        model_file = args.out / "flow.keras"
    else:
        found = training_data.for_run(config, data_dir=args.data_dir)
        record = found.record
        if record["source"] == "folder":
            classes = f"{len(found.class_names)} classes ({', '.join(found.class_names)})" if found.class_names \
                else "no classes"
            print(f"Training on {record['count']} images from {record['path']}, {classes}, "
                  f"{config.image_size}x{config.image_size}x{config.channels}")
        history = runs.train_gan(config, args.out, images=found, verbose=args.verbose)
        model_file = args.out / "generator.keras"
    done = len(history.get("epoch_seconds", []))
    print(f"Trained {done} epochs; model: {model_file}; samples: {args.out / 'samples'}")
    return 0


def _cmd_sample(args) -> int:
    import numpy as np

    from pgan import data, plotting, rundir, sampling

    suffix = args.out.suffix.lower()
    if suffix not in (".npy", ".png"):
        raise ValueError(f"--out must end in .npy or .png, got {args.out.name!r}.")
    if args.out.is_dir():
        raise ValueError(f"--out {args.out} is a folder; give a file name ending in {suffix}.")
    rundir.writable_folder(args.out.parent)
    generator = sampling.load_generator(args.generator)
    labels = args.class_id
    if args.class_name is not None:
        labels = data.class_index(args.class_name, sampling.class_names_of(args.generator))
    images = sampling.generate_images(generator, args.num, seed=args.seed, labels=labels, steps=args.steps)
    if suffix == ".npy":
        rundir.atomic_write(args.out, lambda tmp: np.save(tmp, data.to_unit_range(images)))
    else:
        plotting.save_grid(images, args.out)
    print(f"Wrote {args.num} samples to {args.out}")
    return 0


def _cmd_bench(args) -> int:
    from pgan import bench

    if args.model == "flow" or args.recipe == "flow":
        result = bench.run_flow_benchmark(args.batch_size, steps=args.steps)
    elif args.recipe:
        result = bench.run_recipe_benchmark(args.recipe, args.batch_size, steps=args.steps)
    else:
        result = bench.run_benchmark(args.model or "dcgan", args.batch_size or 128, steps=args.steps)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0


def _load_npy_images(path: Path):
    import numpy as np

    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. Write samples with `pgan sample --out FILE.npy`.")
    try:
        images = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{path} is not a readable .npy file ({err}). Write it with `pgan sample`.") from err
    if images.ndim != 4:
        raise ValueError(f"{path} holds an array shaped {images.shape}; expected (N, 28, 28, 1) images.")
    return images


def _cmd_evaluate(args) -> int:
    from pgan import metrics, sampling

    metrics.check_num_samples(args.num)
    generator = sampling.load_generator(args.generator) if args.generator is not None else None
    if args.images is not None:
        images = _load_npy_images(args.images)
        if len(images) > args.num:
            print(f"Scoring the first {args.num} of the {len(images)} images in {args.images}")
        images, what, trained_on = images[: args.num], args.images, None
    else:
        what = args.generator
        trained_on = sampling.model_info(args.generator).get("data", {})
    shape = tuple(int(s) for s in (generator.output_shape[1:] if generator is not None else images.shape[1:]))
    if args.real is not None:
        return _evaluate_pixel_space(args, generator, None if generator is not None else images, shape)
    if shape != (28, 28, 1):
        raise ValueError(
            f"{what} holds {'x'.join(map(str, shape))} images; pgan's judge scores 28x28 grayscale Fashion-MNIST "
            "only, so FCD, KID and the class histogram do not apply to them. Score them in pixel space against "
            "your own images instead: add --real DIR (precision, recall, density, coverage and the copy check).")
    if trained_on and trained_on.get("source") == "folder":
        print(f"warning: {what} learned {trained_on.get('path')}, not Fashion-MNIST: FCD, KID and classes compare "
              "with Fashion-MNIST and mean something only if those photos are like it. --real DIR scores it "
              "against its own images.", file=sys.stderr)
    if generator is None:
        result = metrics.evaluate_images(images, pixel_range="unit")
    else:
        result = metrics.evaluate_generator(generator, num=args.num, seed=args.seed, steps=args.steps)
    print(metrics.format_report(result))
    print(f"scored in {result['seconds']:.1f} s (real-data features included)")
    if args.json:
        print(json.dumps(result))
    return 0


def _evaluate_pixel_space(args, generator, images, shape) -> int:
    """``pgan evaluate --real DIR``: the judge-free metrics against a folder of the user's images."""
    import numpy as np

    from pgan import metrics, sampling, training_data

    side, channels = shape[0], shape[2]
    if shape[0] != shape[1] or channels not in (1, 3):
        raise ValueError(f"--real needs square grayscale or RGB images; these are {shape}.")
    real = training_data.load_product_folder(args.real, side, channels, skip_bad=True).images
    keep = min(len(real), 2 * args.num)
    if keep < len(real):
        real = real[np.random.default_rng(0).permutation(len(real))[:keep]]
    if generator is not None:
        images = sampling.generate_images(generator, keep // 2, seed=args.seed, steps=args.steps)
    else:
        images = np.asarray(images, dtype=np.float32) * 2.0 - 1.0  # pgan sample's [0, 1] -> the model range
    result = metrics.evaluate_pixel_space(images, real)
    print(metrics.format_pixel_report(result))
    print(f"scored in {result['seconds']:.1f} s")
    if args.json:
        print(json.dumps(result))
    return 0


def _enhance_files(args, enhance_one) -> int:
    """Run ``enhance_one(image, path)`` on each input of ``--input``; write results to ``--out``.

    Unreadable files are reported, not fatal. Each result is written atomically, so a
    killed run never leaves a truncated file under a final name; with
    ``--skip-existing`` a re-run skips the inputs whose result already exists.
    """
    from pgan import enhance, rundir

    input_path, out_dir = args.input, args.out
    files = enhance.list_images(input_path)
    input_folder = input_path if input_path.is_dir() else input_path.parent
    if out_dir.resolve() == input_folder.resolve():
        raise ValueError(f"--out {out_dir} is the folder of the inputs: the results would replace your photos. "
                         "Give another folder.")
    rundir.writable_folder(out_dir)
    rundir.remove_temporaries(out_dir)  # left by a killed run
    failed, skipped = [], []
    for path in files:
        target = out_dir / path.name
        if args.skip_existing and target.exists():
            skipped.append(path)
            continue
        try:
            image = enhance.read_photo(path, max_pixels=args.max_pixels)
            result = enhance_one(image, path)
        except ValueError as err:
            failed.append(path)
            print(f"skipped {path.name}: {err}", file=sys.stderr)
            continue
        enhance.write_photo(result, target)
        print(f"{path.name}: {image.shape[1]}x{image.shape[0]} -> {result.shape[1]}x{result.shape[0]}  {target}")
    done = len(files) - len(failed) - len(skipped)
    print(f"Wrote {done} of {len(files)} images to {out_dir}"
          + (f" ({len(skipped)} already there, skipped)" if skipped else ""))
    if failed:
        print(f"{len(failed)} file(s) could not be read; fix or remove them and run again.", file=sys.stderr)
        return 1
    return 0


def _cmd_upscale(args) -> int:
    from pgan import model_files, superres

    model = model_files.load_model_file(args.weights) if args.weights else superres.load_sr_model(args.model,
                                                                                                   args.scale)
    superres.check_sr_model(model, args.scale, path=args.weights)
    return _enhance_files(args, lambda image, _: superres.upscale_photo(model, image, args.scale, args.color))


def _cmd_evaluate_sr(args) -> int:
    from pgan import data, metrics, superres

    metrics.check_num_samples(args.num)  # FCD needs more images than feature dimensions
    names = args.model or list(superres.MODELS)
    models = {name: superres.load_sr_model(name, args.scale) for name in names}
    images = data.load_fashion_mnist().x_test[: args.num]
    result = superres.evaluate_sr(args.scale, models, images)
    print(f"Super-resolution x{args.scale} on {len(images)} Fashion-MNIST test images")
    print(superres.format_table(result, args.scale))
    if args.json:
        print(json.dumps({"scale": args.scale, "num": len(images), "results": result}))
    return 0


def _mask_for(mask_arg: Path, path: Path):
    """The mask for ``path``: the --mask file, or the file of the same name in a --mask folder."""
    from pgan import enhance

    mask_path = mask_arg / path.name if mask_arg.is_dir() else mask_arg
    if not mask_path.is_file():
        raise ValueError(f"no mask for {path.name}: expected {mask_path}.")
    return enhance.read_photo(mask_path).max(axis=-1) > 127


def _cmd_restore(args) -> int:
    from pgan import model_files, restore

    if args.task == "inpaint" and args.mask is None:
        raise ValueError("inpainting needs --mask FILE (white where pixels are missing) or a folder of masks.")
    if args.task == "inpaint" and not args.mask.exists():
        raise FileNotFoundError(f"--mask {args.mask} does not exist.")
    model = (model_files.load_model_file(args.weights) if args.weights
             else restore.load_restore_model(args.task, args.variant))
    restore.check_restore_model(model, args.task, path=args.weights)

    def one(image, path):
        mask = _mask_for(args.mask, path) if args.task == "inpaint" else None
        return restore.restore_photo(model, image, args.task, mask)

    return _enhance_files(args, one)


COMMANDS = {
    "train": _cmd_train,
    "sample": _cmd_sample,
    "bench": _cmd_bench,
    "evaluate": _cmd_evaluate,
    "upscale": _cmd_upscale,
    "evaluate-sr": _cmd_evaluate_sr,
    "restore": _cmd_restore,
}


# What an interrupted command has kept, and how to go on.
_INTERRUPTED = {
    "train": "Finished epochs are checkpointed; run the same command again to resume.",
    "upscale": "The images already written are complete; run again with --skip-existing to do the rest.",
    "restore": "The images already written are complete; run again with --skip-existing to do the rest.",
}


def _printable_output() -> None:
    """Print any file name, even one that is not valid in the terminal's encoding (no crash)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot be reconfigured: leave it
                pass


def _start_engines(args) -> None:
    """What must happen before any TensorFlow or JAX operation runs: joining a multi-process run."""
    if args.command != "train":
        return
    from pgan.config import PROCESS_ENV_VARS

    processes = (args.coordinator, args.num_processes, args.process_id)
    joins = any(value is not None for value in processes) or any(os.environ.get(name) for name in PROCESS_ENV_VARS)
    if joins and args.distribution is None:
        raise ValueError("--coordinator, --num-processes and --process-id (or KERAS_DISTRIBUTION_*) join the "
                         "processes of a run with --distribution data_parallel: add it, or drop them.")
    if args.strategy == "multi_worker" or joins:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        from pgan import distributed

        if joins:
            distributed.initialize(*processes)
        else:
            distributed.multi_worker_strategy()


def main(argv=None) -> int:
    """Entry point of the ``pgan`` console script.

    Every error caused by the user's input or environment (a bad file, a folder that
    cannot be written, a full disk) is one line on stderr and exit status 2; set
    ``PGAN_DEBUG=1`` to see the traceback instead.
    """
    from pgan.runtime import quiet_tensorflow

    _printable_output()
    args = build_parser().parse_args(argv)
    # pgan's warnings (skipped folder entries, a model saved by a newer Keras) as one plain line each,
    # for this command only (a notebook that calls main keeps its own format afterwards)
    saved_format = warnings.formatwarning
    warnings.formatwarning = lambda message, category, *rest, **kwargs: (
        f"pgan {args.command}: warning: {message}\n")
    try:
        _start_engines(args)
        quiet_tensorflow()
        return COMMANDS[args.command](args)
    except (ValueError, TypeError, OSError, RuntimeError) as err:
        if os.environ.get("PGAN_DEBUG"):
            raise
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"pgan {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = _INTERRUPTED.get(args.command, "Nothing was written.")
        print(f"pgan {args.command}: interrupted. {kept}", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = saved_format


if __name__ == "__main__":
    sys.exit(main())
