"""Notebooks 07 and 08's new self-checks, check_icnr and check_diffusion_fill: each accepts the
reference, rejects a stub and diagnoses each typical mistake with its own hint, in one line."""

import numpy as np
import pytest
from exercise_feedback import feedback, not_implemented
from keras import ops

from pgan import exercises, restore, superres

# --- 07: ICNR ---------------------------------------------------------------------------------


def icnr(sub_kernel, r):
    """The reference answer (notebook 07's solution)."""
    return np.tile(sub_kernel, (1, 1, 1, r * r))


def test_icnr_accepts_the_reference(capsys):
    assert exercises.check_icnr(icnr) is True
    assert feedback(capsys).startswith("Correct: ")
    assert exercises.check_icnr(lambda k, r: ops.tile(ops.convert_to_tensor(k), (1, 1, 1, r * r))) is True
    assert feedback(capsys).startswith("Correct: ")


def test_icnr_really_removes_the_checkerboard_of_an_untrained_layer():
    """What the check promises: with the reference kernel, each r x r output block is flat."""
    rng = np.random.default_rng(0)
    kernel = icnr(rng.normal(size=(3, 3, 1, 2)).astype(np.float32), 2)
    low = rng.random((1, 5, 5, 1)).astype(np.float32)
    conv = ops.conv(low, kernel, padding="same")
    out = ops.convert_to_numpy(superres.depth_to_space(conv, 2))  # (1, 10, 10, 2)
    blocks = out.reshape(1, 5, 2, 5, 2, 2)
    assert np.allclose(blocks, blocks[:, :, :1, :, :1, :])


def test_icnr_says_not_yet_to_the_stub(capsys):
    assert exercises.check_icnr(not_implemented) is False
    assert feedback(capsys).startswith("Not yet: not implemented yet")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda k, r: np.repeat(k, r * r, axis=-1), "np.tile"),
        (lambda k, r: np.tile(k, (1, 1, 1, r)), "not C*r"),
        (lambda k, r: np.tile(k[..., :1], (1, 1, 1, 3 * r * r)), "channel 0's kernel"),
        (lambda k, r: np.random.default_rng(0).normal(size=k.shape[:3] + (k.shape[3] * r * r,)), "not copies"),
        (lambda k, r: k, "expected (3, 3, 2, 12)"),
    ],
    ids=["repeat", "r-not-r2", "one-channel", "random", "stub-like"],
)
def test_icnr_diagnoses_typical_mistakes(answer, hint, capsys):
    assert exercises.check_icnr(answer) is False
    line = feedback(capsys)
    assert line.startswith("Not yet: ") and hint in line, line


# --- 08: diffusion fill -----------------------------------------------------------------------


def notebook_fill(damaged, mask, iterations):
    """The answer in notebook 08's solution cell."""
    filled = damaged.copy()
    missing = mask > 0.5
    for _ in range(iterations):
        p = np.pad(filled, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
        average = (p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]) / 4
        filled[missing] = average[missing]
    return filled


def fill(damaged, mask, iterations, pad="edge", with_self=False, everywhere=False):
    """Diffusion fill with the mistakes the check recognises."""
    x = damaged.astype(np.float64).copy()
    missing = np.ones(x.shape, bool) if everywhere else mask > 0.5
    for _ in range(iterations):
        p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=pad)
        total = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]
        x[missing] = ((total + x) / 5 if with_self else total / 4)[missing]
    return x


def roll_fill(damaged, mask, iterations):
    """np.roll wraps around the border: a typical first answer."""
    x = damaged.copy()
    for _ in range(iterations):
        average = sum(np.roll(x, s, axis=a) for s in (1, -1) for a in (1, 2)) / 4
        x = np.where(mask > 0.5, average, x)
    return x


def test_diffusion_fill_accepts_the_reference_and_the_notebook_solution(capsys):
    assert exercises.check_diffusion_fill(restore.diffusion_fill) is True
    assert feedback(capsys).startswith("Correct: ")
    assert exercises.check_diffusion_fill(notebook_fill) is True
    assert feedback(capsys).startswith("Correct: ")


def test_diffusion_fill_says_not_yet_to_the_stub(capsys):
    assert exercises.check_diffusion_fill(not_implemented) is False
    assert feedback(capsys).startswith("Not yet: not implemented yet")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda d, m, n: fill(d, m, n, everywhere=True), "known pixels changed"),
        (roll_fill, "np.roll"),
        (lambda d, m, n: fill(d, m, n, pad="constant"), "counts as 0"),
        (lambda d, m, n: fill(d, m, n, with_self=True), "the pixel itself included"),
        (lambda d, m, n: fill(d, m, 200), "that ran 200 iterations"),
        (lambda d, m, n: fill(d, m, 1), "that ran 1 iteration"),
        (lambda d, m, n: d, "the holes are still 0"),
        (lambda d, m, n: d[:1], "got shape (1, 12, 12, 1)"),
        (lambda d, m, n: np.where(m > 0.5, 0.5, d), "differ from restore.diffusion_fill"),
    ],
    ids=["everywhere", "roll", "zero-pad", "five-point", "200", "once", "unchanged", "shape", "grey"],
)
def test_diffusion_fill_diagnoses_typical_mistakes(answer, hint, capsys):
    assert exercises.check_diffusion_fill(answer) is False
    line = feedback(capsys)
    assert line.startswith("Not yet: ") and hint in line, line
