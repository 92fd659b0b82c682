PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A data folder beside the clone, when there is one; otherwise the cache.
LMZOO_DATA ?= $(wildcard $(abspath ../shared/data))
export LMZOO_DATA
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test lint format bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/lmzoo compare

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Two workers (pytest-xdist) with one TensorFlow thread each, so that they never
# fight over the two cores, the slowest tests' times in the output; then the
# tests that time themselves, alone.
test: lint
	TF_NUM_INTRAOP_THREADS=1 $(BIN)/pytest -n 2 --dist loadgroup --durations=25 -m "not serial"
	$(BIN)/pytest -m serial

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/train_throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
