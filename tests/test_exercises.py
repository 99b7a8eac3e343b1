"""The exercises' self-checks: each accepts the reference answer, rejects typical mistakes
with a hint, and never raises (a stub that raises NotImplementedError gets "Not yet")."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from exercise_feedback import feedback, not_implemented
from keras import layers, ops

from pgan import diffusion, exercises, fidelity, losses, metrics, models, restore, superres, widgets

# Every checker with a reference answer.
REFERENCES = {
    "check_scaling": lambda x: x.astype(np.float32) / 127.5 - 1.0,
    "check_conv_output_size": lambda n, k, s, p: math.ceil(n / s) if p == "same" else (n - k) // s + 1,
    "check_discriminator_loss": losses.discriminator_loss,
    "check_generator_loss": losses.generator_loss,
    "check_generator": lambda: models.build_generator(width=8),
    "check_discriminator": lambda: models.build_discriminator(width=8),
    "check_discriminator_step": None,  # defined below
    "check_ema_update": lambda ema, w, d: [d * a + (1 - d) * b for a, b in zip(ema, w, strict=True)],
    "check_ema_half_life": lambda d: math.log(0.5) / math.log(d),
    "check_images_of_class": lambda images, labels, class_names, name: images[labels == class_names.index(name)],
    "check_count_parameters": lambda model: sum(int(np.prod(w.shape)) for w in model.weights),
    "check_to_uint8": lambda x: np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8),
    "check_conv_parameters": lambda k, c, f: k * k * c * f + f,
    "check_precision": lambda real, fake, k: metrics.manifold_metrics(real, fake, k)["precision"],
    "check_icnr": lambda sub_kernel, r: np.tile(sub_kernel, (1, 1, 1, r * r)),
    "check_diffusion_fill": restore.diffusion_fill,
    "check_conditional_input": lambda z, e, y: z * ops.take(e, y, axis=0),
    "check_truncation": lambda w, psi, m: m + psi * (w - m),
    "check_transposed_output_size": lambda n, k, s, p: n * s if p == "same" else n * s + max(k - s, 0),
    "check_frechet_1d": lambda a, b: metrics.frechet_distance(a[:, None], b[:, None]),
    "check_depth_to_space": superres.depth_to_space,
    "check_psnr": fidelity.psnr,
    "check_slerp": widgets.slerp,
    "check_hinge_loss": losses.hinge_discriminator_loss,
    "check_projection_logit": lambda f, logit, e, y: logit + ops.sum(ops.take(e, y, axis=0) * f, axis=-1, keepdims=True),
    "check_flow_pair": lambda noise, data, t: (diffusion.interpolate(noise, data, t),
                                               diffusion.velocity_target(noise, data)),
    "check_euler_step": diffusion.euler_step,
    "check_guidance": lambda v_cond, v_uncond, guidance: v_uncond + guidance * (v_cond - v_uncond),
}


def discriminator_step(generator, discriminator, d_optimizer, real_images, noise):
    """The reference answer of notebook 05's exercise: GAN.train_step's discriminator half."""
    fake_images = generator(noise, training=True)
    with tf.GradientTape() as tape:
        real_logits = discriminator(real_images, training=True)
        fake_logits = discriminator(fake_images, training=True)
        d_loss = losses.discriminator_loss(real_logits, fake_logits)
    gradients = tape.gradient(d_loss, discriminator.trainable_variables)
    d_optimizer.apply(gradients, discriminator.trainable_variables)
    return d_loss


REFERENCES["check_discriminator_step"] = discriminator_step


def gradient_penalty_reference(critic, real_images, fake_images):
    """The reference answer of notebook 09's exercise 1 (WGAN-GP)."""
    weights = keras.random.uniform((ops.shape(real_images)[0],))
    points = losses.interpolate(real_images, fake_images, weights)
    with tf.GradientTape() as tape:
        tape.watch(points)
        scores = critic(points, training=True)
    return losses.gradient_penalty(tape.gradient(scores, points))


REFERENCES["check_gradient_penalty"] = gradient_penalty_reference


