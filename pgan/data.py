"""Product images as data: Fashion-MNIST, your own photos, scaling and input pipelines.

The pixel range is encoded here, once: datasets hold ``uint8`` in [0, 255];
models see ``float32`` in [-1, 1] (the range of a ``tanh`` generator);
files written for people hold [0, 1] floats or ``uint8``.

Taught in notebooks/01_product_images.ipynb.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shlex
import stat
import struct
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgan import rundir

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Decompressed size and SHA-256 of each file. The .gz files differ between
# sources (Debian recompresses them), the content inside does not.
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": (
        47_040_016,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte.gz": (
        60_008,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte.gz": (
        7_840_016,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        10_008,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "fashion-mnist"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

HOW_TO_GET_DATA = (
    "Get Fashion-MNIST one of two ways:\n"
    "  1. Debian/Ubuntu package (offline mirrors work): "
    "sudo apt-get install dataset-fashion-mnist\n"
    "  2. Download with Keras (needs internet): python -c "
    '"import keras; keras.datasets.fashion_mnist.load_data()"\n'
    "or copy the four *-ubyte.gz files into a folder and set PGAN_DATA=/that/folder."
)


def class_index(name: str, class_names=CLASS_NAMES) -> int:
    """The label of a class name: "Sneaker" -> 7, "t-shirt" -> 0, "ankle boot" -> 9 in Fashion-MNIST.

    Case, spaces and punctuation are ignored, and either half of "T-shirt/top" works.
    ``class_names`` are the names of another catalogue (a folder's class sub-folders).

    Raises:
        ValueError: no such class (the message lists the names).
    """

    def key(text):
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    wanted = key(name)
    for label, full in enumerate(class_names):
        if wanted and wanted in {key(full), *(key(part) for part in full.split("/"))}:
            return label
    raise ValueError(f"Unknown class name {name!r}; choose one of {', '.join(class_names)}.")


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is in none of the places pgan looks."""


class DataCorruptError(ValueError):
    """A data file exists but is truncated, corrupt or not what it claims to be."""


@dataclass(frozen=True)
class ProductImages:
    """Fashion-MNIST, as loaded by :func:`load_fashion_mnist`.

    Attributes:
        x_train: uint8 array (60000, 28, 28, 1).
        y_train: uint8 labels (60000,), 0-9.
        x_test: uint8 array (10000, 28, 28, 1).
        y_test: uint8 labels (10000,).
        class_names: the ten class names, indexed by label.
        source: the folder the files were read from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: Path

    def __iter__(self):
        """Unpack like Keras' loader: ``(x_train, y_train), (x_test, y_test), class_names``."""
        return iter(((self.x_train, self.y_train), (self.x_test, self.y_test), self.class_names))


def _keras_cache_dir() -> Path:
    keras_home = os.environ.get("KERAS_HOME")
    base = Path(keras_home) if keras_home else Path.home() / ".keras"
    return base / "datasets" / "fashion-mnist"


def candidate_dirs() -> list[tuple[str, Path]]:
    """The folders searched for Fashion-MNIST, in order, with a label for each."""
    places = []
    if os.environ.get("PGAN_DATA"):
        places.append(("$PGAN_DATA", Path(os.environ["PGAN_DATA"]).expanduser()))
    places.append(("the repository's data/fashion-mnist", REPO_DATA_DIR))
    places.append(("Debian's dataset-fashion-mnist package", DEBIAN_DIR))
    places.append(("Keras' download cache", _keras_cache_dir()))
    return places


def find_fashion_mnist() -> Path:
    """Return the first folder that holds all four Fashion-MNIST files.

    Raises:
        DataNotFoundError: listing every place looked at and how to get the data.
    """
    looked = []
    for label, folder in candidate_dirs():
        missing = [name for name in FASHION_MNIST_FILES if not (folder / name).is_file()]
        if not missing:
            return folder
        state = "no such folder" if not folder.is_dir() else f"missing {', '.join(missing)}"
        looked.append(f"  - {folder} ({label}): {state}")
    raise DataNotFoundError(
        "Fashion-MNIST was not found. pgan looked in:\n" + "\n".join(looked) + "\n" + HOW_TO_GET_DATA
    )


def read_idx(path: str | os.PathLike, verify: bool = True) -> np.ndarray:
    """Read one gzipped IDX file (the format of MNIST and Fashion-MNIST).

    Args:
        path: a ``*-ubyte.gz`` file.
        verify: check the decompressed size and SHA-256 against the known
            Fashion-MNIST files (only for files with a known name).

    Returns:
        A uint8 array: (N, rows, cols) for images, (N,) for labels.

    Raises:
        DataCorruptError: truncated gzip, bad header, wrong size or checksum.
    """
    path = Path(path)
    fix = f"Delete {path} and get the data again.\n{HOW_TO_GET_DATA}"
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataCorruptError(f"{path} is not a readable gzip file ({err}). {fix}") from err
    expected = FASHION_MNIST_FILES.get(path.name)
    if verify and expected is not None:
        size, sha = expected
        if len(raw) != size:
            raise DataCorruptError(
                f"{path} decompresses to {len(raw):,} bytes, expected {size:,}: "
                f"the file is truncated or not Fashion-MNIST. {fix}"
            )
        if hashlib.sha256(raw).hexdigest() != sha:
            raise DataCorruptError(f"{path} has the right size but a wrong checksum. {fix}")
    if len(raw) < 8:
        raise DataCorruptError(f"{path} is too short to be an IDX file ({len(raw)} bytes). {fix}")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise DataCorruptError(f"{path} does not start with an IDX uint8 header. {fix}")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - offset != count:
        raise DataCorruptError(
            f"{path} header promises {count:,} values of shape {dims}, "
            f"the file holds {len(raw) - offset:,}. {fix}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None, download: bool = True, verify: bool = True
) -> ProductImages:
    """Load Fashion-MNIST (Zalando's product images) from disk.

    Looks, in order, at ``$PGAN_DATA``, the repository's ``data/fashion-mnist/``,
    Debian's ``/usr/share/datasets/fashion-mnist/`` and Keras' download cache.
    If none holds the files and ``download`` is true, asks Keras to download them.

    Args:
        data_dir: read from this folder only (skips the search).
        download: try Keras' downloader when nothing is found locally.
        verify: check sizes and checksums of the files.

    Returns:
        A :class:`ProductImages` with uint8 images of shape (N, 28, 28, 1).

    Raises:
        DataNotFoundError: nothing found (the message lists where pgan looked).
        DataCorruptError: a file is truncated or corrupt (the message names it).

    Taught in notebooks/01_product_images.ipynb.
    """
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        missing = [name for name in FASHION_MNIST_FILES if not (folder / name).is_file()]
        if missing:
            raise DataNotFoundError(
                f"{folder} does not hold the Fashion-MNIST files {', '.join(missing)}.\n"
                + HOW_TO_GET_DATA
            )
    else:
        try:
            folder = find_fashion_mnist()
        except DataNotFoundError as not_found:
            if not download:
                raise
            folder = _download_with_keras(not_found)
    arrays = {name: read_idx(folder / name, verify=verify) for name in FASHION_MNIST_FILES}
    x_train = arrays["train-images-idx3-ubyte.gz"][..., None]
    y_train = arrays["train-labels-idx1-ubyte.gz"]
    x_test = arrays["t10k-images-idx3-ubyte.gz"][..., None]
    y_test = arrays["t10k-labels-idx1-ubyte.gz"]
    for images, labels, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(images) != len(labels):
            raise DataCorruptError(
                f"{folder}: {split} has {len(images)} images but {len(labels)} labels."
            )
    return ProductImages(x_train, y_train, x_test, y_test, CLASS_NAMES, folder)


def _download_with_keras(not_found: DataNotFoundError) -> Path:
    try:
        import keras

        keras.datasets.fashion_mnist.load_data()
    except Exception as err:  # no network, proxy, SSL...: all mean the same to the user
        raise DataNotFoundError(
            f"{not_found}\nThe download through Keras failed too ({type(err).__name__}: {err})."
        ) from err
    return find_fashion_mnist()


# ---------------------------------------------------------------- pixel ranges


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1], the range of a ``tanh`` generator.

    Raises:
        TypeError: if ``images`` is not uint8 (a common slip: scaling twice).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(
            f"to_model_range expects uint8 images in [0, 255], got dtype {images.dtype}. "
            "If they are already floats, they may be scaled already; use to_uint8 first."
        )
    return images.astype(np.float32) / 127.5 - 1.0


