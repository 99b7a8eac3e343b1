import gzip
import shutil
import struct
import warnings

import numpy as np
import pytest
from PIL import Image

from pgan import data


def write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def make_fake_dataset(folder, n_train=6, n_test=4):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28)))
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(n_train) % 10)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n_test, 28, 28)))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(n_test) % 10)
    return folder


@pytest.fixture
def isolated_places(tmp_path, monkeypatch):
    """Point every search place into tmp_path (none exists yet)."""
    places = {
        "env": tmp_path / "env",
        "repo": tmp_path / "repo",
        "debian": tmp_path / "debian",
        "keras": tmp_path / "keras_home" / "datasets" / "fashion-mnist",
    }
    monkeypatch.setenv("PGAN_DATA", str(places["env"]))
    monkeypatch.setattr(data, "REPO_DATA_DIR", places["repo"])
    monkeypatch.setattr(data, "DEBIAN_DIR", places["debian"])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return places


def test_search_order_prefers_pgan_data_then_repo_then_debian_then_keras(isolated_places):
    for key in ("keras", "debian", "repo", "env"):
        make_fake_dataset(isolated_places[key])
        assert data.find_fashion_mnist() == isolated_places[key]


def test_missing_data_error_lists_every_place_and_both_fixes(isolated_places):
    with pytest.raises(data.DataNotFoundError) as info:
        data.load_fashion_mnist(download=False)
    message = str(info.value)
    for folder in isolated_places.values():
        assert str(folder) in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "fashion_mnist.load_data()" in message


def test_failed_download_keeps_the_list_of_places(isolated_places, monkeypatch):
    import keras

    def no_network():
        raise OSError("Name or service not known")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", no_network)
    with pytest.raises(data.DataNotFoundError, match="download through Keras failed too"):
        data.load_fashion_mnist(download=True)


def test_load_from_folder_without_verification(isolated_places):
    folder = make_fake_dataset(isolated_places["repo"])
    ds = data.load_fashion_mnist(verify=False)
    assert ds.source == folder
    assert ds.x_train.shape == (6, 28, 28, 1) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (4, 28, 28, 1)
    assert list(ds.y_train) == [0, 1, 2, 3, 4, 5]
    (x_train, _), (x_test, _), names = ds
    assert x_train is ds.x_train and names[9] == "Ankle boot"


def test_wrong_content_fails_the_checksum_with_the_file_name(isolated_places):
    folder = make_fake_dataset(isolated_places["repo"])
    with pytest.raises(data.DataCorruptError, match="train-images-idx3-ubyte.gz decompresses to"):
        data.load_fashion_mnist()
    del folder


def test_truncated_gzip_is_reported_with_the_file_name(tmp_path):
    folder = make_fake_dataset(tmp_path / "d")
    path = folder / "train-images-idx3-ubyte.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataCorruptError) as info:
        data.read_idx(path, verify=False)
    assert str(path) in str(info.value) and "get the data again" in str(info.value)


def test_header_that_disagrees_with_the_content_is_reported(tmp_path):
    path = tmp_path / "odd-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">HBBIII", 0, 8, 3, 10, 28, 28) + bytes(100))
    with pytest.raises(data.DataCorruptError, match="header promises 7,840 values"):
        data.read_idx(path)


def test_explicit_folder_missing_files(tmp_path):
    with pytest.raises(data.DataNotFoundError, match="does not hold the Fashion-MNIST files"):
        data.load_fashion_mnist(tmp_path)


def test_real_fashion_mnist(fashion_mnist):
    ds = fashion_mnist
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_test.shape == (10000, 28, 28, 1)
    assert np.bincount(ds.y_train).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert len(ds.class_names) == 10


def test_truncated_real_file_is_caught(fashion_mnist, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(fashion_mnist.source, folder)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-200])
    with pytest.raises(data.DataCorruptError, match="t10k-labels-idx1-ubyte.gz"):
        data.load_fashion_mnist(folder)


# ------------------------------------------------------------------ scaling


def test_scaling_round_trip_is_exact_for_every_pixel_value():
    pixels = np.arange(256, dtype=np.uint8)
    scaled = data.to_model_range(pixels)
    assert scaled.dtype == np.float32
    assert scaled[0] == -1.0 and scaled[-1] == 1.0
    np.testing.assert_array_equal(data.to_uint8(scaled), pixels)
    np.testing.assert_allclose(data.to_unit_range(scaled), pixels / 255.0, atol=1e-6)


