"""Model builders: the DCGAN generator and discriminator, presets, and a product classifier.

Every builder is a function that returns a named ``keras.Model``, written with
Keras layers only so it runs on any Keras backend.

Taught in notebooks/02_cnn_foundations.ipynb (classifier) and
notebooks/04_building_dcgan.ipynb (generator, discriminator).
"""

from __future__ import annotations

import keras
from keras import layers, ops

# Named model sizes. "dcgan" is the source article's model, corrected; "workshop"
# halves every width and uses a 64-d latent so that a laptop CPU trains it
# several times faster; "first" quarters the widths, for a first GAN that draws
# products within a minute on a CPU (benchmarks/first_gan.py, docs/results.md).
PRESETS = {
    "dcgan": {"latent_dim": 100, "g_width": 64, "d_width": 64, "kernel_size": 5},
    "workshop": {"latent_dim": 64, "g_width": 32, "d_width": 32, "kernel_size": 5},
    "first": {"latent_dim": 64, "g_width": 16, "d_width": 16, "kernel_size": 5},
}

# The discriminator heads of a class-conditional GAN (build_conditional_discriminator).
CONDITIONAL_HEADS = ("projection", "acgan", "projection_ac")


IMAGE_SIZES = (28, 32, 64)
"""The square sizes ``pgan train --image-size`` offers (any size the rule of :func:`doublings` allows builds)."""


def doublings(size: int) -> int:
    """How many times the DCGAN doubles its first feature map to reach ``size`` pixels.

    The first map is the smallest of ``size``, ``size / 2``, ``size / 4``, ... that is still
    at least 4 pixels and a whole number: 28 -> 7 (two doublings, the article's 7, 14, 28),
    32 -> 4 (three: 4, 8, 16, 32) and 64 -> 4 (four, the DCGAN paper's 4 to 64). The
    generator has one transposed-convolution stage per doubling and the discriminator one
    stride-2 convolution per halving.
    """
    count = 0
    while size % 2 == 0 and size // 2 >= 4:
        size //= 2
        count += 1
    return count


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    if len(image_shape) != 3 or any(int(s) < 1 for s in image_shape):
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}.")
    height, width, channels = (int(s) for s in image_shape)
    if height % 4 or width % 4:
        raise ValueError(
            f"The DCGAN upsamples at least twice by 2, so height and width must be multiples of 4; "
            f"got {height}x{width}. Resize or pad your images (28, 32 and 64 work)."
        )
    return height, width, channels


def _stages(height: int, width: int) -> int:
    """Doublings shared by both sides of a (height, width) image (see :func:`doublings`)."""
    return min(doublings(height), doublings(width))


