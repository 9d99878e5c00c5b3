# The course in two commands: `make run` (execute every notebook, course profile) and
# `make test` (unit tests + every notebook under nbval, quick profile). `make lab` opens JupyterLab on
# the student copies in student/ (solutions stubbed; `make lab PROFILE=quick` for the small sizes);
# `make lab SOLUTIONS=1` opens the instructor notebooks. Without make: `lecturekit setup|lab|run|test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= $(or $(LECTUREKIT_PROFILE),course)
# Torch/BLAS threads per process. The course's models are small: one thread is about as fast and
# never thrashes a busy 2-core laptop (two threads under contention ran 10-20x slower here).
# On an idle many-core machine `make run THREADS=4` may help the larger full-profile runs.
THREADS ?= 1
export OMP_NUM_THREADS := $(THREADS)
# Notebooks executed at once by `make run` (one process and one thread each): 2 uses both cores of
# a 2-core laptop and brings the course under 15 minutes; `make run JOBS=1` runs them one by one.
JOBS ?= 2
export PYTHONUNBUFFERED := 1
# CPU_TORCH=1: torch from PyTorch's CPU-only index first (on Linux pip would pick the CUDA build).
CPU_TORCH ?=
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
# SOLUTIONS=1: `make lab` opens the instructor notebooks, `make run` publishes HTML with the solutions.
SOLUTIONS ?=
export LECTUREKIT_SOLUTIONS := $(SOLUTIONS)

.PHONY: run test lab setup kernel student unit notebooks lint bench clean

$(STAMP): requirements.txt requirements-data.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(CPU_TORCH),$(BIN)/python -m pip install --quiet $$(grep '^torch==' requirements.txt) --index-url $(TORCH_CPU_INDEX))
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	# recbole ships MovieLens-100K and molsets the MOSES molecules (read, never imported: --no-deps);
	# the course kernel; the student copies in student/ (lecturekit.launcher, the same as without make).
	$(BIN)/lecturekit setup
	touch $(STAMP)

setup: $(STAMP)

# The course kernel, inside .venv (--sys-prefix): notebooks name it, so Lab picks this environment.
kernel:
	$(BIN)/python -m ipykernel install --sys-prefix --name lecturekit --display-name "Python (lecturekit)"

student: $(STAMP)
	$(BIN)/lecturekit student

run: $(STAMP)
	$(BIN)/lecturekit run --profile $(PROFILE) --jobs $(JOBS)

test: $(STAMP) lint unit notebooks

lint: $(STAMP)
	$(BIN)/ruff check lecturekit tests benchmarks experiments notebooks
	$(BIN)/ruff format --check lecturekit tests benchmarks experiments notebooks

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests

notebooks: $(STAMP)
	LECTUREKIT_PROFILE=quick $(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval-lax --nbval-cell-timeout=300 -p no:cacheprovider notebooks

# PROFILE reaches every kernel Lab starts (LECTUREKIT_PROFILE), e.g. `make lab PROFILE=quick`.
# Student copies are written to student/ once (a student's work there is never overwritten).
lab: $(STAMP)
	$(BIN)/lecturekit lab --profile $(PROFILE) $(if $(SOLUTIONS),--solutions)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf build