def to_uint8(images) -> np.ndarray:
    """float [-1, 1] (model range) -> uint8 [0, 255], clipping out-of-range values."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_unit_range(images) -> np.ndarray:
    """float [-1, 1] (model range) -> float32 [0, 1], clipped (for files and plots)."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip((images + 1.0) / 2.0, 0.0, 1.0)


# ------------------------------------------------------------ input pipelines


def training_images(
    images: np.ndarray, batch_size: int, subset: int | None = None, drop_remainder: bool = True
) -> np.ndarray:
    """Check uint8 training images (N, H, W, C) against ``batch_size``; return the first ``subset``.

    The checks every input pipeline shares (``make_dataset``; ``pgan.pipelines.ImageBatches`` on JAX).

    Raises:
        ValueError: images not 4-D, a bad ``batch_size``, or fewer images than one batch.
        TypeError: images not uint8.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"make_dataset expects images shaped (N, height, width, channels), got {images.shape}. "
            "Add the channel axis with images[..., None]."
        )
    if images.dtype != np.uint8:
        raise TypeError(f"make_dataset expects uint8 images, got {images.dtype}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    if subset is not None:
        images = images[:subset]
    if drop_remainder and len(images) < batch_size:
        raise ValueError(
            f"Only {len(images)} images for batch_size={batch_size} with drop_remainder=True: "
            "use a smaller batch_size or more images."
        )
    return images


def make_dataset(
    images: np.ndarray,
    batch_size: int = 128,
    labels: np.ndarray | None = None,
    shuffle: bool = True,
    subset: int | None = None,
    seed: int = 0,
    drop_remainder: bool = True,
):
    """A ``tf.data`` pipeline of model-range images: scale, shuffle, batch, prefetch.

    Args:
        images: uint8 array (N, H, W, C).
        batch_size: images per batch.
        labels: optional labels; batches are then ``(images, labels)``.
        shuffle: reshuffle every epoch (seeded).
        subset: use only the first ``subset`` images (quick mode).
        seed: shuffle seed.
        drop_remainder: drop the last short batch (GAN steps like equal batches).

    Returns:
        A ``tf.data.Dataset`` yielding float32 batches in [-1, 1].

    Taught in notebooks/01_product_images.ipynb.
    """
    import tensorflow as tf

    images = training_images(images, batch_size, subset, drop_remainder)
    if subset is not None and labels is not None:
        labels = np.asarray(labels)[:subset]
    tensors = images if labels is None else (images, np.asarray(labels))
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def scale(x, *rest):
        x = tf.cast(x, tf.float32) / 127.5 - 1.0
        return (x, *rest) if rest else x

    return ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


# ------------------------------------------------------------ your own photos


def _fit_into_square(img, image_size: int, background: int | tuple):
    from PIL import Image

    scale = image_size / max(img.size)
    new_size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    img = img.resize(new_size, Image.Resampling.LANCZOS)
    canvas = Image.new(img.mode, (image_size, image_size), background)
    canvas.paste(img, ((image_size - img.width) // 2, (image_size - img.height) // 2))
    return canvas


# pgan's own limit on an image's width x height, checked from the file's header before
# any pixel is decoded. A larger file may be a decompression bomb: a few hundred bytes
# that claim to be, say, 30000x30000 and would fill gigabytes of memory when decoded.
# 100 million pixels is far above camera photos (6000x6000 is 36 million) and keeps one
# decoded image to a few hundred megabytes. Allow a genuine larger file with
# ``max_pixels=N`` (``--max-pixels N`` on the command line); ``max_pixels=None`` turns
# the check off.
DEFAULT_MAX_PIXELS = 100_000_000

# Pillow modes that hold one channel: 8-bit, 16-bit and 32-bit integers, 32-bit floats.
GRAYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})

# Hidden names that are never a user's photo: skipped without a word (see list_image_files).
QUIET_HIDDEN_PREFIXES = (rundir.TEMPORARY_PREFIX, "._")  # pgan's temporaries, macOS metadata

_PILLOW_LIMIT_LOCK = threading.RLock()


class ImageFileError(ValueError):
    """A photo pgan cannot read: missing, empty, unreadable, too large or of an unsupported kind.

    The message names the file and says what to do.
    """


class SkippedEntriesWarning(UserWarning):
    """Entries of a photo folder that were not read (sub-folders, broken links, hidden photos...)."""


def _why_not_a_file(entry: Path) -> str | None:
    """None for a regular file (or a link to one), else why ``entry`` is not read as a photo."""
    try:
        mode = entry.stat().st_mode
    except FileNotFoundError:
        if entry.is_symlink():
            try:
                target = entry.readlink()
            except OSError:
                target = "?"
            return f"a broken symbolic link (its target {target} does not exist)"
        return "it vanished while the folder was being read"
    except OSError as err:  # a link loop, no permission to look...
        return f"it cannot be examined ({err.strerror or err})"
    if stat.S_ISDIR(mode):
        return "a folder (pgan does not read sub-folders: pass it on its own)"
    if not stat.S_ISREG(mode):
        return "not a regular file (a named pipe, socket or device)"
    return None


def list_image_files(
    folder: str | os.PathLike, suffixes=None, warn: bool = True
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files of ``folder`` to read as photos, sorted by name, and the entries skipped.

    Nothing that might be a photo is dropped silently: sub-folders, broken symbolic
    links, named pipes, sockets and devices, and hidden photos are returned in
    ``skipped`` as ``(path, reason)``, and with ``warn`` one
    :class:`SkippedEntriesWarning` lists them all.

    Hidden names (starting with ".") are never read. They are skipped quietly when they
    cannot be a user's photo: pgan's own temporaries (``.tmp_*``, left by an interrupted
    write), macOS metadata (``._*``), hidden folders (``.ipynb_checkpoints``) and hidden
    files without an image suffix (``.DS_Store``). A hidden file with an image suffix
    (``.cover.jpg``) is reported: rename it to have it read.

    Args:
        folder: the folder to list (sub-folders are not entered).
        suffixes: only files whose name ends in one of these (any case), the others are
            ignored quietly; None: every file (a non-image then fails when it is read,
            with a message that names it).
        warn: warn about the skipped entries.

    Returns:
        ``(files, skipped)``.

    Raises:
        PermissionError: the folder cannot be listed.

    Used by :func:`load_image_folder` and ``pgan.enhance.list_images``.
    """
    folder = Path(folder)
    image_suffixes = {suffix.lower() for suffix in (IMAGE_SUFFIXES if suffixes is None else suffixes)}
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries)
    except PermissionError as err:
        raise PermissionError(
            f"{folder}: permission denied, pgan cannot list this folder. Make it readable "
            f"(as its owner: chmod u+rx {shlex.quote(str(folder))}) or copy the photos to a "
            "folder you can read."
        ) from err
    files, skipped = [], []
    for name in names:
        entry = folder / name
        is_image_name = os.path.splitext(name)[1].lower() in image_suffixes
        reason = _why_not_a_file(entry)
        if name.startswith("."):
            if reason is None and is_image_name and not name.startswith(QUIET_HIDDEN_PREFIXES):
                skipped.append((entry, "a hidden file (its name starts with '.'): rename it to have it read"))
            continue
        if reason is None and (suffixes is None or is_image_name):
            files.append(entry)
        elif reason is not None and (suffixes is None or is_image_name or entry.is_dir()):
            skipped.append((entry, reason))
    if skipped and warn:
        lines = "\n".join(f"  {entry.name}: {why}" for entry, why in skipped)
        count = "1 entry" if len(skipped) == 1 else f"{len(skipped)} entries"
        warnings.warn(
            f"{folder}: skipped {count} that pgan does not read as photos:\n{lines}",
            SkippedEntriesWarning,
            stacklevel=3,
        )
    return files, skipped


