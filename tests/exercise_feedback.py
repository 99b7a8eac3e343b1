"""What the exercise-check tests share: the one line a check printed, and a learner's untouched stub."""


def feedback(capsys) -> str:
    """The one line a check printed (fails unless it printed exactly one line)."""
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"expected one line of feedback, got {out!r}"
    return out


def not_implemented(*args):
    """The stub a learner starts from."""
    raise NotImplementedError("replace this line with your answer")
