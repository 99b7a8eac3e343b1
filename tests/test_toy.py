"""Tests for pgan.toy: the 1-D GAN of notebooks/03_gan_theory.ipynb."""

import numpy as np
import pytest
from keras import ops

from pgan import losses, toy


def _short_run():
    # One mode at 3: the generator starts as a narrow blob near 0 and must move.
    # Chunks of at most 64 steps, so the split of long intervals is exercised too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(toy, "MAX_CHUNK", 64)
        return toy.train_toy_gan(steps=200, learning_rate=3e-3, seed=1, modes=(3.0,), num_snapshots=3)


@pytest.fixture(scope="module")
def short_run():
    return _short_run()


def test_sample_real_shape_dtype_and_modes():
    x = toy.sample_real(4000, modes=(-2.0, 2.0), seed=0)
    assert x.shape == (4000, 1)
    assert x.dtype == np.float32
    np.testing.assert_allclose(toy.mode_coverage(x), [0.5, 0.5], atol=0.03)
    np.testing.assert_array_equal(x, toy.sample_real(4000, seed=0))


def test_real_density_integrates_to_one():
    x = np.linspace(-6, 6, 12001)
    area = toy.real_density(x, modes=(-3.0, 0.0, 3.0)).sum() * (x[1] - x[0])
    assert area == pytest.approx(1.0, abs=1e-6)


def test_optimal_discriminator_values():
    d = toy.optimal_discriminator([1.0, 0.0, 3.0, 0.0], [1.0, 2.0, 1.0, 0.0])
    np.testing.assert_allclose(d, [0.5, 0.0, 0.75, 0.5])


def test_models_shapes_and_names():
    generator = toy.build_toy_generator(latent_dim=4, hidden_units=8)
    discriminator = toy.build_toy_discriminator(hidden_units=8)
    assert generator.name == "toy_generator"
    assert discriminator.name == "toy_discriminator"
    z = np.zeros((5, 4), dtype=np.float32)
    assert tuple(generator(z).shape) == (5, 1)
    assert tuple(discriminator(np.zeros((5, 1), np.float32)).shape) == (5, 1)
    # 4*8+8 + 8*8+8 + 8+1 and 1*8+8 + 8*8+8 + 8+1
    assert generator.count_params() == 121
    assert discriminator.count_params() == 97


def test_generator_loss_gradients_match_analytical_formulas():
    # Sign convention: derivative of the loss G minimises w.r.t. the logit l of
    # D on a fake, D = sigmoid(l). Both are negative: descent pushes l up.
    d = np.array([1e-4, 0.01, 0.1, 0.5, 0.9, 0.99])
    grads = toy.generator_loss_gradients(d)
    np.testing.assert_allclose(grads["minimax"], -d, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads["non_saturating"], -(1.0 - d), rtol=1e-4, atol=1e-7)
    # Where D rejects the fakes, the minimax loss saturates and the other does not.
    assert abs(grads["minimax"][0]) < 1e-3 < 0.99 < abs(grads["non_saturating"][0])


def test_generator_loss_gradients_keep_shape():
    d = np.full((2, 3), 0.25)
    grads = toy.generator_loss_gradients(d)
    assert grads["minimax"].shape == (2, 3)
    np.testing.assert_allclose(grads["non_saturating"], -0.75, rtol=1e-5)


def test_losses_used_by_the_toy_are_pgan_losses():
    logits = np.array([-40.0, 0.0, 40.0], dtype=np.float32)
    value = float(ops.convert_to_numpy(losses.generator_loss(logits)))
    assert np.isfinite(value)
    assert value == pytest.approx((40.0 + np.log(2.0)) / 3.0, abs=1e-4)


def test_short_run_history_shapes(short_run):
    assert short_run.d_loss.shape == (200,)
    assert short_run.g_loss.shape == (200,)
    assert sorted(short_run.snapshots) == [0, 100, 200]
    assert short_run.final_samples.shape == (toy.NUM_SNAPSHOT_SAMPLES,)
    assert np.all(np.isfinite(short_run.d_loss)) and np.all(np.isfinite(short_run.g_loss))
    assert short_run.config["g_loss"] == "non_saturating"
    assert short_run.config["modes"] == (3.0,)


def test_short_run_moves_generated_mean_toward_the_data(short_run):
    start, end = float(short_run.snapshots[0].mean()), float(short_run.final_samples.mean())
    assert abs(start - 3.0) > 2.0
    assert abs(end - 3.0) < 0.3 * abs(start - 3.0)
    assert toy.mode_coverage(short_run.final_samples, modes=(3.0,))[0] > 0.9


def test_same_seed_same_history(short_run):
    again = _short_run()
    np.testing.assert_array_equal(again.d_loss, short_run.d_loss)
    np.testing.assert_array_equal(again.g_loss, short_run.g_loss)
    for step, samples in short_run.snapshots.items():
        np.testing.assert_array_equal(again.snapshots[step], samples)


def test_different_seeds_start_from_different_generators():
    a = toy.build_toy_generator(seed=0).get_weights()[0]
    b = toy.build_toy_generator(seed=10).get_weights()[0]
    assert not np.array_equal(a, b)


def test_train_toy_discriminator_separates_real_from_fixed_fakes():
    fakes = np.random.default_rng(0).normal(0.0, 0.3, 1000)
    discriminator = toy.train_toy_discriminator(fakes, steps=150, seed=0)
    d = ops.convert_to_numpy(ops.sigmoid(discriminator(np.array([[-2.0], [0.0], [2.0]], "float32"))))
    assert d[0, 0] > 0.8 and d[2, 0] > 0.8 and d[1, 0] < 0.2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps must be an int"),
        ({"steps": 2.5}, "steps must be an int"),
        ({"learning_rate": 0.0}, "learning_rate must be a number in"),
        ({"learning_rate": "1e-3"}, "learning_rate must be a number in"),
        ({"g_loss": "wasserstein"}, "g_loss must be one of"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"modes": ()}, "modes must hold at least one"),
        ({"modes": "ab"}, "modes must be a sequence of numbers"),
        ({"num_snapshots": 1}, "num_snapshots must be an int >= 2"),
    ],
)
def test_train_toy_gan_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        toy.train_toy_gan(**kwargs)


@pytest.mark.parametrize("d_values", [[0.0, 0.5], [0.5, 1.0], [1.5], []])
def test_generator_loss_gradients_rejects_non_probabilities(d_values):
    with pytest.raises(ValueError, match="d_values"):
        toy.generator_loss_gradients(d_values)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        toy.optimal_discriminator([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="negative"):
        toy.optimal_discriminator([-1.0], [1.0])
    with pytest.raises(ValueError, match="at least one sample"):
        toy.mode_coverage([])
    with pytest.raises(ValueError, match="finite number"):
        toy.train_toy_discriminator([np.nan])
    with pytest.raises(ValueError, match="hidden_units"):
        toy.build_toy_discriminator(hidden_units=0)


def test_plots_have_one_panel_per_snapshot(short_run):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = toy.plot_snapshots(short_run)
    assert len(fig.axes) == len(short_run.snapshots)
    assert fig.axes[-1].get_title().startswith("step 200")
    plt.close(fig)
    fig = toy.plot_losses(short_run, window=10)
    assert len(fig.axes) == 2
    plt.close(fig)
