"""Training from a folder of photos against the built-in Fashion-MNIST loader.

1. Exports Fashion-MNIST's 60,000 training images as lossless 28x28 PNGs, one sub-folder per class,
   and checks that ``pgan.training_data.load_product_folder`` reads back the very same pixels.
2. Trains the recipe ``first`` (conditional="projection", one epoch = 1,875 steps at batch 32) from
   the folder and from the built-in arrays, seeds 0 and 1, and scores each generator with the judge
   (FCD, precision, recall at N=2,000): do the two sources agree within the seed-to-seed spread?
3. Times the input: loading the folder against the built-in loader, and the images/s that
   ``pgan.pipelines.training_input`` feeds against the images/s the training step eats.
4. A 32x32 RGB end-to-end run on a SYNTHETIC colour catalogue (each Fashion-MNIST class tinted its
   own colour), through the CLI: ``pgan train --images DIR --image-size 32 --channels 3`` and
   ``pgan evaluate --real DIR`` (pixel-space metrics).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python benchmarks/folder_training.py

Run it on an idle machine: the train and feed times are wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pgan  # noqa: E402

pgan.quiet_tensorflow()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pgan import data, metrics, pipelines, runs, training_data  # noqa: E402
from pgan.config import TrainConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "runs/folder_training"
FASHION_DIR = WORK / "fashion_png"
RGB_DIR = WORK / "synthetic_tinted_rgb32"
RESULTS = ROOT / "benchmarks/results/folder_training.json"
FIGURES = ROOT / "docs/figures/folder_training"
BATCH = 32
# One colour per Fashion-MNIST class for the synthetic RGB catalogue (label order).
TINTS = ((230, 60, 60), (60, 180, 75), (60, 100, 230), (245, 200, 40), (200, 60, 220),
         (40, 210, 210), (250, 140, 40), (150, 230, 60), (170, 110, 60), (235, 235, 235))


def safe_name(name: str) -> str:
    """A class name as a folder name: "T-shirt/top" -> "T-shirt_top", "Ankle boot" -> "Ankle_boot"."""
    return name.replace("/", "_").replace(" ", "_")


def export(images: np.ndarray, labels: np.ndarray, folder: Path, class_names) -> dict:
    """Write ``images`` (uint8 (N, H, W, C)) as PNGs ``folder/CLASS/NNNNN.png`` (NNNNN = index);
    skipped when every file is already there."""
    names = [safe_name(n) for n in class_names]
    expected = {n: int((labels == i).sum()) for i, n in enumerate(names)}
    if folder.is_dir() and all(len(list((folder / n).glob("*.png"))) == c for n, c in expected.items()):
        return {"exported": False, "seconds": 0.0, "files": len(images)}
    start = time.perf_counter()
    for n in names:
        (folder / n).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        pixels = image[..., 0] if image.shape[-1] == 1 else image
        Image.fromarray(pixels).save(folder / names[label] / f"{i:05d}.png")
    return {"exported": True, "seconds": round(time.perf_counter() - start, 1), "files": len(images)}


def folder_order(images: np.ndarray, labels: np.ndarray, class_names):
    """The images and labels in the order the folder loader reads them: class folders sorted by
    name, files sorted by name (the index), labels = position of the folder in that order."""
    names = [safe_name(n) for n in class_names]
    order_of_folders = sorted(range(len(names)), key=lambda i: names[i])
    rows = np.concatenate([np.flatnonzero(labels == c) for c in order_of_folders])
    remap = {c: k for k, c in enumerate(order_of_folders)}
    return images[rows], np.array([remap[int(c)] for c in labels[rows]]), rows, [names[c] for c in order_of_folders]


def feed_rate(images, labels, batches: int) -> float:
    """Images/s that ``training_input`` yields over ``batches`` batches (after one warm-up batch)."""
    dataset = iter(pipelines.training_input(images, BATCH, labels=labels))
    next(dataset)
    start = time.perf_counter()
    for _ in range(batches):
        next(dataset)
    return batches * BATCH / (time.perf_counter() - start)


def save(results: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_name(f".tmp_{RESULTS.name}")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(RESULTS)


def train_and_score(name: str, seed: int, source: str, catalog, num: int) -> dict:
    run_dir = WORK / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    config = TrainConfig.from_recipe("first", conditional="projection", epochs=1, seed=seed)
    start = time.perf_counter()
    if source == "folder":
        history = runs.train_gan(config, run_dir, images=str(FASHION_DIR), verbose=0)
    else:
        history = runs.train_gan(config, run_dir, images=catalog.x_train, labels=catalog.y_train, verbose=0)
    wall = time.perf_counter() - start
    epoch_seconds = float(sum(history["epoch_seconds"]))
    steps = len(catalog.x_train) // BATCH
    score = metrics.evaluate_generator(str(run_dir / "generator.keras"), num=num)
    record_file = json.loads((run_dir / "data.json").read_text()) if (run_dir / "data.json").exists() else None
    return {
        "name": name, "source": source, "seed": seed, "steps": steps,
        "train_seconds": round(epoch_seconds, 1), "call_seconds": round(wall, 1),
        "step_images_per_second": round(steps * BATCH / epoch_seconds, 1),
        "fcd": round(float(score["fcd"]), 2), "precision": round(float(score["precision"]), 3),
        "recall": round(float(score["recall"]), 3), "num": num,
        "d_loss": round(float(history["d_loss"][-1]), 3), "g_loss": round(float(history["g_loss"][-1]), 3),
        "data_record": {k: record_file.get(k) for k in ("source", "count", "class_names")} if record_file else None,
    }


def rgb_catalogue(catalog, count: int) -> dict:
    """SYNTHETIC: the first ``count`` training images padded to 32x32 and tinted their class's colour."""
    gray = np.pad(catalog.x_train[:count], ((0, 0), (2, 2), (2, 2), (0, 0)))
    labels = catalog.y_train[:count]
    tints = np.asarray(TINTS, dtype=np.float32)[labels][:, None, None, :]
    rgb = np.round(gray.astype(np.float32) * tints / 255.0).astype(np.uint8)
    return export(rgb, labels, RGB_DIR, data.CLASS_NAMES)