def power_iteration_reference(matrix, u):
    """The reference answer of notebook 09's exercise 2: one power iteration, then sigma."""
    v = matrix @ u / np.linalg.norm(matrix @ u)
    u = matrix.T @ v
    return np.linalg.norm(u), u / np.linalg.norm(u)


REFERENCES["check_power_iteration"] = power_iteration_reference
CHECKERS = sorted(name for name in dir(exercises) if name.startswith("check_"))


def test_every_checker_has_a_reference_here():
    assert sorted(REFERENCES) == CHECKERS


@pytest.mark.parametrize("name", CHECKERS)
def test_checker_accepts_the_reference(name, capsys):
    assert getattr(exercises, name)(REFERENCES[name]) is True
    assert feedback(capsys).startswith("Correct: ")


@pytest.mark.parametrize("name", CHECKERS)
def test_a_stub_that_raises_not_implemented_gets_not_yet(name, capsys):
    assert getattr(exercises, name)(not_implemented) is False
    line = feedback(capsys)
    assert line.startswith("Not yet: not implemented yet") and "Traceback" not in line


@pytest.mark.parametrize("name", CHECKERS)
def test_other_failures_never_raise(name, capsys):
    check = getattr(exercises, name)

    def crashes(*args):
        raise ZeroDivisionError("division by zero\nsecond line")

    assert check(crashes) is False
    assert feedback(capsys) == "Not yet: your function raised ZeroDivisionError: division by zero second line\n"
    assert check(lambda *args: None) is False
    assert "forget the `return`" in feedback(capsys)
    assert check(lambda *args: "something odd") is False
    assert feedback(capsys).startswith("Not yet: ")
    assert check(42) is False  # the result of a call instead of the function
    assert "pass your function itself" in feedback(capsys)


# --- 01 ---------------------------------------------------------------------------------------


def test_scaling_rejects_unit_range_float64_and_off_by_one(capsys):
    assert not exercises.check_scaling(lambda x: x.astype(np.float32) / 255.0)
    assert "that is [0, 1]" in feedback(capsys)
    assert not exercises.check_scaling(lambda x: x / 127.5 - 1.0)  # float64
    assert "return float32, got float64" in feedback(capsys)
    assert not exercises.check_scaling(lambda x: x.astype(np.float32) / 128.0 - 1.0)
    assert "expected -1 and 1" in feedback(capsys)
    assert not exercises.check_scaling(lambda x: x)  # the notebook's stub
    assert "got uint8" in feedback(capsys)


# --- 02 ---------------------------------------------------------------------------------------


def test_conv_output_size_rejects_typical_mistakes(capsys):
    assert not exercises.check_conv_output_size(lambda n, k, s, p: n)  # the notebook's stub
    assert "padding 'valid': got 28, expected 26" in feedback(capsys)
    assert not exercises.check_conv_output_size(lambda n, k, s, p: math.ceil(n / s))  # ignores padding
    assert "expected 26" in feedback(capsys)
    assert not exercises.check_conv_output_size(  # true division
        lambda n, k, s, p: math.ceil(n / s) if p == "same" else (n - k) / s + 1
    )
    assert "got 12.5, expected 12" in feedback(capsys)
    assert not exercises.check_conv_output_size(lambda n, k, s, p: np.array([n, n]))
    assert "Not yet: " in feedback(capsys)


def test_conv_output_size_accepts_numpy_and_float_integers(capsys):
    assert exercises.check_conv_output_size(lambda n, k, s, p: np.int64(REFERENCES["check_conv_output_size"](n, k, s, p)))
    assert exercises.check_conv_output_size(lambda n, k, s, p: float(REFERENCES["check_conv_output_size"](n, k, s, p)))


# --- 03 ---------------------------------------------------------------------------------------


