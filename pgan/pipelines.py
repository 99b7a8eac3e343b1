"""Input pipelines of training: the batches ``fit()`` is fed, chosen for the backend in one place.

On TensorFlow, :func:`pgan.data.make_dataset` (``tf.data``: scale, shuffle, batch,
prefetch). On JAX, :class:`ImageBatches`, the same batches without TensorFlow;
on a GPU its images stay in accelerator memory. :func:`training_input` picks one
for a GAN, :func:`paired_batches` for an image-to-image model.

Taught in notebooks/05_training_on_gpu.ipynb.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from pgan import backend, data


class ImageBatches(keras.utils.PyDataset):
    """Model-range batches, reshuffled every epoch: the JAX backend's input pipeline.

    The same batches as :func:`pgan.data.make_dataset` (scaled to [-1, 1], last
    short batch dropped) without ``tf.data``, so training needs no TensorFlow.

    On a GPU (or TPU) the scaled images are copied to the accelerator once and stay
    there: each batch is cut by one small compiled gather, so no image crosses from
    the host during training (Fashion-MNIST's 60,000 images take 188 MB). Elsewhere,
    or for a set over ``DEVICE_DATA_LIMIT`` bytes or a quarter of the accelerator's
    memory (the networks need the rest), batches are numpy arrays. Both give the
    same batches in the same order.

    Args:
        images: uint8 array (N, H, W, C).
        batch_size: images per batch.
        subset: use only the first ``subset`` images.
        seed: seed of the per-epoch shuffles.
        labels: optional int labels (N,); batches are ``(images, labels)``, else ``(images,)``.
        on_device: keep the images on the accelerator (True), on the host (False),
            or decide (None: on the device when JAX runs on a GPU or TPU and the
            scaled images fit :func:`device_data_limit`).
        share: ``(index, count)``: in a run of ``count`` processes
            (:mod:`pgan.distributed`), this process feeds part ``index`` of each global
            batch of ``batch_size`` images. Every process draws the same order, so
            together they feed the batches one process would.
    """

    DEVICE_DATA_LIMIT = 4 * 2**30

    def __init__(self, images, batch_size: int, subset: int | None = None, seed: int = 0, labels=None,
                 on_device: bool | None = None, share: tuple[int, int] = (0, 1)):
        super().__init__()
        self.images = data.training_images(images, batch_size, subset=subset)
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int32)[: len(self.images)]
        self.batch_size = batch_size
        index, count = share
        if batch_size % count:
            raise ValueError(f"batch_size {batch_size} does not split over {count} processes: give a multiple.")
        self.local_size, self.local_offset = batch_size // count, index * (batch_size // count)
        self.rng = np.random.default_rng(seed)
        if on_device is None:
            on_device = backend.on_accelerator() and self.images.size * 4 <= device_data_limit()
        self.on_device = bool(on_device)
        if self.on_device:
            import jax

            self._device = {"images": jax.device_put(data.to_model_range(self.images)),
                            "labels": None if self.labels is None else jax.device_put(self.labels)}
        self._shuffle()

    def __len__(self):
        return len(self.images) // self.batch_size

    def __getitem__(self, index):
        start = index * self.batch_size + self.local_offset
        if self.on_device:
            device = self._device
            images, labels = _compiled_take()(device["images"], device["labels"], device["order"], start,
                                              self.local_size)
        else:
            rows = self.order[start : start + self.local_size]
            images = data.to_model_range(self.images[rows])
            labels = None if self.labels is None else self.labels[rows]
        return (images,) if self.labels is None else (images, labels)

    def on_epoch_end(self):
        self._shuffle()

    def _shuffle(self):
        """A new order of the images (on the device too, where the images are)."""
        self.order = self.rng.permutation(len(self.images))
        if self.on_device:
            import jax

            self._device["order"] = jax.device_put(self.order.astype(np.int32))


def device_data_limit() -> int:
    """Bytes of scaled images ``ImageBatches`` keeps on the accelerator: 4 GiB, at most a quarter of its memory."""
    memory = backend.accelerator_memory_bytes()
    return ImageBatches.DEVICE_DATA_LIMIT if memory is None else min(ImageBatches.DEVICE_DATA_LIMIT, memory // 4)


@functools.cache
def _compiled_take():
    """``take(images, labels, order, start, size)``: ``images[order[start:start+size]]`` (and the
    labels) as one compiled call on the device.

    Eager ``jax.numpy`` indexing costs several dispatches per batch; compiled, a batch
    costs one, and the host stays ahead of the training step.
    """
    import jax

    def take(images, labels, order, start, size):
        rows = jax.lax.dynamic_slice_in_dim(order, start, size)
        return images[rows], None if labels is None else labels[rows]

    return jax.jit(take, static_argnums=4)


def training_input(images, batch_size: int, labels=None, subset: int | None = None, seed: int = 0, place=None):
    """The batches ``fit()`` trains on, chosen for the backend: ``tf.data`` on TensorFlow,
    :class:`ImageBatches` elsewhere (no TensorFlow needed there).

    Images in [-1, 1], reshuffled every epoch, the last short batch dropped; with
    ``labels``, batches are ``(images, labels)``. ``place`` (a
    :class:`pgan.distributed.Placement`): in a JAX run of several processes, each
    feeds its part of every global batch; ``tf.distribute`` shards a ``tf.data``
    dataset itself.
    """
    if labels is not None:
        labels = np.asarray(labels).astype(np.int32)
    if backend.is_tensorflow():
        return data.make_dataset(images, batch_size, labels=labels, subset=subset, seed=seed)
    share = (0, 1) if place is None or place.engine != "data_parallel" else (place.process_index,
                                                                             place.num_processes)
    return ImageBatches(images, batch_size, subset=subset, seed=seed, labels=labels, share=share)


class PairBatches(keras.utils.PyDataset):
    """``(inputs, targets)`` batches, reshuffled every epoch, the last short batch dropped (no TensorFlow)."""

    def __init__(self, inputs, targets, batch_size: int, seed: int = 0):
        super().__init__()
        self.inputs, self.targets = np.asarray(inputs), np.asarray(targets)
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(self.inputs))

    def __len__(self):
        return len(self.inputs) // self.batch_size

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.inputs[rows], self.targets[rows]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.inputs))


def paired_batches(inputs, targets, batch_size: int, seed: int = 0):
    """Image-to-image training batches: ``tf.data`` on TensorFlow, :class:`PairBatches` elsewhere."""
    if len(inputs) < batch_size:
        raise ValueError(f"{len(inputs)} training pairs make no batch of {batch_size}; lower batch_size.")
    if not backend.is_tensorflow():
        return PairBatches(inputs, targets, batch_size, seed)
    import tensorflow as tf

    return (
        tf.data.Dataset.from_tensor_slices((inputs, targets))
        .shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
