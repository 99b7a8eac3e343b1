"""Notebook 06's new self-check, check_precision: it accepts the reference, rejects a stub and
diagnoses each typical mistake with its own hint, in one line and without a traceback."""

import numpy as np
import pytest
from exercise_feedback import feedback

from pgan import exercises, metrics


def precision(real, fake, k):
    """The reference answer: pgan's own precision."""
    return metrics.manifold_metrics(real, fake, k)["precision"]


def squared(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


def notebook_solution(real, fake, k):
    """The answer in notebook 06's solution cell."""
    radius = np.sort(squared(real, real), axis=1)[:, k]  # column 0: the point itself
    return (squared(fake, real) <= radius[None, :]).any(axis=1).mean()


def not_implemented(real, fake, k):
    raise NotImplementedError("replace this line with your answer")


def test_precision_accepts_the_reference_and_the_notebook_solution(capsys):
    assert exercises.check_precision(precision) is True
    assert feedback(capsys).startswith("Correct: precision 0.780")
    assert exercises.check_precision(notebook_solution) is True
    assert feedback(capsys).startswith("Correct: ")


def test_precision_says_not_yet_to_the_stub(capsys):
    assert exercises.check_precision(not_implemented) is False
    assert feedback(capsys).startswith("Not yet: not implemented yet")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda real, fake, k: precision(real, fake, k) * len(fake), "that is a count"),
        (lambda real, fake, k: metrics.manifold_metrics(real, fake, k)["recall"], "that is recall"),
        (lambda real, fake, k: metrics.manifold_metrics(real, fake, k)["density"], "that is density"),
        (lambda real, fake, k: metrics.manifold_metrics(real, fake, k)["coverage"], "that is coverage"),
        (lambda real, fake, k: notebook_solution(real, fake, k - 1), "off by one neighbour"),
        (lambda real, fake, k: precision(real, fake, 5), "use the k your function is given"),
        (lambda real, fake, k: 0.5, "got 0.5000, expected 0.7800"),
        (lambda real, fake, k: np.array([0.78, 0.78]), "got an array of shape (2,)"),
    ],
    ids=["count", "recall", "density", "coverage", "k-1", "hard-coded-k", "wrong", "array"],
)
def test_precision_diagnoses_typical_mistakes(answer, hint, capsys):
    assert exercises.check_precision(answer) is False
    line = feedback(capsys)
    assert line.startswith("Not yet: ") and hint in line, line
