"""Work killed at any moment: training resumes with every epoch once; photo folders keep only whole files."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _temporaries(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".tmp_*"))


@pytest.mark.slow
def test_training_killed_several_times_at_random_moments_completes_each_epoch_once(fashion_mnist, tmp_path):
    """SIGKILL (no chance to clean up) at random moments: while TensorFlow starts, mid-epoch, while a
    checkpoint is written; then the same command finishes the run."""
    run = tmp_path / "run"
    epochs = 4
    command = [sys.executable, "-m", "pgan", "train", "--model", "workshop", "--epochs", str(epochs),
               "--batch-size", "32", "--subset", "1280", "--checkpoint-seconds", "0", "--out", str(run),
               "--verbose", "0"]
    rng = random.Random(7)  # the moments are random but the same on every run of the test
    landed = []
    for _ in range(3):
        process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + rng.uniform(4.0, 14.0)
        while time.time() < deadline and process.poll() is None:
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            state = run / "state.json"
            landed.append(json.loads(state.read_text())["epoch"] if state.exists() else 0)
        else:
            assert process.returncode == 0, process.stderr.read()[-2000:]
    assert len(landed) >= 2, f"the run ended before the kills landed (kills at epochs {landed})"

    out = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    history = json.loads((run / "history.json").read_text())
    assert {len(values) for values in history.values()} == {epochs}, history  # each epoch exactly once
    run_info = json.loads((run / "run.json").read_text())
    assert run_info["epochs_done"] == epochs
    assert _temporaries(run) == []
    from pgan import sampling

    assert sampling.load_generator(run / "generator.keras").name == "generator"


@pytest.mark.slow
def test_a_killed_upscale_leaves_only_whole_images_and_finishes_with_skip_existing(tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "big"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):
        Image.fromarray(rng.integers(0, 255, (160, 120, 3), dtype=np.uint8)).save(photos / f"item {i:02d}.png")
    command = [sys.executable, "-m", "pgan", "upscale", "--scale", "2", "--model", "espcn", "--input", str(photos),
               "--out", str(out)]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and len(list(out.glob("item*.png"))) < 5:
        time.sleep(0.01)
    assert process.poll() is None, "upscaling ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = sorted(out.glob("item*.png"))
    assert 5 <= len(written) < 40
    for path in written:  # whole files only under final names
        with Image.open(path) as image:
            image.load()
            assert image.size == (240, 320)

    again = subprocess.run([*command, "--skip-existing"], env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"({len(written)} already there, skipped)" in again.stdout
    assert len(list(out.glob("item*.png"))) == 40 and _temporaries(out) == []
