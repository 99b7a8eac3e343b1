"""The training code's layout: one home per idea, settings declared once, old runs still resume."""

import argparse
import ast
import dataclasses
import inspect
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from pgan import (
    backend,
    callbacks,
    cli,
    config,
    distributed,
    losses,
    models,
    rundir,
    runs,
    settings,
)
from pgan.gan import DCGAN, GAN, Objective

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


# --------------------------------------------------------------------------- the lesson's step


def _pair(seed=1):
    keras.utils.set_random_seed(seed)
    return models.build_generator(latent_dim=8, width=4), models.build_discriminator(width=4, dropout=0.0)


def test_the_lesson_dcgan_step_computes_what_the_full_gan_step_computes(tiny_images):
    """notebooks/05 prints DCGAN.train_step: its plain game must be GAN's default game, exactly."""
    results = []
    for cls in (DCGAN, GAN):
        generator, discriminator = _pair()
        model = cls(generator, discriminator, seed=7)
        model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
        history = model.fit(tiny_images[:96].astype("float32") / 127.5 - 1.0, batch_size=32, epochs=1,
                            shuffle=False, verbose=0).history
        results.append((history, [np.array(w) for w in generator.weights + discriminator.weights]))
    (lesson, lesson_weights), (full, full_weights) = results
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(lesson[key], full[key], rtol=1e-6, err_msg=key)
    assert len(lesson_weights) == len(full_weights)
    for a, b in zip(lesson_weights, full_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(lesson_weights[0], _pair()[0].weights[0].numpy())  # it trained


def test_the_lesson_step_is_short_and_has_no_option_branches():
    source = inspect.getsource(DCGAN.train_step)
    tree = ast.parse(source.strip())
    assert len(source.splitlines()) <= 30
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.If, ast.IfExp, ast.For, ast.While))]


def test_dcgan_trains_with_pgans_callbacks(tiny_images, tmp_path):
    generator, discriminator = _pair()
    model = DCGAN(generator, discriminator, seed=0)
    model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    model.fit(tiny_images[:64].astype("float32") / 127.5 - 1.0, batch_size=32, epochs=1, verbose=0,
              callbacks=[callbacks.SampleGrid(tmp_path, num_examples=4), callbacks.StopOnNonFinite()])
    assert (tmp_path / "epoch_0001.png").exists() and (tmp_path / "progress.gif").exists()


# --------------------------------------------------------------------------- settings, once


def test_every_train_flag_comes_from_the_config_declaration(tmp_path):
    parser = cli.build_parser()
    train = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["train"]
    flags = {option for action in train._actions for option in action.option_strings}
    declared = [f for f in dataclasses.fields(config.TrainConfig) if f.metadata.get("cli", True)]
    assert {settings.flag_of(f) for f in declared} <= flags
    # Each flag reaches its field, with its type; and a flag not given keeps the default.
    args = parser.parse_args(["train", "--out", str(tmp_path), "--model", "workshop", "--gp-weight", "10",
                              "--n-critic", "5", "--loss", "wasserstein", "--minutes", "1.5", "--spectral-norm",
                              "--init-from", str(tmp_path), "--mixed-precision"])
    made = cli.train_config_from_args(args)
    assert (made.preset, made.gp_weight, made.n_critic, made.time_limit_minutes) == ("workshop", 10.0, 5, 1.5)
    assert made.spectral_norm is True and made.init_from == str(tmp_path)
    assert made.mixed_precision == "mixed_float16" and made.epochs == 50
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--out", str(tmp_path), "--n-critic", "0"])


def test_resume_keys_and_docs_table_come_from_the_declaration():
    assert set(config.RESUME_KEYS) == {
        "preset", "batch_size", "mixed_precision", "update", "seed", "conditional", "loss", "spectral_norm",
        "ema_decay", "augment", "augment_p", "subset", "init_from", "label_dropout", "images", "image_size",
        "channels"}
    table = settings.markdown_table(config.TrainConfig)
    for field in dataclasses.fields(config.TrainConfig):
        assert f"| `{field.name}` |" in table
    assert (ROOT / "docs" / "settings.md").read_text().endswith(table), "run: python -m pgan.config > docs/settings.md"
    assert "gp_weight: WGAN-GP" in config.TrainConfig.__doc__


def test_config_choices_match_the_modules_that_implement_them():
    assert set(config.GAN_PRESETS) == set(models.PRESETS)
    from pgan.diffusion import runs as flow_runs

    assert set(config.FLOW_PRESETS) == set(flow_runs.PRESETS)
    assert set(config.LOSSES) == set(losses.LOSS_FAMILIES)
    assert tuple(config.CONDITIONAL_HEADS) == tuple(models.CONDITIONAL_HEADS)
    assert config.STRATEGIES == distributed.STRATEGIES and config.DISTRIBUTIONS == distributed.DISTRIBUTIONS
    assert config.IMAGE_SIZES == models.IMAGE_SIZES