def test_discriminator_loss_rejects_sigmoid_log_swapped_labels_and_no_mean(capsys):
    def sigmoid_then_log(real, fake):
        return ops.mean(-ops.log(ops.sigmoid(real))) + ops.mean(-ops.log(1.0 - ops.sigmoid(fake)))

    assert not exercises.check_discriminator_loss(sigmoid_then_log)
    assert "not finite for large logits" in feedback(capsys)
    assert not exercises.check_discriminator_loss(lambda real, fake: losses.discriminator_loss(fake, real))
    assert "swapped" in feedback(capsys)
    assert not exercises.check_discriminator_loss(lambda real, fake: ops.softplus(-real) + ops.softplus(fake))
    assert "got an array of shape (64, 1)" in feedback(capsys)
    assert not exercises.check_discriminator_loss(lambda real, fake: ops.sum(ops.softplus(-real)) + ops.sum(ops.softplus(fake)))
    assert "Check signs and the mean" in feedback(capsys)


def test_discriminator_loss_matches_notebook_03_feedback(capsys):
    assert exercises.check_discriminator_loss(lambda r, f: ops.mean(ops.softplus(-r)) + ops.mean(ops.softplus(f)))
    assert feedback(capsys) == "Correct: 2.4580, finite even for logits of +-40.\n"


def test_generator_loss_rejects_minimax_sigmoid_log_and_flipped_sign(capsys):
    assert not exercises.check_generator_loss(lambda fake: ops.mean(-ops.softplus(fake)))
    assert feedback(capsys) == "Not yet: that is the minimax loss log(1 - D(G(z))); use -log D(G(z)).\n"
    # Finite at +-40 in float32, so only the extreme logits catch it.
    assert not exercises.check_generator_loss(lambda fake: ops.mean(-ops.log(ops.sigmoid(fake))))
    assert "not finite for large logits" in feedback(capsys)
    assert not exercises.check_generator_loss(lambda fake: -ops.mean(ops.softplus(-fake)))
    assert "sign is flipped" in feedback(capsys)
    assert not exercises.check_generator_loss(lambda fake: ops.softplus(-fake))
    assert "average over the whole batch" in feedback(capsys)


# --- 04 ---------------------------------------------------------------------------------------


def small_generator(final_activation="tanh", upsamplings=2):
    z = keras.Input(shape=(100,))
    x = layers.Reshape((7, 7, 8))(layers.Dense(7 * 7 * 8)(z))
    for _ in range(upsamplings - 1):
        x = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(x)
    image = layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation=final_activation)(x)
    return keras.Model(z, image)


def test_generator_rejects_sigmoid_no_activation_and_too_many_upsamplings(capsys):
    assert not exercises.check_generator(lambda: small_generator("sigmoid"))
    assert "a sigmoid gives [0, 1]" in feedback(capsys)
    assert not exercises.check_generator(lambda: small_generator("linear"))
    assert "leave [-1, 1]" in feedback(capsys)
    assert not exercises.check_generator(lambda: small_generator(upsamplings=3))
    assert "(4, 56, 56, 1)" in feedback(capsys)
    assert not exercises.check_generator(lambda: "a generator")
    assert "return a keras.Model, got str" in feedback(capsys)


def small_discriminator(head="logit"):
    image = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, 5, strides=2, padding="same")(image)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    if head == "no_flatten":
        return keras.Model(image, layers.Dense(1)(x))
    x = layers.Flatten()(x)
    if head == "sigmoid":
        out = layers.Dense(1, activation="sigmoid")(x)
    elif head == "sigmoid_layer":
        out = layers.Activation("sigmoid")(layers.Dense(1)(x))
    elif head == "hidden_sigmoid":  # a sigmoid the layer scan cannot see
        out = layers.Lambda(lambda t: ops.sigmoid(t))(layers.Dense(1)(x))
    elif head == "softmax2":
        out = layers.Dense(2, activation="softmax")(x)
    elif head == "relu":
        out = layers.Dense(1, activation="relu")(x)
    else:
        out = layers.Dense(1)(x)
    return keras.Model(image, out)


def test_discriminator_accepts_a_logit_head(capsys):
    assert exercises.check_discriminator(lambda: small_discriminator("logit"))
    assert feedback(capsys) == "Correct: (16, 28, 28, 1) -> (16, 1) logits, no sigmoid, 1,777 parameters.\n"


