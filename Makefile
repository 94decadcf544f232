# Two commands for a newcomer: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install browser lint format migrate demo bench clean

run: install
	$(BIN)/shouwang migrate
	$(BIN)/shouwang seed-demo --if-empty
	$(BIN)/shouwang serve --host 127.0.0.1 --port 8000

test: install browser
	$(BIN)/ruff check backend tests bench migrations/env.py
	$(BIN)/ruff format --check backend tests bench migrations/env.py
	$(BIN)/pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

# The browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

lint:
	$(BIN)/ruff check backend tests bench migrations/env.py

format:
	$(BIN)/ruff format backend tests bench migrations/env.py
	$(BIN)/ruff check --fix backend tests bench migrations/env.py

migrate: install
	$(BIN)/shouwang migrate

demo: install
	$(BIN)/shouwang seed-demo

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data/*.db data/*.db-wal data/*.db-shm .pytest_cache
