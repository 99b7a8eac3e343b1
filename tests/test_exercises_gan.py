"""The self-checks of notebooks 03-04 added in pgan.exercises.gan: check_transposed_output_size."""

import keras
import pytest
from exercise_feedback import feedback, not_implemented
from keras import layers

from pgan import exercises
from pgan.exercises import gan


def transposed_output_size(n, kernel_size, stride, padding):
    """The notebook's solution."""
    if padding == "same":
        return n * stride
    return (n - 1) * stride + kernel_size




def test_the_cases_are_what_keras_computes():
    for n, kernel, stride, padding, want in gan._TRANSPOSED_CASES:
        layer = layers.Conv2DTranspose(1, kernel, strides=stride, padding=padding)
        assert layer.compute_output_shape((1, n, n, 1))[1] == want, (n, kernel, stride, padding)
        assert kernel >= stride  # the exercise promises kernels at least as large as the stride


def test_accepts_the_solution_and_integer_like_answers(capsys):
    assert exercises.check_transposed_output_size(transposed_output_size) is True
    assert feedback(capsys) == "Correct: all 8 cases match Keras' Conv2DTranspose.\n"
    assert exercises.check_transposed_output_size(lambda *a: float(transposed_output_size(*a)))
    assert feedback(capsys).startswith("Correct: ")


def test_a_stub_gets_not_yet(capsys):
    assert exercises.check_transposed_output_size(not_implemented) is False
    assert feedback(capsys).startswith("Not yet: not implemented yet")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda n, k, s, p: -(-n // s) if p == "same" else (n - k) // s + 1, "that is a convolution's output size"),
        (lambda n, k, s, p: n * s, "'valid' keeps every stamp whole"),
        (lambda n, k, s, p: (n - 1) * s + k, "'same' crops the output to exactly n * s"),
        (lambda n, k, s, p: n * s if p == "same" else n * s + k, "one stamp too many"),
        (lambda n, k, s, p: n if p == "same" else n + k - 1, "the stride is missing"),
    ],
    ids=["conv_formula", "ignores_valid", "ignores_same", "one_stamp_too_many", "no_stride"],
)
def test_typical_mistakes_get_their_hint(answer, hint, capsys):
    assert exercises.check_transposed_output_size(answer) is False
    assert hint in feedback(capsys)


def test_other_wrong_answers_get_the_first_failing_case(capsys):
    assert exercises.check_transposed_output_size(lambda n, k, s, p: 2 * transposed_output_size(n, k, s, p)) is False
    assert feedback(capsys) == ("Not yet: n=7, k=5, s=1, padding 'same': got 14, expected 7. Picture the "
                                "stamps: one per input pixel, s pixels apart, each k wide.\n")


@pytest.mark.parametrize("returned", [[7, 7], "14", True, None])
def test_answers_that_are_not_one_number(returned, capsys):
    assert exercises.check_transposed_output_size(lambda *a: returned) is False
    line = feedback(capsys)
    assert line.startswith("Not yet: ") and "Traceback" not in line
    if returned is not None:
        assert "return one whole number" in line


def gap_discriminator():
    """Notebook 04's exercise 3 solution: three convolutions, global average pooling, Dense(1)."""
    image = keras.Input(shape=(28, 28, 1))
    x = image
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        x = layers.Dropout(0.3)(x)
    return keras.Model(image, layers.Dense(1)(layers.GlobalAveragePooling2D()(x)))


@pytest.mark.parametrize("seed", range(6))
def test_check_discriminator_accepts_a_logit_head_whose_untrained_scores_are_small_and_positive(seed, capsys):
    # Untrained, such a head often scores every ordinary image in [0, 1]; the check must not call
    # that a probability (it did for some seeds when its probe images were scaled up only 20 times).
    keras.utils.set_random_seed(seed)
    assert exercises.check_discriminator(gap_discriminator) is True
    assert feedback(capsys).startswith("Correct: (16, 28, 28, 1) -> (16, 1) logits")
