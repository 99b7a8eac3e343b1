"""Loading trained generators and drawing samples from them.

Taught in notebooks/05_training_on_gpu.ipynb; used by ``pgan sample``.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

# The shipped models; PGAN_PRETRAINED_DIR points elsewhere (a classroom's shared copy, a test).
PRETRAINED_DIR = Path(
    os.environ.get("PGAN_PRETRAINED_DIR") or Path(__file__).resolve().parent.parent / "data" / "pretrained"
)


def load_generator(path: str | os.PathLike) -> keras.Model:
    """Load a generator saved as ``.keras`` (with ``safe_mode=True``: no pickled code) and check it.

    The checks (:mod:`pgan.model_files`) run the generator once on a small
    seeded batch: every weight finite, images (N, H, W, 1 or 3) in [-1, 1]. A flow
    model's velocity network (``flow.keras``, :mod:`pgan.diffusion`) loads too, its
    weights checked; :func:`generate_images` samples it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a ``.keras`` file, unreadable (the message gives the Keras
            version that saved it and the installed one), not a generator (a
            model taking a noise vector, and for a conditional generator also a
            class label, and returning images), NaN or infinite weights, or
            outputs that are not images in [-1, 1].

    A conditional generator trained on a folder of class sub-folders comes back with
    ``pgan_class_names``, the names the file beside it (``NAME.json``) gives its classes.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. Train one with `pgan train --out RUN_DIR` (it writes "
            f"RUN_DIR/generator.keras) or use a file from {PRETRAINED_DIR}."
        )
    if path.suffix != ".keras":
        raise ValueError(f"{path} is not a .keras file; pgan saves generators as NAME.keras.")
    from pgan import diffusion, model_files

    model = model_files.load_model_file(path)
    if diffusion.is_flow_model(model):  # a flow model's velocity network: it makes images too (generate_images)
        model_files.check_finite_weights(model, path)
        return model
    inputs = model.inputs
    noise_ok = len(inputs[0].shape) == 2
    label_ok = len(inputs) == 1 or (len(inputs) == 2 and len(inputs[1].shape) == 1)
    if not (noise_ok and label_ok) or len(model.outputs) != 1 or len(model.outputs[0].shape) != 4:
        raise ValueError(
            f"{path} holds {model.name!r}, which is not a generator: expected inputs "
            f"(batch, latent_dim) [and (batch,) class labels] and one image output "
            f"(batch, H, W, C), got inputs {[tuple(i.shape) for i in inputs]} and outputs "
            f"{[tuple(o.shape) for o in model.outputs]}."
        )
    model_files.check_finite_weights(model, path)
    model_files.check_generator_output(model, path)
    names = model_info(path).get("class_names")
    if names and len(names) == num_classes_of(model):  # the widgets' class dropdowns show them
        model.pgan_class_names = tuple(str(name) for name in names)
    return model


def model_info(path: str | os.PathLike) -> dict:
    """What the file beside a saved generator says about it (``NAME.json`` beside ``NAME.keras``).

    A run folder's ``generator.json`` and a model card in ``data/pretrained/`` name the
    generator's classes (``class_names``) and the images it learned from (``data``: the
    run's :data:`pgan.training_data.DATA_RECORD`). Empty when there is no such file:
    the generator is then taken to draw Fashion-MNIST.
    """
    import json

    info_path = Path(path).expanduser().with_suffix(".json")
    if not info_path.is_file():
        return {}
    try:
        info = json.loads(info_path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{info_path}, the file that names {Path(path).name}'s classes, is not valid JSON "
                         f"({err}): restore it or remove it.") from err
    return info if isinstance(info, dict) else {}


def class_names_of(path: str | os.PathLike) -> tuple[str, ...]:
    """The class names of a saved generator: those of the folder it trained on, else Fashion-MNIST's."""
    from pgan import data

    names = model_info(path).get("class_names")
    return tuple(names) if names else data.CLASS_NAMES


def num_classes_of(generator) -> int | None:
    """How many classes a conditional generator knows; None for an unconditional one.

    A conditional generator has two inputs, noise and an integer class label
    (:func:`pgan.models.build_conditional_generator`); the number of classes is
    read from its ``label_embedding`` layer.
    """
    from pgan import diffusion

    if diffusion.is_flow_model(generator):
        return diffusion.num_classes_of(generator)
    if len(generator.inputs) == 1:
        return None
    try:
        return int(generator.get_layer("label_embedding").input_dim)
    except ValueError as err:
        raise ValueError(
            f"{generator.name!r} takes a label input but has no 'label_embedding' layer, so its "
            "number of classes is unknown; build it with pgan.models.build_conditional_generator."
        ) from err


