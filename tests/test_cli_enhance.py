import json

import numpy as np
import pytest
from PIL import Image

from pgan import cli, restore, superres


@pytest.fixture
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    gray = np.zeros((30, 22), np.uint8)
    gray[5:25, 6:16] = 200
    Image.fromarray(gray).save(folder / "shirt.png")
    rgb = np.full((40, 36, 3), 245, np.uint8)
    rgb[8:32, 8:28] = rng.integers(30, 120, (24, 20, 3))
    Image.fromarray(rgb).save(folder / "bag.jpg")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return folder


@pytest.fixture(scope="module")
def espcn_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "espcn.keras"
    superres.build_espcn(4, filters=8).save(path)
    return path


def test_upscale_folder_with_a_corrupt_file(photo_folder, tmp_path, capsys):
    out = tmp_path / "big"
    status = cli.main(["upscale", "--scale", "2", "--input", str(photo_folder), "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 1
    assert "corrupt.png" in captured.err and "not a readable image" in captured.err
    assert "Wrote 2 of 3 images" in captured.out
    assert Image.open(out / "shirt.png").size == (44, 60)
    big = Image.open(out / "bag.jpg")
    assert big.size == (72, 80) and big.mode == "RGB"
    assert not (out / "corrupt.png").exists()


def test_upscale_single_file_with_own_weights(photo_folder, espcn_file, tmp_path):
    status = cli.main(["upscale", "--scale", "4", "--weights", str(espcn_file), "--color", "per-channel",
                       "--input", str(photo_folder / "bag.jpg"), "--out", str(tmp_path)])
    assert status == 0
    assert Image.open(tmp_path / "bag.jpg").size == (144, 160)


def test_upscale_errors_are_one_line(tmp_path, capsys):
    assert cli.main(["upscale", "--scale", "2", "--input", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "w.keras"
    bad.write_bytes(b"nope")
    (tmp_path / "a.png").write_bytes(b"")
    assert cli.main(["upscale", "--scale", "2", "--weights", str(bad), "--input", str(tmp_path / "a.png"),
                     "--out", str(tmp_path / "o")]) == 2
    assert "could not be loaded" in capsys.readouterr().err


def test_restore_denoise_and_inpaint(photo_folder, tmp_path, capsys):
    out = tmp_path / "clean"
    status = cli.main(["restore", "--task", "denoise", "--input", str(photo_folder / "shirt.png"),
                       "--out", str(out)])
    assert status == 0 and Image.open(out / "shirt.png").size == (22, 30)
    assert cli.main(["restore", "--task", "inpaint", "--input", str(photo_folder / "shirt.png"),
                     "--out", str(out)]) == 2
    assert "needs --mask" in capsys.readouterr().err
    mask = np.zeros((30, 22), np.uint8)
    mask[10:16, 8:14] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    status = cli.main(["restore", "--task", "inpaint", "--variant", "adversarial", "--mask",
                       str(tmp_path / "mask.png"), "--input", str(photo_folder / "shirt.png"), "--out", str(out)])
    assert status == 0
    result = np.asarray(Image.open(out / "shirt.png"))
    original = np.asarray(Image.open(photo_folder / "shirt.png"))
    np.testing.assert_array_equal(result[mask == 0], original[mask == 0])


def test_evaluate_sr_json(capsys):
    status = cli.main(["evaluate-sr", "--scale", "4", "--model", "espcn", "--num", "150", "--json"])
    out = capsys.readouterr().out
    assert status == 0 and "bicubic" in out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["num"] == 150 and set(result["results"]) == {"nearest", "bilinear", "bicubic", "espcn"}
    assert all(np.isfinite(row["fcd"]) for row in result["results"].values())


def test_mismatched_weights_are_refused(photo_folder, espcn_file, tmp_path, capsys):
    status = cli.main(["upscale", "--scale", "2", "--weights", str(espcn_file),
                       "--input", str(photo_folder / "shirt.png"), "--out", str(tmp_path)])
    assert status == 2 and "enlarges by 4, not by the requested 2" in capsys.readouterr().err
    denoiser = tmp_path / "denoise.keras"
    restore.build_unet("denoise", filters=4).save(denoiser)
    mask = tmp_path / "m.png"
    Image.fromarray(np.zeros((30, 22), np.uint8)).save(mask)
    status = cli.main(["restore", "--task", "inpaint", "--weights", str(denoiser), "--mask", str(mask),
                       "--input", str(photo_folder / "shirt.png"), "--out", str(tmp_path / "r")])
    assert status == 2 and "inpaint needs 2" in capsys.readouterr().err
    assert cli.main(["evaluate-sr", "--scale", "2", "--num", "50"]) == 2
    assert "too few" in capsys.readouterr().err


def test_restore_model_names():
    assert restore.pretrained_name("deblur", "adversarial") == "restore_deblur_adversarial"
    with pytest.raises(ValueError, match="variant"):
        restore.pretrained_name("deblur", "gan")
