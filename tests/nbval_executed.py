"""Keep what nbval ran: each notebook that passed, with every cell's outputs, for the book.

``tests/nbval_refs.py assemble`` puts this file in ``notebooks/.nbval/`` as ``conftest.py``,
so it is a pytest plugin of ``make notebooks``. With ``PGAN_EXECUTED_DIR`` set, every
notebook whose cells all passed is written there with the outputs nbval saw (in order,
with execution counts), and ``docs/book/build.py --outputs-from DIR`` shows them instead
of executing the notebook a second time. A notebook with a failed cell is not written.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest

_RUNS: dict[str, dict] = {}  # notebook path -> {"nb", "outputs": {cell index: outputs or None}, "failed"}


def _cell_index(item) -> int:
    return next(i for i, cell in enumerate(item.parent.nb.cells) if cell is item.cell)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or not hasattr(item, "test_outputs") or not hasattr(item.parent, "nb"):
        return
    report = outcome.get_result()
    run = _RUNS.setdefault(str(item.parent.path), {"nb": item.parent.nb, "outputs": {}, "failed": False})
    run["failed"] = run["failed"] or report.failed
    run["outputs"][_cell_index(item)] = None if report.skipped else list(item.test_outputs or [])


def executed_notebook(nb, outputs: dict):
    """A copy of ``nb`` with ``outputs[i]`` in code cell i (none where a cell was skipped)."""
    done = copy.deepcopy(nb)
    count = 0
    for i, cell in enumerate(done.cells):
        if cell.cell_type != "code":
            continue
        ran = outputs.get(i)
        if ran is None:
            cell.outputs, cell.execution_count = [], None
            continue
        count += 1
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict({**dict(o), "execution_count": count})
                        if o.get("output_type") == "execute_result" else nbformat.from_dict(dict(o)) for o in ran]
    return done


def pytest_sessionfinish(session):
    out_dir = os.environ.get("PGAN_EXECUTED_DIR")
    if not out_dir:
        return
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for path, run in _RUNS.items():
        code_cells = [i for i, cell in enumerate(run["nb"].cells) if cell.cell_type == "code"]
        if run["failed"] or set(run["outputs"]) != set(code_cells):  # a failure, or stopped part way
            continue
        try:
            nbformat.write(executed_notebook(run["nb"], run["outputs"]), out / Path(path).name)
        except Exception as err:  # the tests passed: the book then executes this notebook itself
            print(f"\nnbval_executed: {Path(path).name} not kept ({type(err).__name__}: {err})")
