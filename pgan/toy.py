"""A tiny 1-D GAN that trains in seconds on a CPU, to watch the GAN game play out.

The real data is a mixture of 1-D Gaussians (two modes, at -2 and 2, by
default). A small MLP generator turns noise into numbers, a small MLP
discriminator outputs one logit per number, and :func:`train_toy_gan` plays
the game for a few hundred steps, keeping the losses of every step and
snapshots of the generated distribution. With the losses of
:mod:`pgan.losses` it shows, in one picture each, the optimal discriminator,
the saturating minimax loss, and mode collapse.

Taught in notebooks/03_gan_theory.ipynb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras
import numpy as np
from keras import layers, ops

from pgan import losses

DEFAULT_MODES = (-2.0, 2.0)
MODE_STD = 0.25
LATENT_DIM = 4
HIDDEN_UNITS = 32
NUM_SNAPSHOT_SAMPLES = 2000
MAX_CHUNK = 1000  # training steps per graph call


# ------------------------------------------------------------------ checks


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_learning_rate(learning_rate) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not (
        0.0 < learning_rate <= 1.0
    ):
        raise ValueError(
            f"learning_rate must be a number in (0, 1], got {learning_rate!r}; "
            "1e-3 is a good start for the toy GAN."
        )
    return float(learning_rate)


def _check_modes(modes) -> tuple[float, ...]:
    try:
        if isinstance(modes, (str, bytes)):
            raise TypeError("a string is not a sequence of numbers")
        values = tuple(float(m) for m in modes)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"modes must be a sequence of numbers such as (-2.0, 2.0), got {modes!r}."
        ) from err
    if not values or not all(math.isfinite(m) for m in values):
        raise ValueError(f"modes must hold at least one finite number, got {modes!r}.")
    return values


# ------------------------------------------------------------------ data


def sample_real(num_samples: int, modes=DEFAULT_MODES, seed: int = 0) -> np.ndarray:
    """Draw ``num_samples`` real numbers from the mixture, equal weight per mode.

    Args:
        num_samples: how many numbers to draw.
        modes: the means of the Gaussians (each with standard deviation ``MODE_STD``).
        seed: seed of the NumPy generator.

    Returns:
        float32 array of shape (num_samples, 1).

    Taught in notebooks/03_gan_theory.ipynb.
    """
    num_samples = _check_int("num_samples", num_samples)
    modes = _check_modes(modes)
    rng = np.random.default_rng(seed)
    return _draw_real(rng, num_samples, modes)


def _draw_real(rng: np.random.Generator, num_samples: int, modes) -> np.ndarray:
    centres = np.asarray(modes, dtype=np.float64)[rng.integers(len(modes), size=num_samples)]
    samples = centres + MODE_STD * rng.standard_normal(num_samples)
    return samples.astype(np.float32)[:, None]


def real_density(x, modes=DEFAULT_MODES) -> np.ndarray:
    """The probability density p_data(x) of the real mixture, at the points ``x``.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    modes = _check_modes(modes)
    x = np.asarray(x, dtype=np.float64)
    norm = 1.0 / (MODE_STD * math.sqrt(2.0 * math.pi) * len(modes))
    return norm * sum(np.exp(-0.5 * ((x - m) / MODE_STD) ** 2) for m in modes)


def optimal_discriminator(p_data, p_generated) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the best D against a fixed G.

    Where both densities are 0, D* is undefined (nothing to classify); it is
    returned as 0.5 there.

    Raises:
        ValueError: if the arrays differ in shape or hold negative densities.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_generated = np.asarray(p_generated, dtype=np.float64)
    if p_data.shape != p_generated.shape:
        raise ValueError(
            f"p_data and p_generated must have the same shape, got {p_data.shape} and "
            f"{p_generated.shape}: evaluate both densities on the same points."
        )
    if (p_data < 0).any() or (p_generated < 0).any():
        raise ValueError("Densities cannot be negative; pass p_data(x) and p_g(x), not logs.")
    total = p_data + p_generated
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, p_data / safe, 0.5)


