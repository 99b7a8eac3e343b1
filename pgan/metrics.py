"""Scoring generated product images: how good, how varied, how original.

Standard FID reads features from an ImageNet Inception network, whose weights
cannot be downloaded here. For MNIST-like data the literature reads them from a
classifier trained on the data set itself; pgan does the same with its judge
(:mod:`pgan.judge`) and calls the result the *Fréchet classifier distance* (FCD).
FCD numbers are not comparable with published FID numbers. The Inception FID is
here too (:func:`inception_fid`), for users with network access.

All metrics compare N generated images with N training images (a fixed, seeded
subset); N is always reported, and the same metrics for N *test* images (the
real-data floor: what a perfect generator would score at this N) stand beside
every score. Pairwise distances are computed in blocks, so memory stays bounded.

- FCD: Fréchet distance between Gaussians fitted to judge features (Heusel et al. 2017).
- KID: unbiased MMD^2 with the kernel (x.y/d + 1)^3, over subsets (Binkowski et al. 2018).
- precision/recall: share of samples inside the real k-NN manifold and vice versa
  (Kynkäänniemi et al. 2019); density/coverage (Naeem et al. 2020).
- class coverage: the judge's predicted-class histogram of the samples vs of real images.
- memorization: nearest training image of each sample vs that of real test images.

Taught in notebooks/06_evaluation.ipynb.
"""

from __future__ import annotations

import os
import time

import numpy as np

from pgan import data
from pgan.judge import (
    MAX_REFERENCE,
    check_images,
    fashion_mnist,
    judge_features,
    judge_outputs,
    load_judge,
    real_reference,
    real_test_predictions,
)

FEATURE_DIM = 128  # the judge's features: FCD needs N > 128 samples
MIN_SAMPLES = FEATURE_DIM + 1
CLASS_THRESHOLD = 0.01  # a class is "present" in at least 1% of the samples
MEMORIZATION_PERCENTILE = 1.0  # samples closer than 1% of test images are to training images...
MEMORIZATION_ALARM = 0.05  # ...should be about 1%; more than 5% raises the flag
BLOCK = 500  # rows per block of pairwise distances
# Keys every evaluation result carries (``pgan evaluate --json`` prints them on its last line).
REPORT_KEYS = (
    "n", "fcd", "fcd_floor", "kid", "kid_std", "precision", "recall", "density", "coverage",
    "classes_present", "class_tv", "memorized_share_pixel", "memorization_flag",
)


# ------------------------------------------------------------------ feature checks


