"""pgan.metrics and pgan.judge: known values on synthetic features, sanity on real images, bad input."""

import json
import shutil

import numpy as np
import pytest

from pgan import data, judge, metrics

N = 1000  # real images per set in the tests that use the judge


def _whitened(rng, n, d):
    """n samples whose sample mean is exactly 0 and sample covariance exactly I."""
    z = rng.standard_normal((n, d))
    z -= z.mean(axis=0)
    return z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T


def _blur(images, passes):
    """Repeated 3x3 box blur of model-range images, padding with the background (-1)."""
    x = images[..., 0]
    for _ in range(passes):
        p = np.pad(x, ((0, 0), (1, 1), (1, 1)), constant_values=-1.0)
        x = sum(p[:, i : i + 28, j : j + 28] for i in range(3) for j in range(3)) / 9.0
    return x[..., None].astype(np.float32)


@pytest.fixture(scope="module")
def reference(fashion_mnist):
    """N training and N test images with the judge's features (cached per process)."""
    return judge.real_reference(N, seed=0)


@pytest.fixture(scope="module")
def real_result(reference):
    """evaluate_images on N real test images: what a perfect generator would score."""
    return metrics.evaluate_images(reference["test_images"], memorization_n=200)


def _constant_generator(image, latent_dim=8):
    """A 'generator' that ignores its noise and always draws ``image`` (total mode collapse)."""
    import keras

    z = keras.Input((latent_dim,))
    x = keras.layers.Dense(
        784, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(image.ravel())
    )(z)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x), name="one_image")


def _copying_generator(train_images):
    """A 'generator' whose output is (almost exactly) one of ``train_images``: softmax(200 z) picks one."""
    import keras

    k = len(train_images)
    z = keras.Input((k,))
    weights = keras.layers.Softmax()(keras.layers.Rescaling(200.0)(z))
    dense = keras.layers.Dense(784, use_bias=False)
    x = dense(weights)
    dense.set_weights([train_images.reshape(k, 784)])
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x), name="copier")


# ---------------------------------------------------------------- synthetic features


def test_frechet_distance_matches_the_closed_form():
    rng = np.random.default_rng(0)
    d = 6
    scale_a, scale_b = rng.uniform(0.5, 2.0, d), rng.uniform(0.5, 2.0, d)
    mean_a, mean_b = rng.normal(size=d), rng.normal(size=d)
    a = _whitened(rng, 400, d) * np.sqrt(scale_a) + mean_a  # sample covariance diag(scale_a)
    b = _whitened(rng, 300, d) * np.sqrt(scale_b) + mean_b
    expected = ((mean_a - mean_b) ** 2).sum() + ((np.sqrt(scale_a) - np.sqrt(scale_b)) ** 2).sum()
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert isinstance(metrics.frechet_distance(a, b), float)
    one_d = metrics.frechet_distance(a[:, :1], b[:, :1])  # one feature: (mean gap)^2 + (std gap)^2
    assert one_d == pytest.approx(
        (mean_a[0] - mean_b[0]) ** 2 + (np.sqrt(scale_a[0]) - np.sqrt(scale_b[0])) ** 2
    )


def test_both_ways_to_the_trace_of_the_square_root_agree():
    rng = np.random.default_rng(5)
    for n_a, n_b, d in ((40, 30, 8), (6, 9, 50)):
        a, b = rng.normal(size=(n_a, d)), rng.normal(1.0, 2.0, size=(n_b, d))
        a, b = a - a.mean(0), b - b.mean(0)
        expected = metrics._trace_sqrt_product(a, b, "covariance")
        assert metrics._trace_sqrt_product(a, b, "gram") == pytest.approx(expected, rel=1e-7)


def test_identical_distributions_score_near_zero_and_below_a_different_pair():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))
    shifted = rng.normal(0.3, 1.0, size=(2000, 16))
    assert metrics.frechet_distance(a, a) < 1e-9
    same, different = metrics.frechet_distance(a, b), metrics.frechet_distance(a, shifted)
    assert same < 0.2 < 1.0 < different  # 16 * 0.3^2 = 1.44 plus sampling noise
    kid_same, std_same = metrics.kid(a, b)
    kid_different, _ = metrics.kid(a, shifted)
    assert abs(kid_same) < 3 * std_same + 1e-3 and kid_different > 20 * abs(kid_same)


