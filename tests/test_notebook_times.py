"""The times the notebooks and README quote are the ones benchmarks/notebook_times.py measured."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("notebook_times", ROOT / "benchmarks" / "notebook_times.py")
notebook_times = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebook_times)


def test_phrases_round_like_a_reader_would():
    assert [notebook_times.phrase(s) for s in (1.2, 44, 47.6, 119, 121, 1500, None)] == [
        "5 s", "45 s", "50 s", "120 s", "2 min", "25 min", "not timed"]


def test_every_quoted_time_matches_the_measured_file():
    results = json.loads(notebook_times.RESULTS.read_text())
    assert notebook_times.sync(results, check=True) == [], (
        "run `python benchmarks/notebook_times.py --sync` after measuring")


def test_every_notebook_has_a_measured_quick_mode_time():
    rows = {r["notebook"]: r for r in json.loads(notebook_times.RESULTS.read_text())["notebooks"]}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert rows.get(path.stem, {}).get("quick_seconds"), f"{path.stem} has no measured quick-mode time"
