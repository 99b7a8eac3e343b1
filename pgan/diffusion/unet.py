"""The velocity network of a flow model: a small U-Net with a time embedding (and a class embedding).

The network sees a noisy image ``x_t`` and the time ``t`` in [0, 1] (0: pure noise,
1: a clean image) and returns a velocity, an array the shape of the image. The
time enters through sinusoidal features and a small MLP, the class label (for a
class-conditional model) through an embedding added to the time's; every residual
block adds that embedding to its feature maps. The image is halved twice
(28 -> 14 -> 7) and brought back, with skip connections at each size, and one
self-attention layer looks across the 7x7 map.

Taught in notebooks/12_flow_matching.ipynb.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

GROUPS = 8
"""Groups of every GroupNormalization: ``width`` must be a multiple of it."""


@keras.saving.register_keras_serializable(package="pgan")
class TimeEmbedding(layers.Layer):
    """Sinusoidal features of a time t in [0, 1]: sin and cos of ``1000 t`` at ``dim / 2`` frequencies.

    As the positional encoding of a Transformer: the frequencies fall geometrically
    from 1 to ``1 / max_period``, so nearby times get similar features and the MLP
    after it can tell early from late steps apart.

    Args:
        dim: number of features (even).
        max_period: the slowest frequency is ``1 / max_period``.
    """

    def __init__(self, dim: int, max_period: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2 or dim % 2:
            raise ValueError(f"TimeEmbedding's dim must be an even int >= 2, got {dim!r}.")
        self.dim = dim
        self.max_period = float(max_period)

    def call(self, t):
        half = self.dim // 2
        frequencies = ops.exp(-math.log(self.max_period) * ops.arange(half, dtype="float32") / half)
        angles = 1000.0 * ops.reshape(ops.cast(t, "float32"), (-1, 1)) * ops.expand_dims(frequencies, 0)
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


@keras.saving.register_keras_serializable(package="pgan")
class SamplingSettings(layers.Layer):
    """Passes the velocity through unchanged and records how the network samples by default.

    A layer without weights at the network's output, so that a saved ``.keras`` file
    knows its default number of Euler steps and guidance scale without its run's
    settings (:func:`pgan.diffusion.sampling.generate_images` reads them).

    Args:
        sample_steps: Euler steps of default sampling.
        guidance: classifier-free guidance scale of default sampling (1: none).
    """

    def __init__(self, sample_steps: int = 32, guidance: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.sample_steps = int(sample_steps)
        self.guidance = float(guidance)

    def call(self, velocity):
        return velocity

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sample_steps": self.sample_steps, "guidance": self.guidance}


def _residual_block(x, embedding, channels: int, name: str):
    """GroupNorm, swish, 3x3 conv, plus the (time, class) embedding; again; plus the input."""
    h = layers.GroupNormalization(GROUPS, name=f"{name}_norm1")(x)
    h = layers.Activation("swish", name=f"{name}_act1")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(h)
    shift = layers.Dense(channels, name=f"{name}_embedding")(embedding)
    h = layers.Add(name=f"{name}_add_embedding")([h, layers.Reshape((1, 1, channels), name=f"{name}_shift")(shift)])
    h = layers.GroupNormalization(GROUPS, name=f"{name}_norm2")(h)
    h = layers.Activation("swish", name=f"{name}_act2")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(h)
    if x.shape[-1] != channels:
        x = layers.Conv2D(channels, 1, name=f"{name}_skip")(x)
    return layers.Add(name=f"{name}_out")([x, h])


def _attention_block(x, name: str, num_heads: int = 4):
    """Self-attention across all positions of a feature map, added to it."""
    height, width, channels = x.shape[1:]
    h = layers.GroupNormalization(GROUPS, name=f"{name}_norm")(x)
    h = layers.Reshape((height * width, channels), name=f"{name}_to_sequence")(h)
    h = layers.MultiHeadAttention(num_heads, channels // num_heads, name=f"{name}_mha")(h, h)
    h = layers.Reshape((height, width, channels), name=f"{name}_to_map")(h)
    return layers.Add(name=f"{name}_out")([x, h])


def _check_arguments(image_shape, num_classes, width) -> tuple[int, int, int]:
    if len(image_shape) != 3 or any(isinstance(s, bool) or int(s) < 1 for s in image_shape):
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}.")
    height, img_width, channels = (int(s) for s in image_shape)
    if height % 4 or img_width % 4:
        raise ValueError(
            f"The U-Net halves the image twice, so height and width must be multiples of 4; got "
            f"{height}x{img_width}. Resize or pad your images (28x28 works)."
        )
    if isinstance(width, bool) or not isinstance(width, int) or width < GROUPS or width % GROUPS:
        raise ValueError(f"width must be a positive multiple of {GROUPS} (its GroupNormalization groups), "
                         f"e.g. 32; got {width!r}.")
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or num_classes < 1):
        raise ValueError(f"num_classes must be a positive int (or None: unconditional), got {num_classes!r}.")
    return height, img_width, channels


def build_velocity_net(
    image_shape=(28, 28, 1),
    num_classes: int | None = None,
    width: int = 32,
    attention: bool = True,
    sample_steps: int = 32,
    guidance: float = 1.0,
    name: str = "velocity_net",
) -> keras.Model:
    """The velocity network of a flow model: ``[x_t, t]`` (or ``[x_t, t, label]``) -> velocity.

    A U-Net: a 3x3 stem, a residual block at full size (``width`` channels), one at
    half size (``2 * width``), two at quarter size with self-attention between
    them, then back up through nearest-neighbour upsampling, each size joined with
    the skip connection of the same size. Each residual block adds the embedding
    of t (and of the class) to its feature maps. The output has the image's shape.

    For a class-conditional network the label embedding has ``num_classes + 1`` rows:
    the last, label ``num_classes``, means "no class". Training replaces a share of
    the labels with it, so one network gives both the conditional and the
    unconditional velocity that classifier-free guidance mixes.

    Args:
        image_shape: (height, width, channels); height and width multiples of 4.
        num_classes: number of classes of a conditional network; None: unconditional.
        width: channels at full size (a multiple of 8).
        attention: add the self-attention layer at quarter size.
        sample_steps, guidance: the defaults the saved network samples with
            (:class:`SamplingSettings`).
        name: the model's name.

    Taught in notebooks/12_flow_matching.ipynb.
    """
    height, img_width, channels = _check_arguments(image_shape, num_classes, width)
    x_in = keras.Input(shape=(height, img_width, channels), name="x_t")
    t_in = keras.Input(shape=(), name="t")
    inputs = [x_in, t_in]
    dim = 4 * width
    embedding = layers.Dense(dim, activation="swish", name="time_mlp_1")(TimeEmbedding(width, name="time_embedding")(t_in))
    embedding = layers.Dense(dim, name="time_mlp_2")(embedding)
    if num_classes is not None:
        label_in = keras.Input(shape=(), dtype="int32", name="label")
        inputs.append(label_in)
        labels = layers.Embedding(num_classes + 1, dim, name="label_embedding")(label_in)
        embedding = layers.Add(name="add_label_embedding")([embedding, labels])
    embedding = layers.Activation("swish", name="embedding_act")(embedding)

    x = layers.Conv2D(width, 3, padding="same", name="stem")(x_in)
    skip_full = _residual_block(x, embedding, width, "down_full")
    x = layers.Conv2D(width, 3, strides=2, padding="same", name="downsample_1")(skip_full)
    skip_half = _residual_block(x, embedding, 2 * width, "down_half")
    x = layers.Conv2D(2 * width, 3, strides=2, padding="same", name="downsample_2")(skip_half)
    x = _residual_block(x, embedding, 2 * width, "middle_1")
    if attention:
        x = _attention_block(x, "middle_attention")
    x = _residual_block(x, embedding, 2 * width, "middle_2")
    x = layers.UpSampling2D(2, name="upsample_1")(x)
    x = layers.Conv2D(2 * width, 3, padding="same", name="upsample_1_conv")(x)
    x = layers.Concatenate(name="join_half")([x, skip_half])
    x = _residual_block(x, embedding, 2 * width, "up_half")
    x = layers.UpSampling2D(2, name="upsample_2")(x)
    x = layers.Conv2D(width, 3, padding="same", name="upsample_2_conv")(x)
    x = layers.Concatenate(name="join_full")([x, skip_full])
    x = _residual_block(x, embedding, width, "up_full")
    x = layers.GroupNormalization(GROUPS, name="out_norm")(x)
    x = layers.Activation("swish", name="out_act")(x)
    velocity = layers.Conv2D(channels, 3, padding="same", name="velocity")(x)
    velocity = SamplingSettings(sample_steps, guidance, name="sampling_settings")(velocity)
    return keras.Model(inputs, velocity, name=name)


def num_classes_of(network) -> int | None:
    """The number of classes of a conditional velocity network (its label embedding has one more row); None
    for an unconditional one."""
    if len(network.inputs) < 3:
        return None
    return int(network.get_layer("label_embedding").input_dim) - 1


def is_flow_model(model) -> bool:
    """True for a velocity network built by :func:`build_velocity_net` (or loaded from its ``.keras`` file)."""
    if not isinstance(model, keras.Model) or len(model.inputs) not in (2, 3):
        return False
    if len(model.inputs[0].shape) != 4 or len(model.outputs) != 1:
        return False
    return any(isinstance(layer, TimeEmbedding) for layer in model.layers) and any(
        isinstance(layer, SamplingSettings) for layer in model.layers)