def mode_coverage(samples, modes=DEFAULT_MODES, radius: float = 4 * MODE_STD) -> np.ndarray:
    """The share of ``samples`` that land within ``radius`` of each mode.

    A generator that covers every mode gets about ``1 / len(modes)`` per mode;
    a collapsed one puts nearly everything on one mode and ~0 on the others.

    Returns:
        float array with one share per mode.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    modes = _check_modes(modes)
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius!r}.")
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError("mode_coverage needs at least one sample.")
    return np.array([np.mean(np.abs(x - m) <= radius) for m in modes])


# ------------------------------------------------------------------ models


def _dense(units: int, seed: int, name: str, activation=None) -> layers.Dense:
    init = keras.initializers.GlorotUniform(seed=seed)
    return layers.Dense(units, activation=activation, kernel_initializer=init, name=name)


def build_toy_generator(
    latent_dim: int = LATENT_DIM, hidden_units: int = HIDDEN_UNITS, seed: int = 0,
    name: str = "toy_generator",
) -> keras.Model:
    """A small MLP generator: noise (batch, latent_dim) -> one number per row.

    Two hidden LeakyReLU layers, then a linear output (the data is not bounded
    to [-1, 1], so no tanh here). Weights are initialised from ``seed``.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    latent_dim = _check_int("latent_dim", latent_dim)
    hidden_units = _check_int("hidden_units", hidden_units)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = _dense(hidden_units, seed, "hidden1", "leaky_relu")(z)
    x = _dense(hidden_units, seed + 1, "hidden2", "leaky_relu")(x)
    out = _dense(1, seed + 2, "sample")(x)
    return keras.Model(z, out, name=name)


def build_toy_discriminator(
    hidden_units: int = HIDDEN_UNITS, seed: int = 0, name: str = "toy_discriminator"
) -> keras.Model:
    """A small MLP discriminator: one number -> one logit (real if > 0).

    Taught in notebooks/03_gan_theory.ipynb.
    """
    hidden_units = _check_int("hidden_units", hidden_units)
    x_in = keras.Input(shape=(1,), name="x")
    x = _dense(hidden_units, seed, "hidden1", "leaky_relu")(x_in)
    x = _dense(hidden_units, seed + 1, "hidden2", "leaky_relu")(x)
    logit = _dense(1, seed + 2, "logit")(x)
    return keras.Model(x_in, logit, name=name)


# ------------------------------------------------------------------ training


@dataclass
class ToyGANHistory:
    """What :func:`train_toy_gan` returns.

    Attributes:
        d_loss: discriminator loss at every step, shape (steps,).
        g_loss: generator loss at every step (of the loss that was trained).
        snapshots: step -> generated samples (NUM_SNAPSHOT_SAMPLES,), always
            from the same fixed noise, including step 0 (before training).
        generator: the trained generator.
        discriminator: the trained discriminator.
        config: the arguments of the run.
    """

    d_loss: np.ndarray
    g_loss: np.ndarray
    snapshots: dict
    generator: keras.Model
    discriminator: keras.Model
    config: dict = field(default_factory=dict)

    @property
    def final_samples(self) -> np.ndarray:
        """The generated samples of the last snapshot."""
        return self.snapshots[max(self.snapshots)]


