# StudyBot: `make run` to chat, `make test` to check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types unit content bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/studybot run

test: $(STAMP) lint types unit

lint: $(STAMP)
	$(BIN)/ruff check bot adapters scheduler tests

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

content: $(STAMP)
	$(BIN)/studybot content check
	$(BIN)/studybot content stats

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
