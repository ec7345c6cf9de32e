# One entry point for humans. `make run` serves the API; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint format migrate bench lock clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install migrate  ## migrate, then serve on 127.0.0.1:8000 (SQLite file by default)
	$(PY) -m backend.serve --host $(HOST) --port $(PORT)

migrate: install
	$(PY) -m backend.migrate

test: install lint  ## lint, then the whole suite against a throw-away PostgreSQL database
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install  ## ruff (style and bugs) and mypy (types: strict in tools/ and db/)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

bench: install  ## the benchmark (needs PostgreSQL; wrk from Debian's package); figures go in the README
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)
	$(PY) -m bench.run $(BENCH_ARGS)

lock:  ## re-resolve the newest allowed versions into constraints.txt
	rm -rf /tmp/todo-lock && $(PYTHON) -m venv /tmp/todo-lock
	/tmp/todo-lock/bin/pip install --quiet --upgrade pip && /tmp/todo-lock/bin/pip install --quiet '.[dev]'
	/tmp/todo-lock/bin/pip freeze --exclude todo-chat-agent > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