@pytest.mark.parametrize(
    ("head", "hint"),
    [
        ("sigmoid", "the last layer applies a sigmoid"),
        ("sigmoid_layer", "the last layer applies a sigmoid"),
        ("hidden_sigmoid", "looks like a probability"),
        ("softmax2", "not Dense(2)"),
        ("relu", "the last layer applies a ReLU"),
        ("no_flatten", "Flatten the feature maps"),
    ],
)
def test_discriminator_rejects_probabilities_and_wrong_shapes(head, hint, capsys):
    assert not exercises.check_discriminator(lambda: small_discriminator(head))
    assert hint in feedback(capsys)


def test_discriminator_rejects_a_model_for_other_images(capsys):
    assert not exercises.check_discriminator(lambda: models.build_discriminator(image_shape=(32, 32, 1), width=4))
    assert "cannot take images of shape (16, 28, 28, 1)" in feedback(capsys)


# --- 05 ---------------------------------------------------------------------------------------


def step_with(loss_of=None, variables_of=None, fakes_training=True, returns="loss"):
    """A discriminator step with one typical mistake switched on."""

    def step(generator, discriminator, d_optimizer, real_images, noise):
        fake_images = generator(noise, training=fakes_training)
        with tf.GradientTape() as tape:
            real_logits = discriminator(real_images, training=True)
            fake_logits = discriminator(fake_images, training=True)
            d_loss = (loss_of or losses.discriminator_loss)(real_logits, fake_logits)
        variables = (variables_of or (lambda g, d: d.trainable_variables))(generator, discriminator)
        if variables:
            d_optimizer.apply(tape.gradient(d_loss, variables), variables)
        return d_loss if returns == "loss" else ops.mean(fake_logits)

    return step


def test_discriminator_step_rejects_swapped_labels(capsys):
    assert not exercises.check_discriminator_step(step_with(loss_of=lambda r, f: losses.discriminator_loss(f, r)))
    assert "made the discriminator worse" in feedback(capsys)


def test_discriminator_step_rejects_updating_the_generator(capsys):
    def both(generator, discriminator, d_optimizer, real_images, noise):
        with tf.GradientTape() as tape:  # fakes made inside the tape, gradients to both networks
            fake_logits = discriminator(generator(noise, training=True), training=True)
            d_loss = losses.discriminator_loss(discriminator(real_images, training=True), fake_logits)
        variables = discriminator.trainable_variables + generator.trainable_variables
        d_optimizer.apply(tape.gradient(d_loss, variables), variables)
        return d_loss

    assert not exercises.check_discriminator_step(both)
    assert "the generator's weights changed" in feedback(capsys)


def test_discriminator_step_rejects_no_update_inference_fakes_and_wrong_return(capsys):
    assert not exercises.check_discriminator_step(step_with(variables_of=lambda g, d: []))
    assert "did not change" in feedback(capsys)
    assert not exercises.check_discriminator_step(step_with(fakes_training=False))
    assert "generator(noise, training=True)" in feedback(capsys)
    assert not exercises.check_discriminator_step(step_with(returns="logits"))
    assert "return discriminator_loss(real_logits, fake_logits)" in feedback(capsys)


# --- 06 ---------------------------------------------------------------------------------------


def test_frechet_1d_accepts_the_notebook_solution(capsys):
    assert exercises.check_frechet_1d(lambda a, b: (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2)
    assert feedback(capsys).startswith("Correct: ")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda a, b: (a.mean() - b.mean()) ** 2 + (a.std() - b.std()) ** 2, "std(ddof=1)"),
        (lambda a, b: (a.mean() - b.mean()) ** 2 + (a.var(ddof=1) - b.var(ddof=1)) ** 2, "compares variances"),
        (lambda a, b: np.sqrt((a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2), "square root"),
        (lambda a, b: abs(a.mean() - b.mean()) + abs(a.std(ddof=1) - b.std(ddof=1)), "expected"),
        (lambda a, b: 0.0, "got 0.0000, expected"),  # the notebook's stub
        (lambda a, b: np.array([a.mean() - b.mean(), a.std() - b.std()]), "return one number, got an array of shape (2,)."),
    ],
)
def test_frechet_1d_rejects_typical_mistakes(answer, hint, capsys):
    assert not exercises.check_frechet_1d(answer)
    assert hint in feedback(capsys)