def _check_positive(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")


def build_generator(
    latent_dim: int = 100,
    image_shape=(28, 28, 1),
    width: int = 64,
    kernel_size: int = 5,
    name: str = "generator",
) -> keras.Model:
    """The DCGAN generator: noise z in R^latent_dim -> image in [-1, 1].

    Dense to (H/4, W/4, 4*width), then transposed convolutions with
    2*width (stride 1), width (stride 2) and ``channels`` (stride 2, tanh)
    filters; BatchNorm and LeakyReLU after every hidden layer. With the
    defaults this is the source article's layer stack (2,330,945 parameters),
    with its defects fixed: a linear projection (the article puts a ReLU before
    the BatchNorm and LeakyReLU) and the same LeakyReLU slope, 0.2, everywhere
    (docs/source_article.md).

    Larger images get one more stride-2 stage per doubling, the DCGAN paper's way
    (:func:`doublings`): at 32 pixels the first map is 4x4 with 8*width filters, then
    4*width (stride 1), 2*width (8x8), width (16x16) and the image (32x32); at 64
    pixels it starts from 4x4 with 16*width filters. At 28 pixels the stack is the
    one above.

    Args:
        latent_dim: size of the noise vector z.
        image_shape: (height, width, channels); height and width divisible by 4,
            e.g. (28, 28, 1), (32, 32, 3) or (64, 64, 3).
        width: filters of the last hidden layer (64 in the article).
        kernel_size: size of every transposed-convolution kernel.
        name: the model's name.

    Taught in notebooks/04_building_dcgan.ipynb.
    """
    _check_positive(latent_dim=latent_dim, width=width, kernel_size=kernel_size)
    height, img_width, channels = _check_image_shape(image_shape)
    stages = _stages(height, img_width)
    h0, w0 = height >> stages, img_width >> stages
    top = width << stages  # 4*width at 28 pixels (two doublings)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(h0 * w0 * top, use_bias=False, name="project")(z)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.LeakyReLU(negative_slope=0.2, name="project_act")(x)
    x = layers.Reshape((h0, w0, top), name="to_feature_map")(x)
    # One stride-1 stage, then one stride-2 stage per doubling but the last (the output's).
    plan = [(top // 2, 1)] + [(top >> (i + 1), 2) for i in range(1, stages)]
    for i, (filters, stride) in enumerate(plan, start=1):
        x = layers.Conv2DTranspose(
            filters, kernel_size, strides=stride, padding="same", use_bias=False, name=f"up{i}"
        )(x)
        x = layers.BatchNormalization(name=f"up{i}_bn")(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"up{i}_act")(x)
    x = layers.Conv2DTranspose(
        channels, kernel_size, strides=2, padding="same", name="to_image"
    )(x)
    # float32 output even under a mixed-precision policy: tanh saturates badly in float16.
    image = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(z, image, name=name)


@keras.saving.register_keras_serializable(package="pgan")
class SpectralNorm(layers.Wrapper):
    """Spectral normalisation of a ``Dense`` or ``Conv2D`` layer, the same on every Keras backend.

    The layer computes with ``W / sigma(W)``, where ``sigma`` is the largest singular
    value of its kernel reshaped to (inputs, outputs), estimated by power iteration
    from a vector ``u`` that is kept between calls (Miyato et al. 2018). Each call in
    training mode refines ``u`` with one iteration; inference uses the current ``u``,
    so training and inference compute the same function. The trained kernel ``W``
    is stored as it is and the gradient flows through ``sigma`` (as in the paper and
    in PyTorch's ``spectral_norm``).

    Why not ``keras.layers.SpectralNormalization``: it writes ``W / sigma`` back into
    the kernel variable in training calls. On TensorFlow that makes the optimizer step
    a step on the normalised kernel; on JAX a stateless training step never keeps
    that write (only non-trainable state comes back), so the stored kernel stays
    un-normalised and inference (``training=False``) skips the division: the same
    model trained and ran differently on the two backends.

    Taught in notebooks/09_stabilizing_training.ipynb.
    """

    def __init__(self, layer, power_iterations: int = 1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(layer, (layers.Dense, layers.Conv2D)):
            raise ValueError(
                f"SpectralNorm wraps a Dense or Conv2D layer; got {type(layer).__name__}. "
                "Wrap the layers that hold the kernel to normalise."
            )
        if isinstance(layer, layers.Conv2D) and getattr(layer, "groups", 1) != 1:
            raise ValueError(f"SpectralNorm wraps Conv2D layers with groups=1; {layer.name} has groups={layer.groups}.")
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or power_iterations < 1:
            raise ValueError(f"power_iterations must be a positive int, got {power_iterations!r}.")
        self.power_iterations = power_iterations

    def build(self, input_shape=None):
        super().build(input_shape)
        self.vector_u = self.add_weight(
            shape=(1, self.layer.kernel.shape[-1]),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype="float32",
        )

    def _sigma_and_u(self, training):
        matrix = ops.reshape(ops.cast(self.layer.kernel, "float32"), (-1, self.layer.kernel.shape[-1]))
        u = _l2_normalize(self.vector_u.value)  # the initial u is not of unit length
        iterations = self.power_iterations if training else 0
        for _ in range(iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(matrix)))
            u = _l2_normalize(ops.matmul(v, matrix))
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(_l2_normalize(ops.matmul(u, ops.transpose(matrix))))
        sigma = ops.matmul(ops.matmul(v, matrix), ops.transpose(u))[0, 0]
        return ops.maximum(sigma, 1e-12), u  # an all-zero kernel stays zero instead of 0 / 0

    def _normalized(self, training):
        """(``W / sigma`` in float32, the refined ``u``)."""
        sigma, u = self._sigma_and_u(training)
        return ops.cast(self.layer.kernel, "float32") / sigma, u

    def normalized_kernel(self):
        """``W / sigma`` with the current ``u`` (what the layer computes with; no update)."""
        return self._normalized(training=False)[0]

    def call(self, inputs, training=False):
        kernel, u = self._normalized(training)
        if training:
            self.vector_u.assign(u)
        kernel = ops.cast(kernel, inputs.dtype)
        inner = self.layer
        if isinstance(inner, layers.Dense):
            outputs = ops.matmul(inputs, kernel)
        else:
            outputs = ops.conv(
                inputs, kernel, strides=inner.strides, padding=inner.padding,
                data_format=inner.data_format, dilation_rate=inner.dilation_rate,
            )
        if inner.use_bias:
            outputs = outputs + ops.cast(inner.bias, outputs.dtype)
        if inner.activation is not None:
            outputs = inner.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _l2_normalize(x, epsilon=1e-12):
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x)), epsilon))


