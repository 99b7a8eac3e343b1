"""Run folders and output paths from the wild: one clear line, exit status 2, nothing damaged."""

import errno
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from pgan import cli, data, rundir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_train_out_that_is_a_file_or_someone_elses_folder_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("my notes")
    assert cli.main(["train", "--quick", "--out", str(tmp_path / "notes.txt")]) == 2
    assert "notes.txt is a file" in _error_line(capsys)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"x")
    assert cli.main(["train", "--quick", "--out", str(photos)]) == 2
    assert "already holds files (a.jpg) but no pgan run" in _error_line(capsys)
    assert sorted(p.name for p in photos.iterdir()) == ["a.jpg"]  # nothing written into it


def test_train_out_holding_another_kind_of_run_is_refused(tmp_path, capsys):
    rundir.start(tmp_path / "sr", "image_to_image", {"model": "espcn"}, keep=["model"])
    before = (tmp_path / "sr" / "config.json").read_text()
    assert cli.main(["train", "--quick", "--out", str(tmp_path / "sr")]) == 2
    assert "holds a run of another kind (image_to_image, not gan)" in _error_line(capsys)
    assert (tmp_path / "sr" / "config.json").read_text() == before


def _read_only(monkeypatch, folder):
    """Make ``folder`` unwritable, for root too (which chmod cannot stop): refuse temporary files there."""
    real = rundir.tempfile.NamedTemporaryFile

    def refuse(*args, dir=None, **kwargs):
        if dir is not None and os.path.abspath(dir) == os.path.abspath(folder):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(rundir.tempfile, "NamedTemporaryFile", refuse)


def test_read_only_run_folder_and_sample_folder_are_refused_before_any_work(tmp_path, monkeypatch, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    _read_only(monkeypatch, locked)
    assert cli.main(["train", "--quick", "--out", str(locked)]) == 2
    assert f"the run folder {locked}: cannot write there (Permission denied)" in _error_line(capsys)
    generator = tmp_path / "missing.keras"  # never opened: the folder is checked first
    assert cli.main(["sample", "--generator", str(generator), "--out", str(locked / "s.png")]) == 2
    assert f"--out {locked}: cannot write there" in _error_line(capsys)
    (tmp_path / "folder.png").mkdir()
    assert cli.main(["sample", "--generator", str(generator), "--out", str(tmp_path / "folder.png")]) == 2
    assert "is a folder; give a file name ending in .png" in _error_line(capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_read_only_folder_for_real(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert cli.main(["train", "--quick", "--out", str(locked)]) == 2
        assert "cannot write there" in _error_line(capsys)
    finally:
        locked.chmod(0o700)


def test_a_full_disk_during_training_is_one_line_and_keeps_the_last_checkpoint(fashion_mnist, tmp_path,
                                                                               monkeypatch, capsys):
    from pgan import callbacks

    run = tmp_path / "run"
    assert cli.main(["train", "--quick", "--epochs", "1", "--out", str(run), "--verbose", "0"]) == 0
    capsys.readouterr()
    state = (run / "state.json").read_text()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(callbacks, "write_recorded_weights", disk_full)
    assert cli.main(["train", "--quick", "--epochs", "2", "--out", str(run), "--verbose", "0"]) == 2
    err = _error_line(capsys)
    assert "writing a training file failed" in err and "No space left on device" in err
    assert (run / "state.json").read_text() == state  # the finished epoch is still the one to resume from
    assert [p.name for p in run.rglob(".tmp_*")] == []


def test_upscale_refuses_to_write_over_the_inputs(tmp_path, capsys):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    assert cli.main(["upscale", "--scale", "2", "--input", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "is the folder of the inputs" in _error_line(capsys)
    assert cli.main(["upscale", "--scale", "2", "--input", str(tmp_path / "a.png"), "--out", str(tmp_path)]) == 2
    assert "is the folder of the inputs" in _error_line(capsys)


def test_an_interrupted_command_says_what_it_kept(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    for command, said in (("train", "run the same command again to resume"),
                          ("upscale", "run again with --skip-existing"), ("sample", "Nothing was written")):
        monkeypatch.setitem(cli.COMMANDS, command, interrupted)
        argv = {"train": ["train", "--out", "x"], "upscale": ["upscale", "--scale", "2", "--input", "x", "--out", "y"],
                "sample": ["sample", "--generator", "g.keras", "--out", "s.png"]}[command]
        assert cli.main(argv) == 130
        assert said in capsys.readouterr().err


def test_file_names_that_are_not_utf8_print_safely_and_keep_their_name(tmp_path):
    """A photo named with a Latin-1 byte, upscaled with a strict UTF-8 terminal: no crash, same name out."""
    photos, out = os.fsencode(tmp_path / "photos"), tmp_path / "out"
    os.mkdir(photos)
    name = b"caf\xe9 'sale' \xe2\x80\x9c.png"  # a stray Latin-1 byte, quotes, a space
    Image.fromarray(np.full((12, 10), 200, np.uint8)).save(os.fsdecode(os.path.join(photos, name)))
    os.mkdir(os.path.join(photos, b"old results"))  # named in one plain warning line
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "pgan", "upscale", "--scale", "2", "--model", "espcn",
                           "--input", os.fsdecode(photos), "--out", str(out)],
                          capture_output=True, env=env, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in done.stderr
    assert b"pgan upscale: warning:" in done.stderr and b"old results: a folder" in done.stderr
    assert os.listdir(os.fsencode(out)) == [name]
    assert b"caf\\udce9" in done.stdout or b"caf\\xe9" in done.stdout


def test_a_corrupt_config_json_is_named(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{not json")
    assert cli.main(["train", "--quick", "--out", str(run)]) == 2
    assert "config.json is not valid JSON" in _error_line(capsys)
    assert (run / "config.json").read_text() == "{not json"


def test_upscale_a_folder_with_a_bomb_a_subfolder_and_a_good_photo(tmp_path, capsys):
    import struct
    import zlib

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    photos = tmp_path / "photos"
    photos.mkdir()
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)  # claims 900 million pixels
    (photos / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                                      + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
    Image.fromarray(np.full((12, 10), 200, np.uint8)).save(photos / "good.png")
    (photos / "more").mkdir()
    with pytest.warns(data.SkippedEntriesWarning, match="more: a folder"):
        status = cli.main(["upscale", "--scale", "2", "--model", "espcn", "--input", str(photos),
                           "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert status == 1 and "Traceback" not in out.err
    assert "skipped bomb.png" in out.err and "30000x30000 = 900,000,000 pixels" in out.err
    assert "--max-pixels 900000000" in out.err
    # The command line shows its warnings as one plain line, and restores Python's format afterwards.
    assert "pgan upscale: warning:" not in warnings.formatwarning("x", data.SkippedEntriesWarning, "x.py", 1)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.png"]
