"""The dependency list lives in pyproject.toml only; environment.yml installs through pip."""

from pathlib import Path

import pytest

import pgan

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_installs_the_project_through_pip():
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    # Only the interpreter and pip come from conda; every package comes from pyproject.toml.
    assert {d.split("=")[0] for d in conda} == {"python", "pip"}
    assert pip == ["-e .[dev]"] or pip == ['-e ".[dev]"']
    python = [d for d in conda if d.startswith("python")][0]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python.split("=")[1] in ("3.10", "3.11", "3.12") and "<3.13" in requires


def test_pyproject_lists_the_design_card_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in project["dependencies"]}
    assert {"tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "jupyterlab"} <= names
    dev = {d.split(">")[0].strip().lower() for d in project["optional-dependencies"]["dev"]}
    assert {"pytest", "nbval", "ruff", "nbstripout"} <= dev
    assert project["scripts"]["pgan"] == "pgan.cli:main"


def test_importing_pgan_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, pgan; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_quiet_tensorflow_hides_the_start_up_lines():
    import subprocess
    import sys

    code = "import pgan; pgan.quiet_tensorflow(); import tensorflow as tf; print(float(tf.constant(2.0)))"
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "2.0"
    assert "oneDNN" not in out.stderr and "cuda" not in out.stderr.lower()


@pytest.mark.parametrize(
    "quick, klass, mode",
    [("1", "", "quick"), ("1", "1", "quick"), ("", "1", "class"), ("0", "yes", "class"), ("", "", "full"),
     ("0", "0", "full")],
)
def test_run_mode_reads_the_two_switches(monkeypatch, quick, klass, mode):
    monkeypatch.setenv("PGAN_QUICK", quick)
    monkeypatch.setenv("PGAN_CLASS", klass)
    assert pgan.run_mode() == mode
