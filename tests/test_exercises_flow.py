"""Notebook 12's self-checks (flow matching): they accept the right answers and name the typical mistakes."""

import numpy as np
import pytest

from pgan import diffusion, exercises


def line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"expected one line of feedback, got {out!r}"
    return out.strip()


# --- the training pair ----------------------------------------------------------------------


def numpy_pair(noise, data, t):
    t = t[:, None, None, None]
    return (1 - t) * noise + t * data, data - noise


def test_flow_pair_accepts_numpy_and_pgans_functions(capsys):
    assert exercises.check_flow_pair(numpy_pair) is True
    assert line(capsys).startswith("Correct: x_t starts at the noise")
    assert exercises.check_flow_pair(lambda n, d, t: [diffusion.interpolate(n, d, t), diffusion.velocity_target(n, d)])
    assert line(capsys).startswith("Correct: ")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda n, d, t: ((1 - t) * n + t * d, d - n), "reshape t to (batch, 1, 1, 1)"),  # broadcasts over the width
        (lambda n, d, t: (numpy_pair(d, n, t)[0], d - n), "runs the wrong way"),
        (lambda n, d, t: (numpy_pair(n, d, t)[0], n - d), "points from the data to the noise"),
        (lambda n, d, t: (numpy_pair(n, d, t)[0], d - numpy_pair(n, d, t)[0]), "the same at every t"),
        (lambda n, d, t: (numpy_pair(n, d, t)[0], d), "is not data - noise"),
        (lambda n, d, t: (n + t[:, None, None, None] * d, d - n), "is not (1 - t) * noise + t * data"),
        (lambda n, d, t: numpy_pair(n, d, t)[0], "return two arrays"),
        (lambda n, d, t: (numpy_pair(n, d, t)[0], "velocity"), "as an array of numbers, got str"),
    ],
)
def test_flow_pair_names_the_mistake(answer, hint, capsys):
    assert exercises.check_flow_pair(answer) is False
    assert hint in line(capsys)


# --- one Euler step -------------------------------------------------------------------------


def test_euler_step_accepts_the_notebook_solution(capsys):
    assert exercises.check_euler_step(lambda velocity, x, t, dt: x + dt * velocity(x, t)) is True
    assert line(capsys) == "Correct: x + dt * v(x, t): the images moved 1/8 of the way along the velocity."


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda v, x, t, dt: v(x, t), "you returned the velocity"),
        (lambda v, x, t, dt: x - dt * v(x, t), "the sign is wrong"),
        (lambda v, x, t, dt: x + v(x, t), "scale it by the step"),
        (lambda v, x, t, dt: x + dt * v(x, t + dt), "evaluated the velocity at t + dt"),
        (lambda v, x, t, dt: x, "did not move"),  # the notebook's stub
        (lambda v, x, t, dt: x + dt * v(x, 0.0), "not x + dt * velocity_fn(x, t)"),
        (lambda v, x, t, dt: (x + dt * v(x, t))[0], "expected (2, 3, 3, 1)"),
    ],
)
def test_euler_step_names_the_mistake(answer, hint, capsys):
    assert exercises.check_euler_step(answer) is False
    assert hint in line(capsys)


# --- classifier-free guidance -----------------------------------------------------------------


def test_guidance_accepts_both_ways_of_writing_it(capsys):
    assert exercises.check_guidance(lambda c, u, g: u + g * (c - u)) is True
    assert line(capsys).startswith("Correct: guidance 0 is the unconditional velocity")
    assert exercises.check_guidance(lambda c, u, g: g * c + (1 - g) * u) is True
    assert line(capsys).startswith("Correct: ")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda c, u, g: c + g * (u - c), "swapped"),
        (lambda c, u, g: c + g * (c - u), "(1 + w) convention"),
        (lambda c, u, g: g * c, "scaling v_cond alone"),
        (lambda c, u, g: c, "not v_uncond + guidance * (v_cond - v_uncond)"),  # the notebook's stub
        (lambda c, u, g: u + g * (c - u) ** 2, "with guidance 1 the answer must be v_cond"),
        (lambda c, u, g: np.mean(u + g * (c - u)), "expected (2, 4, 4, 1)"),
    ],
)
def test_guidance_names_the_mistake(answer, hint, capsys):
    assert exercises.check_guidance(answer) is False
    assert hint in line(capsys)
