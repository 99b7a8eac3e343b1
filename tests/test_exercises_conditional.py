"""Notebook 10's self-checks: the reference passes, a stub fails, each diagnosed mistake gets its hint."""

import numpy as np
import pytest
from exercise_feedback import feedback, not_implemented
from keras import ops

from pgan import exercises


def condition_reference(z, class_embeddings, labels):
    return z * ops.take(class_embeddings, labels, axis=0)


def test_conditional_input_accepts_the_reference(capsys):
    assert exercises.check_conditional_input(condition_reference) is True
    assert feedback(capsys).startswith("Correct: ")


def test_conditional_input_accepts_a_numpy_answer(capsys):
    assert exercises.check_conditional_input(lambda z, e, y: z * e[y]) is True
    assert feedback(capsys).startswith("Correct: ")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (not_implemented, "NotImplementedError"),
        (lambda z, e, y: None, "returned None"),
        (lambda z, e, y: z, "the label has no effect"),
        (lambda z, e, y: z + e[y], "you added e(y)"),
        (lambda z, e, y: np.concatenate([z, e[y]], axis=1), "concatenated"),
        (lambda z, e, y: z @ e.T, "one number per class"),
        (lambda z, e, y: z * e[: len(z)], "row labels[i]"),
        (lambda z, e, y: z * e[y[0]], "first image's class"),
        (lambda z, e, y: z[:, :3], "shape (8, 3)"),
        (lambda z, e, y: z * e[y] * 2, "not z * e(y)"),
    ],
    ids=["stub", "none", "ignores_label", "adds", "concatenates", "dot_product", "row_i", "first_label",
         "wrong_shape", "other"],
)
def test_conditional_input_diagnoses_mistakes(answer, hint, capsys):
    assert exercises.check_conditional_input(answer) is False
    out = feedback(capsys)
    assert out.startswith("Not yet: ") and hint in out, out


def test_conditional_input_refuses_a_value_instead_of_a_function(capsys):
    assert exercises.check_conditional_input(np.zeros((8, 6))) is False
    assert "pass your function itself" in feedback(capsys)


def projection_reference(features, unconditional_logit, class_embeddings, labels):
    embedded = ops.take(class_embeddings, labels, axis=0)
    return unconditional_logit + ops.sum(embedded * features, axis=-1, keepdims=True)


def test_projection_logit_accepts_the_reference_and_refuses_the_stub(capsys):
    assert exercises.check_projection_logit(projection_reference) is True
    assert feedback(capsys).startswith("Correct: ")
    assert exercises.check_projection_logit(not_implemented) is False
    assert "NotImplementedError" in feedback(capsys)
