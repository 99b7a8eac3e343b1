"""`pgan evaluate`: scores saved samples or a generator, prints a report and, with --json, one JSON line."""

import json

import numpy as np
import pytest

from pgan import cli, data, metrics, models

KEYS = metrics.REPORT_KEYS


@pytest.fixture(scope="module")
def real_npy(fashion_mnist, tmp_path_factory):
    """200 real test images saved as `pgan sample` does: float32 in [0, 1], (N, 28, 28, 1)."""
    path = tmp_path_factory.mktemp("evaluate") / "real.npy"
    np.save(path, data.to_unit_range(data.to_model_range(fashion_mnist.x_test[:300])))
    return path


def _last_json(capsys):
    out = capsys.readouterr().out
    return out, json.loads(out.strip().splitlines()[-1])


def test_evaluate_images_prints_a_report_and_json(real_npy, capsys):
    assert cli.main(["evaluate", "--images", str(real_npy), "--num", "200", "--json"]) == 0
    out, result = _last_json(capsys)
    assert all(key in result for key in KEYS)
    assert result["n"] == 200 and result["classes_present"] >= 8 and not result["memorization_flag"]
    assert "Scoring the first 200 of the 300 images" in out and "real floor" in out and "FCD" in out


def test_evaluate_generator(tmp_path, fashion_mnist, capsys):
    path = tmp_path / "generator.keras"
    models.build_generator(latent_dim=8, width=4).save(path)
    assert cli.main(["evaluate", "--generator", str(path), "--num", "150", "--json"]) == 0
    _, result = _last_json(capsys)
    assert result["n"] == 150 and result["fcd"] > result["fcd_floor"]


def test_evaluate_user_errors_give_one_line_and_status_2(real_npy, tmp_path, capsys):
    def error(args):
        assert cli.main(["evaluate", *args]) == 2
        return capsys.readouterr().err

    assert "at least N=129" in error(["--images", str(real_npy), "--num", "100"])
    assert "does not exist" in error(["--images", str(tmp_path / "none.npy")])
    np.save(tmp_path / "model_range.npy", np.load(real_npy) * 2 - 1)
    assert "outside pixel_range='unit'" in error(
        ["--images", str(tmp_path / "model_range.npy"), "--num", "200"]
    )
    np.save(tmp_path / "flat.npy", np.zeros((200, 784), np.float32))
    assert "expected (N, 28, 28, 1)" in error(["--images", str(tmp_path / "flat.npy")])
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    assert "not a readable .npy file" in error(["--images", str(tmp_path / "junk.npy")])
    assert "does not exist" in error(["--generator", str(tmp_path / "none.keras"), "--num", "200"])
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--images", str(real_npy), "--generator", "g.keras"])
    assert "not allowed with argument" in capsys.readouterr().err
