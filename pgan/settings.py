"""Declaring a setting once: its default, help, command-line flag and resume rule.

A settings dataclass (:class:`pgan.gan.Objective`, :class:`pgan.config.TrainConfig`)
declares each field with :func:`setting`; the ``pgan train`` flags
(:func:`add_arguments`), the resume check (:func:`resume_keys`) and the settings
table of the docs (:func:`markdown_table`) are read from those declarations, so a
new option is written in one place. Free of Keras imports: ``pgan --help`` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path


def positive_int(text: str) -> int:
    """argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def setting(default, help: str, *, resume: bool = False, flag: str | None = None, choices=None,
            type=None, cli: bool = True, const=None):
    """A dataclass field with what the command line, the resume check and the docs need.

    Args:
        default: the default value.
        help: one sentence for ``--help``, the class docstring and the docs table.
        resume: a resumed run must keep this setting (``pgan train`` on an existing
            ``--out`` refuses a change); the others (e.g. ``epochs``) may change.
        flag: the command-line flag; default ``--`` + the name with dashes.
        choices: the allowed values (argparse checks them; None: any).
        type: argparse's converter (default: the type of ``default``); bool settings are
            switches (``--spectral-norm``).
        cli: False for a setting that ``pgan train`` does not take as a flag.
        const: a flag that may be given without a value takes this one.
    """
    metadata = {"help": help, "resume": resume, "flag": flag, "choices": choices, "type": type,
                "cli": cli, "const": const}
    return dataclasses.field(default=default, metadata=metadata)


def _declared(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def flag_of(field: dataclasses.Field) -> str:
    return field.metadata["flag"] or "--" + field.name.replace("_", "-")


def resume_keys(cls) -> tuple[str, ...]:
    """The settings a resumed run must keep."""
    return tuple(f.name for f in _declared(cls) if f.metadata["resume"])


def add_arguments(parser: argparse.ArgumentParser, cls) -> None:
    """Add one flag per declared setting of ``cls``; each defaults to None (not given)."""
    for field in _declared(cls):
        meta = field.metadata
        if not meta["cli"]:
            continue
        default_text = "" if field.default is None else f" (default {field.default})"
        kwargs = {"default": None, "dest": field.name, "help": meta["help"] + default_text}
        if isinstance(field.default, bool) or meta["type"] is bool:
            parser.add_argument(flag_of(field), action="store_true", **kwargs)
            continue
        if meta["choices"] is None:
            kwargs["metavar"] = flag_of(field).lstrip("-").replace("-", "_").upper()
        if meta["const"] is not None:
            kwargs.update(nargs="?", const=meta["const"])
        if meta["choices"] is not None:
            kwargs["choices"] = list(meta["choices"])
        converter = meta["type"]
        if converter is None and field.default is not None and meta["choices"] is None:
            converter = type(field.default)
        if converter is not None:
            kwargs["type"] = converter
        parser.add_argument(flag_of(field), **kwargs)


def given(args: argparse.Namespace, cls) -> dict:
    """The settings of ``cls`` given on the command line (as keyword arguments)."""
    values = {}
    for field in _declared(cls):
        value = getattr(args, field.name, None) if field.metadata["cli"] else None
        if value is not None:
            values[field.name] = str(value) if isinstance(value, Path) else value
    return values


def markdown_table(cls) -> str:
    """The settings of ``cls`` as a Markdown table: setting, flag, default, kept on resume, meaning."""
    rows = ["| setting | `pgan train` flag | default | kept on resume | meaning |",
            "|---|---|---|---|---|"]
    for field in _declared(cls):
        meta = field.metadata
        flag = f"`{flag_of(field)}`" if meta["cli"] else ""
        choices = f" One of: {', '.join(map(str, meta['choices']))}." if meta["choices"] else ""
        rows.append(f"| `{field.name}` | {flag} | `{field.default!r}` | {'yes' if meta['resume'] else ''} "
                    f"| {meta['help'][0].upper()}{meta['help'][1:]}.{choices} |")
    return "\n".join(rows) + "\n"


def attributes_doc(cls) -> str:
    """The ``Attributes:`` section of a settings class's docstring, from the declarations."""
    lines = ["Attributes:"]
    for field in _declared(cls):
        lines.append(f"    {field.name}: {field.metadata['help']}.")
    return "\n".join(lines)
