"""Build the course as a static HTML book, readable offline: ``build/book/index.html``.

    python docs/book/build.py            # assemble, execute (quick mode), build, check
    python docs/book/build.py --outputs-from build/executed   # show what make notebooks ran
    python docs/book/build.py --check    # only check an existing build/book

The book's source is assembled in ``build/book-src/`` with the repository's layout
(``README.md``, ``notebooks/``, ``docs/`` with its figures, the data page and the shipped
models' sample grids and cards), so the links between
notebooks, docs pages and figures work unchanged. Jupyter Book (the ``docs`` extra)
executes every notebook in quick mode, caching outputs by cell source, and writes
the HTML. With ``--outputs-from DIR`` (``make test`` passes the notebooks nbval has just
run and passed, which ``tests/nbval_executed.py`` keeps), a notebook whose cells there match
the repository's shows those outputs and is not executed again. The check then makes sure that every notebook has its page, that each
notebook page shows its committed figures and its plots, that every image a page
refers to exists, and that no cell failed.
"""

from __future__ import annotations

import argparse
import filecmp
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "build" / "book-src"
OUT = ROOT / "build" / "book"
CONFIG_DIR = Path(__file__).resolve().parent


def _copy_if_changed(src: Path, dest: Path) -> None:
    if dest.exists() and filecmp.cmp(src, dest, shallow=False):
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


# A link to a heading as JupyterLab writes it, "#Heading-text-(with-parens)", possibly after a
# notebook's name; the book's anchors are GitHub-style slugs instead ("#heading-text-with-parens").
_JUPYTER_ANCHOR = re.compile(r"\]\(((?:[\w.-]+\.ipynb)?)#((?:[^()\s]|\([^()\s]*\))+)\)")


def book_anchor(jupyter_anchor: str) -> str:
    """The book's anchor of a heading that JupyterLab links as ``jupyter_anchor``."""
    text = jupyter_anchor.replace("-", " ").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _same_cells(notebook: dict, executed: dict) -> bool:
    def cells(nb):
        return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    return cells(notebook) == cells(executed)


def _notebook_for_book(src: Path, dest: Path, executed: Path | None = None) -> bool:
    """Copy a notebook, with its JupyterLab heading links rewritten to the book's anchors.

    With ``executed`` (the same notebook as nbval ran it), its code cells' outputs come along
    when every cell's source is the same; returns whether they did.
    """
    notebook = json.loads(src.read_text(encoding="utf-8"))
    ran = json.loads(executed.read_text(encoding="utf-8")) if executed is not None and executed.exists() else None
    with_outputs = ran is not None and _same_cells(notebook, ran)
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            cell["source"] = _JUPYTER_ANCHOR.sub(
                lambda m: f"]({m.group(1)}#{book_anchor(m.group(2))})", text)
        elif with_outputs:
            cell["outputs"] = ran["cells"][i]["outputs"]
            cell["execution_count"] = ran["cells"][i]["execution_count"]
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    if not dest.exists() or dest.read_text(encoding="utf-8") != text:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return with_outputs


def _config_for_book(src: Path, dest: Path, not_executed: list[str]) -> None:
    """The book's ``_config.yml``, telling Jupyter Book not to execute ``not_executed`` notebooks."""
    text = src.read_text(encoding="utf-8")
    if not_executed:
        patterns = ", ".join(f'"notebooks/{name}"' for name in not_executed)
        text = text.replace("execute:\n", f"execute:\n  exclude_patterns: [{patterns}]  # outputs from nbval\n", 1)
    if not dest.exists() or dest.read_text(encoding="utf-8") != text:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")