def test_kid_is_unbiased_so_it_can_be_negative():
    rng = np.random.default_rng(2)
    estimates = [
        metrics.kid(rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8)), seed=s)[0]
        for s in range(10)
    ]
    assert min(estimates) < 0 < max(estimates)
    assert abs(np.mean(estimates)) < 3 * np.std(estimates) / np.sqrt(len(estimates))  # no bias
    with pytest.raises(ValueError, match="at least 20 samples"):
        metrics.kid(rng.normal(size=(15, 8)), rng.normal(size=(300, 8)))


def test_precision_recall_density_coverage_known_cases():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(600, 4))
    same = metrics.manifold_metrics(real, real, k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    assert same["density"] == pytest.approx(
        6 / 5, abs=0.02
    )  # each ball holds k neighbours + itself
    far = metrics.manifold_metrics(real, real + 100.0, k=5)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    # Mode dropping: real data has two clusters, the fakes only one. Quality stays, variety halves.
    two_modes = np.concatenate([rng.normal(size=(300, 2)) - 10, rng.normal(size=(300, 2)) + 10])
    one_mode = rng.normal(size=(600, 2)) + 10
    dropped = metrics.manifold_metrics(two_modes, one_mode, k=5)
    assert (
        dropped["precision"] > 0.9 and 0.4 < dropped["recall"] < 0.55 and dropped["coverage"] < 0.55
    )


def test_class_coverage_counts_classes_and_total_variation():
    real = np.repeat(np.arange(10), 100)
    assert metrics.class_coverage(real, real)["class_tv"] == 0.0
    only_bags = metrics.class_coverage(np.full(500, 8), real)
    assert only_bags["classes_present"] == 1 and only_bags["class_tv"] == pytest.approx(0.9)
    rare = np.concatenate([np.full(995, 3), np.full(5, 4)])  # class 4 in 0.5% < 1%
    assert metrics.class_coverage(rare, real)["classes_present"] == 1
    with pytest.raises(ValueError, match="classes 0..9"):
        metrics.class_coverage(np.array([0, 10]), real)


def test_feature_metrics_reject_bad_input():
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match=r"at least N=129"):
        metrics.frechet_distance(rng.normal(size=(128, 128)), rng.normal(size=(500, 128)))
    assert np.isfinite(
        metrics.frechet_distance(
            rng.normal(size=(20, 128)), rng.normal(size=(20, 128)), allow_singular=True
        )
    )
    with pytest.raises(ValueError, match=r"shaped \(N, d\)"):
        metrics.frechet_distance(np.zeros(300), np.zeros(300))
    with pytest.raises(ValueError, match="dimensions"):
        metrics.kid(rng.normal(size=(50, 4)), rng.normal(size=(50, 5)))
    with pytest.raises(ValueError, match="NaN"):
        metrics.manifold_metrics(np.full((50, 4), np.nan), rng.normal(size=(50, 4)))
    with pytest.raises(TypeError, match="numeric"):
        metrics.kid(np.array([["a"] * 4] * 10), rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match="at least 6"):
        metrics.manifold_metrics(rng.normal(size=(5, 4)), rng.normal(size=(50, 4)), k=5)
    for n, message in ((128, r"at least N=129"), (10_001, "test split holds 10,000")):
        with pytest.raises(ValueError, match=message):
            metrics.check_num_samples(n)


# ---------------------------------------------------------------- images and the judge