def _check_max_pixels(max_pixels) -> None:
    if max_pixels is not None and (isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1):
        raise ValueError(
            f"max_pixels must be a positive int (or None for no limit), got {max_pixels!r}; "
            f"pgan's default is {DEFAULT_MAX_PIXELS}."
        )


def _too_many_pixels(path: Path, size, max_pixels: int, pillow_said=None) -> str:
    width, height = size
    pixels = width * height
    if pixels > max_pixels:
        what, allow = f"{width}x{height} = {pixels:,} pixels, more than", str(pixels)
    else:  # the header is within the limit, a frame or tile inside it is not
        what, allow = f"{width}x{height} but holds a frame or tile larger than", "N"
    said = f" (Pillow: {pillow_said})" if pillow_said else ""
    return (
        f"{path} is {what} pgan's limit of {max_pixels:,} pixels{said}: it may be a decompression "
        "bomb, a small file that would fill gigabytes of memory when decoded. If it is a genuine "
        f"image, allow it with max_pixels={allow} in Python or --max-pixels {allow} on the command line."
    )


def _permission_denied(path: Path) -> str:
    return (
        f"{path}: permission denied, pgan cannot read this file. Make it readable (as its owner: "
        f"chmod u+r {shlex.quote(str(path))}) or copy it to a folder you can read, then run again."
    )