def assemble(source: Path = SOURCE, outputs_from: Path | None = None) -> list[Path]:
    """Copy the book's files into ``source`` (only those that changed); return the notebooks.

    ``outputs_from``: a folder of executed notebooks (see :func:`_notebook_for_book`).
    """
    wanted = {ROOT / "README.md": source / "README.md"}
    wanted[CONFIG_DIR / "_toc.yml"] = source / "_toc.yml"
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in notebooks:
        wanted[path] = source / "notebooks" / path.name
    for path in sorted((ROOT / "docs").rglob("*")):
        if path.is_file() and CONFIG_DIR not in path.parents:
            wanted[path] = source / path.relative_to(ROOT)
    # The README's pictures and links: the data page, the shipped models' samples and cards.
    data_files = [ROOT / "data" / "README.md", *sorted((ROOT / "data" / "pretrained").glob("*.png")),
                  *sorted((ROOT / "data" / "pretrained").glob("*.json"))]
    for path in data_files:
        wanted[path] = source / path.relative_to(ROOT)
    not_executed = []
    for src, dest in wanted.items():
        if src.suffix == ".ipynb":
            executed = outputs_from / src.name if outputs_from is not None else None
            if _notebook_for_book(src, dest, executed):
                not_executed.append(src.name)
        else:
            _copy_if_changed(src, dest)
    _config_for_book(CONFIG_DIR / "_config.yml", source / "_config.yml", not_executed)
    if outputs_from is not None:
        print(f"book: {len(not_executed)} of {len(notebooks)} notebooks show the outputs in {outputs_from}; "
              "the others are executed")
    for folder in (source / "notebooks", source / "docs", source / "data"):  # files deleted from the repository
        for path in folder.rglob("*"):
            if path.is_file() and path not in wanted.values() and "runs" not in path.parts \
                    and "outputs" not in path.parts:
                path.unlink()
    return [source / "notebooks" / p.name for p in notebooks]


def build(source: Path = SOURCE, out: Path = OUT) -> None:
    """Run Jupyter Book on ``source`` and put the HTML in ``out``."""
    env = {**os.environ, "PGAN_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    # Jupyter Book 1 runs as its console script (it has no ``python -m jupyter_book``).
    executable = Path(sys.executable).with_name("jupyter-book")
    if not executable.exists():
        raise SystemExit(f"book: {executable} is missing: install the docs extra (pip install -e \".[docs]\").")
    command = [str(executable), "build", str(source), "--builder", "html"]
    if subprocess.run(command, env=env, cwd=source).returncode != 0:
        raise SystemExit("book: Jupyter Book failed (its messages are above).")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source / "_build" / "html", out)


class _Page(html.parser.HTMLParser):
    """The images, executed outputs and error outputs of one HTML page."""

    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.outputs = 0
        self.errors = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        classes = (attrs.get("class") or "").split()
        self.outputs += "cell_output" in classes
        self.errors += "traceback" in classes or "output_error" in classes


_FIGURE_LINK = re.compile(r"\]\((\.\./docs/figures/[^)\s]+)\)")


def figures_of(notebook) -> list[str]:
    """The committed figures a notebook's markdown shows (``../docs/figures/...`` links)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return _FIGURE_LINK.findall(text)


def check(out: Path = OUT, notebooks=None) -> list[str]:
    """What is wrong with the built book (an empty list when nothing is)."""
    notebooks = notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not (out / "index.html").exists():
        return [f"{out / 'index.html'} is missing: run `make book`."]
    problems = []
    for notebook in notebooks:
        stem = Path(notebook).stem
        page_path = out / "notebooks" / f"{stem}.html"
        if not page_path.exists():
            problems.append(f"{stem}: no page (notebooks/{stem}.html).")
            continue
        page = _Page()
        page.feed(page_path.read_text(encoding="utf-8"))
        shown = {Path(src.split("#")[0]).name for src in page.images}
        figures = figures_of(notebook)
        if not figures:
            problems.append(f"{stem}: the notebook's markdown shows no figure from docs/figures/.")
        for figure in figures:
            name = Path(figure)
            # Sphinx copies each image to _images/, adding a number to a name already taken.
            if not any(s == name.name or (s.startswith(name.stem) and s.endswith(name.suffix)) for s in shown):
                problems.append(f"{stem}: its page does not show {figure}.")
        for src in page.images:
            if "://" in src:
                problems.append(f"{stem}: image {src} is not local (the book must read offline).")
            elif not src.startswith("data:") and not (page_path.parent / src.split("#")[0]).resolve().exists():
                problems.append(f"{stem}: image {src} does not exist.")
        if not page.outputs:
            problems.append(f"{stem}: the page has no executed output.")
        if page.errors:
            problems.append(f"{stem}: {page.errors} cell(s) show an error.")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check build/book")
    parser.add_argument("--outputs-from", type=Path, metavar="DIR",
                        help="executed notebooks (make notebooks writes them to build/executed/): a notebook "
                             "whose cells match shows their outputs instead of being executed again")
    args = parser.parse_args(argv)
    if not args.check:
        assemble(outputs_from=args.outputs_from)
        build()
    problems = check()
    for problem in problems:
        print("book:", problem)
    if not problems:
        print(f"book: {OUT / 'index.html'} ({len(list(OUT.rglob('*.html')))} pages), every notebook "
              "page with its figures, no failed cell")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
