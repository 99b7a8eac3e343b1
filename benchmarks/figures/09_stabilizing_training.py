"""Draw the figures of notebooks/09_stabilizing_training.ipynb.

    .venv/bin/python benchmarks/figures/09_stabilizing_training.py    # about a minute on a 2-core CPU

Writes into ``docs/figures/09_stabilizing_training/``:

- ``failures.png``: the three failures of the notebook, made to happen: a discriminator
  that wins (its learning rate 10 times the generator's), the minimax generator loss's
  gradient vanishing against a confident discriminator, and the 1-D toy GAN collapsing
  onto one of its two modes;
- ``mode_collapse.png``: what the judge's class histogram says about a healthy sampler
  and an imitated collapse of the shipped DCGAN generator;
- ``loss_shapes.png``: the five loss families of ``pgan.losses`` as functions of one logit.

Everything is seeded; the networks are the notebook's tiny ones (DCGAN at width 16).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "figures" / "09_stabilizing_training"
SEED, WIDTH, LATENT_DIM, BATCH_SIZE = 0, 16, 32, 64
GAN_STEPS, CHUNK, NUM_IMAGES = 300, 10, 4_096  # the "D wins" panel
D_ALONE_STEPS = 200  # the vanishing-gradient panel
TOY_STEPS = 1_500  # the mode-collapse panel
DPI = 90


def d_wins(images):
    """d_fake_acc per CHUNK steps of the tiny GAN, balanced and with D's learning rate x10."""
    import keras

    from pgan import data, models
    from pgan.gan import GAN

    curves = {}
    for name, d_learning_rate in (("balanced: both 2e-4", 2e-4), ("D's learning rate x10", 2e-3)):
        keras.utils.set_random_seed(SEED)
        gan = GAN(models.build_generator(LATENT_DIM, width=WIDTH), models.build_discriminator(width=WIDTH), seed=SEED)
        gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), steps_per_execution=CHUNK)
        dataset = data.make_dataset(images, BATCH_SIZE, subset=NUM_IMAGES, seed=SEED).repeat()
        history = gan.fit(dataset, epochs=GAN_STEPS // CHUNK, steps_per_epoch=CHUNK, verbose=0).history
        curves[name] = history["d_fake_acc"]
    return curves


def vanishing_gradient(images):
    """Norm of each generator loss's gradient on G's weights while D alone trains against a frozen G."""
    import keras
    import tensorflow as tf

    from pgan import data, losses, models, sampling

    keras.utils.set_random_seed(SEED)
    generator = models.build_generator(LATENT_DIM, width=WIDTH)
    discriminator = models.build_discriminator(width=WIDTH, dropout=0.0)
    optimizer = keras.optimizers.Adam(1e-3, beta_1=0.5)
    optimizer.build(discriminator.trainable_variables)
    noise = sampling.sample_noise(256, LATENT_DIM, seed=SEED)
    batches = iter(data.make_dataset(images, BATCH_SIZE, subset=NUM_IMAGES, seed=SEED).repeat())
    step_noise = iter(sampling.sample_noise(BATCH_SIZE * D_ALONE_STEPS, LATENT_DIM, seed=SEED + 1)
                      .reshape(D_ALONE_STEPS, BATCH_SIZE, LATENT_DIM))

    @tf.function
    def d_step(real, z):
        with tf.GradientTape() as tape:
            d_loss = losses.discriminator_loss(discriminator(real, training=True),
                                               discriminator(generator(z, training=True), training=True))
        optimizer.apply(tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)

    def gradient_norm(g_loss_fn):
        with tf.GradientTape() as tape:
            g_loss = g_loss_fn(discriminator(generator(noise, training=True), training=True))
        return float(tf.linalg.global_norm(tape.gradient(g_loss, generator.trainable_variables)))

    curves = {"step": [], "non-saturating": [], "minimax": []}
    for step in range(D_ALONE_STEPS + 1):
        if step % 10 == 0:
            curves["step"].append(step)
            curves["non-saturating"].append(gradient_norm(losses.generator_loss))
            curves["minimax"].append(gradient_norm(losses.minimax_generator_loss))
        if step < D_ALONE_STEPS:
            d_step(next(batches), next(step_noise))
    return curves


def draw_failures(images, toy_runs):
    import matplotlib.pyplot as plt
    import numpy as np

    from pgan import toy

    wins, vanishing = d_wins(images), vanishing_gradient(images)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for name, values in wins.items():
        axes[0].plot(CHUNK * np.arange(1, len(values) + 1), values, label=name)
    axes[0].set(title="1. The discriminator wins", xlabel="training step", ylabel="share of fakes D rejects",
                ylim=(-0.02, 1.02))
    for name in ("non-saturating", "minimax"):
        axes[1].semilogy(vanishing["step"], vanishing[name], label=f"{name} loss")
    axes[1].set(title="2. The minimax gradient vanishes", xlabel="steps of D alone, G frozen",
                ylabel="size of G's gradient")
    x = np.linspace(-4.5, 4.5, 361)
    for seed, run in toy_runs.items():
        share = toy.mode_coverage(run.final_samples)
        axes[2].hist(np.clip(run.final_samples, -4.5, 4.5), bins=80, range=(-4.5, 4.5), density=True, alpha=0.55,
                     label=f"seed {seed}: {share[0]:.0%} at -2, {share[1]:.0%} at +2")
    axes[2].plot(x, toy.real_density(x), "k", lw=1.2, label="real density")
    axes[2].set(title="3. Mode collapse (1-D toy GAN)", xlabel="x", ylabel="density")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "failures.png", dpi=DPI)
    plt.close(fig)