def _check_is_file(path: Path) -> None:
    """Raise :class:`ImageFileError` unless ``path`` is a non-empty regular file (opening a pipe would hang)."""
    try:
        info = path.stat()
    except FileNotFoundError as err:
        reason = _why_not_a_file(path) if path.is_symlink() else None
        if reason:
            raise ImageFileError(f"{path} is {reason}: fix the link or remove it.") from err
        raise ImageFileError(
            f"{path} does not exist (moved or deleted while pgan was running?): check the path."
        ) from err
    except PermissionError as err:
        raise ImageFileError(_permission_denied(path)) from err
    if stat.S_ISDIR(info.st_mode):
        raise ImageFileError(
            f"{path} is a folder, not an image file: pass one photo, or the folder to load_image_folder."
        )
    if not stat.S_ISREG(info.st_mode):
        raise ImageFileError(f"{path} is not a regular file (a named pipe, socket or device): pass a photo file.")
    if info.st_size == 0:
        raise ImageFileError(f"{path} is empty (0 bytes): replace it or remove it from the folder.")


@contextlib.contextmanager
def _pillow_pixel_limit(limit):
    """Pillow's own bomb check at ``limit`` pixels (None: off) for the block, its warning raised.

    Pillow's setting is restored afterwards. Pillow warns above the limit and fails above
    twice the limit; with the warning raised as an error both mean "more than ``limit``".
    """
    from PIL import Image

    with _PILLOW_LIMIT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = limit
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


