"""Losses beyond the article's, penalties, EMA, DiffAugment, spectral norm, conditional GANs, recipes."""

import dataclasses
import json
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from pgan import augment, cli, data, losses, models, runs, sampling
from pgan.callbacks import TimeLimit
from pgan.gan import GAN
from pgan.recipes import RECIPES

REAL = np.array([2.0, -1.0, 0.5, 3.0], dtype=np.float32)
FAKE = np.array([-2.0, 1.5, 0.0, -0.5], dtype=np.float32)


def value(x):
    return float(keras.ops.convert_to_numpy(x))


# ------------------------------------------------------------------ losses on fixed logits


def test_hinge_losses_on_fixed_logits():
    # relu(1 - [2, -1, .5, 3]) = [0, 2, .5, 0] -> .625; relu(1 + [-2, 1.5, 0, -.5]) = [0, 2.5, 1, .5] -> 1.0
    assert value(losses.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(1.625)
    assert value(losses.hinge_generator_loss(FAKE)) == pytest.approx(0.25)


def test_wasserstein_losses_on_fixed_logits():
    assert value(losses.wasserstein_discriminator_loss(REAL, FAKE)) == pytest.approx(-0.25 - 1.125)
    assert value(losses.wasserstein_generator_loss(FAKE)) == pytest.approx(0.25)


def test_least_squares_losses_on_fixed_logits():
    # 0.5 * mean([1, 4, .25, 4]) + 0.5 * mean([4, 2.25, 0, .25])
    assert value(losses.least_squares_discriminator_loss(REAL, FAKE)) == pytest.approx(0.5 * 2.3125 + 0.5 * 1.625)
    assert value(losses.least_squares_generator_loss(FAKE)) == pytest.approx(0.5 * np.mean((FAKE - 1) ** 2))


def test_relativistic_losses_on_fixed_logits():
    def sp(x):
        return np.logaddexp(0.0, x)

    d = np.mean(sp(-(REAL - FAKE.mean()))) + np.mean(sp(FAKE - REAL.mean()))
    g = np.mean(sp(-(FAKE - REAL.mean()))) + np.mean(sp(REAL - FAKE.mean()))
    assert value(losses.relativistic_discriminator_loss(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
    assert value(losses.relativistic_generator_loss(FAKE, REAL)) == pytest.approx(g, rel=1e-6)
    with pytest.raises(ValueError, match="real_logits"):
        losses.relativistic_generator_loss(FAKE)


def test_loss_families_and_unknown_name():
    assert set(losses.LOSS_FAMILIES) == {"gan", "hinge", "wasserstein", "least_squares", "relativistic"}
    with pytest.raises(ValueError, match="Unknown loss 'wgan'"):
        losses.get_loss_family("wgan")


def test_auxiliary_class_loss_is_cross_entropy():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    labels = np.array([0, 2])
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(2), labels])
    assert value(losses.auxiliary_class_loss(labels, logits)) == pytest.approx(expected, rel=1e-6)


# ------------------------------------------------------------------ penalties


def test_interpolate_uses_per_sample_weights():
    real, fake = np.ones((3, 2, 2, 1), np.float32), np.zeros((3, 2, 2, 1), np.float32)
    out = keras.ops.convert_to_numpy(losses.interpolate(real, fake, np.array([0.0, 0.25, 1.0])))
    np.testing.assert_allclose(out[:, 0, 0, 0], [0.0, 0.25, 1.0])


def test_gradient_penalty_matches_a_hand_computation_for_a_linear_critic():
    # D(x) = <w, x>: dD/dx = w at every point, so the penalty is (||w|| - 1)^2.
    rng = np.random.default_rng(0)
    w = rng.normal(size=(28, 28, 1)).astype(np.float32)
    x = tf.constant(rng.normal(size=(5, 28, 28, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(tf.reduce_sum(x * w, axis=(1, 2, 3)))
    grads = tape.gradient(total, x)
    expected = (np.sqrt((w.astype(np.float64) ** 2).sum()) - 1.0) ** 2
    assert value(losses.gradient_penalty(grads)) == pytest.approx(expected, rel=1e-5)
    unit = w / np.linalg.norm(w)
    assert value(losses.gradient_penalty(np.stack([unit] * 3))) == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_is_safe_at_zero_gradient():
    g = tf.Variable(np.zeros((2, 4, 4, 1), np.float32))
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(g)
    grad = tape.gradient(penalty, g)
    assert value(penalty) == pytest.approx(1.0, abs=1e-5)
    assert np.isfinite(grad.numpy()).all()


def test_r1_penalty_is_mean_squared_gradient_norm():
    g = np.zeros((2, 2, 2, 1), np.float32)
    g[0, 0, 0, 0], g[1, 1, 1, 0] = 3.0, 4.0
    assert value(losses.r1_penalty(g)) == pytest.approx((9.0 + 16.0) / 2)


# ------------------------------------------------------------------ DiffAugment


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_diff_augment_keeps_shape_and_passes_gradients(policy):
    x = tf.Variable(np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        y = augment.diff_augment(x, policy, keras.random.SeedGenerator(0))
        total = tf.reduce_sum(y)
    grad = tape.gradient(total, x)
    assert tuple(y.shape) == (4, 28, 28, 1)
    assert grad is not None and np.isfinite(grad.numpy()).all() and np.abs(grad.numpy()).sum() > 0


def test_translation_is_an_exact_shift_with_background_fill():
    x = -np.ones((64, 28, 28, 1), np.float32)
    x[:, 10:18, 10:18] = 1.0  # a bright square; every shift keeps it whole (ratio 0.125 -> 4 px)
    y = keras.ops.convert_to_numpy(augment.translation(x, keras.random.SeedGenerator(1)))
    assert set(np.unique(y)) <= {-1.0, 1.0}
    assert (y == 1.0).sum(axis=(1, 2, 3)).tolist() == [64] * 64
    assert (y != x).any()


def test_cutout_paints_a_background_square():
    x = np.ones((8, 28, 28, 1), np.float32)
    y = keras.ops.convert_to_numpy(augment.cutout(x, keras.random.SeedGenerator(2)))
    painted = (y == -1.0).sum(axis=(1, 2, 3))
    assert (painted > 0).all() and (painted <= 14 * 14).all()


def test_diff_augment_probability_leaves_some_images_untouched():
    x = np.ones((256, 28, 28, 1), np.float32)  # every cutout paints some of a white image
    always = keras.ops.convert_to_numpy(augment.diff_augment(x, "cutout", keras.random.SeedGenerator(3)))
    half = keras.ops.convert_to_numpy(augment.diff_augment(x, "cutout", keras.random.SeedGenerator(3), 0.5))
    untouched = lambda y: int((y == x).all(axis=(1, 2, 3)).sum())  # noqa: E731
    assert untouched(always) == 0
    assert 96 <= untouched(half) <= 160  # binomial(256, 0.5): mean 128, sd 8
    with pytest.raises(ValueError, match=r"probability must be in \(0, 1\]"):
        augment.diff_augment(x, "cutout", keras.random.SeedGenerator(3), 0.0)
    with pytest.raises(ValueError, match="probability"):
        runs.TrainConfig(augment="cutout", augment_p=1.5)
    with pytest.raises(ValueError, match="probability"):
        _gan(augment="cutout", augment_p=-0.5)


def test_parse_policy_rejects_unknown_names():
    assert augment.parse_policy("none") == () and augment.parse_policy(None) == ()
    with pytest.raises(ValueError, match="Unknown DiffAugment"):
        augment.parse_policy("translation,flip")


# ------------------------------------------------------------------ GAN options


def _gan(ema_decay=None, spectral_norm=False, conditional=None, **compile_kwargs):
    keras.utils.set_random_seed(0)
    if conditional:
        g = models.build_conditional_generator(latent_dim=8, width=4)
        d = models.build_conditional_discriminator(width=4, head=conditional, spectral_norm=spectral_norm)
    else:
        g = models.build_generator(latent_dim=8, width=4)
        d = models.build_discriminator(width=4, spectral_norm=spectral_norm)
    gan = GAN(g, d, seed=0, ema_decay=ema_decay)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), **compile_kwargs)
    return gan


def _batch(n=16):
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, n).astype(np.int32)


def test_ema_update_arithmetic():
    gan = _gan(ema_decay=0.9)
    before = [np.array(w) for w in gan.generator.weights]
    np.testing.assert_array_equal(before[0], np.array(gan.ema_generator.weights[0]))
    gan.train_on_batch(_batch()[0])
    after = [np.array(w) for w in gan.generator.weights]
    for w0, w1, ema in zip(before, after, gan.ema_generator.weights, strict=True):
        np.testing.assert_allclose(np.array(ema), 0.9 * w0 + 0.1 * w1, rtol=1e-5, atol=1e-6)
    assert gan.sampling_generator is gan.ema_generator
    assert not gan.ema_generator.trainable_weights  # never touched by an optimizer


@pytest.mark.parametrize("loss,options", [
    ("hinge", {"augment": "translation,cutout"}),
    ("wasserstein", {"gp_weight": 10.0, "n_critic": 2}),
    ("least_squares", {"r1_weight": 1.0}),
    ("relativistic", {}),
])
def test_each_loss_trains_a_step_with_finite_losses(loss, options):
    gan = _gan(loss=loss, **options)
    d0 = [np.array(w) for w in gan.discriminator.trainable_weights]
    logs = gan.train_on_batch(_batch()[0], return_dict=True)
    assert all(np.isfinite(v) for v in logs.values())
    assert any(not np.array_equal(a, np.array(b)) for a, b in zip(d0, gan.discriminator.trainable_weights, strict=True))


def test_spectral_norm_discriminator_trains_one_step():
    gan = _gan(spectral_norm=True, loss="hinge")
    sn = [layer for layer in gan.discriminator.layers if isinstance(layer, models.SpectralNorm)]
    assert len(sn) == 3
    u0 = np.array(sn[0].vector_u)
    logs = gan.train_on_batch(_batch()[0], return_dict=True)
    assert np.isfinite(logs["d_loss"]) and not np.array_equal(u0, np.array(sn[0].vector_u))
    # Each training call runs one power iteration; once u converges, the kernel the layer
    # computes with has largest singular value 1, while the stored (trained) kernel is left as is.
    for _ in range(30):
        sn[0](_batch(1)[0], training=True)
    shape = (-1, sn[0].layer.kernel.shape[-1])
    effective = keras.ops.convert_to_numpy(sn[0].normalized_kernel()).reshape(shape)
    stored = keras.ops.convert_to_numpy(sn[0].layer.kernel).reshape(shape)
    assert np.linalg.svd(effective, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-3)
    sigma = np.linalg.svd(stored, compute_uv=False)[0]
    assert sigma != pytest.approx(1.0, rel=0.05)
    np.testing.assert_allclose(effective, stored / sigma, rtol=1e-3, atol=1e-6)


def test_spectral_norm_gradient_flows_through_sigma():
    # f(W) = sum(x @ (W / sigma(W))) with u fixed (inference mode): autodiff against a finite difference.
    keras.utils.set_random_seed(1)
    layer = models.SpectralNorm(keras.layers.Dense(3, use_bias=False))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    layer(x, training=True)
    kernel = layer.layer.kernel
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(x, training=False))
    grad = tape.gradient(total, kernel).numpy()
    base = kernel.numpy().astype(np.float64)
    eps = 1e-3
    for index in ((0, 0), (2, 1), (3, 2)):
        values = []
        for sign in (1, -1):
            shifted = base.copy()
            shifted[index] += sign * eps
            kernel.assign(shifted.astype(np.float32))
            values.append(float(tf.reduce_sum(layer(x, training=False))))
        kernel.assign(base.astype(np.float32))
        assert grad[index] == pytest.approx((values[0] - values[1]) / (2 * eps), rel=2e-2, abs=2e-3)
    # Without the path through sigma the gradient would be x's column sums / sigma for every output.
    sigma = float(base[0, 0] / keras.ops.convert_to_numpy(layer.normalized_kernel())[0, 0])
    no_path = np.tile(x.sum(axis=0)[:, None], (1, 3)) / sigma
    assert np.abs(grad - no_path).max() > 0.1 * np.abs(no_path).max()


def test_resuming_a_checkpoint_of_other_networks_fails_clearly(tmp_path):
    from pgan.callbacks import ResumableCheckpoint

    _gan().save_weights(tmp_path / "epoch_0001.weights.h5")  # a GAN without spectral norm
    (tmp_path / "state.json").write_text(json.dumps({"epoch": 1, "checkpoint": "epoch_0001.weights.h5"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="cannot be resumed.*new --out folder"):
            ResumableCheckpoint(tmp_path).restore(_gan(spectral_norm=True))
    assert not [w for w in caught if "Skipping" in str(w.message)]  # Keras' noise before pgan's message


def test_resuming_a_matching_checkpoint_loads_its_weights(tmp_path):
    from pgan.callbacks import ResumableCheckpoint

    saved, fresh = _gan(), _gan()  # the same initial weights: move the saved ones
    moved = [v for v in saved.weights if "float" in str(v.dtype)]
    for v in moved:
        v.assign(v + 0.5)
    saved.save_weights(tmp_path / "epoch_0003.weights.h5")
    (tmp_path / "state.json").write_text(json.dumps({"epoch": 3, "checkpoint": "epoch_0003.weights.h5"}))
    assert ResumableCheckpoint(tmp_path).restore(fresh) == 3
    assert moved
    for a, b in zip(saved.weights, fresh.weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_spectral_norm_computes_the_same_in_training_and_inference_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    d = models.build_discriminator(width=4, dropout=0.0, spectral_norm=True)
    x = _batch(8)[0]
    for _ in range(20):
        d(x, training=True)
    # Training mode refines u once more; after 20 calls that changes the output by float noise only.
    np.testing.assert_allclose(np.array(d(x, training=False)), np.array(d(x, training=True)), atol=1e-5)
    inference = np.array(d(x, training=False))
    d.save(tmp_path / "d.keras")
    loaded = keras.saving.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(np.array(loaded(x, training=False)), inference, atol=1e-6)
    zero = models.SpectralNorm(keras.layers.Dense(3, kernel_initializer="zeros"))
    assert np.array(zero(x[:, :3, 0, 0], training=True)).tolist() == [[0.0] * 3] * 8
    with pytest.raises(ValueError, match="Dense or Conv2D"):
        models.SpectralNorm(keras.layers.Conv2DTranspose(4, 3))
    with pytest.raises(ValueError, match="power_iterations"):
        models.SpectralNorm(keras.layers.Dense(4), power_iterations=0)


def test_compile_rejects_inconsistent_options():
    g, d = models.build_generator(latent_dim=8, width=4), models.build_discriminator(width=4)
    gan = GAN(g, d)
    with pytest.raises(ValueError, match="cross-entropy"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), loss="hinge", g_loss="minimax")
    with pytest.raises(ValueError, match="simultaneous"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), update="simultaneous", gp_weight=10.0)
    with pytest.raises(ValueError, match="n_critic"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), n_critic=0)
    with pytest.raises(ValueError, match="ema_decay"):
        GAN(g, d, ema_decay=1.5)


def test_conditional_generator_needs_a_class_aware_discriminator():
    g = models.build_conditional_generator(latent_dim=8, width=4)
    with pytest.raises(ValueError, match="conditional"):
        GAN(g, models.build_discriminator(width=4))
    with pytest.raises(ValueError, match="conditional"):
        GAN(models.build_generator(latent_dim=8, width=4), models.build_conditional_discriminator(width=4))


@pytest.mark.parametrize("head", ["projection", "acgan", "projection_ac"])
def test_conditional_gan_trains_on_images_and_labels(head):
    gan = _gan(conditional=head, ema_decay=0.99)
    assert gan.d_head == head
    images, labels = _batch()
    logs = gan.train_on_batch(images, labels, return_dict=True)
    assert all(np.isfinite(v) for v in logs.values())
    assert ("d_class_acc" in logs) == (head != "projection")
    with pytest.raises(ValueError, match="labels"):
        gan.train_on_batch(images)


@pytest.mark.parametrize("head", ["acgan", "projection_ac"])
def test_class_loss_terms_of_each_head(head):
    """AC-GAN's D learns the class of real and fake images; projection_ac's only of real ones.
    G is asked, under both heads, for fakes that D's class head names as their labels."""
    gan = _gan(conditional=head, aux_weight=0.5)
    labels = np.array([0, 3, 7], dtype=np.int32)
    real, fake = np.ones((3, 28, 28, 1), "float32"), -np.ones((3, 28, 28, 1), "float32")
    logits = {1.0: np.array([[2.0], [1.0], [-1.0]], "float32"), -1.0: np.array([[-2.0], [0.5], [0.0]], "float32")}
    classes = {1.0: np.linspace(-1, 1, 30, dtype="float32").reshape(3, 10),
               -1.0: np.linspace(2, -1, 30, dtype="float32").reshape(3, 10)}

    def discriminate(images, labels_):
        np.testing.assert_array_equal(labels_, labels)
        key = float(np.asarray(images)[0, 0, 0, 0])
        return logits[key], classes[key]

    def ce(class_logits):
        shifted = class_logits - class_logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -log_p[np.arange(3), labels].mean()

    d_loss, _ = gan.objective.discriminator_loss(discriminate, None, real, fake, labels, None, head)
    base = float(losses.discriminator_loss(logits[1.0], logits[-1.0]))
    class_term = ce(classes[1.0]) + (ce(classes[-1.0]) if head == "acgan" else 0.0)
    np.testing.assert_allclose(float(d_loss), base + 0.5 * class_term, rtol=1e-5)
    g_loss = gan.objective.generator_loss_from(logits[-1.0], classes[-1.0], None, labels, head)
    expected_g = float(losses.generator_loss(logits[-1.0])) + 0.5 * ce(classes[-1.0])
    np.testing.assert_allclose(float(g_loss), expected_g, rtol=1e-5)


def test_conditional_sampling_returns_the_requested_classes(tmp_path):
    g = models.build_conditional_generator(latent_dim=8, width=4)
    assert sampling.num_classes_of(g) == 10
    np.testing.assert_array_equal(sampling.class_labels(g, 4, 7), [7, 7, 7, 7])
    np.testing.assert_array_equal(sampling.class_labels(g, 12)[:11], list(range(10)) + [0])
    # Each image depends on its label: the same noise with another class gives another image.
    same_noise = sampling.generate_images(g, 3, seed=1, labels=[2, 2, 5])
    assert sampling.generate_images(g, 3, seed=1, labels=2).shape == (3, 28, 28, 1)
    np.testing.assert_allclose(same_noise[:2], sampling.generate_images(g, 3, seed=1, labels=2)[:2], atol=1e-6)
    assert not np.allclose(same_noise[2], sampling.generate_images(g, 3, seed=1, labels=2)[2])
    with pytest.raises(ValueError, match="0..9"):
        sampling.class_labels(g, 2, 10)
    with pytest.raises(ValueError, match="unconditional"):
        sampling.class_labels(models.build_generator(latent_dim=8, width=4), 2, 3)
    path = tmp_path / "cond.keras"
    g.save(path)
    loaded = sampling.load_generator(path)
    np.testing.assert_allclose(
        sampling.generate_images(loaded, 4, seed=3, labels=1), sampling.generate_images(g, 4, seed=3, labels=1),
        atol=1e-6,
    )


def test_class_index_accepts_names_loosely():
    assert data.class_index("Sneaker") == 7 and data.class_index("ankle boot") == 9
    assert data.class_index("t-shirt") == 0 and data.class_index("TOP") == 0
    with pytest.raises(ValueError, match="Sneaker"):
        data.class_index("shoe")


# ------------------------------------------------------------------ recipes, runs, CLI


def test_recipes_build_valid_configs():
    for name in RECIPES:
        config = runs.TrainConfig.from_recipe(name, epochs=1)
        assert config.recipe == name and config.epochs == 1
    assert runs.TrainConfig.from_recipe("tf_tutorial").update == "simultaneous"
    with pytest.raises(ValueError, match="Unknown recipe"):
        runs.TrainConfig.from_recipe("best")


def test_cli_options_override_the_recipe(tmp_path):
    args = cli.build_parser().parse_args(
        ["train", "--recipe", "sngan", "--model", "workshop", "--epochs", "3", "--out", str(tmp_path)]
    )
    config = cli.train_config_from_args(args)
    assert (config.preset, config.epochs, config.loss, config.spectral_norm) == ("workshop", 3, "hinge", True)
    plain = cli.train_config_from_args(cli.build_parser().parse_args(["train", "--out", str(tmp_path)]))
    assert (plain.epochs, plain.batch_size, plain.loss) == (50, 256, "gan")
    small = cli.train_config_from_args(cli.build_parser().parse_args(
        ["train", "--recipe", "small_data", "--augment", "color", "--augment-p", "0.5", "--dropout", "0",
         "--out", str(tmp_path)]
    ))
    assert (small.augment, small.augment_p, small.dropout, small.ema_decay) == ("color", 0.5, 0.0, 0.999)
    assert plain.augment_p == 1.0 and plain.dropout == 0.3
    assert runs.TrainConfig(augment="none").augment is None
    assert runs.TrainConfig(augment=" translation, cutout").augment == "translation,cutout"
    # A run folder from an older pgan spelt "no augmentation" as given; it still resumes.
    (tmp_path / "config.json").write_text(json.dumps({**json.loads(json.dumps(plain.__dict__)), "augment": "none"}))
    runs.start_run(tmp_path, plain)


def test_conditional_run_resumes_and_exports_the_ema_generator(tmp_path, tiny_images):
    labels = np.arange(len(tiny_images)) % 10
    config = runs.TrainConfig.from_recipe("conditional", preset="workshop", epochs=1, batch_size=64, subset=128)
    runs.train_gan(config, tmp_path, images=tiny_images, labels=labels, verbose=0)
    resumed = runs.TrainConfig.from_recipe("conditional", preset="workshop", epochs=2, batch_size=64, subset=128)
    history = runs.train_gan(resumed, tmp_path, images=tiny_images, labels=labels, verbose=0)
    run = json.loads((tmp_path / "run.json").read_text())
    assert len(history["d_loss"]) == 2 and run["resumed_from_epoch"] == 1 and run["exported"] == "ema_generator"
    generator = sampling.load_generator(tmp_path / "generator.keras")
    assert sampling.num_classes_of(generator) == 10
    with pytest.raises(ValueError, match="different settings"):
        runs.train_gan(runs.TrainConfig.from_recipe("acgan", preset="workshop", epochs=3, batch_size=64,
                                                    subset=128), tmp_path, images=tiny_images, labels=labels)
    with pytest.raises(ValueError, match="labels"):
        runs.train_gan(config, tmp_path / "other", images=tiny_images)


def test_fine_tuning_starts_from_another_runs_networks(tmp_path, tiny_images):
    labels = np.arange(len(tiny_images)) % 10
    source = runs.TrainConfig.from_recipe("conditional", preset="workshop", epochs=1, batch_size=64, subset=128)
    runs.train_gan(source, tmp_path / "source", images=tiny_images, labels=labels, verbose=0)
    # The networks after initialise_from_run are the source's, except D's new class head.
    tuned = runs.TrainConfig.from_recipe("conditional", preset="workshop", conditional="projection_ac",
                                         epochs=1, batch_size=64, subset=128, aux_weight=0.3)
    loaded = runs.build_gan(runs.TrainConfig.from_recipe("conditional", preset="workshop"))
    assert runs.ResumableCheckpoint(tmp_path / "source").restore(loaded) == 1
    gan = runs.build_gan(tuned)
    head_before = [np.array(w) for w in gan.discriminator.get_layer("class_logits").weights]
    info = runs.initialise_from_run(gan, tmp_path / "source")
    assert info["epoch"] == 1 and info["fresh_discriminator_layers"] == ["class_logits"]
    for mine, theirs in ((gan.generator, loaded.generator), (gan.ema_generator, loaded.ema_generator)):
        for a, b in zip(mine.weights, theirs.weights, strict=True):
            np.testing.assert_array_equal(np.array(a), np.array(b))
    np.testing.assert_array_equal(np.array(gan.discriminator.get_layer("logit").kernel),
                                  np.array(loaded.discriminator.get_layer("logit").kernel))
    for a, b in zip(gan.discriminator.get_layer("class_logits").weights, head_before, strict=True):
        np.testing.assert_array_equal(np.array(a), b)
    # A fine-tuning run records where it started, and a resume does not start over.
    config = dataclasses.replace(tuned, init_from=str(tmp_path / "source"))
    runs.train_gan(config, tmp_path / "tuned", images=tiny_images, labels=labels, verbose=0)
    runs.train_gan(dataclasses.replace(config, epochs=2), tmp_path / "tuned", images=tiny_images,
                   labels=labels, verbose=0)
    run = json.loads((tmp_path / "tuned" / "run.json").read_text())
    assert run["resumed_from_epoch"] == 1 and run["epochs_done"] == 2
    assert run["train_steps"] == 4  # the fine-tuning's own steps: 2 epochs of 128 images, batch 64
    assert run["initialised_from"]["run"] == str(tmp_path / "source")
    assert run["initialised_from"]["config"]["conditional"] == "projection"
    # Another model size or no checkpoint: a clear error.
    with pytest.raises(ValueError, match="does not match"):
        runs.initialise_from_run(runs.build_gan(dataclasses.replace(tuned, preset="dcgan")), tmp_path / "source")
    with pytest.raises(FileNotFoundError, match="run folder"):
        runs.initialise_from_run(gan, tmp_path / "nowhere")
    args = cli.build_parser().parse_args(["train", "--recipe", "conditional", "--conditional", "projection_ac",
                                          "--aux-weight", "0.3", "--init-from", "runs/x", "--out", "y"])
    config = cli.train_config_from_args(args)
    assert (config.conditional, config.aux_weight, config.init_from) == ("projection_ac", 0.3, "runs/x")
    with pytest.raises(ValueError, match="aux_weight"):
        runs.TrainConfig(aux_weight=-1.0)


def test_run_counts_the_steps_of_an_epoch_cut_by_the_time_limit(tmp_path, tiny_images):
    config = runs.TrainConfig.quick(epochs=3, batch_size=32, subset=128, time_limit_minutes=1e-6)
    runs.train_gan(config, tmp_path, images=tiny_images, verbose=0)
    run = json.loads((tmp_path / "run.json").read_text())
    # The limit is checked after every batch: the first epoch ends after one of its 4 steps.
    assert run["stopped_by_time_limit"] and run["epochs_done"] == 1 and run["train_steps"] == 1


def test_time_limit_stops_and_counts_earlier_time():
    assert TimeLimit(None).reached is False
    assert TimeLimit(1.0, already_spent=61.0).reached is True
    gan = _gan()
    limit = TimeLimit(1e-6)
    gan.fit(np.repeat(_batch()[0], 4, axis=0), batch_size=16, epochs=1, verbose=0, callbacks=[limit])
    assert limit.reached