def draw_mode_collapse(catalog):
    """Healthy and imitated-collapse samples of the shipped generator, with the judge's class shares."""
    import matplotlib.pyplot as plt
    import numpy as np
    from keras import ops

    from pgan import data, judge, metrics, plotting, sampling

    generator = sampling.load_pretrained("dcgan_generator")
    judge_model = judge.load_judge()
    noise = sampling.sample_noise(1_000, sampling.latent_dim_of(generator), seed=SEED)
    samplers = {"healthy: z from N(0, I)": noise, "collapsed (imitated): z near one point": noise[:1] + 0.2 * noise[::-1]}

    def classes(model_range_images):
        return np.argmax(judge.judge_outputs(model_range_images, "model", judge_model)[1], axis=1)

    real = classes(data.to_model_range(catalog.x_test[:1_000]))
    fig, axes = plt.subplots(2, 2, figsize=(10, 4.4), gridspec_kw={"width_ratios": [1, 1.1]})
    for row, (name, z) in enumerate(samplers.items()):
        products = ops.convert_to_numpy(generator(z, training=False))
        coverage = metrics.class_coverage(classes(products), real)
        axes[row, 0].imshow(plotting.image_grid(products[:24], ncols=8), cmap="gray", vmin=0, vmax=255)
        axes[row, 0].set_title(name, fontsize=10)
        axes[row, 0].axis("off")
        positions = np.arange(10)
        axes[row, 1].bar(positions - 0.2, coverage["real_class_histogram"], 0.4, color="0.7", label="real test images")
        axes[row, 1].bar(positions + 0.2, coverage["class_histogram"], 0.4, label="samples")
        axes[row, 1].set_title(f"classes present {coverage['classes_present']}, class TV {coverage['class_tv']:.2f}",
                               fontsize=10)
        axes[row, 1].set_xticks(positions, data.CLASS_NAMES if row else [""] * 10, rotation=30, ha="right", fontsize=8)
        axes[row, 1].set_ylim(0, 1)
        axes[row, 1].set_ylabel("share")
        axes[row, 1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "mode_collapse.png", dpi=DPI)
    plt.close(fig)


def draw_loss_shapes():
    """D's loss (real scored l, fake -l), G's loss on a fake scored l and its slope, for each family."""
    import matplotlib.pyplot as plt
    import numpy as np
    import tensorflow as tf

    from pgan import losses

    logit = np.linspace(-5.0, 5.0, 81).astype(np.float32)
    zero = np.zeros(1, dtype=np.float32)

    def per_logit(fn):
        values, slopes = [], []
        for value in logit:
            x = tf.constant([value])
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = fn(x)
            values.append(float(loss))
            slopes.append(abs(float(tape.gradient(loss, x)[0])))
        return np.array(values), np.array(slopes)

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    for name, (d_loss_fn, g_loss_fn) in losses.LOSS_FAMILIES.items():
        g_loss_fn = g_loss_fn or (lambda fake, real=None: losses.generator_loss(fake))
        d_values, _ = per_logit(lambda x, d_loss_fn=d_loss_fn: d_loss_fn(x, -x))
        g_values, g_slopes = per_logit(lambda x, g_loss_fn=g_loss_fn: g_loss_fn(x, zero))
        label = {"gan": "gan (non-saturating G)", "wasserstein": "wasserstein (G: same as hinge)"}.get(name, name)
        style = "--" if name == "wasserstein" else "-"  # G's hinge and Wasserstein losses are the same line
        axes[0].plot(logit, d_values, style, label=name)
        axes[1].plot(logit, g_values, style, label=label)
        axes[2].semilogy(logit, g_slopes + 1e-6, style, label=label)
    values, slopes = per_logit(losses.minimax_generator_loss)
    axes[1].plot(logit, values, "k:", label="gan, minimax G")
    axes[2].semilogy(logit, slopes + 1e-6, "k:", label="gan, minimax G")
    titles = ("D's loss: real scored l, fake scored -l", "G's loss on a fake scored l", "|dL_G/dl|: how hard G is pushed")
    for ax, title in zip(axes, titles, strict=True):
        ax.set(title=title, xlabel="logit l")
        ax.title.set_fontsize(10)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(-6, 14)
    axes[1].set_ylim(-6, 8)
    axes[2].set_ylim(1e-3, 20)
    axes[0].legend(fontsize=8)
    axes[2].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(OUT / "loss_shapes.png", dpi=DPI)
    plt.close(fig)


def main() -> None:
    start = time.perf_counter()
    from pgan.runtime import quiet_tensorflow

    quiet_tensorflow()
    from pgan import data, toy

    OUT.mkdir(parents=True, exist_ok=True)
    catalog = data.load_fashion_mnist()
    toy_runs = {seed: toy.train_toy_gan(steps=TOY_STEPS, seed=seed) for seed in (1, 0)}
    draw_failures(catalog.x_train, toy_runs)
    draw_mode_collapse(catalog)
    draw_loss_shapes()
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB")
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
