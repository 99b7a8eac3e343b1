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


def _code_notebook(path: Path, sources, outputs=None) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
    for i, source in enumerate(sources):
        cells.append({"cell_type": "code", "metadata": {}, "source": source, "execution_count": None,
                      "outputs": outputs[i] if outputs else []})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_a_notebook_nbval_ran_unchanged_brings_its_outputs_and_is_not_executed_again(tmp_path):
    printed = [{"output_type": "stream", "name": "stdout", "text": "42\n"}]
    src = _code_notebook(tmp_path / "01_x.ipynb", ["x = 1", "print(42)"])
    ran = _code_notebook(tmp_path / "ran.ipynb", ["x = 1", "print(42)"], outputs=[[], printed])
    assert book._notebook_for_book(src, tmp_path / "book" / "01_x.ipynb", ran)
    copied = json.loads((tmp_path / "book" / "01_x.ipynb").read_text())
    assert [c.get("outputs") for c in copied["cells"]] == [None, [], printed]
    # One changed cell: the run is of another notebook, so nothing comes along.
    changed = _code_notebook(tmp_path / "ran2.ipynb", ["x = 2", "print(42)"], outputs=[[], printed])
    assert not book._notebook_for_book(src, tmp_path / "book" / "01_x.ipynb", changed)
    assert not book._notebook_for_book(src, tmp_path / "book" / "01_x.ipynb", tmp_path / "missing.ipynb")
    assert json.loads((tmp_path / "book" / "01_x.ipynb").read_text())["cells"][2]["outputs"] == []


def test_the_books_config_excludes_from_execution_exactly_the_notebooks_with_outputs(tmp_path):
    book._config_for_book(book.CONFIG_DIR / "_config.yml", tmp_path / "_config.yml", ["05_a.ipynb", "06_b.ipynb"])
    text = (tmp_path / "_config.yml").read_text()
    assert 'execute:\n  exclude_patterns: ["notebooks/05_a.ipynb", "notebooks/06_b.ipynb"]' in text
    book._config_for_book(book.CONFIG_DIR / "_config.yml", tmp_path / "_config.yml", [])
    assert (tmp_path / "_config.yml").read_text() == (book.CONFIG_DIR / "_config.yml").read_text()


def test_nbvals_outputs_become_an_executed_notebook_with_counts_in_order():
    nbformat = pytest.importorskip("nbformat")
    spec = importlib.util.spec_from_file_location("nbval_executed", ROOT / "tests" / "nbval_executed.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1"),
                                         nbformat.v4.new_code_cell("skipped"), nbformat.v4.new_code_cell("2")])
    result = {"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}}
    done = plugin.executed_notebook(nb, {1: [], 2: None, 3: [result]})
    assert [c.get("execution_count") for c in done.cells] == [None, 1, None, 2]
    assert done.cells[3].outputs[0]["execution_count"] == 2 and done.cells[2].outputs == []
    nbformat.validate(done)
    assert nb.cells[3].outputs == []  # the notebook nbval tested is left as it was