def train_toy_gan(
    steps: int = 1500,
    learning_rate: float = 1e-3,
    g_loss: str = "non_saturating",
    seed: int = 0,
    batch_size: int = 128,
    modes=DEFAULT_MODES,
    num_snapshots: int = 6,
) -> ToyGANHistory:
    """Train the toy GAN on the 1-D mixture and record how it moves.

    Each step draws a batch of real numbers and of noise, takes one Adam step
    on D with :func:`pgan.losses.discriminator_loss`, then one on G with the
    chosen generator loss through the updated D. Everything random comes from
    ``seed`` (weights, data, noise), so a seed reproduces the whole history.

    Args:
        steps: training steps (a few hundred to a few thousand; each takes milliseconds
            on a CPU, after the graph is built).
        learning_rate: Adam learning rate of both players (beta_1 = 0.5).
        g_loss: "non_saturating" (-log D(G(z))) or "minimax" (log(1 - D(G(z)))).
        seed: a non-negative int.
        batch_size: real and generated numbers per step.
        modes: means of the real mixture's Gaussians.
        num_snapshots: how many evenly spaced snapshots to keep (step 0 and the
            last step are always among them).

    Returns:
        A :class:`ToyGANHistory`.

    Raises:
        ValueError: for a non-positive ``steps``/``batch_size``, a learning rate
            outside (0, 1], an unknown ``g_loss`` or bad ``modes``.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    import tensorflow as tf

    steps = _check_int("steps", steps)
    batch_size = _check_int("batch_size", batch_size)
    num_snapshots = _check_int("num_snapshots", num_snapshots, minimum=2)
    seed = _check_int("seed", seed, minimum=0)
    modes = _check_modes(modes)
    learning_rate = _check_learning_rate(learning_rate)
    if g_loss not in losses.GENERATOR_LOSSES:
        raise ValueError(
            f"g_loss must be one of {sorted(losses.GENERATOR_LOSSES)}, got {g_loss!r}."
        )
    g_loss_fn = losses.GENERATOR_LOSSES[g_loss]

    generator = build_toy_generator(seed=10 * seed)
    discriminator = build_toy_discriminator(seed=10 * seed + 5)
    d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
    g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)

    d_vars = discriminator.trainable_variables
    g_vars = generator.trainable_variables
    # Create the optimizers' slots now: variables created inside the first call
    # would make tf.function trace the loop twice.
    d_optimizer.build(d_vars)
    g_optimizer.build(g_vars)

    chunk = tf.TensorSpec((None, batch_size, LATENT_DIM), tf.float32)

    @tf.function(
        input_signature=[tf.TensorSpec((None, batch_size, 1), tf.float32), chunk, chunk]
    )
    def train_steps(real, z_d, z_g):
        # A chunk of steps in one graph call: the loop's Python overhead, not the
        # arithmetic, is what costs time for networks this small.
        d_out = tf.TensorArray(tf.float32, size=tf.shape(real)[0])
        g_out = tf.TensorArray(tf.float32, size=tf.shape(real)[0])
        for i in tf.range(tf.shape(real)[0]):
            with tf.GradientTape() as tape:
                fake_logits = discriminator(generator(z_d[i]))
                d_loss = losses.discriminator_loss(discriminator(real[i]), fake_logits)
            d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)
            with tf.GradientTape() as tape:
                g_loss_value = g_loss_fn(discriminator(generator(z_g[i])))
            g_optimizer.apply(tape.gradient(g_loss_value, g_vars), g_vars)
            d_out = d_out.write(i, d_loss)
            g_out = g_out.write(i, g_loss_value)
        return d_out.stack(), g_out.stack()

    rng = np.random.default_rng(seed)
    fixed_z = rng.standard_normal((NUM_SNAPSHOT_SAMPLES, LATENT_DIM)).astype(np.float32)
    snapshot_steps = {int(round(s)) for s in np.linspace(0, steps, num_snapshots)}
    # Chunks end at every snapshot, and hold at most MAX_CHUNK steps (memory).
    bounds = [0]
    for stop in sorted(snapshot_steps)[1:]:
        while stop - bounds[-1] > MAX_CHUNK:
            bounds.append(bounds[-1] + MAX_CHUNK)
        bounds.append(stop)
    snapshots = {0: _generate(generator, fixed_z)}
    d_history, g_history = [], []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        n = stop - start
        real = np.stack([_draw_real(rng, batch_size, modes) for _ in range(n)])
        z = rng.standard_normal((2, n, batch_size, LATENT_DIM)).astype(np.float32)
        d_chunk, g_chunk = train_steps(real, z[0], z[1])
        d_history.append(d_chunk.numpy())
        g_history.append(g_chunk.numpy())
        if stop in snapshot_steps:
            snapshots[stop] = _generate(generator, fixed_z)
    d_history = np.concatenate(d_history)
    g_history = np.concatenate(g_history)
    config = {
        "steps": steps, "learning_rate": float(learning_rate), "g_loss": g_loss, "seed": seed,
        "batch_size": batch_size, "modes": modes,
    }
    return ToyGANHistory(d_history, g_history, snapshots, generator, discriminator, config)


def train_toy_discriminator(
    generated,
    steps: int = 500,
    learning_rate: float = 1e-2,
    seed: int = 0,
    batch_size: int = 256,
    modes=DEFAULT_MODES,
) -> keras.Model:
    """Train a fresh toy discriminator against a *fixed* set of generated numbers.

    With the generator frozen, D's best answer is D*(x) = p_data / (p_data + p_g)
    (see :func:`optimal_discriminator`); training D alone shows how close it gets.

    Args:
        generated: the fixed "generator" samples, any shape (flattened).
        steps: Adam steps on :func:`pgan.losses.discriminator_loss`.
        learning_rate: Adam learning rate.
        seed: seeds the weights, the real data and the batches of ``generated``.
        batch_size: real and generated numbers per step.
        modes: means of the real mixture's Gaussians.

    Returns:
        The trained discriminator (outputs logits; ``sigmoid`` gives D(x)).

    Taught in notebooks/03_gan_theory.ipynb.
    """
    import tensorflow as tf

    generated = np.asarray(generated, dtype=np.float32).reshape(-1)
    if generated.size == 0 or not np.all(np.isfinite(generated)):
        raise ValueError(
            f"generated must hold at least one finite number, got {generated.size} values."
        )
    steps = _check_int("steps", steps)
    batch_size = _check_int("batch_size", batch_size)
    seed = _check_int("seed", seed, minimum=0)
    learning_rate = _check_learning_rate(learning_rate)
    modes = _check_modes(modes)
    discriminator = build_toy_discriminator(seed=10 * seed + 5)
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
    d_vars = discriminator.trainable_variables
    optimizer.build(d_vars)

    @tf.function
    def train_steps(real, fake):
        for i in tf.range(tf.shape(real)[0]):
            with tf.GradientTape() as tape:
                loss = losses.discriminator_loss(discriminator(real[i]), discriminator(fake[i]))
            optimizer.apply(tape.gradient(loss, d_vars), d_vars)

    rng = np.random.default_rng(seed)
    real = np.stack([_draw_real(rng, batch_size, modes) for _ in range(steps)])
    fake = rng.choice(generated, size=(steps, batch_size, 1))
    train_steps(real, fake)
    return discriminator


def _generate(generator: keras.Model, z: np.ndarray) -> np.ndarray:
    return ops.convert_to_numpy(generator(z, training=False)).reshape(-1)


# ------------------------------------------------------------------ gradients


def _logits_from_probabilities(d_values) -> np.ndarray:
    d = np.asarray(d_values, dtype=np.float64)
    if d.size == 0:
        raise ValueError("d_values is empty; pass probabilities such as np.linspace(0.01, 0.99, 99).")
    if not np.all((d > 0) & (d < 1)):
        raise ValueError(
            f"d_values must be probabilities strictly between 0 and 1 (D(G(z)) = sigmoid(logit)); "
            f"got values from {d.min()} to {d.max()}."
        )
    return np.log(d) - np.log1p(-d)


def _per_example_gradient(loss_fn, logits: np.ndarray) -> np.ndarray:
    """d loss_i / d logit_i for a loss that averages over examples, by autodiff."""
    from pgan import backend

    flat = logits.reshape(-1).astype(np.float32)
    grad = backend.gradient(loss_fn, flat)
    # The losses are means: each logit's share of the gradient is 1/N.
    return (grad * flat.size).astype(np.float64).reshape(logits.shape)


def generator_loss_gradients(d_values) -> dict:
    """How hard each generator loss pushes, as a function of D(G(z)).

    For each probability D = D(G(z)) = sigmoid(l), returns d L_G / d l, the
    derivative of the generator loss with respect to the discriminator's logit
    on the fake, computed by automatic differentiation of
    :func:`pgan.losses.minimax_generator_loss` and :func:`pgan.losses.generator_loss`.
    G minimises L_G, so gradient descent moves l by ``-learning_rate * gradient``:
    both gradients are negative (they push the logit up, toward "real"), and the
    size says how hard. Analytically,

        minimax, L_G = log(1 - D):      d L_G / d l = -D        (-> 0 as D -> 0)
        non-saturating, L_G = -log D:   d L_G / d l = -(1 - D)  (-> -1 as D -> 0)

    so early in training, when D rejects the fakes (D -> 0), the minimax loss
    gives G almost no signal and the non-saturating loss gives it the most.

    Args:
        d_values: probabilities strictly between 0 and 1 (any shape).

    Returns:
        ``{"minimax": array, "non_saturating": array}``, each shaped like ``d_values``.

    Raises:
        ValueError: if ``d_values`` is empty or not strictly inside (0, 1).

    Taught in notebooks/03_gan_theory.ipynb.
    """
    logits = _logits_from_probabilities(d_values)
    return {
        "minimax": _per_example_gradient(losses.minimax_generator_loss, logits),
        "non_saturating": _per_example_gradient(losses.generator_loss, logits),
    }


# ------------------------------------------------------------------ pictures


def plot_snapshots(history: ToyGANHistory, bins: int = 60, size: float = 2.4):
    """One panel per snapshot: the generated histogram over the real density.

    Each panel's title gives the step and the share of samples near each mode
    (:func:`mode_coverage`). Returns the matplotlib figure.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    import matplotlib.pyplot as plt

    modes = history.config.get("modes", DEFAULT_MODES)
    steps = sorted(history.snapshots)
    low, high = min(modes) - 2.5, max(modes) + 2.5
    x = np.linspace(low, high, 400)
    fig, axes = plt.subplots(
        1, len(steps), figsize=(size * len(steps), size), sharex=True, sharey=True, squeeze=False
    )
    for ax, step in zip(axes[0], steps, strict=True):
        samples = history.snapshots[step]
        ax.hist(np.clip(samples, low, high), bins=bins, range=(low, high), density=True,
                color="tab:orange", alpha=0.7, label="generated")
        ax.plot(x, real_density(x, modes), color="tab:blue", label="real")
        shares = " / ".join(f"{s:.0%}" for s in mode_coverage(samples, modes))
        ax.set_title(f"step {step}\nnear modes: {shares}", fontsize=9)
        ax.set_xlabel("x")
    axes[0, 0].set_ylabel("density")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def plot_losses(history: ToyGANHistory, window: int = 25):
    """The players' losses per step (moving average over ``window`` steps).

    Dashed lines mark the values at the game's equilibrium, where D(x) = 1/2
    everywhere: 2 log 2 for D, log 2 (non-saturating) or -log 2 (minimax) for G.
    Returns the matplotlib figure.

    Taught in notebooks/03_gan_theory.ipynb.
    """
    import matplotlib.pyplot as plt

    window = _check_int("window", window)
    kernel = np.ones(window) / window
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
    g_equilibrium = -math.log(2) if history.config.get("g_loss") == "minimax" else math.log(2)
    for ax, values, name, equilibrium in (
        (axes[0], history.d_loss, "discriminator loss", 2 * math.log(2)),
        (axes[1], history.g_loss, f"generator loss ({history.config.get('g_loss')})", g_equilibrium),
    ):
        smooth = np.convolve(values, kernel, mode="valid") if len(values) >= window else values
        ax.plot(np.arange(len(smooth)) + (len(values) - len(smooth)) + 1, smooth)
        ax.axhline(equilibrium, color="gray", linestyle="--", linewidth=1, label="equilibrium")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
