"""Peak memory (and seconds) of `pgan upscale` on a huge photo: synthetic, gray and RGB.

Each case runs in a fresh Python process: it imports pgan, loads the shipped
super-resolution model (``superres.load_sr_model``), warms TensorFlow up on a
300x300 photo (so its per-tile working memory is set up), makes a synthetic
product shot on white (built in strips, so no full-size float copy of it ever
exists), enlarges it with ``superres.upscale_photo`` (what ``pgan upscale``
runs) and reports its peak resident memory (``VmHWM`` from
``/proc/self/status``). A baseline process does everything but the big photo,
so ``photo_mb`` (peak minus baseline) is what the photo itself costs; compare it
with ``input_mb + output_mb``, the two uint8 arrays that must exist.

    python benchmarks/photo_memory.py --out benchmarks/results/photo_memory.json
    python benchmarks/photo_memory.py --side 3000 --compare-with 8f0e816   # also the code of a revision

``--compare-with REV`` runs the same cases with ``apply_to_photo`` from
``pgan/enhance.py`` as it was at git revision REV (say, before tiles were streamed).
Linux only (it reads ``/proc``). Numbers depend on the machine: the JSON names it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 2**20
KINDS = ("baseline", "gray", "rgb")
NOTE = ("seconds are wall-clock on a machine others may share: they give the order of magnitude, "
        "not a speed comparison; the memory figures do not depend on it.")
WARM_UP_SIDE = 300  # a few full tiles and edge tiles: TensorFlow sets up its working memory for them


def status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status (VmHWM: peak RSS), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} is not in /proc/self/status: this script needs Linux.")


def synthetic_photo(side: int, channels: int, strip: int = 256):
    """A (side, side, channels) uint8 product shot: a shaded, textured ellipse on white."""
    import numpy as np

    photo = np.empty((side, side, channels), np.uint8)
    xx = np.arange(side)
    tint = np.array([1.0, 0.8, 0.6][:channels])
    for top in range(0, side, strip):
        yy = np.arange(top, min(top + strip, side))[:, None]
        inside = ((yy - side / 2) / (0.35 * side)) ** 2 + ((xx - side / 2) / (0.3 * side)) ** 2 < 1
        shade = 40 + 100 * yy / side + 30 * np.sin(xx / 9.0) * np.cos(yy / 13.0)
        product = np.clip(shade[..., None] * tint, 0, 255)
        photo[top : top + len(yy)] = np.where(inside[..., None], product, 245).astype(np.uint8)
    return photo


def child(kind: str, side: int, model_name: str, scale: int, before: str | None) -> dict:
    """One measurement, in this (fresh) process."""
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    from pgan import enhance, superres

    if before:  # apply_to_photo as it was at another revision; upscale_photo looks it up per call
        import importlib.util

        spec = importlib.util.spec_from_file_location("pgan_enhance_before", before)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        enhance.apply_to_photo = module.apply_to_photo
    model = superres.load_sr_model(model_name, scale)
    loaded_mb = status_mb("VmHWM")
    for channels in (1, 3):
        superres.upscale_photo(model, synthetic_photo(WARM_UP_SIDE, channels), scale)
    result = {"kind": kind, "loaded_mb": loaded_mb, "warm_mb": status_mb("VmHWM")}
    if kind == "baseline":
        return result
    photo = synthetic_photo(side, 1 if kind == "gray" else 3)
    start = time.perf_counter()
    out = superres.upscale_photo(model, photo, scale)
    seconds = time.perf_counter() - start
    return {**result, "peak_mb": status_mb("VmHWM"), "seconds": seconds,
            "input_shape": list(photo.shape), "output_shape": list(out.shape),
            "input_mb": photo.nbytes / MB, "output_mb": out.nbytes / MB}


def run_child(kind, side, model_name, scale, before=None) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--side", str(side), "--model", model_name,
               "--scale", str(scale)] + (["--before", before] if before else [])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{kind} case failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def source_at(revision: str, folder: Path) -> tuple[Path, str]:
    """pgan/enhance.py as it was at ``revision``, written into ``folder``; and the full commit hash."""
    commit = subprocess.run(["git", "rev-parse", revision], capture_output=True, text=True, cwd=ROOT,
                            check=True).stdout.strip()
    text = subprocess.run(["git", "show", f"{commit}:pgan/enhance.py"], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout
    path = folder / f"enhance_{commit[:12]}.py"
    path.write_text(text)
    return path, commit


def row(case: dict, baseline: dict, model_name: str, scale: int, algorithm: str) -> dict:
    return {
        "photo": f"{case['input_shape'][1]}x{case['input_shape'][0]} {case['kind']}",
        "model": f"{model_name}_x{scale}", "algorithm": algorithm,
        "output": f"{case['output_shape'][1]}x{case['output_shape'][0]}x{case['output_shape'][2]}",
        "input_mb": round(case["input_mb"], 1), "output_mb": round(case["output_mb"], 1),
        "peak_rss_mb": round(case["peak_mb"]), "baseline_rss_mb": round(baseline["warm_mb"]),
        "photo_mb": round(case["peak_mb"] - baseline["warm_mb"]),
        "photo_mb_vs_input_plus_output": round((case["peak_mb"] - baseline["warm_mb"])
                                               / (case["input_mb"] + case["output_mb"]), 3),
        "seconds": round(case["seconds"], 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=6000, help="the photo's width and height in pixels")
    parser.add_argument("--model", default=None, help="shipped model (default: pgan upscale's)")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--kinds", nargs="+", default=["gray", "rgb"], choices=KINDS[1:])
    parser.add_argument("--compare-with", default=None, metavar="REV",
                        help="also run apply_to_photo as it was at this git revision")
    parser.add_argument("--out", type=Path, default=None, help="write the results to this JSON file")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--before", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.model is None:
        from pgan.superres import DEFAULT_MODEL

        args.model = DEFAULT_MODEL
    if args.child:
        print(json.dumps(child(args.child, args.side, args.model, args.scale, args.before)), flush=True)
        return 0

    baseline = run_child("baseline", args.side, args.model, args.scale)
    print(json.dumps(baseline), file=sys.stderr, flush=True)
    algorithms = [("streamed tiles into a uint8 output", None)]
    with tempfile.TemporaryDirectory() as folder:
        if args.compare_with:
            path, commit = source_at(args.compare_with, Path(folder))
            algorithms.append((f"whole-image float arrays (pgan/enhance.py at {commit[:7]})", str(path)))
        rows = []
        for algorithm, before in algorithms:
            for kind in args.kinds:
                case = run_child(kind, args.side, args.model, args.scale, before)
                rows.append(row(case, baseline, args.model, args.scale, algorithm))
                print(json.dumps(rows[-1]), flush=True)

    from pgan import backend

    result = {
        "what": f"Peak resident memory of superres.upscale_photo (pgan upscale) on a synthetic "
                f"{args.side}x{args.side} photo at x{args.scale}, one fresh process per row.",
        "how": "peak_rss_mb is the process's VmHWM after the call; baseline_rss_mb the VmHWM of a "
               "process that imported pgan, loaded the model and enlarged a "
               f"{WARM_UP_SIDE}x{WARM_UP_SIDE} photo (gray and RGB); photo_mb "
               "their difference, to compare with input_mb + output_mb (the uint8 photo and result).",
        "command": "python benchmarks/photo_memory.py"
                   + (f" --side {args.side}" if args.side != 6000 else "")
                   + (f" --compare-with {args.compare_with}" if args.compare_with else "")
                   + (f" --out {args.out.as_posix()}" if args.out else ""),
        "note": NOTE,
        "baseline_after_load_mb": round(baseline["loaded_mb"]),
        "rows": rows,
        "hardware": {**backend.versions(), "python": platform.python_version(),
                     "device": (backend.gpu_devices() or ["cpu"])[0],
                     "cpu": platform.processor() or platform.machine(), "cpu_cores": os.cpu_count(),
                     "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)},
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
