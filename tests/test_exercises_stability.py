"""Notebook 09's power-iteration self-check: the reference passes, a stub fails, each diagnosed mistake gets its hint."""

import numpy as np
import pytest
from exercise_feedback import feedback, not_implemented
from keras import ops

from pgan import exercises


def power_iteration_reference(matrix, u):
    """The notebook's solution: one step, in numpy."""
    v = matrix @ u
    v = v / np.linalg.norm(v)
    u = matrix.T @ v
    sigma = np.linalg.norm(u)
    return sigma, u / sigma


def power_iteration_keras(matrix, u):
    """The same step with keras.ops, sigma estimated as ||W u'|| instead."""
    v = ops.matmul(matrix, u)
    v = v / ops.norm(v)
    u = ops.matmul(ops.transpose(matrix), v)
    u = u / ops.norm(u)
    return ops.norm(ops.matmul(matrix, u)), u


def normalise(x):
    return x / np.linalg.norm(x)


@pytest.mark.parametrize("answer", [power_iteration_reference, power_iteration_keras], ids=["numpy", "keras_ops"])
def test_power_iteration_accepts_the_reference(answer, capsys):
    assert exercises.check_power_iteration(answer) is True
    out = feedback(capsys)
    assert out.startswith("Correct: ") and "3" in out, out


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (not_implemented, "NotImplementedError"),
        (lambda w, u: None, "returned None"),
        (lambda w, u: np.linalg.norm(w @ u), "return two things"),
        (lambda w, u: (np.linalg.norm(w @ u), normalise(w @ u)), "length 12"),
        (lambda w, u: (np.linalg.norm(w @ u), u), "the u you were given"),
        (lambda w, u: (np.linalg.norm(w.T @ normalise(w @ u)), w.T @ normalise(w @ u)), "divide it by its norm"),
        (lambda w, u: (np.linalg.norm(w), power_iteration_reference(w, u)[1]), "Frobenius"),
        (lambda w, u: (np.linalg.norm(w.T @ w @ u), normalise(w.T @ w @ u)), "sigma squared"),
        (lambda w, u: (np.linalg.svd(w)[1][0], np.linalg.svd(w)[2][0]), "exact answer"),
        (lambda w, u: (1.0, power_iteration_reference(w, u)[1]), "sigma = ||W^T v||"),
        (lambda w, u: power_iteration_reference(w, normalise(np.ones(7))), "new_u is not"),
    ],
    ids=["stub", "none", "one_value", "returns_v", "keeps_u", "unnormalised_u", "frobenius", "sigma_squared", "svd",
         "wrong_sigma", "ignores_u"],
)
def test_power_iteration_diagnoses_mistakes(answer, hint, capsys):
    assert exercises.check_power_iteration(answer) is False
    out = feedback(capsys)
    assert out.startswith("Not yet: ") and hint in out, out


def test_power_iteration_that_does_not_converge_is_caught(capsys):
    def restarts_every_other_call(matrix, u, calls=[0]):  # noqa: B006 (a counter kept between calls)
        calls[0] += 1
        if calls[0] > 1:  # after the first call, always restart from a fixed direction
            u = normalise(np.arange(1.0, 8.0))
            u = u - (u @ np.linalg.svd(matrix)[2][0]) * np.linalg.svd(matrix)[2][0]  # ... with no top component
            u = normalise(u)
        return power_iteration_reference(matrix, u)

    assert exercises.check_power_iteration(restarts_every_other_call) is False
    out = feedback(capsys)
    assert "after 30 calls" in out, out


def test_power_iteration_refuses_a_value_instead_of_a_function(capsys):
    assert exercises.check_power_iteration((3.0, np.ones(7))) is False
    assert "pass your function itself" in feedback(capsys)
