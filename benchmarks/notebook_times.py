"""How long each notebook takes, top to bottom in a fresh kernel: the times the notebooks and README quote.

    python benchmarks/notebook_times.py                      # every notebook in quick mode
    python benchmarks/notebook_times.py --mode full 00 04    # two notebooks in full mode
    python benchmarks/notebook_times.py --sync [--check]     # only write (or check) the quoted times

Each notebook runs in a fresh kernel, in its own folder (``notebooks/``, as a learner runs it),
with ``PGAN_QUICK=1`` for quick mode and neither switch for full mode; the wall time of the whole
execution, kernel start included, is recorded in ``benchmarks/results/notebook_times.json``
(``quick_seconds`` or ``full_seconds``; the other mode's entry is kept). Run it on an idle
machine: anything else running slows the notebooks down.

Then the quoted times follow: each notebook's ``**Time:**`` line in its Overview and the
README's course table are rewritten from the file (``--sync``; ``--check`` fails when they
differ, which a test runs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "benchmarks" / "results" / "notebook_times.json"
ABOUT = {
    "what": "Wall time of each notebook run top to bottom in a fresh kernel (kernel start included).",
    "how": "benchmarks/notebook_times.py: quick mode with PGAN_QUICK=1, full mode with neither PGAN_QUICK "
           "nor PGAN_CLASS, each notebook in notebooks/ as a learner runs it, one at a time on an idle machine.",
}


def run_notebook(path: Path, mode: str, timeout: int) -> float:
    """Execute ``path`` in a fresh kernel in ``mode``; return the wall seconds (raises if a cell fails)."""
    env_before = {key: os.environ.get(key) for key in ("PGAN_QUICK", "PGAN_CLASS")}
    os.environ.pop("PGAN_CLASS", None)
    os.environ["PGAN_QUICK"] = "1" if mode == "quick" else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        for key, value in env_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


TIME_LINE = re.compile(r"\*\*Time:\*\* quick mode [^\n]*")
LINK = "([measured](../docs/results.md#notebook-times))"
README_ROW = re.compile(r"^(\| \[(\d\d) [^|]*\]\(notebooks/(\d\d_[a-z0-9_]+)\.ipynb\) \| [^|]* \| )([^|]*)( \| )([^|]*)( \|)$",
                        re.M)


def phrase(seconds) -> str:
    """A measured time as the notebooks and README quote it: '45 s', '3 min', 'not measured'."""
    if seconds is None:
        return "not timed"
    if seconds < 120:
        return f"{max(5, round(seconds / 5) * 5)} s"
    return f"{round(seconds / 60)} min"


def time_line(row: dict) -> str:
    """The Overview's line: both modes where both were timed."""
    quick = f"**Time:** quick mode about {phrase(row.get('quick_seconds'))}"
    if row.get("full_seconds"):
        return f"{quick}, full mode about {phrase(row['full_seconds'])} on a 2-core CPU {LINK}."
    return f"{quick} on a 2-core CPU {LINK}; full mode not timed yet."


def sync(results: dict, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) the quoted times; return what differed."""
    rows = {row["notebook"]: row for row in results["notebooks"]}
    differ = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        row = rows.get(path.stem)
        if row is None:
            differ.append(f"{path.stem}: not in {RESULTS.name}")
            continue
        notebook = nbformat.read(path, as_version=4)
        found = changed = False
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and TIME_LINE.search(cell.source):
                found = True
                new = TIME_LINE.sub(time_line(row), cell.source)
                changed, cell.source = changed or new != cell.source, new
        if not found:
            differ.append(f"{path.stem}: no '**Time:** quick mode ...' line in its Overview")
        elif changed:
            differ.append(f"{path.stem}: its **Time:** line")
            if not check:
                nbformat.write(notebook, path)
    readme = ROOT / "README.md"
    text = readme.read_text()

    def replace(match):
        row = rows.get(match.group(3), {})
        return (match.group(1) + phrase(row.get("quick_seconds")) + match.group(5)
                + phrase(row.get("full_seconds")) + match.group(7))

    new = README_ROW.sub(replace, text)
    if new != text:
        differ.append("README.md: the course table's times")
        if not check:
            readme.write_text(new)
    return differ


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    parser.add_argument("--mode", choices=("quick", "full"), default="quick")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--sync", action="store_true", help="only rewrite the quoted times from the file")
    parser.add_argument("--check", action="store_true", help="with --sync: fail if a quoted time differs")
    args = parser.parse_args(argv)
    if args.sync:
        differ = sync(json.loads(args.out.read_text()), check=args.check)
        for item in differ:
            print(("differs: " if args.check else "updated: ") + item)
        return 1 if differ and args.check else 0

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(p.stem == n or p.stem.startswith(f"{n}_") for n in args.notebooks)]
        if not paths:
            parser.error(f"no notebook matches {args.notebooks}")
    results = json.loads(args.out.read_text()) if args.out.exists() else dict(ABOUT, notebooks=[])
    results.update(ABOUT)
    results["hardware"] = {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
                           "cpu_cores": os.cpu_count(), "gpus": []}
    rows = {row["notebook"]: row for row in results["notebooks"]}
    for path in paths:
        seconds = run_notebook(path, args.mode, args.timeout)
        row = rows.setdefault(path.stem, {"notebook": path.stem})
        row[f"{args.mode}_seconds"] = round(seconds, 1)
        if args.mode == "full":
            row["full_source"] = "this script"
        print(f"{path.stem}: {args.mode} mode {seconds:.1f} s", flush=True)
        results["notebooks"] = [rows[key] for key in sorted(rows)]
        args.out.write_text(json.dumps(results, indent=1) + "\n")  # after each notebook: a crash keeps the rest
    for item in sync(results):
        print("updated:", item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