@contextlib.contextmanager
def _open_image(path: Path, max_pixels):
    """Open ``path`` with Pillow (header only), refusing more than ``max_pixels``; clear errors.

    Every failure inside the block, opening, decoding or converting, becomes an
    :class:`ImageFileError` that names the file.
    """
    from PIL import Image, UnidentifiedImageError

    _check_is_file(path)
    size = None
    try:
        with _pillow_pixel_limit(None):  # pgan checks the size itself, below, and can say what it is
            img = Image.open(path)
        with img:
            size = img.size
            if max_pixels is not None and size[0] * size[1] > max_pixels:
                raise ImageFileError(_too_many_pixels(path, size, max_pixels))
            with _pillow_pixel_limit(max_pixels):  # frames and tiles decoded later: the same limit
                yield img
    except ImageFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageFileError(_too_many_pixels(path, size or (0, 0), max_pixels, pillow_said=err)) from err
    except PermissionError as err:
        raise ImageFileError(_permission_denied(path)) from err
    except FileNotFoundError as err:
        raise ImageFileError(f"{path} vanished while pgan was reading it: check the folder.") from err
    except (UnidentifiedImageError, OSError, SyntaxError, EOFError, ValueError, struct.error) as err:
        raise ImageFileError(
            f"{path} is not a readable image ({err}). pgan reads PNG, JPEG, BMP, GIF, WebP "
            "and TIFF files; re-export it or remove it from the folder."
        ) from err


