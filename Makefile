# pgan: every target sets itself up (creates .venv and installs the project) when needed.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.pgan-installed
# Jupyter refuses to run as root (containers, classroom VMs) unless told; LAB_ARGS adds your own flags,
# e.g. make lab LAB_ARGS="--no-browser --ip=0.0.0.0" on a shared classroom server.
LAB_ARGS ?=
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)
NB_ENV  = PGAN_QUICK=1 TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg

.PHONY: help setup data lab test unit notebooks notebook-refs lint format handouts bench bench-recipes results figures book clean

help:
	@echo "make lab        open JupyterLab on notebooks/00_welcome.ipynb"
	@echo "make data       get Fashion-MNIST if it is not here (Debian package or Keras download; lab and test do it)"
	@echo "make test       ruff + unit tests + every notebook under nbval in quick mode + the book (make book)"
	@echo "make unit       unit tests only"
	@echo "make notebooks  notebooks only (quick mode)"
	@echo "make notebook-refs  re-record the expected outputs of the notebooks' checked cells"
	@echo "make lint       ruff check, and check notebooks are committed without outputs"
	@echo "make format     ruff format + strip notebook outputs"
	@echo "make handouts   student notebooks (no solutions) and instructor copies in build/handouts/"
	@echo "make bench      training/generation throughput benchmark (JSON in benchmarks/results/)"
	@echo "make bench-recipes  the same for every training recipe against its plain model (about 20 min)"
	@echo "make results    docs/results.md, the page of measured numbers, from benchmarks/results/ and the model cards"
	@echo "make figures    the notebooks' committed figures (docs/figures/NN_*/), from benchmarks/figures/*.py"
	@echo "make book       the course as an HTML book, every notebook executed in quick mode: build/book/index.html"
	@echo "make clean      remove caches and build outputs (keeps .venv)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,jax,docs]"
	@touch $(STAMP)

setup: $(STAMP)

# Fashion-MNIST: found where it is, else Debian's package (root + apt-get), else Keras' download; else how to.
data: $(STAMP)
	@$(PY) -m pgan.get_data

lab: $(STAMP) data
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) notebooks/00_welcome.ipynb

lint: $(STAMP)
	$(PY) -m ruff check pgan tests benchmarks notebooks docs
	$(PY) -m pytest -q tests/test_notebooks_clean.py

format: $(STAMP)
	$(PY) -m ruff format pgan tests benchmarks
	$(VENV)/bin/nbstripout --drop-empty-cells notebooks/*.ipynb

unit: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m pytest -q --durations=25 tests

# Notebooks are committed without outputs; the expected outputs of their "# NBVAL_CHECK_OUTPUT"
# cells live in tests/notebook_outputs/ and are put back into test copies in notebooks/.nbval/.
# Each notebook that passes is kept with its outputs in build/executed/ (tests/nbval_executed.py),
# so make test's book shows them instead of running every notebook a second time.
notebooks: $(STAMP)
	$(PY) tests/nbval_refs.py assemble notebooks/[0-9]*.ipynb --out notebooks/.nbval
	rm -rf build/executed
	cd notebooks/.nbval && $(NB_ENV) PGAN_EXECUTED_DIR=../../build/executed ../../$(PY) -m pytest -q -p no:cacheprovider --nbval-lax \
		--nbval-current-env --nbval-sanitize-with ../../tests/nbval_sanitize.cfg *.ipynb

notebook-refs: $(STAMP)
	$(NB_ENV) $(PY) tests/nbval_refs.py record notebooks/[0-9]*.ipynb

test: $(STAMP) data
	$(PY) -m ruff check pgan tests benchmarks notebooks docs
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m pytest -q --durations=25 tests
	$(MAKE) --no-print-directory notebooks
	$(MAKE) --no-print-directory book BOOK_ARGS="--outputs-from build/executed"

# Student copies drop the cells tagged "solution"; instructor copies keep every cell (docs/workshop.md).
handouts: $(STAMP)
	$(PY) -m pgan.handouts --notebooks notebooks --out build/handouts

bench: $(STAMP)
	mkdir -p benchmarks/results
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) benchmarks/train_throughput.py --steps 20 --out benchmarks/results/train_throughput.json

bench-recipes: $(STAMP)
	mkdir -p benchmarks/results
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) benchmarks/train_throughput.py --recipes all --batch-sizes 64 256 --steps 20 \
		--out benchmarks/results/recipe_throughput.json

# docs/results.md, the page every quoted number comes from (standard library only; --check says whether it is up to date).
results: $(STAMP)
	$(PY) benchmarks/results_page.py

# Each script in benchmarks/figures/ draws one notebook's figures into docs/figures/NN_name/
# (the training ones train for about a minute: run them on an idle machine).
figures: $(STAMP)
	@for script in benchmarks/figures/*.py; do echo "$$script"; $(PY) $$script || exit 1; done

# Jupyter Book (the docs extra) executes every notebook in quick mode (outputs cached by cell source
# in build/book-src/) and writes build/book/; then every notebook page is checked for its figures.
# BOOK_ARGS="--outputs-from build/executed" shows what make notebooks ran instead of executing again.
BOOK_ARGS ?=
book: $(STAMP)
	$(PY) docs/book/build.py $(BOOK_ARGS)

clean:
	rm -rf build .pytest_cache .ruff_cache notebooks/runs notebooks/outputs notebooks/.nbval
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
