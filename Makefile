# Lumbung: `make run` starts the system with demo data; `make test` passes the tests. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_WORKERS ?= auto  # `make test TEST_WORKERS=0`: the tests in one process (one per CPU otherwise, at most 4)
DEMO ?= 1  # `make run DEMO=0`: an empty cooperative; the first screen makes its administrator

.PHONY: run test lint format bench translations clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Lumbung needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

translations: $(VENV)/.runtime
	$(BIN)/pybabel compile --use-fuzzy -d app/translations -f --statistics 2>&1 | tail -n 1

run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(if $(filter 1,$(DEMO)),$(FLASK) demo)
	@echo ""
	@echo "  Lumbung is running at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs)"
	@echo "  Stop it with Ctrl+C."
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT) --no-debugger --no-reload

test: $(VENV)/.dev translations
	$(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses=4 --dist loadfile

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