# --- 07 (moved from test_superres.py) ---------------------------------------------------------


def test_exercise_checker_accepts_reference_and_rejects_mistakes(capsys):
    assert exercises.check_depth_to_space(superres.depth_to_space)

    def wrong_order(x, r):  # forgets the transpose
        b, h, w, c = x.shape
        return np.reshape(x, (b, h * r, w * r, c // (r * r)))

    def wrong_values(x, r):
        return np.zeros((x.shape[0], x.shape[1] * r, x.shape[2] * r, x.shape[3] // (r * r)))

    assert not exercises.check_depth_to_space(wrong_order)
    assert not exercises.check_depth_to_space(wrong_values)
    out = capsys.readouterr().out
    assert "wrong places" in out and "values changed" in out


def test_depth_to_space_rejects_the_wrong_transpose_and_the_stub(capsys):
    def channels_first_split(x, r):  # splits the channels as (C, i, j), PyTorch's order
        b, h, w, d = x.shape
        c = d // (r * r)
        return x.reshape(b, h, w, c, r, r).transpose(0, 1, 4, 2, 5, 3).reshape(b, h * r, w * r, c)

    assert not exercises.check_depth_to_space(channels_first_split)
    assert "wrong places" in feedback(capsys)
    assert not exercises.check_depth_to_space(lambda x, r: x)  # the notebook's stub
    assert "expected (2, 6, 8, 2)" in feedback(capsys)


# --- 08 (moved from test_superres.py) ---------------------------------------------------------


def test_fidelity_psnr_checker(capsys):
    assert exercises.check_psnr(fidelity.psnr)
    assert not exercises.check_psnr(lambda a, b: 10 * np.log10(255**2 / ((a - b) ** 2).mean(axis=(1, 2, 3))))
    assert not exercises.check_psnr(lambda a, b: fidelity.psnr(a, b).mean())
    out = capsys.readouterr().out
    assert "not 255" in out and "one value per image" in out


def test_psnr_rejects_the_wrong_axis_and_a_factor_of_two(capsys):
    assert not exercises.check_psnr(lambda a, b: 10 * np.log10(1 / ((a - b) ** 2).mean(axis=(1, 2))))
    assert "got shape (3, 1)" in feedback(capsys)
    assert not exercises.check_psnr(lambda a, b: 20 * np.log10(1 / ((a - b) ** 2).mean(axis=(1, 2, 3))))
    assert "twice the expected value" in feedback(capsys)
    assert not exercises.check_psnr(lambda a, b: np.zeros(len(a)))  # the notebook's stub
    assert "got [0. 0. 0.], expected [26.41 20.49 14.85] dB" in feedback(capsys)


def test_slerp_rejects_lerp_and_a_wrong_angle(capsys):
    assert not exercises.check_slerp(lambda a, b, t: (1 - t) * a + t * b)
    assert "straight line" in feedback(capsys)

    def half_angle(a, b, t):  # forgets to divide by sin(omega)
        omega = np.arccos(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        return np.sin((1 - t) * omega) * a + np.sin(t * omega) * b

    assert not exercises.check_slerp(half_angle)
    assert "sin((1 - t) omega)" in feedback(capsys)


def penalty_with(weights="uniform", per_image=True, squared_norm=False, epsilon=1e-12, mean_scores=False):
    """A gradient penalty with one typical mistake switched on."""

    def penalty(critic, real_images, fake_images):
        batch = ops.shape(real_images)[0]
        shape = (batch, 1, 1, 1) if per_image else ops.shape(real_images)
        w = keras.random.uniform(shape) if weights == "uniform" else keras.random.normal(shape)
        points = w * real_images + (1.0 - w) * fake_images
        with tf.GradientTape() as tape:
            tape.watch(points)
            scores = critic(points, training=True)
            if mean_scores:
                scores = ops.mean(scores)
        squares = ops.sum(ops.square(tape.gradient(scores, points)), axis=(1, 2, 3))
        norms = squares if squared_norm else ops.sqrt(squares + epsilon)
        return ops.mean(ops.square(norms - 1.0))

    return penalty


def test_gradient_penalty_accepts_the_reference_and_the_notebook_solution(capsys):
    assert exercises.check_gradient_penalty(gradient_penalty_reference)
    assert feedback(capsys).startswith("Correct: one uniform weight per image")
    assert exercises.check_gradient_penalty(penalty_with())
    assert feedback(capsys).startswith("Correct: ")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (penalty_with(weights="normal"), "not from a normal distribution"),  # the notebook's first version
        (penalty_with(per_image=False), "one weight per image"),
        (penalty_with(squared_norm=True), "you used the squared norm"),
        (penalty_with(epsilon=0.0), "add a small epsilon"),
        (penalty_with(mean_scores=True), "not their mean"),
    ],
)
def test_gradient_penalty_rejects_typical_mistakes(answer, hint, capsys):
    assert not exercises.check_gradient_penalty(answer)
    assert hint in feedback(capsys)


def test_gradient_penalty_rejects_numpy_answers_and_a_constant(capsys):
    def numpy_penalty(critic, real_images, fake_images):  # right value, but no gradient for D's optimizer
        return float(ops.convert_to_numpy(penalty_with()(critic, real_images, fake_images)))

    assert not exercises.check_gradient_penalty(numpy_penalty)
    assert "does not depend on the critic's weights" in feedback(capsys)
    assert not exercises.check_gradient_penalty(lambda critic, real, fake: 0.0)
    assert "never called critic" in feedback(capsys)


def test_hinge_loss_accepts_the_reference(capsys):
    assert exercises.check_hinge_loss(lambda r, f: ops.mean(ops.relu(1.0 - r)) + ops.mean(ops.relu(1.0 + f)))
    assert feedback(capsys) == "Correct: 2.7664: zero for real scores above +1 and fake scores below -1.\n"


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda r, f: losses.hinge_discriminator_loss(f, r), "real and fake are swapped"),
        (lambda r, f: ops.mean(1.0 - r) + ops.mean(1.0 + f), "without the relu"),
        (lambda r, f: ops.mean(ops.relu(r - 1.0)) + ops.mean(ops.relu(-1.0 - f)), "wrong sign"),
        (lambda r, f: ops.sum(ops.relu(1.0 - r)) + ops.sum(ops.relu(1.0 + f)), "don't sum"),
        (losses.discriminator_loss, "cross-entropy loss of notebook 03"),
        (lambda r, f: ops.relu(1.0 - r), "got an array of shape (64, 1)"),
    ],
)
def test_hinge_loss_rejects_typical_mistakes(answer, hint, capsys):
    assert not exercises.check_hinge_loss(answer)
    assert hint in feedback(capsys)


