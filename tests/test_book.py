"""The book's check (docs/book/build.py): what makes it fail, on a small fabricated build."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("book_build", ROOT / "docs" / "book" / "build.py")
book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book)


def notebook(path: Path, markdown: str) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [markdown]}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def page(out: Path, stem: str, body: str) -> None:
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "notebooks" / f"{stem}.html").write_text(f"<html><body>{body}</body></html>")


@pytest.fixture
def built(tmp_path):
    out = tmp_path / "book"
    (out / "_images").mkdir(parents=True)
    (out / "index.html").write_text("<html></html>")
    (out / "_images" / "game.png").write_bytes(b"png")
    (out / "_images" / "plot1.png").write_bytes(b"png")
    nb = notebook(tmp_path / "03_gan_theory.ipynb", "The game:\n\n![the game](../docs/figures/03_gan_theory/game.png)")
    return out, nb


def test_a_page_with_its_figure_and_outputs_passes(built):
    out, nb = built
    page(out, nb.stem, '<img src="../_images/game.png"><div class="cell_output"><img src="../_images/plot1.png"></div>')
    assert book.check(out, [nb]) == []


def test_the_check_names_each_problem(built, tmp_path):
    out, nb = built
    page(out, nb.stem, '<img src="../_images/missing.png"><img src="https://cdn.example/x.png">'
                       '<div class="cell_output"><pre class="traceback">boom</pre></div>')
    problems = "\n".join(book.check(out, [nb]))
    assert "does not show ../docs/figures/03_gan_theory/game.png" in problems
    assert "missing.png does not exist" in problems
    assert "not local" in problems
    assert "1 cell(s) show an error" in problems
    bare = notebook(tmp_path / "04_building_dcgan.ipynb", "No figure here.")
    page(out, bare.stem, "<p>text only</p>")
    problems = "\n".join(book.check(out, [bare]))
    assert "shows no figure from docs/figures/" in problems and "no executed output" in problems
    missing = notebook(tmp_path / "05_training_on_gpu.ipynb", "![x](../docs/figures/05_training_on_gpu/x.png)")
    assert book.check(out, [missing]) == ["05_training_on_gpu: no page (notebooks/05_training_on_gpu.html)."]


def test_a_missing_build_says_how_to_make_it(tmp_path):
    assert "run `make book`" in book.check(tmp_path / "nothing", [])[0]


def test_every_notebook_shows_committed_figures_that_exist():
    """Each notebook's markdown shows at least one committed figure, and each file it names exists."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        figures = book.figures_of(path)
        assert figures, f"{path.name}: no ![...](../docs/figures/...) in its markdown"
        for figure in figures:
            assert (path.parent / figure).resolve().is_file(), f"{path.name}: {figure} does not exist"


def test_the_toc_lists_every_notebook():
    toc = (ROOT / "docs" / "book" / "_toc.yml").read_text()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"file: notebooks/{path.stem}\n" in toc, f"{path.stem} is not in docs/book/_toc.yml"


@pytest.mark.parametrize(
    "jupyter, expected",
    [("Use-quick-mode", "use-quick-mode"), ("Penalise-D's-gradient-(WGAN-GP)", "penalise-ds-gradient-wgan-gp"),
     ("Average-the-generator's-weights-(EMA)", "average-the-generators-weights-ema")],
)
def test_jupyterlab_heading_links_become_the_books_anchors(jupyter, expected):
    assert book.book_anchor(jupyter) == expected