def _discriminator_features(image, width, kernel_size, dropout, spectral_norm):
    x = image
    stages = _stages(int(image.shape[1]), int(image.shape[2]))  # 2 at 28 pixels, 3 at 32, 4 at 64
    for i, filters in enumerate((width << j for j in range(stages)), start=1):
        conv = layers.Conv2D(filters, kernel_size, strides=2, padding="same", name=f"down{i}")
        if spectral_norm:
            conv = SpectralNorm(conv, name=f"down{i}_sn")
        x = conv(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"down{i}_act")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"down{i}_dropout")(x)
    return layers.Flatten(name="flatten")(x)


def _dense(units, name, spectral_norm):
    dense = layers.Dense(units, dtype="float32", name=name)
    return SpectralNorm(dense, dtype="float32", name=f"{name}_sn") if spectral_norm else dense


def build_discriminator(
    image_shape=(28, 28, 1),
    width: int = 64,
    kernel_size: int = 5,
    dropout: float = 0.3,
    spectral_norm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """The DCGAN discriminator: image -> one logit (real if > 0).

    Two stride-2 convolutions (width, 2*width filters) with LeakyReLU(0.2) and
    dropout, then a Dense(1) that outputs a *logit*: no sigmoid, the losses
    use ``from_logits``. With the defaults, 212,865 parameters. Larger images get
    one more stride-2 convolution (with twice the filters) per halving, down to 4x4
    at 32 and 64 pixels (:func:`doublings`).

    ``spectral_norm=True`` wraps every convolution and the dense layer in
    :class:`SpectralNorm` (Miyato et al. 2018): each layer's weights are divided
    by their largest singular value (one power iteration per training call),
    which bounds how fast D can change and keeps G's gradients useful.

    Taught in notebooks/04_building_dcgan.ipynb (spectral norm in 09_stabilizing_training).
    """
    _check_positive(width=width, kernel_size=kernel_size)
    _check_image_shape(image_shape)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
    image = keras.Input(shape=tuple(image_shape), name="image")
    features = _discriminator_features(image, width, kernel_size, dropout, spectral_norm)
    logit = _dense(1, "logit", spectral_norm)(features)
    return keras.Model(image, logit, name=name)


def build_gan_models(
    preset: str = "dcgan",
    image_shape=(28, 28, 1),
    conditional: str | None = None,
    num_classes: int = 10,
    dropout: float = 0.3,
    spectral_norm: bool = False,
):
    """Build ``(generator, discriminator)`` for a named preset ("dcgan", "workshop" or "first").

    ``conditional`` (one of :data:`CONDITIONAL_HEADS`) builds the class-conditional pair
    (:func:`build_conditional_generator`, :func:`build_conditional_discriminator`)
    at the preset's sizes; ``dropout`` and ``spectral_norm`` go to the discriminator.

    Taught in notebooks/04_building_dcgan.ipynb.
    """
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}.")
    p = PRESETS[preset]
    g_args = {"width": p["g_width"], "kernel_size": p["kernel_size"]}
    d_args = {"width": p["d_width"], "kernel_size": p["kernel_size"], "dropout": dropout,
              "spectral_norm": spectral_norm}
    if conditional is None:
        return (build_generator(p["latent_dim"], image_shape, **g_args),
                build_discriminator(image_shape, **d_args))
    generator = build_conditional_generator(p["latent_dim"], num_classes, image_shape, **g_args)
    discriminator = build_conditional_discriminator(num_classes, image_shape, head=conditional, **d_args)
    return generator, discriminator