def _to_8_bit(img, path: Path):
    """An 8-bit "L" image for 16-bit, 32-bit integer and float grayscale images; others unchanged.

    16-bit values are scaled by the file's range, 0..65535 -> 0..255 (divide by 257,
    rounded), not clipped; floats must lie in [0, 1] and are scaled by 255.
    """
    from PIL import Image

    if img.mode != "I" and not img.mode.startswith("I;16") and img.mode != "F":
        return img
    values = np.asarray(img)
    if img.mode == "F" and not np.isfinite(values).all():
        raise ImageFileError(
            f"{path} holds floating-point pixels that are not numbers (NaN or infinity); pgan reads "
            "float images only in [0, 1]. Save it as an 8- or 16-bit PNG or TIFF."
        )
    low, high = (values.min(), values.max()) if values.size else (0, 0)
    if img.mode == "F":
        if low < 0 or high > 1:
            raise ImageFileError(
                f"{path} holds floating-point pixels from {low:g} to {high:g}; pgan reads float "
                "images only in [0, 1]. Scale it to [0, 1], or save it as an 8- or 16-bit PNG or TIFF."
            )
        return Image.fromarray(np.rint(values * 255.0).astype(np.uint8))
    if low < 0 or high > 65535:
        raise ImageFileError(
            f"{path} holds 32-bit integer pixels from {low} to {high}; pgan reads integer images "
            "of up to 16 bits (0 to 65535). Save it as an 8- or 16-bit PNG or TIFF."
        )
    values = values.astype(np.uint16)
    quotient = values // 257
    rounded = quotient + (values - quotient * 257 > 128)  # round(v / 257): no ties, 257 is odd
    return Image.fromarray(rounded.astype(np.uint8))


def _background_of(array: np.ndarray, background: str) -> tuple[int, ...]:
    """The fill colour of :func:`load_image`'s square: black, or the median of the edge pixels."""
    channels = 1 if array.ndim == 2 else array.shape[-1]
    if background == "black":
        return (0,) * channels
    if background != "border":
        raise ValueError(f'background must be "black" or "border", got {background!r}.')
    pixels = array.reshape(array.shape[0], array.shape[1], channels)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return tuple(int(v) for v in np.median(edge, axis=0))


