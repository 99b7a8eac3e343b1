"""Write a generated docs page, or check that the committed one is up to date (``--check``).

Shared by the scripts that generate pages from the project's own sources
(``results_page.py``: docs/results.md; ``cli_reference.py``: docs/cli.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_or_check(page: str, out: Path, check: bool, command: str, source: str) -> int:
    """Write ``page`` to ``out`` (exit status 0), or with ``check`` compare (1 when it differs).

    Args:
        page: the page's text.
        out: where it lives.
        check: compare instead of writing.
        command: the command that regenerates the page (named in the message).
        source: what the page is generated from (named in the message).
    """
    try:
        shown = out.resolve().relative_to(ROOT)
    except ValueError:
        shown = out
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != page:
            print(f"{shown} is out of date with {source}: run {command}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {shown}")
    return 0