def build_classifier(
    image_shape=(28, 28, 1),
    num_classes: int = 10,
    filters=(32, 64),
    dense_units: int = 128,
    dropout: float = 0.3,
    name: str = "product_classifier",
) -> keras.Model:
    """A product classifier CNN: (conv -> ReLU -> max-pool) blocks, then dense layers.

    This is the source article's "convolution, activation, pooling" diagram as a
    working model. Inputs are images in [-1, 1]; outputs are class *logits*.
    Each block uses two 3x3 convolutions before pooling (the VGG pattern), which
    reaches about 92% test accuracy on Fashion-MNIST in a few epochs.

    Taught in notebooks/02_cnn_foundations.ipynb.
    """
    _check_positive(num_classes=num_classes, dense_units=dense_units)
    image = keras.Input(shape=tuple(image_shape), name="image")
    x = image
    for i, f in enumerate(filters, start=1):
        x = layers.Conv2D(f, 3, padding="same", name=f"block{i}_conv1")(x)
        x = layers.BatchNormalization(name=f"block{i}_bn1")(x)
        x = layers.Activation("relu", name=f"block{i}_relu1")(x)
        x = layers.Conv2D(f, 3, padding="same", name=f"block{i}_conv2")(x)
        x = layers.BatchNormalization(name=f"block{i}_bn2")(x)
        x = layers.Activation("relu", name=f"block{i}_relu2")(x)
        x = layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(dense_units, activation="relu", name="features")(x)
    logits = layers.Dense(num_classes, dtype="float32", name="logits")(x)
    return keras.Model(image, logits, name=name)


# ------------------------------------------------------------------ conditional models


def build_conditional_generator(
    latent_dim: int = 100,
    num_classes: int = 10,
    image_shape=(28, 28, 1),
    width: int = 64,
    kernel_size: int = 5,
    name: str = "conditional_generator",
) -> keras.Model:
    """A class-conditional DCGAN generator: (noise z, class label) -> image in [-1, 1].

    The label is embedded into a vector of ``latent_dim`` numbers (initialised
    near 1) and multiplied into z before the DCGAN trunk of :func:`build_generator`, so every layer
    sees which product to draw. Inputs are named ``z`` (batch, latent_dim) and
    ``label`` (batch,) int; ``pgan.sampling`` recognises a conditional generator
    by its two inputs.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    _check_positive(num_classes=num_classes, latent_dim=latent_dim)
    trunk = build_generator(latent_dim, image_shape, width=width, kernel_size=kernel_size, name="trunk")
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(), dtype="int32", name="label")
    # z * e(y), with e(y) initialised near 1: training starts from the unconditional model.
    # (No Lambda layer: it would make the saved model unloadable with safe_mode=True.)
    embedded = layers.Embedding(
        num_classes, latent_dim, name="label_embedding",
        embeddings_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02),
    )(label)
    mixed = layers.Multiply(name="condition")([z, embedded])
    return keras.Model([z, label], trunk(mixed), name=name)


def build_conditional_discriminator(
    num_classes: int = 10,
    image_shape=(28, 28, 1),
    width: int = 64,
    kernel_size: int = 5,
    dropout: float = 0.3,
    head: str = "projection",
    spectral_norm: bool = False,
    name: str = "conditional_discriminator",
) -> keras.Model:
    """A class-aware discriminator: the DCGAN trunk with a projection or an auxiliary-classifier head.

    * ``head="projection"`` (Miyato & Koyama 2018): inputs ``[image, label]``, one
      logit ``psi(phi(x)) + <embed(y), phi(x)>``: D judges "is this a real *y*?".
    * ``head="acgan"`` (Odena et al. 2017, the article's "acGAN"): input image only;
      outputs ``[logit, class_logits]``: D judges real/fake and also names the class.
    * ``head="projection_ac"``: both: inputs ``[image, label]``, outputs
      ``[projection logit, class_logits]``. :class:`pgan.gan.GAN` trains the class
      head on real images only and asks G's fakes to be named their class by it.

    Taught in notebooks/10_conditional_products.ipynb.
    """
    _check_positive(num_classes=num_classes, width=width, kernel_size=kernel_size)
    _check_image_shape(image_shape)
    if head not in CONDITIONAL_HEADS:
        raise ValueError(f"head must be one of {CONDITIONAL_HEADS}, got {head!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
    image = keras.Input(shape=tuple(image_shape), name="image")
    features = _discriminator_features(image, width, kernel_size, dropout, spectral_norm)
    logit = _dense(1, "logit", spectral_norm)(features)
    class_logits = _dense(num_classes, "class_logits", spectral_norm)(features) if head != "projection" else None
    if head == "acgan":
        return keras.Model(image, [logit, class_logits], name=name)
    label = keras.Input(shape=(), dtype="int32", name="label")
    embedded = layers.Embedding(num_classes, int(features.shape[-1]), name="label_embedding")(label)
    projection = layers.Dot(axes=1, dtype="float32", name="projection")([embedded, features])
    logit = layers.Add(dtype="float32", name="logit_plus_projection")([logit, projection])
    return keras.Model([image, label], logit if class_logits is None else [logit, class_logits], name=name)
