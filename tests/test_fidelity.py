import numpy as np
import pytest

from pgan import fidelity


def _pair(seed=0, noise=0.1, shape=(4, 28, 28, 1)):
    rng = np.random.default_rng(seed)
    clean = rng.random(shape)
    return np.clip(clean + rng.normal(0, noise, shape), 0, 1), clean


def test_identical_images_score_perfectly():
    _, clean = _pair()
    assert np.all(fidelity.psnr(clean, clean) == fidelity.PSNR_CAP)
    np.testing.assert_allclose(fidelity.ssim(clean, clean), 1.0, atol=1e-12)


def test_psnr_known_value():
    clean = np.zeros((1, 8, 8, 1))
    off = np.full((1, 8, 8, 1), 0.1)  # MSE 0.01 -> 20 dB
    np.testing.assert_allclose(fidelity.psnr(off, clean), [20.0])


def test_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    noisy, clean = _pair(shape=(3, 28, 28, 3))
    a, b = noisy.astype(np.float32), clean.astype(np.float32)
    np.testing.assert_allclose(fidelity.psnr(a, b), tf.image.psnr(a, b, 1.0).numpy(), rtol=1e-4)
    want = tf.image.ssim(a, b, 1.0, filter_size=7).numpy()
    np.testing.assert_allclose(fidelity.ssim(a, b), want, atol=1e-5)


def test_more_noise_scores_lower():
    low, clean = _pair(noise=0.05)
    high, _ = _pair(noise=0.2)
    assert fidelity.psnr(low, clean).mean() > fidelity.psnr(high, clean).mean() + 6
    assert fidelity.ssim(low, clean).mean() > fidelity.ssim(high, clean).mean()


def test_bad_input_messages():
    _, clean = _pair()
    with pytest.raises(ValueError, match="same"):
        fidelity.psnr(clean[:, :14], clean)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        fidelity.psnr(clean * 255, clean)
    with pytest.raises(ValueError, match="at least 7x7"):
        fidelity.ssim(clean[:, :5, :5], clean[:, :5, :5])
