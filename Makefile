# The course in two commands: `make run` (execute every notebook, course profile) and
# `make test` (unit tests + every notebook under nbval, quick profile). `make lab` opens JupyterLab.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= course
export PYTHONUNBUFFERED := 1

.PHONY: run test lab setup unit notebooks lint bench clean

$(STAMP): requirements.txt requirements-data.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# recbole ships MovieLens-100K and molsets the MOSES molecules; we only read their data files.
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-data.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/lecturekit run --profile $(PROFILE)

test: $(STAMP) lint unit notebooks

# Tests run two pytest workers on two cores: one BLAS/OpenMP thread each, or the workers' thread
# pools fight over the cores and small torch ops slow down by an order of magnitude.
unit notebooks: export OMP_NUM_THREADS := 1

lint: $(STAMP)
	$(BIN)/ruff check lecturekit tests benchmarks notebooks

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests

notebooks: $(STAMP)
	LECTUREKIT_PROFILE=quick $(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval-lax --nbval-cell-timeout=300 -p no:cacheprovider notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf build
