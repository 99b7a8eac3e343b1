"""pgan.diffusion: the flow-matching pieces, the U-Net, FlowModel on both backends, runs, save and load."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from pgan import diffusion, models
from pgan.config import TrainConfig
from pgan.diffusion import flow, runs

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(0)


def tiny_net(num_classes=None, **kwargs):
    return diffusion.build_velocity_net(num_classes=num_classes, width=8, attention=False, **kwargs)


def weights(model):
    return [np.array(w) for w in model.weights]


# ------------------------------------------------------------------ the pure functions


def test_interpolate_and_target_match_the_straight_path():
    noise, images = RNG.normal(size=(3, 4, 4, 1)), RNG.uniform(-1, 1, (3, 4, 4, 1))
    t = np.array([0.0, 0.25, 1.0])
    x_t = keras.ops.convert_to_numpy(flow.interpolate(noise, images, t))
    np.testing.assert_allclose(x_t[0], noise[0], atol=1e-6)
    np.testing.assert_allclose(x_t[1], 0.75 * noise[1] + 0.25 * images[1], atol=1e-6)
    np.testing.assert_allclose(x_t[2], images[2], atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(flow.velocity_target(noise, images)), images - noise,
                               atol=1e-6)


def test_loss_on_fixed_inputs_equals_the_hand_computation():
    noise = np.array([[[[0.5]], [[-1.0]]]], dtype="float32")  # (1, 2, 1, 1)
    data = np.array([[[[1.0]], [[0.0]]]], dtype="float32")
    predicted = np.array([[[[0.0]], [[2.0]]]], dtype="float32")
    # targets data - noise = 0.5 and 1.0; errors -0.5 and 1.0; mean of squares (0.25 + 1) / 2
    assert float(flow.flow_matching_loss(predicted, noise, data)) == pytest.approx(0.625)
    noise, data, predicted = (RNG.normal(size=(4, 6, 6, 2)).astype("float32") for _ in range(3))
    expected = np.mean((predicted - (data - noise)) ** 2)
    assert float(flow.flow_matching_loss(predicted, noise, data)) == pytest.approx(expected, rel=1e-5)


def test_euler_and_heun_steps_equal_the_hand_computation():
    def velocity(x, t):
        return (1.0 + t) * x

    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(flow.euler_step(velocity, x, 0.5, 0.25), x + 0.25 * 1.5 * x)
    # Heun: v0 = 1.5 x; x1 = x + 0.25 v0; v1 = 1.75 x1; x + 0.125 (v0 + v1)
    x1 = x + 0.25 * 1.5 * x
    np.testing.assert_allclose(flow.heun_step(velocity, x, 0.5, 0.25), x + 0.125 * (1.5 * x + 1.75 * x1))


def test_time_samples_lie_in_the_unit_interval():
    for distribution in flow.TIME_SAMPLINGS:
        t = keras.ops.convert_to_numpy(flow.sample_times(1000, 0, distribution))
        assert t.shape == (1000,) and 0.0 <= t.min() and t.max() <= 1.0
    t = keras.ops.convert_to_numpy(flow.sample_times(1000, 0, "logit_normal"))
    assert 0.4 < np.median(t) < 0.6 and np.mean(np.abs(t - 0.5) < 0.25) > 0.6  # the middle drawn more often
    with pytest.raises(ValueError, match="time distribution"):
        flow.sample_times(4, 0, "beta")


# ------------------------------------------------------------------ the network


def test_velocity_net_shapes_and_parameters():
    plain, conditional = diffusion.build_velocity_net(), diffusion.build_velocity_net(num_classes=10)
    assert plain.count_params() == 554_945 and conditional.count_params() == 556_353
    x = RNG.normal(size=(2, 28, 28, 1)).astype("float32")
    t = np.array([0.1, 0.9], dtype="float32")
    assert plain.predict_on_batch([x, t]).shape == (2, 28, 28, 1)
    assert conditional.predict_on_batch([x, t, np.array([0, 10], dtype="int32")]).shape == (2, 28, 28, 1)
    assert diffusion.num_classes_of(plain) is None and diffusion.num_classes_of(conditional) == 10
    assert diffusion.is_flow_model(plain) and diffusion.is_flow_model(conditional)
    assert not diffusion.is_flow_model(models.build_generator(latent_dim=8, width=4))
    rgb = diffusion.build_velocity_net((32, 16, 3), width=8, attention=False)
    assert rgb.output.shape == (None, 32, 16, 3)
    assert not any(isinstance(layer, keras.layers.MultiHeadAttention) for layer in rgb.layers)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"image_shape": (27, 28, 1)}, "multiples of 4"),
    ({"image_shape": (28, 28)}, r"\(height, width, channels\)"),
    ({"width": 12}, "multiple of 8"),
    ({"num_classes": 0}, "num_classes must be a positive int"),
])
def test_velocity_net_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diffusion.build_velocity_net(**kwargs)


# ------------------------------------------------------------------ sampling


def test_sampling_is_deterministic_for_a_seed():
    net = tiny_net()
    first = diffusion.sample(net, 6, steps=3, seed=1, batch_size=4)
    assert first.shape == (6, 28, 28, 1) and first.dtype == np.float32
    assert -1.0 <= first.min() and first.max() <= 1.0
    np.testing.assert_array_equal(first, diffusion.sample(net, 6, steps=3, seed=1, batch_size=4))
    np.testing.assert_allclose(first, diffusion.sample(net, 6, steps=3, seed=1), atol=1e-5)  # one batch of 6
    assert not np.array_equal(first, diffusion.sample(net, 6, steps=3, seed=2))
    heun = diffusion.sample(net, 6, steps=3, seed=1, solver="heun")
    assert not np.array_equal(first, heun)
    unit = diffusion.generate_images(net, 6, seed=1, steps=3)
    np.testing.assert_allclose(unit, (first + 1) / 2, atol=1e-6)


def test_guidance_one_is_the_conditional_velocity_and_guidance_mixes():
    net = tiny_net(num_classes=3)
    x = RNG.normal(size=(4, 28, 28, 1)).astype("float32")
    labels = np.array([0, 1, 2, 1], dtype="int32")
    times = np.full(4, 0.3, dtype="float32")
    conditional = net.predict_on_batch([x, times, labels])
    unconditional = net.predict_on_batch([x, times, np.full(4, 3, dtype="int32")])
    np.testing.assert_allclose(flow.velocity_function(net, labels, 1.0)(x, 0.3), conditional, atol=1e-5)
    np.testing.assert_allclose(flow.velocity_function(net, labels, 2.5)(x, 0.3),
                               unconditional + 2.5 * (conditional - unconditional), atol=1e-4)
    np.testing.assert_allclose(flow.velocity_function(net, labels, 0.0)(x, 0.3), unconditional, atol=1e-5)


def test_sampling_rejects_bad_arguments_with_clear_messages():
    plain, conditional = tiny_net(), tiny_net(num_classes=3)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        diffusion.sample(plain, 2, steps=0)
    with pytest.raises(ValueError, match="num_examples must be a positive int"):
        diffusion.sample(plain, 0)
    with pytest.raises(ValueError, match=r"class labels must be in 0\.\.2, got 0\.\.3"):
        diffusion.sample(conditional, 2, steps=1, labels=[0, 3])
    with pytest.raises(ValueError, match="unconditional"):
        diffusion.sample(plain, 2, steps=1, labels=[0, 1])
    with pytest.raises(ValueError, match="guidance must be a number >= 0"):
        diffusion.sample(conditional, 2, steps=1, guidance=-1.0)
    with pytest.raises(ValueError, match="Unknown solver"):
        diffusion.sample(plain, 2, steps=1, solver="rk4")
    labels = flow.sample_labels(conditional, 5)
    np.testing.assert_array_equal(labels, [0, 1, 2, 0, 1])


def test_save_load_and_sample_round_trip(tmp_path):
    net = tiny_net(num_classes=3, sample_steps=3, guidance=1.5)
    path = tmp_path / "flow.keras"
    net.save(path)
    loaded = diffusion.load_flow(path)
    assert diffusion.sampling_settings(loaded) == {"steps": 3, "guidance": 1.5}
    np.testing.assert_allclose(diffusion.generate_images(loaded, 5, seed=0),
                               diffusion.generate_images(net, 5, seed=0), atol=1e-6)
    assert keras.saving.load_model(path, safe_mode=True).count_params() == net.count_params()


def test_load_flow_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="pgan train --model flow"):
        diffusion.load_flow(tmp_path / "missing.keras")
    generator = models.build_generator(latent_dim=8, width=4)
    generator.save(tmp_path / "generator.keras")
    with pytest.raises(ValueError, match="not a flow model"):
        diffusion.load_flow(tmp_path / "generator.keras")
    with pytest.raises(TypeError, match="not a flow model's velocity network"):
        diffusion.generate_images(generator, 2)


# ------------------------------------------------------------------ training


def test_one_fit_step_changes_the_weights_and_the_ema_follows():
    net = tiny_net(num_classes=3)
    model = diffusion.FlowModel(net, seed=0, ema_decay=0.999)
    model.compile(keras.optimizers.Adam(1e-3))
    before, seed_before = weights(net), np.array(model.seed_generator.state)
    images = RNG.uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    history = model.fit(images, np.arange(8) % 3, batch_size=8, epochs=1, verbose=0).history
    assert list(history) == ["loss"] and np.isfinite(history["loss"][0])
    after = weights(net)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    # After one step the EMA's decay is warmed up to min(0.999, 2 / 11).
    decay = 2 / 11
    for average, old, new in zip(weights(model.ema_network), before, after, strict=True):
        np.testing.assert_allclose(average, decay * old + (1 - decay) * new, atol=1e-6)
    assert model.sampling_network is model.ema_network
    assert not np.array_equal(seed_before, np.array(model.seed_generator.state))  # fresh noise each step


def test_flow_model_rejects_bad_settings():
    with pytest.raises(ValueError, match="ema_decay must be in"):
        diffusion.FlowModel(tiny_net(), ema_decay=1.0)
    with pytest.raises(ValueError, match="label_dropout must be in"):
        diffusion.FlowModel(tiny_net(), label_dropout=1.0)
    with pytest.raises(ValueError, match="time_sampling"):
        diffusion.FlowModel(tiny_net(), time_sampling="cosine")
    model = diffusion.FlowModel(tiny_net(num_classes=3))
    model.compile(keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match="trains on \\(images, labels\\) batches"):
        model.unpack(np.zeros((2, 28, 28, 1), "float32"))


def test_train_flow_refuses_gan_settings(tmp_path):
    with pytest.raises(ValueError, match="n_critic=5, spectral_norm=True: these settings of a GAN run"):
        runs.check_flow_config(TrainConfig(preset="flow", n_critic=5, spectral_norm=True))
    with pytest.raises(ValueError, match="trains a flow preset"):
        diffusion.train_flow(TrainConfig(preset="first"), tmp_path)


@pytest.fixture
def tiny_width(monkeypatch):
    monkeypatch.setitem(runs.PRESETS, "flow", {"width": 8, "attention": False})


@pytest.mark.slow
def test_train_flow_resumes_and_exports(tiny_images, tmp_path, tiny_width):
    labels = np.arange(len(tiny_images)) % 4
    config = dict(preset="flow", batch_size=32, subset=64, ema_decay=0.99, sample_steps=2, conditional="classes",
                  checkpoint_seconds=0.0)
    first = diffusion.train_flow(TrainConfig(epochs=1, **config), tmp_path, tiny_images, labels, verbose=0)
    assert len(first["loss"]) == 1
    history = diffusion.train_flow(TrainConfig(epochs=2, **config), tmp_path, tiny_images, labels, verbose=0)
    assert len(history["loss"]) == 2 and history["loss"][0] == first["loss"][0]
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["resumed_from_epoch"] == 1 and run["train_steps"] == 4 and run["exported"] == "ema_network"
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png",
                                                                       "progress.gif"]
    network = diffusion.load_flow(tmp_path / "flow.keras")
    assert diffusion.num_classes_of(network) == 4
    assert diffusion.sampling_settings(network) == {"steps": 2, "guidance": 2.0}
    assert diffusion.generate_images(network, 4, seed=0).shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match="label_dropout"):
        diffusion.train_flow(TrainConfig(epochs=3, label_dropout=0.2, **config), tmp_path, tiny_images, labels,
                             verbose=0)


# ------------------------------------------------------------------ JAX


JAX_SCRIPT = """
import json
import sys
import keras
import numpy as np
from pgan import diffusion
from pgan.config import TrainConfig
from pgan.diffusion import runs