def cli(*args, timeout=900) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "pgan.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--feed-batches", type=int, default=300)
    parser.add_argument("--rgb-count", type=int, default=10_000)
    parser.add_argument("--rgb-minutes", type=float, default=4)
    parser.add_argument("--skip-rgb", action="store_true")
    args = parser.parse_args()
    import tensorflow as tf

    results = {
        "what": "Training pgan from a folder of PNGs (pgan train --images DIR) against the built-in Fashion-MNIST "
                "loader: same pixels, same steps, same FCD within seed-to-seed noise?; how fast the folder loads and "
                "feeds; and a 32x32 RGB end-to-end run on a SYNTHETIC tinted catalogue.",
        "how": "TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python benchmarks/folder_training.py"
               + (f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds != [0, 1] else "")
               + (" --skip-rgb" if args.skip_rgb else ""),
        "hardware": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                     "cpus": os.cpu_count(), "tensorflow": tf.__version__,
                     "note": "shared 2-core CPU: another CPU benchmark ran at the same time, so train and feed "
                             "times are slower than on an idle machine"},
        "recipe": "TrainConfig.from_recipe('first', conditional='projection', epochs=1, seed=S)",
    }
    catalog = data.load_fashion_mnist()

    # 1. export and same-pixel check
    results["export"] = export(catalog.x_train, catalog.y_train, FASHION_DIR, data.CLASS_NAMES)
    results["export"]["folder"] = str(FASHION_DIR.relative_to(ROOT))
    print("export", results["export"], flush=True)
    start = time.perf_counter()
    found = training_data.load_product_folder(FASHION_DIR, 28, 1)
    load_folder = time.perf_counter() - start
    start = time.perf_counter()
    data.load_fashion_mnist()
    load_builtin = time.perf_counter() - start
    expected, expected_labels, rows, folder_classes = folder_order(catalog.x_train, catalog.y_train, data.CLASS_NAMES)
    same = found.images.shape == expected.shape and bool(np.array_equal(found.images, expected))
    spot = [int(i) for i in np.random.default_rng(0).choice(len(rows), 5, replace=False)]
    results["same_pixels"] = {
        "all_60000_identical": same,
        "labels_identical": bool(np.array_equal(found.labels, expected_labels)),
        "folder_class_order": folder_classes,
        "folder_class_names_read": list(found.class_names),
        "spot_checks": [{"folder_row": i, "train_index": int(rows[i]),
                         "identical": bool(np.array_equal(found.images[i], catalog.x_train[rows[i]]))} for i in spot],
        "max_abs_difference": int(np.abs(found.images.astype(int) - expected.astype(int)).max()),
        "note": "the folder loader orders classes by folder name (Ankle_boot first), so its label k is the k-th "
                "folder in sorted order, not Fashion-MNIST's label k; the comparison maps each file back to its "
                "training index by its file name.",
    }
    print("same_pixels", results["same_pixels"]["all_60000_identical"], flush=True)

    # 3. input timing (step rates are filled in after the runs)
    folder_feed = feed_rate(found.images, found.labels, args.feed_batches)
    builtin_feed = feed_rate(catalog.x_train, catalog.y_train, args.feed_batches)
    results["input"] = {
        "load_seconds": {"folder_60000_png": round(load_folder, 1), "builtin_idx": round(load_builtin, 2)},
        "feed_batches": args.feed_batches, "batch_size": BATCH,
        "feed_images_per_second": {"folder": round(folder_feed), "builtin": round(builtin_feed)},
    }
    print("input", results["input"], flush=True)
    del found
    save(results)

    # 2. training runs
    results["runs"] = []
    for seed in args.seeds:
        for source in ("folder", "builtin"):
            record = train_and_score(f"{source}_seed{seed}", seed, source, catalog, args.num)
            print(record, flush=True)
            results["runs"].append(record)
            save(results)
    fcd = {s: [r["fcd"] for r in results["runs"] if r["source"] == s] for s in ("folder", "builtin")}
    by_seed = {seed: {r["source"]: r["fcd"] for r in results["runs"] if r["seed"] == seed} for seed in args.seeds}
    seed_spread = [max(v) - min(v) for v in fcd.values() if len(v) > 1]
    source_gaps = [abs(v["folder"] - v["builtin"]) for v in by_seed.values() if len(v) == 2]
    mean_gap = abs(float(np.mean(fcd["folder"])) - float(np.mean(fcd["builtin"])))
    results["agreement"] = {
        "fcd_by_source": fcd,
        "mean_fcd": {s: round(float(np.mean(v)), 2) for s, v in fcd.items()},
        "seed_spread_per_source": [round(x, 2) for x in seed_spread],
        "same_seed_source_gaps": [round(x, 2) for x in source_gaps],
        "gap_of_means": round(mean_gap, 2),
        "agree_within_seed_noise": bool(seed_spread and mean_gap <= max(seed_spread)),
        "rule": "the sources agree when the gap between their mean FCDs is no larger than the larger spread "
                "between seeds of one source",
    }
    step_rate = float(np.mean([r["step_images_per_second"] for r in results["runs"]]))
    feed = results["input"]["feed_images_per_second"]
    results["input"]["step_images_per_second"] = round(step_rate, 1)
    results["input"]["feed_over_step"] = {k: round(v / step_rate, 1) for k, v in feed.items()}
    results["input"]["step_starves"] = bool(min(feed.values()) < step_rate)
    save(results)
    print("agreement", results["agreement"], flush=True)

    # 4. synthetic RGB 32x32 end-to-end through the CLI
    if args.skip_rgb:
        return
    rgb = {"synthetic": True, "folder": str(RGB_DIR.relative_to(ROOT)),
           "what": f"SYNTHETIC colour catalogue: the first {args.rgb_count} Fashion-MNIST training images padded to "
                   "32x32 and tinted one colour per class (RGB of each class in label order: "
                   f"{dict(zip(data.CLASS_NAMES, TINTS, strict=True))})",
           "export": rgb_catalogue(catalog, args.rgb_count)}
    run_dir = WORK / "synthetic_rgb32_run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    train_cmd = ["train", "--images", str(RGB_DIR), "--image-size", "32", "--channels", "3", "--recipe", "first",
                 "--minutes", f"{args.rgb_minutes:g}", "--out", str(run_dir), "--verbose", "0"]
    start = time.perf_counter()
    done = cli(*train_cmd)
    rgb["train_command"] = "pgan " + " ".join(train_cmd).replace(str(ROOT) + "/", "")
    rgb["train_rc"], rgb["train_wall_seconds"] = done.returncode, round(time.perf_counter() - start, 1)
    if done.returncode != 0:
        rgb["train_error"] = done.stderr[-3000:]
    history = json.loads((run_dir / "history.json").read_text()) if (run_dir / "history.json").exists() else {}
    rgb["epochs_done"] = len(history.get("epoch_seconds", []))
    rgb["train_seconds"] = round(float(sum(history.get("epoch_seconds", []))), 1)
    grids = sorted((run_dir / "samples").glob("epoch_*.png"))
    if grids:
        FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(grids[-1], FIGURES / "rgb_32_samples.png")
        rgb["sample_grid"] = {"from": grids[-1].name, "to": "docs/figures/folder_training/rgb_32_samples.png"}
    if (run_dir / "generator.keras").exists():
        eval_cmd = ["evaluate", "--generator", str(run_dir / "generator.keras"), "--real", str(RGB_DIR),
                    "--num", "1000", "--json"]
        scored = cli(*eval_cmd)
        rgb["evaluate_command"] = "pgan " + " ".join(eval_cmd).replace(str(ROOT) + "/", "")
        rgb["evaluate_rc"] = scored.returncode
        lines = [line for line in scored.stdout.splitlines() if line.strip()]
        try:
            rgb["evaluate"] = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            rgb["evaluate_error"] = (scored.stdout[-2000:] + scored.stderr[-2000:])
        rgb["evaluate_report"] = "\n".join(lines[:-1])[-3000:]
    results["rgb_32_synthetic"] = rgb
    save(results)
    print("rgb", {k: v for k, v in rgb.items() if k != "evaluate_report"}, flush=True)


if __name__ == "__main__":
    main()
