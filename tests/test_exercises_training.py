"""Notebook 05's self-checks for the generator's moving average: the mistakes they name."""

import math

import numpy as np
import pytest

from pgan import exercises


def line(capsys) -> str:
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda ema, w, d: [(1 - d) * a + d * b for a, b in zip(ema, w, strict=True)], "swapped"),
        (lambda ema, w, d: list(w), "returned the trained weights"),
        (lambda ema, w, d: list(ema), "did not move"),
        (lambda ema, w, d: [a + (1 - d) * b for a, b in zip(ema, w, strict=True)], "not the update"),
        (lambda ema, w, d: np.concatenate([a.ravel() for a in ema]), "a list of 2 arrays"),
        (lambda ema, w, d: [a.ravel() for a in ema], "shape"),
    ],
)
def test_ema_update_names_the_mistake(capsys, answer, hint):
    assert exercises.check_ema_update(answer) is False
    assert hint in line(capsys)


def test_ema_update_accepts_an_update_in_place(capsys):
    def in_place(ema, weights, decay):
        for a, w in zip(ema, weights, strict=True):
            a *= decay
            a += (1 - decay) * w
        return ema

    assert exercises.check_ema_update(in_place) is True
    assert line(capsys).startswith("Correct: ")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda d: 1 / (1 - d), "time constant"),
        (lambda d: -math.log(0.5) / math.log(d), "sign is wrong"),
        (lambda d: math.log(2) * d, "solve d^k = 1/2"),
    ],
)
def test_ema_half_life_names_the_mistake(capsys, answer, hint):
    assert exercises.check_ema_half_life(answer) is False
    assert hint in line(capsys)


def test_ema_half_life_reports_the_two_decays(capsys):
    assert exercises.check_ema_half_life(lambda d: np.log(0.5) / np.log(d)) is True
    text = line(capsys)
    assert "0.99 halves in 69 steps" in text and "693" in text