def test_projection_logit_accepts_the_reference(capsys):
    def projection(features, logit, embeddings, labels):
        return logit + ops.sum(ops.take(embeddings, labels, axis=0) * features, axis=-1, keepdims=True)

    assert exercises.check_projection_logit(projection)
    assert feedback(capsys) == "Correct: (8, 1) logits, equal to the projection discriminator's own output.\n"


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda f, logit, e, y: ops.sum(ops.take(e, y, axis=0) * f, axis=-1, keepdims=True), "add the unconditional logit"),
        (lambda f, logit, e, y: logit, "the label has no effect"),
        (lambda f, logit, e, y: logit + ops.matmul(ops.take(e, y, axis=0), ops.transpose(f)), "every label's embedding"),
        (lambda f, logit, e, y: logit[:, 0] + ops.sum(ops.take(e, y, axis=0) * f, axis=-1), "keepdims=True"),
        (lambda f, logit, e, y: logit * ops.sum(ops.take(e, y, axis=0) * f, axis=-1, keepdims=True), "don't multiply"),
        (lambda f, logit, e, y: logit + ops.sum(e[:1] * f, axis=-1, keepdims=True), "each image's own class embedding"),
    ],
)
def test_projection_logit_rejects_typical_mistakes(answer, hint, capsys):
    assert not exercises.check_projection_logit(answer)
    assert hint in feedback(capsys)
