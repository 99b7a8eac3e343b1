"""Data-parallel training on this machine: two JAX devices, two JAX processes, two TensorFlow workers.

Nothing here needs a GPU: XLA shows the CPU as two devices
(``--xla_force_host_platform_device_count=2``), the processes talk over 127.0.0.1
(JAX's gloo CPU collectives, TensorFlow's gRPC), and each check runs in fresh
processes because Keras and XLA read their settings once per process.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from test_backends import NO_TENSORFLOW

from pgan import backend, distributed
from pgan.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
TWO_DEVICES = "--xla_force_host_platform_device_count=2"

pytestmark = pytest.mark.slow


def environment(keras_backend: str, **extra) -> dict:
    """The environment of a test's process: a fresh one, with no cluster settings of the caller's."""
    env = {name: value for name, value in os.environ.items() if name not in (*distributed.ENV_VARS, "TF_CONFIG")}
    return {**env, "KERAS_BACKEND": keras_backend, "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), **extra}


def run_json(script: str, *args, keras_backend: str = "jax", timeout: int = 240, **env) -> dict:
    """Run ``script`` in a fresh process; its last stdout line, as JSON."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *map(str, args)], capture_output=True,
                         text=True, timeout=timeout, cwd=ROOT, env=environment(keras_backend, **env))
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_together(commands: list[list[str]], envs: list[dict], timeout: int = 120) -> list[subprocess.CompletedProcess]:
    """Start one process per command at once; wait for all (killing all past ``timeout``)."""
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
             for command, env in zip(commands, envs, strict=True)]
    try:
        results = []
        for command, proc in zip(commands, procs, strict=True):
            stdout, stderr = proc.communicate(timeout=timeout)
            results.append(subprocess.CompletedProcess(command, proc.returncode, stdout, stderr))
        return results
    finally:
        for proc in procs:
            proc.kill()


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_settings_refuse_what_no_engine_can_run():
    with pytest.raises(ValueError, match="two engines for the same thing"):
        TrainConfig(strategy="mirrored", distribution="data_parallel")
    with pytest.raises(ValueError, match="multi_worker.*epochs instead"):
        TrainConfig(strategy="multi_worker", time_limit_minutes=5)
    with pytest.raises(ValueError, match="Unknown distribution"):
        TrainConfig(distribution="model_parallel")
    if backend.is_tensorflow():
        with pytest.raises(ValueError, match="runs on JAX in pgan.*KERAS_BACKEND=jax"):
            distributed.placement("data_parallel", None, 64)
        with pytest.raises(RuntimeError, match="joins JAX processes"):
            distributed.initialize("127.0.0.1:1234", 2, 0)


def test_multi_worker_without_tf_config_says_what_to_set(monkeypatch):
    if not backend.is_tensorflow():
        pytest.skip("TensorFlow's strategy")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    distributed.multi_worker_strategy.cache_clear()
    with pytest.raises(ValueError, match="TF_CONFIG, which is not set"):
        distributed.multi_worker_strategy()


def test_cli_refuses_process_flags_without_data_parallel(tmp_path, capsys):
    from pgan import cli

    assert cli.main(["train", "--out", str(tmp_path / "run"), "--coordinator", "127.0.0.1:1234",
                     "--num-processes", "2", "--process-id", "0"]) == 2
    assert "--distribution data_parallel" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


ONE_STEP = NO_TENSORFLOW + """
import json, sys
import numpy as np, keras, jax
from pgan import distributed, pipelines, runs
from pgan.config import TrainConfig

images = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
config = TrainConfig.quick(preset="first", batch_size=32, subset=None, ema_decay=0.9)

def one_step(distribution):
    keras.utils.set_random_seed(0)
    place = distributed.placement(distribution, None, config.batch_size)
    with place.scope():
        gan = runs.build_gan(config)
        batches = pipelines.training_input(images, config.batch_size, seed=0, place=place)
        logs = gan.fit(batches, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False).history
    weights = [np.asarray(w) for w in gan.generator.weights + gan.discriminator.weights + gan.ema_generator.weights]
    devices = len(gan.generator.weights[0].value.sharding.device_set)
    return logs, weights, devices

one, one_weights, one_devices = one_step(None)
two, two_weights, two_devices = one_step("data_parallel")
print(json.dumps({"devices": [one_devices, two_devices], "jax_devices": jax.device_count(),
                  "losses": [[one[k][0] for k in ("d_loss", "g_loss")], [two[k][0] for k in ("d_loss", "g_loss")]],
                  "max_weight_difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one_weights, two_weights)),
                  "max_weight_change": max(float(np.max(np.abs(a))) for a in one_weights)}))
"""


def test_data_parallel_step_equals_one_device_step_on_the_same_global_batch():
    result = run_json(ONE_STEP, XLA_FLAGS=TWO_DEVICES)
    assert result["jax_devices"] == 2
    assert result["devices"] == [1, 2]  # replicated on both devices under data_parallel
    np.testing.assert_allclose(result["losses"][0], result["losses"][1], rtol=1e-5)
    assert result["max_weight_difference"] < 1e-5


