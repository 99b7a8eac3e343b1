import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from pgan import data, models, runs, sampling
from pgan.callbacks import StopOnNonFinite, TrainingDivergedError
from pgan.gan import GAN


def small_gan(seed=0, d_lr=1e-3, g_lr=1e-3, **compile_kwargs):
    generator = models.build_generator(latent_dim=8, width=4)
    discriminator = models.build_discriminator(width=4)
    gan = GAN(generator, discriminator, seed=seed)
    gan.compile(keras.optimizers.Adam(d_lr), keras.optimizers.Adam(g_lr), **compile_kwargs)
    return gan


def weights(model):
    return [np.array(w) for w in model.trainable_weights]


def changed(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def one_step(gan, images):
    return gan.fit(data.make_dataset(images, 32, subset=32), epochs=1, verbose=0)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_d_step_leaves_g_unchanged(tiny_images, update):
    gan = small_gan(g_lr=0.0, update=update)
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    one_step(gan, tiny_images)
    assert not changed(g0, weights(gan.generator))
    assert changed(d0, weights(gan.discriminator))


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_g_step_leaves_d_unchanged(tiny_images, update):
    gan = small_gan(d_lr=0.0, update=update)
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    one_step(gan, tiny_images)
    assert changed(g0, weights(gan.generator))
    assert not changed(d0, weights(gan.discriminator))


def test_metrics_are_finite_and_in_range(tiny_images):
    history = one_step(small_gan(), tiny_images).history
    assert set(history) == {"d_loss", "g_loss", "d_real_acc", "d_fake_acc"}
    assert all(np.isfinite(v[0]) for v in history.values())
    assert 0.0 <= history["d_real_acc"][0] <= 1.0 and 0.0 <= history["d_fake_acc"][0] <= 1.0


def test_compile_rejects_a_shared_optimizer_and_bad_update():
    generator = models.build_generator(latent_dim=8, width=4)
    gan = GAN(generator, models.build_discriminator(width=4))
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="same object"):
        gan.compile(opt, opt)
    with pytest.raises(ValueError, match="update must be"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), update="sometimes")
    assert gan.latent_dim == 8


def test_seed_reproduces_training_and_samples(tiny_images):
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        gan = small_gan(seed=3)
        one_step(gan, tiny_images)
        results.append(sampling.generate_images(gan.generator, 6, seed=11))
    np.testing.assert_allclose(results[0], results[1], atol=1e-6)
    other = sampling.generate_images(gan.generator, 6, seed=12)
    assert not np.allclose(results[0], other)


