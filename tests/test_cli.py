import subprocess
import sys

import numpy as np
import pytest

from pgan import cli, models


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "generator.keras"
    models.build_generator(latent_dim=8, width=4).save(path)
    return path


def test_sample_npy_is_float32_in_unit_range(generator_file, tmp_path):
    out = tmp_path / "s.npy"
    assert cli.main(["sample", "--generator", str(generator_file), "--num", "5", "--out", str(out)]) == 0
    images = np.load(out)
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_sample_png_and_seed(generator_file, tmp_path):
    assert cli.main(["sample", "--generator", str(generator_file), "--out", str(tmp_path / "g.png")]) == 0
    from PIL import Image

    assert Image.open(tmp_path / "g.png").size[0] > 100
    for name in ("a.npy", "b.npy"):
        cli.main(["sample", "--generator", str(generator_file), "--num", "3", "--seed", "4",
                  "--out", str(tmp_path / name)])
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_user_errors_give_one_line_and_status_2(generator_file, tmp_path, capsys):
    assert cli.main(["sample", "--generator", str(generator_file), "--out", str(tmp_path / "x.jpg")]) == 2
    assert "--out must end in .npy or .png" in capsys.readouterr().err
    assert cli.main(["sample", "--generator", str(tmp_path / "none.keras"), "--out", str(tmp_path / "x.npy")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["sample", "--generator", str(generator_file), "--num", "-3", "--out", "x.npy"])
    assert "expected a positive integer" in capsys.readouterr().err


def test_train_quick_then_resume_then_sample(fashion_mnist, tmp_path):
    run = tmp_path / "run"
    args = ["train", "--model", "workshop", "--quick", "--out", str(run), "--verbose", "0"]
    assert cli.main(args) == 0
    assert (run / "generator.keras").exists() and (run / "history.json").exists()
    assert cli.main(args) == 0  # finished run: re-exports without training again
    assert cli.main(["sample", "--generator", str(run / "generator.keras"), "--num", "4",
                     "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (4, 28, 28, 1)


def test_python_dash_m_pgan_help():
    out = subprocess.run([sys.executable, "-m", "pgan", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for command in ("train", "sample", "bench"):
        assert command in out.stdout


def test_a_killed_training_process_resumes(fashion_mnist, tmp_path):
    """SIGKILL mid-run (no chance to clean up), then the same command finishes the run."""
    import json
    import os
    import signal
    import time

    run = tmp_path / "run"
    command = [sys.executable, "-m", "pgan", "train", "--model", "workshop", "--epochs", "3",
               "--batch-size", "32", "--subset", "320", "--out", str(run), "--verbose", "0"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = run / "state.json"
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if state.exists() and json.loads(state.read_text())["epoch"] >= 1:
            break
        time.sleep(0.05)
    assert process.poll() is None, f"training ended before it could be killed: {process.stderr.read()[-2000:]}"
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads(state.read_text())["epoch"]
    assert 1 <= killed_at < 3

    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    run_info = json.loads((run / "run.json").read_text())
    assert run_info["resumed_from_epoch"] == killed_at and run_info["epochs_done"] == 3
    assert len(json.loads((run / "history.json").read_text())["d_loss"]) == 3