def load_image(
    path: str | os.PathLike,
    image_size: int | None = 28,
    grayscale=True,
    invert="auto",
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    background: str = "black",
) -> np.ndarray:
    """Read one product photo as uint8 (H, W, C), optionally fitted into a square.

    Transparent pixels become background. With ``image_size``, the whole product
    is scaled to fit a ``image_size`` square and centred, keeping its aspect ratio.
    ``invert="auto"`` turns photos on a light background into Fashion-MNIST's
    light-product-on-black look (judged from the border pixels). 16-bit images keep
    their tonal range (0..65535 -> 0..255); float images must hold values in [0, 1].

    Args:
        path: the image file.
        image_size: side of the square output, or None for the photo's own size.
        grayscale: one channel (True), RGB (False), or "auto": one channel for
            one-channel files (8-, 16-bit, float), RGB for the others.
        invert: True, False or "auto" (invert photos shot on a light background).
        max_pixels: refuse files whose header claims more pixels than this (width x
            height), before decoding them; None: no limit. See :data:`DEFAULT_MAX_PIXELS`.
        background: what fills the square around a photo that is not square: "black"
            (Fashion-MNIST's background) or "border" (the median colour of the photo's
            edge, so a product shot on white stays on white).

    Raises:
        ImageFileError: a ValueError naming the file: it is missing, empty, not readable
            (permission), corrupt, not an image, larger than ``max_pixels`` or holds
            pixel values pgan cannot scale.

    Taught in notebooks/01_product_images.ipynb.
    """
    from PIL import Image

    _check_max_pixels(max_pixels)
    path = Path(path)
    with _open_image(path, max_pixels) as img:
        img.load()
        if grayscale == "auto":
            grayscale = img.mode in GRAYSCALE_MODES
        img = _to_8_bit(img, path)
        if img.mode in ("RGBA", "LA", "P", "PA"):
            img = img.convert("RGBA")
            white = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(white, img)
        img = img.convert("L" if grayscale else "RGB")
    array = np.asarray(img)
    if invert == "auto":
        border = np.concatenate([array[0].ravel(), array[-1].ravel(), array[:, 0].ravel(), array[:, -1].ravel()])
        invert = float(border.mean()) > 127.5
    if invert:
        array = 255 - array
    if image_size is not None:
        fill = _background_of(array, background)
        array = np.asarray(_fit_into_square(Image.fromarray(array), image_size, fill[0] if grayscale else fill))
    if array.ndim == 2:
        array = array[..., None]
    return array.astype(np.uint8)


def load_image_folder(
    path: str | os.PathLike,
    image_size: int = 28,
    grayscale: bool = True,
    skip_bad: bool = False,
    invert="auto",
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    background: str = "black",
) -> tuple[np.ndarray, list[str]]:
    """Load a folder of your own product photos, fitted and centred like Fashion-MNIST.

    Every file of the folder is read (a non-image fails with a message naming it).
    Sub-folders, broken links and hidden photos are skipped with a
    :class:`SkippedEntriesWarning` naming each; see :func:`list_image_files`.

    Args:
        path: a folder of PNG/JPEG/... files of any size, RGB, RGBA or grayscale.
        image_size: side of the square output (28 matches Fashion-MNIST).
        grayscale: one channel (True) or RGB (False).
        skip_bad: skip unreadable files with a warning instead of raising.
        invert: True, False or "auto" (invert photos shot on a light background).
        max_pixels: refuse files larger than this many pixels (None: no limit);
            see :data:`DEFAULT_MAX_PIXELS`.
        background: "black" or "border", what fills the square (see :func:`load_image`).

    Returns:
        ``(images, names)``: uint8 (N, image_size, image_size, C) and the file names.

    Raises:
        FileNotFoundError: the folder does not exist.
        PermissionError: the folder cannot be listed.
        ValueError: the folder has no files, or a file is not a readable image
            (the message names the file) and ``skip_bad`` is false.

    Taught in notebooks/01_product_images.ipynb.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder. Pass the folder that holds your photos.")
    if not isinstance(image_size, int) or image_size < 4:
        raise ValueError(f"image_size must be an int of at least 4, got {image_size!r}.")
    _check_max_pixels(max_pixels)
    files, skipped = list_image_files(folder)
    if not files:
        others = f" ({len(skipped)} skipped, see the warning)" if skipped else ""
        raise ValueError(
            f"{folder} holds no files{others}. Put PNG or JPEG product photos in it "
            "(sub-folders are not read)."
        )
    images, names = [], []
    for file in files:
        try:
            images.append(
                load_image(file, image_size=image_size, grayscale=grayscale, invert=invert, max_pixels=max_pixels,
                           background=background)
            )
        except ValueError as err:
            if not skip_bad:
                raise ValueError(f"{err} (Or pass skip_bad=True to skip such files.)") from err
            warnings.warn(f"Skipped {file.name}: {err}", stacklevel=2)
            continue
        names.append(file.name)
    if not images:
        raise ValueError(f"None of the {len(files)} files in {folder} is a readable image.")
    return np.stack(images), names
