"""Handouts: student copies lose exactly the solution cells and still run; instructor copies are the originals."""

import json
import sys
from pathlib import Path

import pytest

from pgan import handouts

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# The cheapest notebook with exercises whose stubs raise NotImplementedError (about 30 s in quick mode).
RUN_IN_TEST = "04_building_dcgan.ipynb"


def cell(source, cell_type="code", tags=None, outputs=None):
    c = {"cell_type": cell_type, "id": str(abs(hash(source))), "metadata": {"tags": tags} if tags else {},
         "source": source}
    if cell_type == "code":
        c.update(outputs=outputs or [], execution_count=3 if outputs else None)
    return c


def toy_notebook():
    return {
        "cells": [
            cell("# Title", "markdown"),
            cell("def f(x):\n    raise NotImplementedError\n\n\nexercises.check_scaling(f)",
                 outputs=[{"output_type": "stream", "name": "stdout", "text": "Not yet: ..."}]),
            cell("def f(x):\n    return x / 127.5 - 1\n\n\nexercises.check_scaling(f)", tags=["solution"]),
            cell("print(1)", tags=["other"]),
        ],
        "metadata": {"widgets": {"state": {}}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_strip_solutions_drops_tagged_cells_and_outputs_only():
    original = toy_notebook()
    student = handouts.strip_solutions(original)
    assert [c["source"][:8] for c in student["cells"]] == ["# Title", "def f(x)", "print(1)"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in student["cells"] if c["cell_type"] == "code")
    assert "widgets" not in student["metadata"]
    assert len(original["cells"]) == 4 and original["cells"][1]["outputs"]  # the input is not modified


def test_clear_outputs_keeps_every_cell():
    cleared = handouts.clear_outputs(toy_notebook())
    assert len(cleared["cells"]) == 4 and handouts.is_solution(cleared["cells"][2])
    assert cleared["cells"][1]["outputs"] == []


def test_a_solution_without_an_exercise_cell_is_refused(tmp_path):
    notebook = toy_notebook()
    del notebook["cells"][1]
    assert handouts.unchecked_solutions(notebook) == ["check_scaling"]
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01_toy.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(ValueError, match="01_toy.ipynb: the solution cells call check_scaling"):
        handouts.write_handouts(notebooks, tmp_path / "out")
    assert handouts.main(["--notebooks", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 1


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    (out / "student").mkdir()
    (out / "student" / "99_removed_since.ipynb").write_text("{}")  # left by an earlier run
    assert handouts.main(["--notebooks", str(NOTEBOOKS), "--out", str(out)]) == 0
    return out


def test_the_sets_hold_every_notebook_and_a_readme_and_nothing_else(written):
    names = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for kind in ("student", "instructor"):
        files = sorted(p.name for p in (written / kind).iterdir())
        assert files == sorted([*names, "README.md"])
    size = sum(p.stat().st_size for p in written.rglob("*") if p.is_file())
    assert size < 2_000_000, f"handouts take {size:,} bytes: only notebooks and READMEs belong there"


def test_instructor_copies_equal_the_originals(written):
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        assert json.loads((written / "instructor" / path.name).read_text()) == json.loads(path.read_text())


def test_student_copies_lose_the_solutions_and_keep_every_exercise(written):
    total_solutions = 0
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        original = json.loads(path.read_text())
        student = json.loads((written / "student" / path.name).read_text())
        solutions = [c for c in original["cells"] if handouts.is_solution(c)]
        total_solutions += len(solutions)
        assert not any(handouts.is_solution(c) for c in student["cells"])
        assert student["cells"] == [c for c in original["cells"] if not handouts.is_solution(c)]
        # Every check a solution calls is still called by the exercise's own cell.
        assert set(handouts.check_calls(original, solutions=True)) <= set(handouts.check_calls(student))
        assert handouts.check_calls(student) == handouts.check_calls(original)
    assert total_solutions >= 10


def test_student_notebook_runs_in_quick_mode(written, tmp_path, monkeypatch):
    """Unsolved exercises must not break Run All: execute a student copy as a learner would."""
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    try:
        from pgan import data

        data.find_fashion_mnist()
    except data.DataNotFoundError:
        pytest.skip("Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist)")
    for name, value in {"PGAN_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / RUN_IN_TEST
    path.write_text((written / "student" / RUN_IN_TEST).read_text())
    notebook = nbformat.read(path, as_version=4)
    stubs = [c for c in notebook.cells if "exercises.check_" in c.source and "NotImplementedError" in c.source]
    assert len(stubs) >= 2, f"{RUN_IN_TEST} should have exercises whose stubs raise NotImplementedError"
    notebook.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError if any cell errors
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    for stub in stubs:
        printed = "".join(o.get("text", "") for o in stub.outputs if o.output_type == "stream")
        assert printed.startswith("Not yet: not implemented yet"), printed
    kernel_python = notebook.cells[-1].outputs[0]["text"].strip()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve(), "the kernel is not this environment's"