def class_labels(generator, num_examples: int, labels=None) -> np.ndarray | None:
    """The int32 labels to feed ``generator`` for ``num_examples`` images.

    Args:
        generator: a generator (unconditional ones take no labels: returns None).
        num_examples: how many images.
        labels: None (classes 0, 1, ..., num_classes - 1 in turn), one int for
            every image, or a sequence of ``num_examples`` ints.

    Raises:
        ValueError: labels given to an unconditional generator, or out of range.
    """
    num_classes = num_classes_of(generator)
    if num_classes is None:
        if labels is not None:
            raise ValueError(
                f"{generator.name!r} is unconditional: it cannot draw a chosen class. Use a "
                "conditional generator (e.g. load_pretrained('conditional_generator'))."
            )
        return None
    if labels is None:
        return (np.arange(num_examples) % num_classes).astype(np.int32)
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = np.full(num_examples, labels)
    if labels.shape != (num_examples,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be one int or {num_examples} ints, got shape {labels.shape} "
                         f"of {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"class labels must be in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}.")
    return labels.astype(np.int32)


def latent_dim_of(generator) -> int:
    """The size of the generator's noise input."""
    return int(generator.inputs[0].shape[-1])


def sample_noise(num_examples: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """Standard normal noise (num_examples, latent_dim), float32, reproducible for a seed."""
    if isinstance(num_examples, bool) or not isinstance(num_examples, int) or num_examples < 1:
        raise ValueError(f"num_examples must be a positive int, got {num_examples!r}.")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((num_examples, latent_dim)).astype(np.float32)


def generate_images(
    generator, num_examples: int, seed: int | None = None, batch_size: int = 500, labels=None, noise=None,
    steps: int | None = None,
) -> np.ndarray:
    """Generate ``num_examples`` images in the model range [-1, 1] as float32 numpy.

    The same ``seed`` gives the same images (inference mode: BatchNorm uses its
    moving statistics, dropout is off). For a conditional generator, ``labels``
    picks the classes (see :func:`class_labels`; default: all classes in turn).
    ``noise``: the generator's input, shape (num_examples, latent_dim), instead of
    standard normal noise drawn with ``seed`` (e.g. a truncated normal).
    ``generator`` may also be a flow model's velocity network (:mod:`pgan.diffusion`):
    ``steps`` Euler steps (default: the number it was saved with) take noise to images.
    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    from pgan import diffusion

    if diffusion.is_flow_model(generator):
        if noise is not None:
            raise ValueError("noise= is a GAN generator's latent input; a flow model starts from image-shaped "
                             "noise drawn with seed=.")
        settings = diffusion.sampling_settings(generator)
        return diffusion.sample(generator, num_examples, settings["steps"] if steps is None else steps, seed,
                                labels, settings["guidance"], batch_size=batch_size)
    if steps is not None:
        raise ValueError(f"steps={steps} is a flow model's number of sampling steps; {generator.name!r} is a GAN "
                         "generator, which makes an image in one forward pass. Drop steps.")
    latent_dim = latent_dim_of(generator)
    if noise is None:
        noise = sample_noise(num_examples, latent_dim, seed)
    else:
        noise = np.asarray(noise, dtype=np.float32)
        if noise.shape != (num_examples, latent_dim):
            raise ValueError(f"noise must have shape ({num_examples}, {latent_dim}) for {num_examples} images "
                             f"of {generator.name!r}, got {noise.shape}.")
    labels = class_labels(generator, num_examples, labels)

    def batch(i):
        z = noise[i : i + batch_size]
        return z if labels is None else [z, labels[i : i + batch_size]]

    chunks = [
        keras.ops.convert_to_numpy(generator(batch(i), training=False))
        for i in range(0, num_examples, batch_size)
    ]
    return np.concatenate(chunks).astype(np.float32)


def verified_pretrained_path(name: str, folder=None) -> Path:
    """The path of ``data/pretrained/NAME.keras`` after checking its SHA-256 against ``NAME.json``.

    Raises:
        FileNotFoundError: the model or its card is missing (the message lists what is there).
        ValueError: the file's checksum differs from its model card (corrupt or replaced).
    """
    import json

    from pgan.runtime import sha256_file

    folder = Path(folder) if folder is not None else PRETRAINED_DIR
    card_path, model_path = folder / f"{name}.json", folder / f"{name}.keras"
    if not card_path.exists() or not model_path.exists():
        available = sorted(p.stem for p in folder.glob("*.keras")) if folder.is_dir() else []
        raise FileNotFoundError(
            f"No pretrained model {name!r} in {folder} (available: {available or 'none'}). "
            "Each model card (data/pretrained/NAME.json, and docs/results.md) gives the command that trains it."
        )
    card = json.loads(card_path.read_text())
    digest = sha256_file(model_path)
    if digest != card["sha256"]:
        raise ValueError(
            f"{model_path} does not match its model card's checksum ({digest[:12]}... vs "
            f"{card['sha256'][:12]}...): the file is corrupt or was replaced. Restore it with "
            f"`git checkout -- {model_path.name}` in {folder}."
        )
    return model_path


def load_pretrained(name: str = "dcgan_generator", folder=None) -> keras.Model:
    """Load a generator shipped in ``data/pretrained/`` after checking its SHA-256.

    Raises:
        FileNotFoundError: the model or its card is missing (the message says how to train it).
        ValueError: the file's checksum differs from its model card (corrupt or replaced).

    Taught in notebooks/05_training_on_gpu.ipynb.
    """
    return load_generator(verified_pretrained_path(name, folder))
