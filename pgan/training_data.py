"""Where a training run's images come from: Fashion-MNIST, a folder of your own product photos, or arrays.

A folder of photos trains in one of two ways:

    DIR/*.jpg                       a flat folder: an unconditional GAN
    DIR/sneaker/*.jpg, DIR/bag/...  class sub-folders: a conditional GAN with those class names

Every photo is fitted into a square of ``image_size`` pixels (aspect kept, the rest filled
with the photo's edge colour) in grayscale or RGB. The run folder keeps a record of the data
(``data.json``: path, count, classes and a checksum of the file list), so a resumed run
knows whether it still trains on the same images.

Taught in notebooks/05_training_on_gpu.ipynb ("Train on your own products").
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from pathlib import Path

import numpy as np

from pgan import data

DATA_RECORD = "data.json"
"""The file of a run folder that records where its images came from."""


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """The images a run trains on, their labels and where they came from.

    Attributes:
        images: uint8 (N, H, W, C).
        labels: int labels (N,) for a conditional run, else None.
        class_names: the name of each label (None: no classes).
        record: what :data:`DATA_RECORD` holds: ``source`` ("fashion-mnist", "folder" or
            "arrays"), ``path``, ``count``, ``image_shape``, ``class_names``, ``class_counts``
            and, for a folder, ``files_sha256``.
    """

    images: np.ndarray
    labels: np.ndarray | None
    class_names: tuple[str, ...] | None
    record: dict


def _files_checksum(folder: Path, relative_names) -> str:
    """SHA-256 of the sorted list of (relative name, size): changes when a photo is added, removed or replaced."""
    digest = hashlib.sha256()
    for name in sorted(relative_names):
        size = (folder / name).stat().st_size
        digest.update(f"{name}\t{size}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _class_folders(folder: Path) -> tuple[list[Path], list[Path]]:
    """(photos directly in ``folder``, its visible sub-folders); in a folder of class sub-folders,
    warns about entries that are neither (a flat folder's reader warns about those itself)."""
    photos, skipped = data.list_image_files(folder, suffixes=data.IMAGE_SUFFIXES, warn=False)
    subfolders = [entry for entry, _ in skipped if entry.is_dir()]
    others = [(entry, why) for entry, why in skipped if not entry.is_dir()]
    if others and subfolders and not photos:
        lines = "\n".join(f"  {entry.name}: {why}" for entry, why in others)
        warnings.warn(f"{folder}: skipped {len(others)} entries that pgan does not read as photos:\n{lines}",
                      data.SkippedEntriesWarning, stacklevel=3)
    return photos, subfolders


def load_product_folder(
    path: str | os.PathLike,
    image_size: int = 28,
    channels: int = 1,
    skip_bad: bool = False,
    max_pixels: int | None = data.DEFAULT_MAX_PIXELS,
) -> TrainingData:
    """Read a folder of product photos, flat or in class sub-folders, as training images.

    Args:
        path: the folder. Either photos directly in it (an unconditional run) or one
            sub-folder per class holding that class's photos (the sub-folders' names
            become the class names, in sorted order).
        image_size: side of the square images (28, 32 or 64 for ``pgan train``).
        channels: 1 (grayscale) or 3 (RGB).
        skip_bad: skip unreadable files with a warning naming each, instead of stopping
            at the first one.
        max_pixels: refuse photos with more pixels than this (see
            :data:`pgan.data.DEFAULT_MAX_PIXELS`).

    Returns:
        A :class:`TrainingData` whose record has ``source="folder"``.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: no photos; photos and class sub-folders side by side; a single class
            sub-folder; an unreadable file (named, unless ``skip_bad``).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder. Pass the folder that holds your product photos "
                                "(or one sub-folder of photos per class).")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}.")
    photos, subfolders = _class_folders(folder)
    if photos and subfolders:
        raise ValueError(
            f"{folder} holds both photos ({photos[0].name}, ...) and sub-folders ({subfolders[0].name}, ...). "
            "Put every photo in a class sub-folder (DIR/sneaker/*.jpg) for a conditional run, or move the "
            "sub-folders out for an unconditional one.")
    if len(subfolders) == 1:
        raise ValueError(
            f"{folder} holds one sub-folder, {subfolders[0].name}, and no photos. Class sub-folders train a "
            f"conditional GAN and need at least two classes; for an unconditional run pass {subfolders[0]} itself.")
    load = dict(image_size=image_size, grayscale=channels == 1, skip_bad=skip_bad, invert=False,
                max_pixels=max_pixels, background="border")
    if not subfolders:
        images, names = data.load_image_folder(folder, **load)
        labels, class_names, counts, relative = None, None, None, names
    else:
        parts, labels, relative = [], [], []
        for label, sub in enumerate(subfolders):
            images_of_class, names = data.load_image_folder(sub, **load)
            parts.append(images_of_class)
            labels.append(np.full(len(images_of_class), label, dtype=np.int32))
            relative += [f"{sub.name}/{name}" for name in names]
        images, labels = np.concatenate(parts), np.concatenate(labels)
        class_names = tuple(sub.name for sub in subfolders)
        counts = [int(len(part)) for part in parts]
    record = {
        "source": "folder",
        "path": str(folder.resolve()),
        "count": int(len(images)),
        "image_shape": [int(s) for s in images.shape[1:]],
        "class_names": list(class_names) if class_names else None,
        "class_counts": counts,
        "files_sha256": _files_checksum(folder, relative),
    }
    return TrainingData(images, labels, class_names, record)


def fashion_mnist(data_dir=None) -> TrainingData:
    """Fashion-MNIST's 60,000 training images and labels (:func:`pgan.data.load_fashion_mnist`)."""
    catalog = data.load_fashion_mnist(data_dir)
    record = {"source": "fashion-mnist", "path": str(catalog.source), "count": int(len(catalog.x_train)),
              "image_shape": [28, 28, 1], "class_names": list(catalog.class_names), "class_counts": None}
    return TrainingData(catalog.x_train, catalog.y_train, tuple(catalog.class_names), record)


def from_arrays(images, labels=None, class_names=None) -> TrainingData:
    """Images (uint8 (N, H, W, C)) and labels passed in Python, with a record of their shape."""
    images = np.asarray(images)
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, height, width, channels) in [0, 255], got {images.dtype} "
                         f"{images.shape}. Convert with pgan.data.to_uint8, or pass a folder of photos.")
    record = {"source": "arrays", "path": None, "count": int(len(images)),
              "image_shape": [int(s) for s in images.shape[1:]],
              "class_names": list(class_names) if class_names else None, "class_counts": None}
    return TrainingData(images, None if labels is None else np.asarray(labels), class_names, record)


