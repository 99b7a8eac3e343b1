"""Reference outputs for the notebooks' ``# NBVAL_CHECK_OUTPUT`` cells.

Notebooks are committed without outputs, and nbval compares nothing for a cell
that has no stored output. So the expected outputs of the cells marked
``# NBVAL_CHECK_OUTPUT`` live here, in ``tests/notebook_outputs/NAME.json``
(keyed by the cell's source), and ``make notebooks`` tests copies of the
notebooks with those outputs put back:

    python tests/nbval_refs.py record notebooks/*.ipynb     # run in quick mode, store outputs
    python tests/nbval_refs.py assemble notebooks/*.ipynb   # write notebooks/.nbval/*.ipynb

A marked cell whose source has no recorded output makes ``assemble`` fail with
the command to run: change a checked cell, re-record, and review the diff.
Only text outputs are recorded (stream and text/plain); pictures are not compared.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

import nbformat

MARK = "# NBVAL_CHECK_OUTPUT"
REFS_DIR = Path(__file__).resolve().parent / "notebook_outputs"


def _is_checked(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(MARK)


def _text_only(outputs) -> list[dict]:
    kept = []
    for out in outputs:
        if out["output_type"] == "stream" and out["name"] == "stdout":
            kept.append({"output_type": "stream", "name": "stdout", "text": out["text"]})
        elif out["output_type"] in ("execute_result", "display_data") and "text/plain" in out.get("data", {}):
            if any(k.startswith("image/") for k in out["data"]):
                continue
            kept.append({"output_type": out["output_type"], "data": {"text/plain": out["data"]["text/plain"]},
                         "metadata": {}, **({"execution_count": 1} if out["output_type"] == "execute_result" else {})})
    return kept


def record(paths) -> None:
    """Execute each notebook in quick mode and store its checked cells' text outputs."""
    from nbclient import NotebookClient

    os.environ["PGAN_QUICK"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")
    REFS_DIR.mkdir(exist_ok=True)
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        refs = [{"source": c.source, "outputs": _text_only(c.outputs)} for c in nb.cells if _is_checked(c)]
        (REFS_DIR / f"{path.stem}.json").write_text(json.dumps(refs, indent=1) + "\n")
        print(f"recorded {len(refs)} checked cells of {path.name}")


def assemble(paths, out_dir: Path) -> None:
    """Write copies of the notebooks with the recorded outputs in their checked cells."""
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        ref_file = REFS_DIR / f"{path.stem}.json"
        refs = json.loads(ref_file.read_text()) if ref_file.exists() else []
        by_source = {r["source"]: r["outputs"] for r in refs}
        test_nb = copy.deepcopy(nb)
        for i, cell in enumerate(test_nb.cells):
            if not _is_checked(cell):
                continue
            if cell.source not in by_source:
                missing.append(f"{path.name} cell {i}")
                continue
            cell.outputs = [nbformat.from_dict(o) for o in by_source[cell.source]]
            cell.execution_count = 1
        nbformat.write(test_nb, out_dir / path.name)
    # The plugin that keeps each passed notebook's outputs for the book (PGAN_EXECUTED_DIR).
    plugin = (Path(__file__).resolve().parent / "nbval_executed.py").read_text()
    (out_dir / "conftest.py").write_text(plugin)
    if missing:
        sys.exit(
            "No recorded output for the checked cells " + ", ".join(missing)
            + ".\nRecord them: .venv/bin/python tests/nbval_refs.py record notebooks/NAME.ipynb, "
            "then review the diff of tests/notebook_outputs/."
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["record", "assemble"])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("notebooks/.nbval"))
    args = parser.parse_args(argv)
    if args.action == "record":
        record(args.notebooks)
    else:
        assemble(args.notebooks, args.out)


if __name__ == "__main__":
    main()