def test_check_images_explicit_ranges_and_messages():
    unit = np.linspace(0, 1, 2 * 784, dtype=np.float32).reshape(2, 28, 28, 1)
    model = metrics.check_images(unit, "unit")
    np.testing.assert_allclose(model, unit * 2 - 1, atol=1e-6)
    np.testing.assert_array_equal(
        judge.check_images(data.to_uint8(model), "uint8"), data.to_model_range(data.to_uint8(model))
    )
    cases = [
        (unit, "model", ValueError, "pixel_range='unit'"),  # [0, 1] images passed as model range
        (unit * 2 - 1, "unit", ValueError, r"outside pixel_range='unit'.*fit pixel_range='model'"),
        (unit * 255, "model", ValueError, "divide by 255"),
        (unit[..., 0], "unit", ValueError, r"images\[\.\.\., None\]"),
        (unit.transpose(0, 3, 1, 2), "unit", ValueError, "channels-first"),
        (unit[0], "unit", ValueError, "one image"),
        (np.zeros((2, 32, 32, 1), np.float32), "unit", ValueError, r"\(N, 28, 28, 1\)"),
        (unit[:0], "unit", ValueError, "no images"),
        (np.where(unit > 0.5, np.nan, unit), "unit", ValueError, "NaN"),
        (data.to_uint8(model), "model", TypeError, "pixel_range='uint8'"),
        (unit, "uint8", TypeError, "needs uint8"),
        (unit.astype(np.int32), "unit", TypeError, "dtype int32"),
        (unit, "0-255", ValueError, "pixel_range must be one of"),
    ]
    for images, pixel_range, error, message in cases:
        with pytest.raises(error, match=message):
            judge.check_images(images, pixel_range)