def test_scaling_rejects_floats_and_clips_out_of_range():
    with pytest.raises(TypeError, match="expects uint8"):
        data.to_model_range(np.zeros(3, dtype=np.float32))
    assert data.to_uint8(np.array([-3.0, 3.0])).tolist() == [0, 255]
    assert data.to_unit_range(np.array([-3.0, 3.0])).tolist() == [0.0, 1.0]


def test_make_dataset_batches_scaled_images(tiny_images):
    ds = data.make_dataset(tiny_images, batch_size=32, subset=100, seed=1)
    batches = list(ds)
    assert len(batches) == 3  # 100 // 32, remainder dropped
    batch = batches[0].numpy()
    assert batch.shape == (32, 28, 28, 1) and batch.dtype == np.float32
    assert batch.min() >= -1.0 and batch.max() <= 1.0


def test_make_dataset_with_labels_and_errors(tiny_images):
    labels = np.arange(len(tiny_images)) % 10
    x, y = next(iter(data.make_dataset(tiny_images, 16, labels=labels, shuffle=False)))
    assert y.numpy().tolist() == list(range(10)) + list(range(6))
    with pytest.raises(ValueError, match="images shaped"):
        data.make_dataset(tiny_images[..., 0], 16)
    with pytest.raises(ValueError, match="smaller batch_size"):
        data.make_dataset(tiny_images[:8], 16)


# ------------------------------------------------------------ image folders


def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    # A dark sneaker-ish blob on a white background, wide image.
    img = Image.new("RGB", (200, 100), (255, 255, 255))
    img.paste((30, 30, 30), (40, 30, 160, 70))
    img.save(folder / "a_wide.png")
    # RGBA with transparent background.
    rgba = Image.new("RGBA", (64, 128), (0, 0, 0, 0))
    rgba.paste((10, 10, 10, 255), (16, 16, 48, 112))
    rgba.save(folder / "b_rgba.png")
    # A grayscale JPEG already light-on-dark.
    gray = Image.new("L", (50, 50), 0)
    gray.paste(220, (10, 10, 40, 40))
    gray.save(folder / "c_gray.jpg")
    return folder


def test_load_image_folder_fits_centres_and_inverts(tmp_path):
    images, names = data.load_image_folder(photo_folder(tmp_path))
    assert names == ["a_wide.png", "b_rgba.png", "c_gray.jpg"]
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.uint8
    for img in images[..., 0]:
        assert img[14, 14] > 150  # the product is bright and centred
        assert img[0, 0] < 30 and img[-1, -1] < 30  # background is dark like Fashion-MNIST
    # The wide photo keeps its aspect ratio: top and bottom rows are padding.
    assert images[0, :5].max() < 30


def test_load_image_folder_rgb(tmp_path):
    images, _ = data.load_image_folder(photo_folder(tmp_path), image_size=32, grayscale=False)
    assert images.shape == (3, 32, 32, 3)


def test_corrupt_file_error_names_the_file(tmp_path):
    folder = photo_folder(tmp_path)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ValueError, match=r"broken\.png is not a readable image.*skip_bad=True"):
        data.load_image_folder(folder)


def test_empty_and_non_image_files(tmp_path):
    folder = photo_folder(tmp_path)
    (folder / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.jpg is empty"):
        data.load_image_folder(folder)
    (folder / "empty.jpg").unlink()
    (folder / "notes.txt").write_text("price list")
    with pytest.raises(ValueError, match=r"notes\.txt is not a readable image"):
        data.load_image_folder(folder)


def test_skip_bad_warns_and_keeps_the_good_files(tmp_path):
    folder = photo_folder(tmp_path)
    (folder / "broken.png").write_bytes(b"garbage")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images, names = data.load_image_folder(folder, skip_bad=True)
    assert len(images) == 3 and "broken.png" not in names
    assert any("broken.png" in str(w.message) for w in caught)


def test_empty_folder_and_missing_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no files"):
        data.load_image_folder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        data.load_image_folder(tmp_path / "nope")
