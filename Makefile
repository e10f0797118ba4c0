# newsbot: every target creates the virtual environment when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast run lint sandbox bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## the whole pipeline on the embedded Redis and the local sandbox
	$(BIN)/newsbot demo

test: $(STAMP)  ## the test suite: its own Redis server and the sandbox, over real HTTP
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## the suite without the slow parts (chaos, fresh-venv install, browser...)
	$(BIN)/python -m pytest -m "not slow and not browser"

run: $(STAMP)  ## the service, with newsbot.toml and .env
	$(BIN)/newsbot run

sandbox: $(STAMP)  ## the Bot API and Graph API stand-ins, standalone
	$(BIN)/newsbot sandbox

lint: $(STAMP)
	$(BIN)/ruff check bot handlers publishers sandbox tests bench
	$(BIN)/ruff format --check bot handlers publishers sandbox tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
