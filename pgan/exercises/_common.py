"""What every self-check shares: one line of feedback, never a traceback."""

from __future__ import annotations

import functools
import re

import numpy as np

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MAX_MESSAGE = 300


def one_line(text: str) -> str:
    """Squash a message (an exception's, say) into one short line."""
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def report(ok: bool, message: str) -> bool:
    print(("Correct: " if ok else "Not yet: ") + one_line(message))
    return ok


class Failed(Exception):
    """The learner's function failed; the message is the feedback line."""


def call_answer(fn, *args):
    """Run the learner's ``fn``; raise ``Failed`` with one line of feedback if it fails."""
    try:
        result = fn(*args)
    except NotImplementedError:
        raise Failed(
            "not implemented yet (your function still raises NotImplementedError): "
            "replace the `raise` line with your answer."
        ) from None
    except Exception as err:  # the learner's code may fail in any way
        raise Failed(f"your function raised {type(err).__name__}: {one_line(err)}") from None
    if result is None:
        raise Failed("your function returned None: did you forget the `return`?")
    return result


def checker(check):
    """Make ``check`` never raise: failures of the answer, or of checking it, become "Not yet"."""

    @functools.wraps(check)
    def wrapper(answer, *args, **kwargs):
        if not callable(answer):
            return report(
                False,
                f"pass your function itself, e.g. {check.__name__}(my_function), not "
                f"{type(answer).__name__} (the result of calling it).",
            )
        try:
            return bool(check(answer, *args, **kwargs))
        except Failed as failed:
            return report(False, str(failed))
        except Exception as err:  # an answer of the wrong kind can break the comparison itself
            return report(False, f"could not check your answer ({type(err).__name__}: {one_line(err)}).")

    return wrapper


MEAN_LOSS = "one number (the mean loss)"
MEAN_HINT = ": average over the whole batch (ops.mean with no axis)"


def scalar(value, what: str = "a single number", hint: str = "") -> float:
    """``value`` as a Python float, or ``Failed`` saying what came back instead."""
    from keras import ops

    array = np.asarray(ops.convert_to_numpy(value) if not isinstance(value, (int, float)) else value)
    if array.size != 1:
        raise Failed(f"return {what}, got an array of shape {array.shape}{hint}.")
    return float(array.reshape(()))


def fixed_logits():
    """64 real and 64 fake logits, two of each extreme (the losses' fixed test inputs)."""
    rng = np.random.default_rng(0)
    real = rng.normal(1.0, 2.0, (64, 1)).astype(np.float32)
    fake = rng.normal(-1.0, 2.0, (64, 1)).astype(np.float32)
    # Include extreme logits: a sigmoid-then-log answer breaks on them.
    real[:2] = [[40.0], [-40.0]]
    fake[:2] = [[40.0], [-40.0]]
    return real, fake

