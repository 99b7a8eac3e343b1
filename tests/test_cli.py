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