def test_steps_per_execution_gives_the_same_training(tiny_images):
    # Several steps per compiled call is a speed knob only (pgan train --steps-per-execution).
    results = []
    for steps in (1, 4):
        keras.utils.set_random_seed(3)
        gan = small_gan(seed=3, steps_per_execution=steps)
        history = gan.fit(data.make_dataset(tiny_images, 16, subset=128), epochs=1, verbose=0).history
        results.append((weights(gan.generator) + weights(gan.discriminator), history["d_loss"][-1]))
    for a, b in zip(results[0][0], results[1][0], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert results[0][1] == pytest.approx(results[1][1], abs=1e-6)
    assert runs.TrainConfig(steps_per_execution=8).steps_per_execution == 8


def test_non_finite_loss_stops_with_a_clear_message(tiny_images):
    gan = small_gan(g_loss=lambda logits: keras.ops.mean(logits) * np.nan)
    with pytest.raises(TrainingDivergedError, match=r"g_loss \(the generator loss\) became nan.*resume"):
        gan.fit(data.make_dataset(tiny_images, 32), epochs=1, verbose=0,
                callbacks=[StopOnNonFinite(check_every=1)])


class Interrupt(keras.callbacks.Callback):
    """Simulate a kill in the middle of epoch ``at_epoch`` (1-based)."""

    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current_epoch + 1 == self.at_epoch and batch == 1:
            raise KeyboardInterrupt

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch


def test_interrupted_run_resumes_from_last_finished_epoch(tiny_images, tmp_path):
    config = runs.TrainConfig.quick(epochs=3, batch_size=32, subset=None)
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        runs.train_gan(config, run_dir, images=tiny_images, callbacks=[Interrupt(2)], verbose=0)
    state = json.loads((run_dir / "state.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]["d_loss"]) == 1
    assert not (run_dir / "generator.keras").exists()
    # A crash while writing a checkpoint leaves a temporary file; it must not matter.
    (run_dir / "checkpoints" / ".tmp_epoch_0002.weights.h5").write_bytes(b"partial")

    history = runs.train_gan(config, run_dir, images=tiny_images, verbose=0)
    assert len(history["d_loss"]) == 3
    info = json.loads((run_dir / "run.json").read_text())
    assert info["resumed_from_epoch"] == 1 and info["epochs_done"] == 3
    assert sorted(p.name for p in (run_dir / "samples").glob("epoch_*.png")) == [
        "epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    assert (run_dir / "samples" / "progress.gif").exists()
    assert len(list((run_dir / "checkpoints").glob("epoch_*.weights.h5"))) == 2


def test_resumed_weights_equal_the_checkpoint(tiny_images, tmp_path):
    config = runs.TrainConfig.quick(epochs=1, batch_size=32, subset=64)
    runs.train_gan(config, tmp_path / "r", images=tiny_images, verbose=0)
    saved = sampling.load_generator(tmp_path / "r" / "generator.keras")
    restored = runs.build_gan(config)
    runs.ResumableCheckpoint(tmp_path / "r").restore(restored)
    z = sampling.sample_noise(4, 64, seed=0)
    np.testing.assert_allclose(np.asarray(saved(z)), np.asarray(restored.generator(z)), atol=1e-6)


def test_resume_with_different_settings_is_refused(tiny_images, tmp_path):
    runs.train_gan(runs.TrainConfig.quick(epochs=1, batch_size=32, subset=64), tmp_path, images=tiny_images, verbose=0)
    with pytest.raises(ValueError, match=r"different settings \(batch_size: 32 -> 64\)"):
        runs.train_gan(runs.TrainConfig.quick(epochs=2, batch_size=64, subset=64), tmp_path, images=tiny_images)


def test_bad_config_values():
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        runs.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="mixed_precision must be"):
        runs.TrainConfig(mixed_precision="float8")
    with pytest.raises(ValueError, match="Unknown preset"):
        runs.TrainConfig(preset="stylegan")


def test_mixed_precision_step_is_finite_and_policy_is_restored(tiny_images, tmp_path):
    config = runs.TrainConfig.quick(epochs=1, batch_size=32, subset=64, mixed_precision="mixed_float16")
    history = runs.train_gan(config, tmp_path, images=tiny_images, verbose=0)
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    assert keras.config.dtype_policy().name == "float32"
    generator = sampling.load_generator(tmp_path / "generator.keras")
    assert generator.get_layer("up1").compute_dtype == "float16"
    assert generator.get_layer("tanh").compute_dtype == "float32"
    with runs.dtype_policy("mixed_float16"):
        gan = runs.build_gan(config)
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import json, sys
    import numpy as np
    from pgan import runs
    images = np.random.default_rng(0).integers(0, 256, (128, 28, 28, 1), dtype=np.uint8)
    config = runs.TrainConfig.quick(epochs=1, batch_size=32, subset=None, strategy="mirrored")
    history = runs.train_gan(config, sys.argv[1], images=images, verbose=0)
    print(json.dumps({"replicas": tf.distribute.MirroredStrategy().num_replicas_in_sync,
                      "d_loss": history["d_loss"][0], "g_loss": history["g_loss"][0]}))
    """
)


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    out = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT, str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert np.isfinite(result["d_loss"]) and np.isfinite(result["g_loss"])


def test_tensorboard_logs_are_written_into_the_run_folder(tiny_images, tmp_path):
    config = runs.TrainConfig.quick(epochs=1, batch_size=32, subset=64, tensorboard=True)
    runs.train_gan(config, tmp_path, images=tiny_images, verbose=0)
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))


def test_nan_generator_with_finite_losses_is_caught(tiny_images):
    gan = small_gan()
    bn = gan.generator.get_layer("project_bn")
    bn.moving_variance.assign(np.full(bn.moving_variance.shape, np.nan, "float32"))
    with pytest.raises(TrainingDivergedError, match="generator outputs NaN"):
        gan.fit(data.make_dataset(tiny_images, 32, subset=64), epochs=1, verbose=0,
                callbacks=[StopOnNonFinite()])


def h5_contents(path) -> dict:
    """Every group's and dataset's attributes and every dataset's values in an HDF5 file."""
    import h5py

    contents = {}
    with h5py.File(path) as f:
        contents["/"] = (dict(f.attrs), None)
        f.visititems(lambda name, obj: contents.__setitem__(
            name, (dict(obj.attrs), np.array(obj) if isinstance(obj, h5py.Dataset) else None)))
    return contents


def assert_same_h5(a, b):
    assert a.keys() == b.keys()
    for name, (attrs, values) in a.items():
        assert attrs.keys() == b[name][0].keys(), name
        if values is not None:
            np.testing.assert_array_equal(values, b[name][1], err_msg=name)


def test_recorded_weights_are_the_file_save_weights_wrote_when_recorded(tiny_images, tmp_path):
    from pgan._keras_saving import record_weights, weights_layout, write_recorded_weights

    gan = small_gan()
    dataset = data.make_dataset(tiny_images, 32, subset=64)
    gan.fit(dataset, epochs=1, verbose=0)
    gan.save_weights(tmp_path / "then.weights.h5")
    layout = weights_layout(gan)
    assert layout is not None, "Keras' saving internals changed: checkpoints fall back to save_weights"
    recorded = record_weights(layout)
    gan.fit(dataset, epochs=1, verbose=0)  # the weights and both optimizers' state move on
    write_recorded_weights(recorded, tmp_path / "recorded.weights.h5")
    gan.save_weights(tmp_path / "now.weights.h5")
    then = h5_contents(tmp_path / "then.weights.h5")
    assert_same_h5(then, h5_contents(tmp_path / "recorded.weights.h5"))
    now = h5_contents(tmp_path / "now.weights.h5")
    assert any(values is not None and not np.array_equal(values, now[name][1]) for name, (_, values) in then.items())
    # The optimizers' entries (Keras saves them as numpy copies) map back to their variables.
    optimizer_entries = [values for path, _, values in layout if path.endswith("optimizer")]
    assert len(optimizer_entries) == 2
    assert all(isinstance(v, keras.Variable) for values in optimizer_entries for v in values.values())


def test_background_writer_keeps_order_and_raises_a_failed_write(tmp_path):
    import time

    from pgan.callbacks import BackgroundWriter

    writer, done = BackgroundWriter("test-writer"), []
    for i in range(4):  # earlier jobs sleep longer: only waiting keeps the order
        writer.submit(lambda i=i: (time.sleep(0.02 * (4 - i)), done.append(i)))
    writer.wait()
    assert done == [0, 1, 2, 3]
    writer.submit((tmp_path / "no_such_folder" / "x.png").write_bytes, b"")
    with pytest.raises(RuntimeError, match="test-writer: writing a training file failed.*no_such_folder"):
        writer.wait()
    writer.wait()  # reported once


def test_a_failed_checkpoint_write_stops_training(tiny_images, tmp_path):
    config = runs.TrainConfig.quick(epochs=3, batch_size=32, subset=64)
    runs.start_run(tmp_path, config)  # the run's folder, then a file where its checkpoint folder belongs
    (tmp_path / "checkpoints").write_text("a file where the checkpoint folder belongs")
    with pytest.raises(RuntimeError, match="pgan-checkpoint: writing a training file failed.*checkpoints"):
        runs.train_gan(config, tmp_path, images=tiny_images, verbose=0)
    assert not (tmp_path / "state.json").exists()


def test_checkpoint_interval_saves_first_and_last_epochs_and_history_every_epoch(tiny_images, tmp_path):
    config = runs.TrainConfig.quick(epochs=4, batch_size=32, subset=64, checkpoint_seconds=3600)
    with pytest.raises(KeyboardInterrupt):  # killed in epoch 3: epoch 2 was too soon after epoch 1
        runs.train_gan(config, tmp_path, images=tiny_images, callbacks=[Interrupt(3)], verbose=0)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 1
    assert len(json.loads((tmp_path / "history.json").read_text())["d_loss"]) == 2
    history = runs.train_gan(config, tmp_path, images=tiny_images, verbose=0)  # resumes after epoch 1
    assert len(history["d_loss"]) == 4
    # The resumed call's first epoch (2) and the last (4) are saved; 3 came too soon.
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("epoch_*")) == [
        "epoch_0002.weights.h5", "epoch_0004.weights.h5"]
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 4
    assert len(json.loads((tmp_path / "history.json").read_text())["d_loss"]) == 4


def test_checkpoint_interval_still_saves_the_epoch_a_time_limit_ends(tiny_images, tmp_path):
    from pgan.callbacks import ResumableCheckpoint, TimeLimit

    class LimitFromEpoch2(TimeLimit):  # the time is spent once epoch 2 has begun
        def on_epoch_begin(self, epoch, logs=None):
            self.budget = 0.0 if epoch == 1 else None

    gan = small_gan()
    limit, checkpoint = LimitFromEpoch2(None), ResumableCheckpoint(tmp_path, min_interval_seconds=3600)
    gan.fit(data.make_dataset(tiny_images, 32, subset=64), epochs=4, verbose=0, callbacks=[limit, checkpoint])
    assert limit.reached
    # Epoch 2 came too soon after epoch 1 and is not the last of 4, but the limit ended the run there.
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("epoch_*")) == [
        "epoch_0001.weights.h5", "epoch_0002.weights.h5"]


def test_checkpoint_seconds_is_checked(tmp_path):
    with pytest.raises(ValueError, match="checkpoint_seconds must be a number >= 0"):
        runs.TrainConfig(checkpoint_seconds=-1)
    from pgan.cli import build_parser, train_config_from_args

    args = build_parser().parse_args(["train", "--out", str(tmp_path), "--checkpoint-seconds", "0",
                                      "--sample-every", "5"])
    config = train_config_from_args(args)
    assert config.checkpoint_seconds == 0 and config.sample_every == 5
    assert runs.TrainConfig().checkpoint_seconds == 10.0


def test_epoch_seconds_count_the_epoch_end_work_of_the_callbacks_after_the_checkpoint(tiny_images, tmp_path):
    import time

    from pgan.callbacks import ResumableCheckpoint

    class SlowEpochEnd(keras.callbacks.Callback):  # after the checkpoint, like SampleGrid
        def on_epoch_end(self, epoch, logs=None):
            time.sleep(0.3)

    gan, checkpoint = small_gan(), ResumableCheckpoint(tmp_path)
    start = time.perf_counter()
    gan.fit(data.make_dataset(tiny_images, 32, subset=64), epochs=3, verbose=0,
            callbacks=[checkpoint, SlowEpochEnd()])
    wall = time.perf_counter() - start
    seconds = checkpoint.history["epoch_seconds"]
    assert min(seconds[1:]) >= 0.3  # epoch 1's sleep is in epoch 2's time, epoch 2's in epoch 3's
    assert sum(seconds) <= wall  # the epochs tile the run; nothing is counted twice


def test_recorded_weights_of_a_mixed_float16_gan_map_its_loss_scale_optimizers(tiny_images, tmp_path):
    from pgan._keras_saving import record_weights, weights_layout, write_recorded_weights

    config = runs.TrainConfig.quick(epochs=1, batch_size=32, subset=64, mixed_precision="mixed_float16")
    with runs.dtype_policy("mixed_float16"):
        gan = runs.build_gan(config)
        gan.fit(data.make_dataset(tiny_images, 32, subset=64), epochs=1, verbose=0)
        layout = weights_layout(gan)
        gan.save_weights(tmp_path / "saved.weights.h5")
        write_recorded_weights(record_weights(layout), tmp_path / "recorded.weights.h5")
    # Each LossScaleOptimizer and the Adam inside it: all four saved as numpy copies, mapped back.
    paths = [path for path, _, _ in layout if "optimizer" in path]
    assert paths == ["d_optimizer", "d_optimizer/inner_optimizer", "g_optimizer", "g_optimizer/inner_optimizer"]
    assert_same_h5(h5_contents(tmp_path / "saved.weights.h5"), h5_contents(tmp_path / "recorded.weights.h5"))


def test_step_snapshots_keep_images_and_losses_every_n_steps(tiny_images):
    from pgan.callbacks import StepSnapshots

    gan = GAN(*models.build_gan_models("workshop"), seed=0, ema_decay=0.9)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    snapshots = StepSnapshots(every=2, num_examples=4)
    gan.fit(data.to_model_range(tiny_images[:5 * 16]), batch_size=16, epochs=1, verbose=0, callbacks=[snapshots])
    assert snapshots.steps == [0, 2, 4]
    assert [im.shape for im in snapshots.images] == [(4, 28, 28, 1)] * 3
    assert snapshots.logs[0] == {} and set(snapshots.logs[1]) >= {"d_loss", "g_loss"}
    assert not np.allclose(snapshots.images[0], snapshots.images[-1])  # the generator learned something
    with pytest.raises(ValueError, match="every must be a positive number of steps"):
        StepSnapshots(every=0)