def test_objective_is_the_config_objective_and_validates_once():
    made = config.TrainConfig(loss="wasserstein", gp_weight=10.0, n_critic=5, augment=" translation")
    objective = Objective.from_config(made)
    assert (objective.loss, objective.gp_weight, objective.n_critic, objective.augment) == (
        "wasserstein", 10.0, 5, "translation")
    with pytest.raises(ValueError, match="simultaneous"):
        config.TrainConfig(update="simultaneous", gp_weight=10.0)
    with pytest.raises(ValueError, match="cross-entropy"):
        Objective(loss="hinge", label_smoothing=0.1)
    with pytest.raises(TypeError, match="not both"):
        GAN(*_pair()).compile(keras.optimizers.Adam(), keras.optimizers.Adam(), objective=Objective(), n_critic=2)


# --------------------------------------------------------------------------- backends in their own files


def test_only_backend_reads_the_backend_and_steps_import_only_their_own_framework():
    readers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pgan").rglob("*.py")
               if "keras.backend.backend()" in p.read_text()]
    assert readers == ["pgan/backend.py"]
    step_tf = (ROOT / "pgan/gan/step_tf.py").read_text()
    step_jax = (ROOT / "pgan/gan/step_jax.py").read_text()
    assert "import jax" not in step_tf and "import tensorflow" not in step_jax
    private = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pgan").rglob("*.py") if "keras.src" in p.read_text()]
    assert private == ["pgan/_keras_saving.py"]
    assert backend.NAME == keras.backend.backend()


def test_no_dates_in_docstrings_or_messages_of_the_package():
    import re

    dated = [p.name for p in (ROOT / "pgan").rglob("*.py") if re.search(r"\b20[2-3][0-9]-[01][0-9]-[0-3][0-9]\b",
                                                                            p.read_text())]
    assert dated == []


# --------------------------------------------------------------------------- run folders


def test_checkpoints_keep_the_layout_runs_of_earlier_pgan_wrote(tmp_path):
    """tests/data/checkpoint_layouts.json: every entry and shape of earlier pgan's GAN checkpoints,
    recorded before the training code was reorganised. The same layout means old runs resume."""
    h5py = pytest.importorskip("h5py")
    for name, case in json.loads((DATA / "checkpoint_layouts.json").read_text()).items():
        model = _fine_tuner() if name == "adversarial_fine_tuner" else runs.build_gan(config.TrainConfig(**case["config"]))
        model.save_weights(tmp_path / f"{name}.weights.h5")
        entries = {}
        with h5py.File(tmp_path / f"{name}.weights.h5", "r") as f:
            f.visititems(lambda key, obj, entries=entries: entries.__setitem__(key, list(obj.shape))
                         if isinstance(obj, h5py.Dataset) else None)
        assert entries == case["entries"], name


def _fine_tuner():
    from pgan import enhance, restore

    features = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3, name="f")], name="features")
    features.trainable = False
    tuner = enhance.AdversarialFineTuner(restore.build_unet("denoise", filters=4),
                                         enhance.build_patch_discriminator(), features)
    tuner.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return tuner


def test_one_run_folder_dialect_refuses_other_kinds_and_reads_old_image_to_image_folders(tmp_path):
    rundir.start(tmp_path / "sr", "image_to_image", {"model": "m", "epochs": 1}, keep=["model"])
    with pytest.raises(ValueError, match=r"holds a run of another kind \(image_to_image, not gan\)"):
        runs.start_run(tmp_path / "sr", config.TrainConfig.quick())
    old = tmp_path / "old"
    old.mkdir()
    (old / "settings.json").write_text(json.dumps({"model": "m", "batch_size": 8}))
    rundir.start(old, "image_to_image", {"model": "m", "batch_size": 8, "epochs": 3}, keep=["model", "batch_size"])
    with pytest.raises(ValueError, match=r"batch_size: 8 -> 16"):
        rundir.start(old, "image_to_image", {"model": "m", "batch_size": 16}, keep=["model", "batch_size"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        rundir.start(tmp_path / "file", "gan", {}, keep=[])


def test_atomic_write_leaves_the_old_file_when_saving_fails(tmp_path):
    target = rundir.write_json(tmp_path / "run.json", {"a": 1})

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        rundir.atomic_write(target, broken)
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]