def _check_features(features, name: str, min_samples: int = 2) -> np.ndarray:
    f = np.asarray(features)
    if f.dtype == bool or not np.issubdtype(f.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {f.dtype}.")
    if f.ndim != 2:
        raise ValueError(
            f"{name} must be shaped (N, d), one row of features per image, got {f.shape}. "
            "pgan.judge.judge_features(images) returns (N, 128)."
        )
    if len(f) < min_samples:
        raise ValueError(f"{name} has {len(f)} samples; this metric needs at least {min_samples}.")
    if not np.isfinite(f).all():
        raise ValueError(f"{name} holds NaN or infinite values.")
    return f.astype(np.float64)


def _check_pair(features_a, features_b, min_samples: int = 2):
    a = _check_features(features_a, "features_a", min_samples)
    b = _check_features(features_b, "features_b", min_samples)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a has {a.shape[1]} dimensions and features_b {b.shape[1]}.")
    return a, b


def check_num_samples(n: int, feature_dim: int = FEATURE_DIM) -> None:
    """Raise a clear ValueError unless ``n`` is a sample size the evaluation can use."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"The number of samples must be an int, got {n!r}.")
    if n <= feature_dim:
        raise ValueError(
            f"N={n} samples is too few: with {feature_dim}-d features the covariance of N samples "
            f"has rank at most N-1, so it is singular for N <= {feature_dim}. Use at least "
            f"N={feature_dim + 1}; scores settle from a few thousand (pgan evaluate uses 10,000)."
        )
    if n > MAX_REFERENCE:
        raise ValueError(
            f"N={n} is more than {MAX_REFERENCE:,}: the real-data floor compares N test images "
            f"with N training images, and the test split holds {MAX_REFERENCE:,}."
        )


# ---------------------------------------------------------------------------- FCD


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (eigh, negatives clipped)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def _sum_sqrt_eigenvalues(symmetric: np.ndarray) -> float:
    values = np.linalg.eigvalsh((symmetric + symmetric.T) / 2)
    return float(np.sqrt(np.clip(values, 0.0, None)).sum())


def _trace_sqrt_product(centred_a: np.ndarray, centred_b: np.ndarray, method: str) -> float:
    """tr(sqrt(S_a^1/2 S_b S_a^1/2)) for the covariances of two centred sets.

    "covariance": eigh of the d x d matrices (the usual way, for N > d).
    "gram": the same eigenvalues from the N_a x N_a matrix C C^T with
    C = A B^T / sqrt((N_a - 1)(N_b - 1)), since S_a S_b and C C^T share their non-zero
    eigenvalues; much cheaper when N < d (e.g. a few images' 2,048 Inception features).
    """
    n_a, n_b = len(centred_a), len(centred_b)
    if method == "covariance":
        cov_a = centred_a.T @ centred_a / (n_a - 1)
        cov_b = centred_b.T @ centred_b / (n_b - 1)
        root_a = _sqrt_psd(cov_a)
        return _sum_sqrt_eigenvalues(root_a @ cov_b @ root_a)
    cross = centred_a @ centred_b.T / np.sqrt((n_a - 1) * (n_b - 1))
    return _sum_sqrt_eigenvalues(cross @ cross.T if n_a <= n_b else cross.T @ cross)


def frechet_distance(features_a, features_b, allow_singular: bool = False) -> float:
    """Fréchet distance between Gaussians fitted to two sets of features (float64).

    ``|mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr(sqrt(S_a^1/2 S_b S_a^1/2))``, the
    square roots taken by symmetric eigendecomposition (``eigh``), so no complex part
    appears. On judge features this is the FCD; on Inception features, the FID. It is
    biased upward for small N: compare scores only at the same N.

    Args:
        features_a, features_b: (N, d) arrays (N may differ between them).
        allow_singular: accept N <= d (singular covariances; for tiny demos only).

    Raises:
        ValueError: N <= d (the message gives the minimum N), shapes differ, NaN.

    Taught in notebooks/06_evaluation.ipynb.
    """
    a, b = _check_pair(features_a, features_b)
    d = a.shape[1]
    if not allow_singular:
        for name, f in (("features_a", a), ("features_b", b)):
            if len(f) <= d:
                raise ValueError(
                    f"{name}: N={len(f)} samples of {d}-d features give a singular "
                    f"covariance (rank at most N-1). The Fréchet distance needs at least "
                    f"N={d + 1}; comparisons settle from a few thousand."
                )
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    centred_a, centred_b = a - mean_a, b - mean_b
    trace_a = (centred_a**2).sum() / (len(a) - 1)
    trace_b = (centred_b**2).sum() / (len(b) - 1)
    method = "gram" if min(len(a), len(b)) <= d else "covariance"
    trace_sqrt = _trace_sqrt_product(centred_a, centred_b, method)
    value = float(((mean_a - mean_b) ** 2).sum() + trace_a + trace_b - 2 * trace_sqrt)
    return max(value, 0.0)  # tiny negatives are round-off when the sets are identical


def fcd(images_a, images_b, pixel_range: str = "model", judge=None) -> float:
    """Fréchet classifier distance between two sets of images, through the judge's features.

    Taught in notebooks/06_evaluation.ipynb.
    """
    features_a = judge_features(images_a, pixel_range, judge)
    return frechet_distance(features_a, judge_features(images_b, pixel_range, judge))


# ---------------------------------------------------------------------------- KID


def _cubic_kernel(x: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    k = x @ y.T / d + 1.0
    return k * k * k  # faster than k ** 3


def kid(features_a, features_b, num_subsets: int = 10, subset_size: int = 1000, seed: int = 0):
    """Kernel Inception (here: classifier) distance: mean and std of the unbiased MMD^2.

    Kernel ``k(x, y) = (x.y / d + 1)^3`` (Binkowski et al. 2018). Each set is
    shuffled (seeded) and cut into ``num_subsets`` disjoint subsets of
    ``m = min(subset_size, N // num_subsets)``; the unbiased MMD^2 of each pair of
    subsets is one estimate. Unbiased, so its mean does not drift with N (unlike
    FCD), and for two samples of one distribution it scatters around 0 and can be
    negative. The std is the spread of the ``num_subsets`` estimates.

    Returns:
        ``(mean, std)`` over the subsets.

    Taught in notebooks/06_evaluation.ipynb.
    """
    a, b = _check_pair(features_a, features_b)
    if isinstance(num_subsets, bool) or not isinstance(num_subsets, int) or num_subsets < 1:
        raise ValueError(f"num_subsets must be a positive int, got {num_subsets!r}.")
    m = min(subset_size, len(a) // num_subsets, len(b) // num_subsets)
    if m < 2:
        raise ValueError(
            f"KID with {num_subsets} subsets needs at least {2 * num_subsets} samples per set, "
            f"got {len(a)} and {len(b)}."
        )
    rng = np.random.default_rng(seed)
    order_a, order_b = rng.permutation(len(a)), rng.permutation(len(b))
    d = a.shape[1]
    estimates = []
    for i in range(num_subsets):
        x = a[order_a[i * m : (i + 1) * m]]
        y = b[order_b[i * m : (i + 1) * m]]
        k_xx, k_yy, k_xy = (_cubic_kernel(p, q, d) for p, q in ((x, x), (y, y), (x, y)))
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        estimates.append(within - 2.0 * k_xy.mean())
    return float(np.mean(estimates)), float(np.std(estimates))


# ------------------------------------------------ precision, recall, density, coverage


def _squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d, 0.0)


def _kth_neighbour_radius(features: np.ndarray, k: int) -> np.ndarray:
    """Squared distance of each point to its k-th nearest other point, in blocks."""
    radii = np.empty(len(features))
    for start in range(0, len(features), BLOCK):
        d = _squared_distances(features[start : start + BLOCK], features)
        radii[start : start + BLOCK] = np.partition(d, k, axis=1)[
            :, k
        ]  # [:, 0] is the point itself
    return radii


def manifold_metrics(real_features, fake_features, k: int = 5) -> dict:
    """Precision, recall (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020).

    Each real (fake) point gets a ball reaching its k-th nearest real (fake) neighbour.
    precision: share of fakes inside some real ball (quality);
    recall: share of reals inside some fake ball (variety);
    density: real balls containing each fake, / k, averaged (about 1 for a match);
    coverage: share of real balls that contain at least one fake.

    Taught in notebooks/06_evaluation.ipynb.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}.")
    real, fake = _check_pair(real_features, fake_features, min_samples=k + 1)
    real_radius = _kth_neighbour_radius(real, k)
    fake_radius = _kth_neighbour_radius(fake, k)
    inside_any, inside_count = 0, 0
    recalled = np.zeros(len(real), dtype=bool)
    nearest_fake = np.full(len(real), np.inf)
    for start in range(0, len(fake), BLOCK):
        d = _squared_distances(fake[start : start + BLOCK], real)  # (block, n_real)
        inside = d <= real_radius[None, :]
        inside_any += int(inside.any(axis=1).sum())
        inside_count += int(inside.sum())
        recalled |= (d <= fake_radius[start : start + BLOCK, None]).any(axis=0)
        nearest_fake = np.minimum(nearest_fake, d.min(axis=0))
    return {
        "precision": inside_any / len(fake),
        "recall": float(recalled.mean()),
        "density": inside_count / (k * len(fake)),
        "coverage": float((nearest_fake <= real_radius).mean()),
    }


# ------------------------------------------------------------------ class coverage


def class_coverage(
    predictions, real_predictions, num_classes: int = 10, threshold: float = CLASS_THRESHOLD
) -> dict:
    """Compare the judge's predicted-class histogram of samples with that of real images.

    The mode-collapse alarm: a generator that draws only sneakers shows one class.

    Returns:
        ``class_tv`` (total variation distance, 0 = same shares, 1 = disjoint),
        ``classes_present`` (classes predicted for at least ``threshold`` of the samples),
        ``class_threshold``, ``class_histogram`` and ``real_class_histogram`` (shares).

    Taught in notebooks/06_evaluation.ipynb.
    """
    hists = []
    for name, p in (("predictions", predictions), ("real_predictions", real_predictions)):
        p = np.asarray(p)
        if p.ndim != 1 or len(p) == 0 or not np.issubdtype(p.dtype, np.integer):
            raise ValueError(
                f"{name} must be a non-empty 1-d array of class indices, got {p.dtype} {p.shape}."
            )
        if p.min() < 0 or p.max() >= num_classes:
            raise ValueError(
                f"{name} must hold classes 0..{num_classes - 1}, got {p.min()}..{p.max()}."
            )
        hists.append(np.bincount(p, minlength=num_classes) / len(p))
    fake, real = hists
    return {
        "class_tv": float(0.5 * np.abs(fake - real).sum()),
        "classes_present": int((fake >= threshold).sum()),
        "class_threshold": threshold,
        "class_histogram": [round(float(v), 4) for v in fake],
        "real_class_histogram": [round(float(v), 4) for v in real],
    }


# ------------------------------------------------------------------ memorization


def nearest_training_images(images, pixel_range: str = "model", block: int = 10_000):
    """Each image's nearest Fashion-MNIST training image in pixel space (all 60,000).

    Euclidean distance between model-range images (float32, in blocks of ``block``
    training images). Returns ``(train_index, distance)``, arrays of length N.

    Taught in notebooks/06_evaluation.ipynb.
    """
    x = check_images(images, pixel_range).reshape(len(images), -1)
    train = fashion_mnist().x_train
    x_norm = (x * x).sum(1)
    best = np.full(len(x), np.inf, dtype=np.float32)
    index = np.zeros(len(x), dtype=np.int64)
    for start in range(0, len(train), block):
        t = data.to_model_range(train[start : start + block]).reshape(-1, x.shape[1])
        d = x_norm[:, None] + (t * t).sum(1)[None, :] - 2.0 * (x @ t.T)
        j = d.argmin(axis=1)
        value = d[np.arange(len(x)), j]
        better = value < best
        best[better], index[better] = value[better], j[better] + start
    return index, np.sqrt(np.maximum(best, 0.0))


def _nearest_feature_distance(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    q, r = queries.astype(np.float64), references.astype(np.float64)
    return np.sqrt(
        np.concatenate(
            [_squared_distances(q[s : s + BLOCK], r).min(1) for s in range(0, len(q), BLOCK)]
        )
    )


def memorization_check(
    images,
    pixel_range: str = "model",
    num: int = 1000,
    reference_n: int | None = None,
    judge=None,
    seed: int = 0,
    features=None,
) -> dict:
    """Are samples closer to training images than unseen real images are?

    For the first ``num`` samples and ``num`` real test images, finds the nearest
    training image in pixel space (among all 60,000) and in judge-feature space
    (among the ``reference_n`` training images FCD compares with). A real test
    image is closer than the 1st percentile of test-to-train distances 1% of the
    time, by definition; a sample that is, is a suspected copy. The flag is raised
    when more than 5% of samples are (in either space).

    Returns:
        A dict: ``memorization_n``, ``memorized_share_pixel``, ``memorized_share_feature``,
        ``memorization_expected`` (0.01), ``memorization_alarm`` (0.05), ``memorization_flag``,
        the thresholds, and per-sample arrays ``nearest_train_index`` and ``nearest_distance``
        (pixel space) for :func:`closest_pairs`.

    Taught in notebooks/06_evaluation.ipynb.
    """
    x = check_images(images, pixel_range)
    m = min(int(num), len(x))
    reference_n = reference_n or min(max(len(x), 1000), MAX_REFERENCE)
    ref = real_reference(reference_n, seed, judge)
    m_real = min(m, reference_n)
    cache = ref.setdefault("memorization", {})
    if m_real not in cache:
        _, test_pixel = nearest_training_images(ref["test_images"][:m_real])
        test_feature = _nearest_feature_distance(
            ref["test_features"][:m_real], ref["train_features"]
        )
        cache[m_real] = (test_pixel, test_feature)
    test_pixel, test_feature = cache[m_real]
    index, pixel = nearest_training_images(x[:m])
    features = judge_features(x[:m], "model", ref["judge"]) if features is None else features[:m]
    feature = _nearest_feature_distance(features, ref["train_features"])
    pixel_threshold = float(np.percentile(test_pixel, MEMORIZATION_PERCENTILE))
    feature_threshold = float(np.percentile(test_feature, MEMORIZATION_PERCENTILE))
    share_pixel = float((pixel < pixel_threshold).mean())
    share_feature = float((feature < feature_threshold).mean())
    return {
        "memorization_n": m,
        "memorized_share_pixel": share_pixel,
        "memorized_share_feature": share_feature,
        "memorization_expected": MEMORIZATION_PERCENTILE / 100,
        "memorization_alarm": MEMORIZATION_ALARM,
        "memorization_flag": bool(max(share_pixel, share_feature) > MEMORIZATION_ALARM),
        "pixel_threshold": pixel_threshold,
        "feature_threshold": feature_threshold,
        "nearest_train_index": index,
        "nearest_distance": pixel,
    }


def closest_pairs(check: dict, num_pairs: int = 8) -> list[tuple[int, int, float]]:
    """The ``num_pairs`` samples closest to a training image: ``(sample, train, distance)``.

    Args:
        check: the result of :func:`memorization_check`.

    Taught in notebooks/06_evaluation.ipynb.
    """
    order = np.argsort(check["nearest_distance"], kind="stable")[:num_pairs]
    return [
        (int(i), int(check["nearest_train_index"][i]), float(check["nearest_distance"][i]))
        for i in order
    ]


def show_closest_pairs(
    images,
    pairs,
    pixel_range: str = "model",
    threshold: float | None = None,
    pairs_per_row: int = 4,
):
    """A grid of (sample | its nearest training image) pairs with their pixel distance.

    Taught in notebooks/06_evaluation.ipynb.
    """
    from pgan import plotting

    x = check_images(images, pixel_range)
    train = fashion_mnist().x_train
    tiles, titles = [], []
    for sample, neighbour, distance in pairs:
        tiles += [data.to_uint8(x[sample]), train[neighbour]]
        titles += [f"sample {sample}", f"train {neighbour}\nd={distance:.2f}"]
    title = "sample | nearest training image (pixel distance)"
    if threshold is not None:
        title += f"; test images' 1st percentile: {threshold:.2f}"
    return plotting.show_images(
        np.stack(tiles), titles=titles, ncols=2 * pairs_per_row, title=title
    )


# --------------------------------------------------------------- Inception FID


class InceptionUnavailableError(RuntimeError):
    """InceptionV3's ImageNet weights could not be loaded (no network access?)."""


INCEPTION_MIN_SIZE = 75
# InceptionV3's ImageNet weights without the classifier, as keras.applications fetches them.
INCEPTION_WEIGHTS = (
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "bcbd6486424b2319ff4ef7d526e38f63",
)
_INCEPTION: dict = {}


def _inception(weights, input_size: int):
    if (
        isinstance(input_size, bool)
        or not isinstance(input_size, int)
        or input_size < INCEPTION_MIN_SIZE
    ):
        raise ValueError(
            f"input_size must be an int of at least {INCEPTION_MIN_SIZE} (InceptionV3's minimum), "
            f"got {input_size!r}."
        )
    key = (weights, input_size)
    if key not in _INCEPTION:
        import keras

        path = weights
        if (
            weights == "imagenet"
        ):  # fetch first: fails in a second offline, before building the model
            name, url, md5 = INCEPTION_WEIGHTS
            try:
                path = keras.utils.get_file(name, url, cache_subdir="models", file_hash=md5)
            except Exception as err:
                raise InceptionUnavailableError(
                    "Standard FID needs InceptionV3's ImageNet weights (about 90 MB, which Keras "
                    "downloads from storage.googleapis.com into ~/.keras/models/), and they could not "
                    f"be fetched ({type(err).__name__}: {err}). Offline, use the Fréchet classifier "
                    "distance: pgan.metrics.evaluate_images(...)['fcd'] or `pgan evaluate`, which read "
                    "features from pgan's own judge. With network access, run this again, or copy "
                    f"{name} into ~/.keras/models/."
                ) from err
        _INCEPTION[key] = keras.applications.InceptionV3(
            weights=path, include_top=False, pooling="avg", input_shape=(input_size, input_size, 3)
        )
    return _INCEPTION[key]


def inception_features(
    images,
    pixel_range: str = "model",
    weights="imagenet",
    input_size: int = 299,
    batch_size: int = 50,
):
    """InceptionV3 pool features (N, 2048) of grayscale 28x28 images.

    As Lucic et al. (2018) did for MNIST-like data: the gray channel is tiled to
    RGB and the image resized (bilinear) to ``input_size``; [-1, 1] is already
    Inception's input range. ``weights=None`` gives random weights (for tests).

    Raises:
        InceptionUnavailableError: the ImageNet weights cannot be downloaded.

    Taught in notebooks/06_evaluation.ipynb.
    """
    import keras
    from keras import ops

    x = check_images(images, pixel_range)
    model = _inception(weights, input_size)
    out = []
    for start in range(0, len(x), batch_size):
        batch = ops.repeat(ops.convert_to_tensor(x[start : start + batch_size]), 3, axis=-1)
        batch = ops.image.resize(batch, (input_size, input_size), interpolation="bilinear")
        out.append(keras.ops.convert_to_numpy(model(batch, training=False)))
    return np.concatenate(out).astype(np.float32)


def inception_fid(
    images_a,
    images_b,
    pixel_range: str = "model",
    weights="imagenet",
    input_size: int = 299,
    allow_singular: bool = False,
) -> float:
    """The standard FID (needs network access for the ImageNet weights; N > 2048 per set).

    Taught in notebooks/06_evaluation.ipynb (offline, use :func:`fcd`).
    """
    features_a = inception_features(images_a, pixel_range, weights, input_size)
    features_b = inception_features(images_b, pixel_range, weights, input_size)
    return frechet_distance(features_a, features_b, allow_singular=allow_singular)


# ------------------------------------------------------------------ all at once


def _real_floor(ref: dict, k: int) -> dict:
    """The metrics of the n real test images against the n training images (cached)."""
    key = ("floor", k)
    if key not in ref:
        train, test = ref["train_features"], ref["test_features"]
        kid_mean, _ = kid(test, train)
        floor = {
            "fcd": frechet_distance(test, train),
            "kid": kid_mean,
            **manifold_metrics(train, test, k),
        }
        classes = class_coverage(ref["train_predictions"], ref["test_predictions"])
        floor.update(class_tv=classes["class_tv"], classes_present=classes["classes_present"])
        ref[key] = floor
    return ref[key]


def evaluate_images(
    images,
    pixel_range: str = "model",
    judge=None,
    k: int = 5,
    memorization_n: int = 1000,
    reference_seed: int = 0,
) -> dict:
    """Every metric for N images, with the real-data floor beside each.

    Args:
        images: (N, 28, 28, 1) generated images; 129 <= N <= 10,000.
        pixel_range: "model" ([-1, 1]), "unit" ([0, 1], ``pgan sample``'s .npy) or "uint8".
        judge: a loaded judge (:func:`pgan.judge.load_judge` by default).
        k: neighbours for precision/recall/density/coverage.
        memorization_n: samples checked for memorization.
        reference_seed: picks the N real images compared with (keep it fixed).

    Returns:
        A JSON-ready dict with ``n``, ``fcd``, ``kid``, ``kid_std``, ``precision``,
        ``recall``, ``density``, ``coverage``, ``classes_present``, ``class_tv``,
        each metric's ``*_floor``, the class histograms, the memorization summary
        (``memorized_share_pixel``, ``memorized_share_feature``, ``memorization_flag``...)
        and ``seconds``.

    Taught in notebooks/06_evaluation.ipynb.
    """
    start = time.perf_counter()
    x = check_images(images, pixel_range, name="generated images")
    n = len(x)
    check_num_samples(n)
    judge = judge if judge is not None else load_judge()
    features, logits = judge_outputs(x, "model", judge)
    ref = real_reference(n, reference_seed, judge)
    floor = _real_floor(ref, k)
    kid_mean, kid_std = kid(features, ref["train_features"])
    result = {
        "n": n,
        "fcd": frechet_distance(features, ref["train_features"]),
        "kid": kid_mean,
        "kid_std": kid_std,
        **manifold_metrics(ref["train_features"], features, k),
        **class_coverage(np.argmax(logits, axis=1), ref["test_predictions"]),
    }
    for key in (
        "fcd",
        "kid",
        "precision",
        "recall",
        "density",
        "coverage",
        "class_tv",
        "classes_present",
    ):
        result[f"{key}_floor"] = floor[key]
    memo = memorization_check(x, "model", memorization_n, n, judge, reference_seed, features)
    result.update({key: value for key, value in memo.items() if not isinstance(value, np.ndarray)})
    result.update(
        k=k,
        reference=f"{n} Fashion-MNIST training images (seed {reference_seed})",
        floor=f"{n} Fashion-MNIST test images scored the same way",
        seconds=round(time.perf_counter() - start, 2),
    )
    return result


def evaluate_generator(generator, num: int = 10_000, seed: int = 0, steps: int | None = None, **kwargs) -> dict:
    """Generate ``num`` images (noise seed ``seed``) and score them with :func:`evaluate_images`.

    Args:
        generator: a generator model (or a flow model's velocity network), or the path of a ``.keras`` file.
        num: N, from 129 to 10,000; compare generators at the same N.
        seed: seed of the noise.
        steps: a flow model's sampling steps (default: its own); None for a GAN.
        **kwargs: passed to :func:`evaluate_images`.

    Taught in notebooks/06_evaluation.ipynb.
    """
    from pgan import sampling

    check_num_samples(num)
    if isinstance(generator, str | os.PathLike):
        generator = sampling.load_generator(generator)
    images = sampling.generate_images(generator, num, seed=seed, steps=steps)
    return evaluate_images(images, "model", **kwargs)


def evaluate_pixel_space(images, real_images, k: int = 5, seed: int = 0) -> dict:
    """The metrics that need no judge, for images that are not Fashion-MNIST's: pixel-space
    precision, recall, density and coverage, and a copy check, against your own real images.

    FCD, KID and the class histogram need a judge trained on the same kind of images;
    on other products they would compare with Fashion-MNIST and mislead. Here the real
    images are split in two halves (fixed by ``seed``): the first is the reference, the
    second scored against it the same way gives the real floor, and as many generated
    images as the second half holds are scored. A generated image closer to some real image
    than 99% of real images are to their nearest other real image is a suspected copy;
    more than 5% of them raises the flag.

    Args:
        images: generated images (N, H, W, C) in [-1, 1].
        real_images: the training images, uint8 (M, H, W, C), M >= 2 * (k + 1).
        k: neighbours for the manifold metrics.
        seed: picks the halves.

    Returns:
        A JSON-ready dict: ``n``, ``space`` ("pixels"), ``precision``, ``recall``, ``density``,
        ``coverage`` and their ``*_floor``, ``copied_share``, ``memorization_flag``, ``seconds``.

    Taught in notebooks/05_training_on_gpu.ipynb ("Train on your own products").
    """
    start = time.perf_counter()
    fake = np.asarray(images, dtype=np.float32)
    real = np.asarray(real_images)
    if real.dtype != np.uint8 or real.ndim != 4:
        raise ValueError(f"real_images must be uint8 (M, H, W, C), got {real.dtype} {real.shape}.")
    if fake.ndim != 4 or fake.shape[1:] != real.shape[1:]:
        raise ValueError(f"The generated images are {fake.shape[1:]} but the real ones {real.shape[1:]}: compare "
                         "images of the same size and channels.")
    if not np.isfinite(fake).all() or fake.min() < -1.0 - 1e-3 or fake.max() > 1.0 + 1e-3:
        raise ValueError("Generated images must be finite and in [-1, 1] (a generator's output).")
    order = np.random.default_rng(seed).permutation(len(real))
    half = len(real) // 2
    if half < k + 1:
        raise ValueError(f"{len(real)} real images are too few: pixel-space metrics with k={k} need at least "
                         f"{2 * (k + 1)}.")
    flat_real = data.to_model_range(real).reshape(len(real), -1)
    reference, held_out = flat_real[order[:half]], flat_real[order[half: 2 * half]]
    scored = fake[:half].reshape(min(half, len(fake)), -1)
    result = {"n": len(scored), "space": "pixels", "k": k, **manifold_metrics(reference, scored, k)}
    for key, value in manifold_metrics(reference, held_out, k).items():
        result[f"{key}_floor"] = value
    nearest_other = np.sqrt(_kth_neighbour_radius(flat_real, 1))
    nearest_fake = np.concatenate([np.sqrt(_squared_distances(scored[i: i + BLOCK], flat_real).min(axis=1))
                                   for i in range(0, len(scored), BLOCK)])
    threshold = float(np.percentile(nearest_other, MEMORIZATION_PERCENTILE))
    share = float((nearest_fake < threshold).mean())
    result.update(
        copied_share=share, memorization_expected=MEMORIZATION_PERCENTILE / 100,
        memorization_alarm=MEMORIZATION_ALARM, memorization_flag=bool(share > MEMORIZATION_ALARM),
        reference=f"{half} of your {len(real)} images (seed {seed})",
        floor=f"the other {half} scored the same way", seconds=round(time.perf_counter() - start, 2))
    return result


def format_pixel_report(result: dict) -> str:
    """The scores of :func:`evaluate_pixel_space` beside their real floor, with what does not apply."""
    lines = [f"N = {result['n']} generated images vs {result['reference']}, in pixel space",
             f"{'metric':<24}{'score':>12}{'real floor':>14}"]
    for key, label, fmt in ROWS:
        if key in ("precision", "recall", "density", "coverage"):
            lines.append(f"{label:<24}{result[key]:>12{fmt}}{result[key + '_floor']:>14{fmt}}")
    verdict = "FLAG: suspected copies" if result["memorization_flag"] else "ok"
    lines.append(f"copies: {result['copied_share']:.1%} of samples are closer to one of your images than 99% of "
                 f"your images are to their nearest other; expected about {result['memorization_expected']:.0%}, "
                 f"alarm above {result['memorization_alarm']:.0%}: {verdict}")
    lines.append("not computed: FCD, KID and classes, which need a judge trained on these products "
                 "(pgan's judge knows Fashion-MNIST only)")
    return "\n".join(lines)


ROWS = (
    ("fcd", "FCD (lower is better)", ".3f"),
    ("kid", "KID (lower is better)", ".5f"),
    ("precision", "precision (quality)", ".3f"),
    ("recall", "recall (variety)", ".3f"),
    ("density", "density", ".3f"),
    ("coverage", "coverage", ".3f"),
    ("classes_present", "classes present", "d"),
    ("class_tv", "class TV distance", ".3f"),
)


def format_report(result: dict) -> str:
    """The scores of :func:`evaluate_images` as a table beside their real-data floor.

    Taught in notebooks/06_evaluation.ipynb; printed by ``pgan evaluate``.
    """
    lines = [
        f"N = {result['n']} generated images vs {result['reference']}",
        f"{'metric':<24}{'score':>12}{'real floor':>14}",
    ]
    for key, label, fmt in ROWS:
        lines.append(f"{label:<24}{result[key]:>12{fmt}}{result[key + '_floor']:>14{fmt}}")
    lines.append(
        f"KID std over subsets: {result['kid_std']:.5f}; k = {result['k']} neighbours; "
        f"a class is present in >= {result['class_threshold']:.0%} of samples"
    )
    verdict = "FLAG: suspected copies" if result["memorization_flag"] else "ok"
    lines.append(
        f"memorization ({result['memorization_n']} samples): "
        f"{result['memorized_share_pixel']:.1%} (pixels), {result['memorized_share_feature']:.1%} (features) "
        f"closer to a training image than 99% of test images are; expected about "
        f"{result['memorization_expected']:.0%}, alarm above {result['memorization_alarm']:.0%}: {verdict}"
    )
    return "\n".join(lines)


def plot_class_coverage(result: dict, class_names=data.CLASS_NAMES, title: str | None = None):
    """Bar chart of the samples' predicted classes beside real test images'; returns the figure.

    Taught in notebooks/06_evaluation.ipynb.
    """
    import matplotlib.pyplot as plt

    x = np.arange(len(class_names))
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.bar(x - 0.2, result["real_class_histogram"], 0.4, label="real test images", color="0.7")
    ax.bar(x + 0.2, result["class_histogram"], 0.4, label="samples")
    ax.axhline(result["class_threshold"], color="red", lw=1, ls="--", label="'present' threshold")
    ax.set_xticks(x, class_names, rotation=30, ha="right")
    ax.set_ylabel("share of images")
    ax.set_title(
        title
        or f"{result['classes_present']} classes present, TV distance {result['class_tv']:.3f}"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def conditional_accuracy(generator, num_per_class: int = 1000, seed: int = 0, judge=None) -> dict:
    """Does ``--class C`` draw a C? The judge's per-class accuracy on a conditional generator's samples.

    For every class C it generates ``num_per_class`` images with label C and
    counts how many the judge classifies as C; beside it, the judge's own
    accuracy on the real test images of C, the fair bar for classes the judge
    confuses on real data (shirt, pullover, T-shirt, coat).

    Returns:
        ``per_class`` (list of dicts: class, name, generated_accuracy, real_accuracy,
        meets_goal), ``mean_generated_accuracy``, ``all_meet_goal`` and ``goal``.
        The goal per class: at least 90%, or at least the judge's real accuracy on C
        when that is below 90%.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    from pgan import sampling

    num_classes = sampling.num_classes_of(generator)
    if num_classes is None:
        raise ValueError(f"{generator.name!r} is unconditional; conditional_accuracy needs a conditional generator.")
    judge = judge if judge is not None else load_judge()
    # The whole test split, judged once per process (shared with evaluate_images at N = 10,000).
    real_pred = real_test_predictions(judge)
    real_labels = fashion_mnist().y_test
    rows = []
    for c in range(num_classes):
        images = sampling.generate_images(generator, num_per_class, seed=seed + c, labels=c)
        _, logits = judge_outputs(images, "model", judge)
        generated = float(np.mean(np.argmax(logits, axis=1) == c))
        real = float(np.mean(real_pred[real_labels == c] == c))
        rows.append({
            "class": c, "name": data.CLASS_NAMES[c] if c < len(data.CLASS_NAMES) else str(c),
            "generated_accuracy": generated, "real_accuracy": real,
            "meets_goal": generated >= min(0.9, real),
        })
    return {
        "per_class": rows,
        "mean_generated_accuracy": float(np.mean([r["generated_accuracy"] for r in rows])),
        "all_meet_goal": all(r["meets_goal"] for r in rows),
        "goal": "per class: >= 90% judged as the class, or >= the judge's accuracy on real images of it",
        "num_per_class": num_per_class,
    }
