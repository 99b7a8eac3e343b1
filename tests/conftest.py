"""Shared fixtures. TensorFlow is quieted before any test imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from pgan import data  # noqa: E402


@pytest.fixture
def tiny_images():
    """256 uint8 'products': bright rectangles of random size on black, (256, 28, 28, 1)."""
    rng = np.random.default_rng(0)
    images = np.zeros((256, 28, 28, 1), dtype=np.uint8)
    for img in images:
        h, w = rng.integers(8, 24, size=2)
        y, x = (28 - h) // 2, (28 - w) // 2
        img[y : y + h, x : x + w] = rng.integers(120, 255)
    return images


@pytest.fixture(scope="session")
def fashion_mnist():
    """The real data set, or skip when it is not installed (CI installs it)."""
    try:
        return data.load_fashion_mnist(download=False)
    except data.DataNotFoundError:
        pytest.skip("Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist)")