RUN = NO_TENSORFLOW + """
import json, sys
from pgan import runs
from pgan.config import TrainConfig
import numpy as np
images = np.random.default_rng(0).integers(0, 256, (128, 28, 28, 1), dtype=np.uint8)
config = TrainConfig.quick(preset="first", epochs=int(sys.argv[2]), batch_size=32, subset=None,
                           distribution="data_parallel",
                           checkpoint_seconds=0)
history = runs.train_gan(config, sys.argv[1], images=images, verbose=0)
print(json.dumps({"d_loss": history["d_loss"], "run": json.load(open(sys.argv[1] + "/run.json"))}))
"""


def test_data_parallel_run_on_two_devices_checkpoints_and_resumes(tmp_path):
    first = run_json(RUN, tmp_path, 1, XLA_FLAGS=TWO_DEVICES)
    assert first["run"]["distributed"] == {"engine": "data_parallel", "devices": 2, "processes": 1}
    resumed = run_json(RUN, tmp_path, 2, XLA_FLAGS=TWO_DEVICES)
    assert resumed["run"]["resumed_from_epoch"] == 1
    assert resumed["d_loss"][0] == first["d_loss"][0] and len(resumed["d_loss"]) == 2
    assert resumed["run"]["train_steps"] == 8  # 128 images, batch 32: 4 steps an epoch
    assert (tmp_path / "generator.keras").exists() and (tmp_path / "samples" / "epoch_0002.png").exists()


# Each process prints its losses and a digest of the weights it ends with (its copy of the replicated weights).
FINAL_WEIGHTS = """
import hashlib
import keras
import numpy as np

class FinalWeights(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.digest = hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in self.model.weights)).hexdigest()

final = FinalWeights()
"""

PROCESS = NO_TENSORFLOW + """
import hashlib, json, sys
from pgan import distributed
distributed.initialize(sys.argv[2], 2, int(sys.argv[3]))
import numpy as np
from pgan import runs
from pgan.config import TrainConfig
images = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
config = TrainConfig.quick(preset="first", epochs=1, batch_size=16, subset=None, distribution="data_parallel")
""" + FINAL_WEIGHTS + """
history = runs.train_gan(config, sys.argv[1], images=images, verbose=0, callbacks=[final])
print(json.dumps({"d_loss": history["d_loss"], "weights": final.digest}))
"""


def test_two_jax_processes_train_the_same_weights_and_the_chief_alone_writes(tmp_path):
    """Two processes of one device each on 127.0.0.1 (gloo): 4 steps, the same losses and weights, one set of
    files."""
    (port,) = free_ports(1)
    script = textwrap.dedent(PROCESS)
    envs = [environment("jax") for _ in range(2)]
    results = run_together([[sys.executable, "-c", script, str(tmp_path), f"127.0.0.1:{port}", str(i)]
                            for i in range(2)], envs, timeout=120)
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    outputs = [json.loads(r.stdout.strip().splitlines()[-1]) for r in results]
    assert outputs[0]["d_loss"] == outputs[1]["d_loss"] and outputs[0]["weights"] == outputs[1]["weights"]
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["distributed"] == {"engine": "data_parallel", "devices": 2, "processes": 2}
    assert run["train_steps"] == 4  # 64 images, global batch 16: each process feeds 8 of each batch
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["epoch_0001.weights.h5"]


WORKER = """
import hashlib, json, os, sys
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": sys.argv[2].split(",")},
                                      "task": {"type": "worker", "index": int(sys.argv[3])}})
from pgan import distributed
distributed.multi_worker_strategy()  # first, before TensorFlow runs anything
import keras
import numpy as np
from pgan import runs
from pgan.config import TrainConfig
images = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
config = TrainConfig.quick(preset="first", epochs=1, batch_size=16, subset=None, strategy="multi_worker")
""" + FINAL_WEIGHTS + """history = runs.train_gan(config, sys.argv[1], images=images, verbose=0, callbacks=[final])
print(json.dumps({"d_loss": history["d_loss"], "weights": final.digest}))
"""


def test_two_tensorflow_workers_train_the_same_weights_and_the_chief_alone_writes(tmp_path):
    """MultiWorkerMirroredStrategy with two workers on 127.0.0.1: the same losses and weights, one set of files."""
    ports = free_ports(2)
    cluster = ",".join(f"127.0.0.1:{port}" for port in ports)
    script = textwrap.dedent(WORKER)
    results = run_together([[sys.executable, "-c", script, str(tmp_path), cluster, str(i)] for i in range(2)],
                           [environment("tensorflow") for _ in range(2)], timeout=120)
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    outputs = [json.loads(r.stdout.strip().splitlines()[-1]) for r in results]
    assert outputs[0]["d_loss"] == outputs[1]["d_loss"] and outputs[0]["weights"] == outputs[1]["weights"]
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["distributed"] == {"engine": "multi_worker", "devices": 2, "processes": 2}
    assert run["train_steps"] == 4
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["epoch_0001.weights.h5"]


def test_cli_sets_up_multi_worker_before_tensorflow_runs(monkeypatch, tmp_path):
    from pgan import cli

    made = []
    monkeypatch.setattr(distributed, "multi_worker_strategy", lambda: made.append(True))
    args = cli.build_parser().parse_args(["train", "--out", str(tmp_path), "--strategy", "multi_worker"])
    cli._start_engines(args)
    assert made == [True]
