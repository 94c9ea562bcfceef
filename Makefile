# StudyBot: `make run` to chat, `make test` to check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types unit content bench faults clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/studybot run

test: $(STAMP) lint types unit

lint: $(STAMP)
	$(BIN)/ruff check bot adapters scheduler tests bench

types: $(STAMP)
	$(BIN)/mypy

# Both databases: the given STUDYBOT_TEST_PG_URL, else a throwaway local cluster, else SQLite
# only with a loud note (the PostgreSQL variants are then listed as deselected, never skipped).
# One pytest-xdist worker per core (TEST_WORKERS=0: one process, e.g. for pdb). worksteal: an
# idle worker takes queued tests from a busy one, so the slow process tests do not pile up at
# the end on one core. Every test is safe beside any other (README, Tests and CI).
TEST_WORKERS ?= auto
unit: $(STAMP)
	.ci/with-pg $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

# Figures on SQLite and PostgreSQL (a throwaway cluster, or STUDYBOT_BENCH_PG_URL): a table
# and bench/results.json. Minutes, mostly loading 5M answers; BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Random SIGKILLs during bursts of signed Slack clicks (100 on SQLite, 20 on PostgreSQL) and a
# kill at every named fault point; one table of losses, doublings and stuck rounds (about
# 20 minutes). FAULTS_ARGS=--quick for a smoke run.
faults: $(STAMP)
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

content: $(STAMP)
	$(BIN)/studybot content check
	$(BIN)/studybot content stats

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
