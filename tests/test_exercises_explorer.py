"""Notebook 11's self-checks: the reference passes, a stub fails, each diagnosed mistake gets its hint."""

import numpy as np
import pytest
from exercise_feedback import feedback, not_implemented

from pgan import exercises, widgets


def truncation_reference(w, psi, w_mean):
    return w_mean + psi * (w - w_mean)


def test_truncation_accepts_the_reference(capsys):
    assert exercises.check_truncation(truncation_reference) is True
    assert feedback(capsys).startswith("Correct: ")


def test_truncation_reference_is_truncate_noise_for_a_zero_mean():
    z = np.random.default_rng(0).standard_normal((3, 100)).astype(np.float32)
    np.testing.assert_allclose(truncation_reference(z, 0.7, np.zeros(100)), widgets.truncate_noise(z, 0.7), atol=1e-6)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (not_implemented, "NotImplementedError"),
        (lambda w, psi, m: None, "returned None"),
        (lambda w, psi, m: psi * w, "pulls toward 0"),
        (lambda w, psi, m: m + (1 - psi) * (w - m), "swapped"),
        (lambda w, psi, m: psi * (w - m), "add the mean back"),
        (lambda w, psi, m: w.mean(axis=0) + psi * (w - w.mean(axis=0)), "not the mean of this batch"),
        (lambda w, psi, m: (m + psi * (w - m))[:, :4], "shape (8, 16)"),
        (lambda w, psi, m: m + psi**2 * (w - m), "differ from"),
    ],
    ids=["stub", "none", "toward_zero", "swapped", "no_mean", "batch_mean", "wrong_shape", "other"],
)
def test_truncation_diagnoses_mistakes(answer, hint, capsys):
    assert exercises.check_truncation(answer) is False
    out = feedback(capsys)
    assert out.startswith("Not yet: ") and hint in out, out


def test_truncation_never_raises_on_a_broken_answer(capsys):
    assert exercises.check_truncation(lambda w, psi, m: "not an array") is False
    assert feedback(capsys).startswith("Not yet: ")


def test_slerp_accepts_the_library_and_refuses_the_line(capsys):
    assert exercises.check_slerp(widgets.slerp) is True
    assert feedback(capsys).startswith("Correct: ")
    assert exercises.check_slerp(lambda a, b, t: (1 - t) * a + t * b) is False
    assert "straight line" in feedback(capsys)
