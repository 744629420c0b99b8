# The two commands: `make demo` and `make test`. Both create .venv and install the pinned dependencies.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test lint fmt bench up down clean lock java

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (the Glue 5 runtime is Python 3.11)"; exit 2; }
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[local,dev]'
	touch $(STAMP)

java:
	@command -v java >/dev/null || { echo "error: Java 17 is needed for local Spark: sudo apt-get install -y openjdk-17-jre-headless (Debian/Ubuntu) or brew install openjdk@17 (macOS)"; exit 2; }

## demo: local endpoint, deploy, sample data, Glue jobs, views, three queries
demo: $(STAMP) java
	$(BIN)/lakehouse demo

## test: lint, then every test (unit, endpoint integration, end to end)
test: $(STAMP) java lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src glue lambda scripts tests
	$(BIN)/ruff format --check src glue lambda scripts tests

fmt: $(STAMP)
	$(BIN)/ruff format src glue lambda scripts tests
	$(BIN)/ruff check --fix src glue lambda scripts tests

## bench: throughput of ingest and the Glue jobs on generated data (EVENTS_PER_HOUR, DAYS)
bench: $(STAMP) java
	$(BIN)/python scripts/bench.py --days $(or $(DAYS),2) --events-per-hour $(or $(EVENTS_PER_HOUR),2000)

up: $(STAMP)
	$(BIN)/lakehouse up
down: $(STAMP)
	$(BIN)/lakehouse down

lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) .lakehouse .pytest_cache .ruff_cache build src/*.egg-info