def for_run(config, images=None, labels=None, data_dir=None) -> TrainingData:
    """The training data of a run: ``config.images`` (a folder), the arrays given, or Fashion-MNIST.

    ``images`` may also be a :class:`TrainingData` already loaded (``pgan train`` passes one).

    Checks that the images have the run's ``image_size`` and ``channels``.

    Raises:
        ValueError: a folder and arrays both given; Fashion-MNIST at another size than 28x28x1;
            arrays of another shape than the config's.
    """
    if isinstance(images, TrainingData):
        found = images
    elif config.images is not None:
        if images is not None:
            raise ValueError(f"Give the images once: config.images is {config.images} and images=... was "
                             "passed too.")
        found = load_product_folder(config.images, config.image_size, config.channels, config.skip_bad)
    elif images is not None:
        found = from_arrays(images, labels)
    else:
        if (config.image_size, config.channels) != (28, 1):
            raise ValueError(
                f"Fashion-MNIST is 28x28 grayscale; image_size={config.image_size} and channels={config.channels} "
                "need your own photos: pass --images DIR (images=... in Python).")
        found = fashion_mnist(data_dir)
    wanted = (config.image_size, config.image_size, config.channels)
    if tuple(found.images.shape[1:]) != wanted:
        raise ValueError(
            f"The training images are {found.images.shape[1:]} but the run is set for {wanted} "
            f"(image_size={config.image_size}, channels={config.channels}): set those to match the images.")
    return found


def check_same_data(saved: dict, now: dict, run_dir) -> None:
    """Refuse to resume on images of another shape, source or classes; warn when a folder's files changed.

    Arrays passed in Python are checked by shape (and classes, where both records name them).
    """
    checks = [("image_shape", "image shape")]
    if "arrays" not in (saved.get("source"), now.get("source")):
        checks.append(("source", "source"))
    if saved.get("class_names") is not None and now.get("class_names") is not None:
        checks.append(("class_names", "classes"))
    for key, what in checks:
        if saved.get(key) != now.get(key):
            raise ValueError(
                f"{run_dir} was trained on other images ({what}: {saved.get(key)}, now {now.get(key)}): the "
                "networks would not fit them. Resume with the same images, or start a new run in another --out "
                "folder.")
    if now.get("source") == "folder" and (saved.get("files_sha256") != now.get("files_sha256")
                                          or saved.get("count") != now.get("count")):
        warnings.warn(
            f"{now.get('path')} changed since {run_dir} started ({saved.get('count')} images then, "
            f"{now.get('count')} now): the run goes on with the images there now.", stacklevel=3)