def test_judge_checksum_is_checked(tmp_path):
    for name in ("judge.keras", "judge.json"):
        shutil.copyfile(judge.PRETRAINED_DIR / name, tmp_path / name)
    card = judge.load_card(tmp_path)
    assert card["test_accuracy"] >= 0.9 and len(card["per_class_test_accuracy"]) == 10
    assert judge.load_judge(tmp_path).get_layer("features").output.shape[-1] == 128
    with open(tmp_path / "judge.keras", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ValueError, match=r"does not match the SHA-256.*train_judge\.py"):
        judge.load_judge(tmp_path)
    (tmp_path / "judge.keras").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing.*git checkout.*train_judge\.py"):
        judge.load_judge(tmp_path)
    (tmp_path / "judge.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        judge.load_card(tmp_path)


def test_judge_features_predictions_and_ranges(reference):
    features, predictions = reference["test_features"], reference["test_predictions"]
    assert features.shape == (N, 128) and features.dtype == np.float32
    labels = judge.fashion_mnist().y_test[reference["test_index"]]
    assert (predictions == labels).mean() > 0.88
    x = reference["test_images"][:50]
    np.testing.assert_allclose(
        judge.judge_features(data.to_unit_range(x), "unit"), features[:50], atol=1e-4
    )
    np.testing.assert_array_equal(judge.judge_predict(x, batch_size=7), predictions[:50])


def test_fcd_of_real_images_with_themselves_is_zero_and_the_floor_is_small(reference, real_result):
    features = reference["test_features"]
    assert metrics.frechet_distance(features, features) < 1e-6
    assert real_result["n"] == N and real_result["fcd"] == real_result["fcd_floor"]
    assert real_result["classes_present"] == 10 and real_result["class_tv"] == 0.0
    assert real_result["memorization_flag"] is False
    json.dumps(real_result)  # JSON-ready
    for key in metrics.REPORT_KEYS:
        assert key in real_result
    assert "real floor" in metrics.format_report(real_result)


def test_noise_and_blur_raise_fcd_monotonically(reference):
    rng = np.random.default_rng(0)
    train, test = reference["train_features"], reference["test_images"]
    clean = metrics.frechet_distance(judge.judge_features(test), train)
    noisy = [
        metrics.frechet_distance(
            judge.judge_features(
                np.clip(test + rng.normal(0, s, test.shape), -1, 1).astype(np.float32)
            ),
            train,
        )
        for s in (0.1, 0.2, 0.4)
    ]
    blurred = [
        metrics.frechet_distance(judge.judge_features(_blur(test, p)), train) for p in (1, 2, 4)
    ]
    print("FCD clean", clean, "noise 0.1/0.2/0.4", noisy, "blur 1/2/4 passes", blurred)
    assert clean < noisy[0] < noisy[1] < noisy[2]
    assert clean < blurred[0] < blurred[1] < blurred[2]


def test_one_image_generator_scores_worst_and_shows_one_class(reference, real_result):
    result = metrics.evaluate_generator(
        _constant_generator(reference["test_images"][0]), num=N, memorization_n=200
    )
    print(
        {
            k: result[k]
            for k in (
                "fcd",
                "fcd_floor",
                "kid",
                "precision",
                "recall",
                "coverage",
                "classes_present",
            )
        }
    )
    assert result["classes_present"] == 1 and result["class_tv"] > 0.8
    assert result["fcd"] > 50 * max(real_result["fcd"], 1e-3) and result["kid"] > 50 * max(
        real_result["kid"], 1e-4
    )
    assert result["recall"] < 0.01 and result["coverage"] < 0.01 < real_result["coverage"]


def test_a_generator_that_copies_training_images_is_flagged(fashion_mnist):
    copies = data.to_model_range(fashion_mnist.x_train[:64])
    from pgan import sampling

    samples = sampling.generate_images(_copying_generator(copies), 200, seed=0)
    check = metrics.memorization_check(samples, num=200, reference_n=N)
    assert check["memorization_flag"] is True and check["memorized_share_pixel"] > 0.9
    pairs = metrics.closest_pairs(check, num_pairs=4)
    assert len(pairs) == 4 and all(train < 64 and distance < 0.5 for _, train, distance in pairs)
    fig = metrics.show_closest_pairs(samples, pairs, threshold=check["pixel_threshold"])
    assert len(fig.axes) == 8


def test_inception_pipeline_with_random_weights_gives_a_finite_fid(reference):
    a, b = reference["test_images"][:6], reference["train_images"][:6]
    fid = metrics.inception_fid(a, b, weights=None, input_size=75, allow_singular=True)
    assert np.isfinite(fid) and fid > 0
    assert metrics.inception_features(a[:2], weights=None, input_size=75).shape == (2, 2048)
    with pytest.raises(ValueError, match="at least 75"):
        metrics.inception_features(a, weights=None, input_size=32)


def test_inception_offline_says_why_and_what_to_use_instead(monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/...: [Errno -3] name resolution"
        )

    monkeypatch.setattr(keras.utils, "get_file", offline)
    images = np.full((2, 28, 28, 1), -1.0, np.float32)
    with pytest.raises(
        metrics.InceptionUnavailableError,
        match=r"(?s)ImageNet weights.*URL fetch failure.*Fréchet classifier distance",
    ):
        metrics.inception_features(images, input_size=76)


def test_evaluate_rejects_bad_input():
    with pytest.raises(ValueError, match=r"at least N=129"):
        metrics.evaluate_images(np.full((100, 28, 28, 1), -1.0, np.float32))
    with pytest.raises(ValueError, match="pixel_range='unit'"):
        metrics.evaluate_images(np.zeros((200, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match="test split"):
        metrics.evaluate_generator("unused.keras", num=20_000)


def test_real_test_predictions_reuse_a_full_reference_or_judge_the_test_split_once(monkeypatch, fashion_mnist):
    fake_judge = object()
    calls = []

    def fake_outputs(images, pixel_range, judge_model):
        calls.append(len(images))
        logits = np.zeros((len(images), 10), np.float32)
        logits[:, 3] = 1.0
        return np.zeros((len(images), 128), np.float32), logits

    monkeypatch.setattr(judge, "judge_outputs", fake_outputs)
    monkeypatch.setattr(judge, "_REFERENCES", {})
    first = judge.real_test_predictions(fake_judge)
    assert first.shape == (10_000,) and set(first.tolist()) == {3} and calls == [10_000]
    assert judge.real_test_predictions(fake_judge) is first and calls == [10_000]  # cached: judged once
    full = np.arange(10_000) % 10
    other = object()
    judge._REFERENCES[(id(other), judge.MAX_REFERENCE, 0)] = {"test_predictions": full}
    assert judge.real_test_predictions(other) is full and calls == [10_000]  # from the full reference
