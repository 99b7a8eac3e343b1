"""Workshop handouts: the notebooks for students (no solutions) and for instructors.

``python -m pgan.handouts`` (``make handouts``) writes

- ``build/handouts/student/NN_*.ipynb``: every notebook without its cells tagged
  ``solution``, outputs cleared; each exercise's own cell and self-check stay;
- ``build/handouts/instructor/NN_*.ipynb``: every cell, solutions included, outputs cleared;
- a short ``README.md`` in each folder.

Only notebooks are copied (no data, no models, no run folders): learners install
the course (``pip install -e .``), which brings ``pgan`` and the shipped models.
The functions work on notebooks as plain dicts (the JSON of an ``.ipynb``), so
they need neither Jupyter nor TensorFlow. docs/workshop.md explains how to use them.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
_CHECK_CALL = re.compile(r"\bexercises\.(check_\w+)\(")

STUDENT_README = """\
# Student notebooks

The course notebooks without the solutions of their exercises: each exercise keeps its own cell,
where you write your answer, and its self-check (`pgan.exercises.check_...`), which prints one
line starting with **Correct** or **Not yet** (with a hint). An exercise you have not solved yet
gets a "Not yet" line instead of stopping the notebook, so *Run All* works.

1. Install the course once: in its folder, `make setup` (a virtual environment in `.venv`, whose
   `.venv/bin/jupyter` you then use), or `pip install -e .` in an environment of your own.
2. Start Jupyter on this folder: `jupyter lab 00_welcome.ipynb` (`PGAN_QUICK=1 jupyter lab ...`
   for quick mode: every notebook then finishes in about a minute on a CPU).
3. Read the notebooks in order, 00 first.

Runs and pictures the notebooks write go to `runs/` and `outputs/` next to them.
{count} notebooks, {removed} solution cells left out. Made by `make handouts` (`python -m pgan.handouts`).
"""

INSTRUCTOR_README = """\
# Instructor notebooks

The course notebooks with every cell, solutions included (the cells tagged `solution`, right
after each exercise's cell), outputs cleared. The student copies in `../student/` are the same
notebooks without those cells. See `docs/workshop.md` in the course for agendas, classroom setup
and troubleshooting.

{count} notebooks, {solutions} solution cells. Made by `make handouts` (`python -m pgan.handouts`).
"""


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def is_solution(cell: dict) -> bool:
    """Whether a cell is an exercise's solution (tagged ``solution`` in its metadata)."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def clear_outputs(notebook: dict) -> dict:
    """A copy of ``notebook`` without outputs, execution counts or widget state."""
    cleared = copy.deepcopy(notebook)
    for cell in cleared.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    cleared.get("metadata", {}).pop("widgets", None)
    return cleared


def strip_solutions(notebook: dict) -> dict:
    """The student copy of ``notebook``: cells tagged ``solution`` removed, outputs cleared."""
    student = clear_outputs(notebook)
    student["cells"] = [cell for cell in student.get("cells", []) if not is_solution(cell)]
    return student


def check_calls(notebook: dict, solutions: bool = False) -> list[str]:
    """The ``exercises.check_...`` functions called in the code cells (of the solutions only, if asked)."""
    return [
        name
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "code" and is_solution(cell) == solutions
        for name in _CHECK_CALL.findall(_source(cell))
    ]


def unchecked_solutions(notebook: dict) -> list[str]:
    """Checks called in a solution cell but in no other cell: exercises students could not check."""
    remaining = set(check_calls(notebook))
    return sorted({name for name in check_calls(notebook, solutions=True) if name not in remaining})


def _dumps(notebook: dict) -> str:
    # The layout nbformat and nbstripout write, so copies diff cleanly against the originals.
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_handouts(notebooks_dir=NOTEBOOKS_DIR, out_dir="build/handouts") -> dict[str, list[Path]]:
    """Write the student and instructor sets (and their READMEs) under ``out_dir``.

    Args:
        notebooks_dir: folder of the course notebooks (``NN_name.ipynb``).
        out_dir: where ``student/`` and ``instructor/`` go; notebooks left there
            by an earlier run are replaced.

    Returns:
        ``{"student": [paths], "instructor": [paths]}`` of the notebooks written.

    Raises:
        FileNotFoundError: ``notebooks_dir`` holds no course notebooks.
        ValueError: a solution cell calls a check that no exercise cell calls, so the
            student copy would lose that exercise (the message names the notebook).
    """
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    paths = sorted(notebooks_dir.glob(NOTEBOOK_PATTERN))
    if not paths:
        raise FileNotFoundError(
            f"No course notebooks ({NOTEBOOK_PATTERN}) in {notebooks_dir}; pass the course's "
            "notebooks/ folder with --notebooks."
        )
    notebooks = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in paths}
    for name, notebook in notebooks.items():
        lost = unchecked_solutions(notebook)
        if lost:
            raise ValueError(
                f"{name}: the solution cells call {', '.join(lost)} but no exercise cell does, so the "
                "student copy would drop the exercise. Put the exercise's stub and its check in an "
                "untagged cell before the solution."
            )
    written: dict[str, list[Path]] = {"student": [], "instructor": []}
    for kind in written:
        folder = out_dir / kind
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            old.unlink()
    removed = solutions = 0
    for name, notebook in notebooks.items():
        student = strip_solutions(notebook)
        removed += len(notebook["cells"]) - len(student["cells"])
        solutions += sum(is_solution(cell) for cell in notebook["cells"])
        for kind, copy_ in (("student", student), ("instructor", clear_outputs(notebook))):
            target = out_dir / kind / name
            target.write_text(_dumps(copy_), encoding="utf-8")
            written[kind].append(target)
    (out_dir / "student" / "README.md").write_text(
        STUDENT_README.format(count=len(notebooks), removed=removed), encoding="utf-8"
    )
    (out_dir / "instructor" / "README.md").write_text(
        INSTRUCTOR_README.format(count=len(notebooks), solutions=solutions), encoding="utf-8"
    )
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pgan.handouts",
        description="Write student notebooks (solutions removed) and instructor notebooks (all cells).",
    )
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="the course notebooks (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("build/handouts"), help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        written = write_handouts(args.notebooks, args.out)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for kind, paths in written.items():
        print(f"{kind:<10} {len(paths)} notebooks + README.md in {args.out / kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