assert keras.backend.backend() == "jax"


def values(variables):
    return [keras.ops.convert_to_numpy(v) for v in variables]


rng = np.random.default_rng(0)
net = diffusion.build_velocity_net(num_classes=3, width=8, attention=False)
model = diffusion.FlowModel(net, seed=0, ema_decay=0.999)
model.compile(keras.optimizers.Adam(1e-3))
before, seed_before = values(net.weights), values([model.seed_generator.state])[0]
images = rng.uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
loss = float(model.train_on_batch(images, np.arange(8) % 3, return_dict=True)["loss"])
after = values(net.weights)
ema_error = max(float(np.abs(e - (2 / 11 * b + 9 / 11 * a)).max())
                for e, b, a in zip(values(model.ema_network.weights), before, after))

# A run: the JAX input pipeline with labels, two steps in one compiled call, the sample grid, the export.
runs.PRESETS["flow"] = {"width": 8, "attention": False}
config = TrainConfig(preset="flow", epochs=1, batch_size=32, subset=64, sample_steps=2, conditional="classes",
                     ema_decay=0.99, steps_per_execution=2)
uint8 = rng.integers(0, 255, (64, 28, 28, 1), dtype="uint8")
run = diffusion.train_flow(config, sys.argv[1], uint8, np.arange(64) % 3, verbose=0)
steps = json.load(open(sys.argv[1] + "/run.json"))["train_steps"]
print(json.dumps({
    "loss": loss,
    "changed": any(not np.array_equal(a, b) for a, b in zip(before, after)),
    "ema_error": ema_error,
    "seed_advanced": bool(not np.array_equal(seed_before, values([model.seed_generator.state])[0])),
    "run_loss": run["loss"],
    "run_steps": steps,
    "same_samples": bool(np.array_equal(diffusion.sample(net, 3, steps=2, seed=0),
                                        diffusion.sample(net, 3, steps=2, seed=0))),
}))
"""


@pytest.mark.backend
def test_fit_and_train_flow_on_jax(tmp_path):
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(JAX_SCRIPT), str(tmp_path / "run")],
                         capture_output=True, text=True, env=env, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert np.isfinite(result["loss"]) and result["changed"] and result["seed_advanced"]
    assert result["ema_error"] < 1e-6  # the EMA of one step: 2/11 of the old weights, 9/11 of the new
    assert result["run_steps"] == 2 and np.isfinite(result["run_loss"]).all()
    assert result["same_samples"]
    assert (tmp_path / "run" / "flow.keras").exists() and (tmp_path / "run" / "samples" / "epoch_0001.png").exists()


# ------------------------------------------------------------------ the command line and pgan.sampling


def test_pgan_sample_and_load_generator_take_a_flow_model(tmp_path, capsys):
    from pgan import cli, sampling

    net = tiny_net(num_classes=10, sample_steps=3, guidance=2.0)
    path = tmp_path / "flow.keras"
    net.save(path)
    loaded = sampling.load_generator(path)  # what pgan sample, pgan evaluate and the widgets load
    assert diffusion.is_flow_model(loaded) and sampling.num_classes_of(loaded) == 10
    np.testing.assert_allclose(sampling.generate_images(loaded, 4, seed=0, steps=2),
                               diffusion.sample(net, 4, steps=2, seed=0, guidance=2.0), atol=1e-5)
    out = tmp_path / "sneakers.npy"
    assert cli.main(["sample", "--generator", str(path), "--steps", "2", "--num", "4", "--class-name", "Sneaker",
                     "--out", str(out)]) == 0
    images = np.load(out)
    assert images.shape == (4, 28, 28, 1) and 0.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_allclose(images, diffusion.generate_images(net, 4, seed=0, steps=2, labels=7), atol=1e-5)


def test_the_command_line_says_which_options_belong_to_which_family(tmp_path, capsys):
    from pgan import cli

    generator, _ = models.build_gan_models("first")
    path = tmp_path / "generator.keras"
    generator.save(path)
    assert cli.main(["sample", "--generator", str(path), "--steps", "4", "--out", str(tmp_path / "x.png")]) == 2
    assert "one forward pass. Drop steps" in capsys.readouterr().err
    assert cli.main(["train", "--model", "flow", "--conditional", "projection", "--out", str(tmp_path / "r")]) == 2
    assert "a flow model takes conditional='classes'" in capsys.readouterr().err
    assert cli.main(["train", "--model", "flow_small", "--loss", "hinge", "--out", str(tmp_path / "r2")]) == 2
    assert "loss='hinge': these settings of a GAN run" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not a GAN: train it with pgan.diffusion.train_flow"):
        from pgan import runs as gan_runs

        gan_runs.train_gan(TrainConfig(preset="flow"), tmp_path / "r3")


def test_bench_times_the_flow_models_training_and_sampling(monkeypatch):
    from pgan import bench

    monkeypatch.setitem(runs.PRESETS, "flow", {"width": 8, "attention": False})
    result = bench.run_flow_benchmark(batch_size=4, steps=2, sample_steps=(1, 2))
    assert result["model"] == "flow" and result["batch_size"] == 4 and result["train_img_per_s"] > 0
    assert set(result["sample_ms_per_image"]) == {"1", "2"} and all(v > 0 for v in result["sample_ms_per_image"].values())
