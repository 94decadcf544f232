# Two commands for a newcomer: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-api test-dates test-deploy test-reliability install browser nginx node lint jslint format migrate demo bench bench-transfer wrk clean

run: install
	$(BIN)/shouwang migrate
	$(BIN)/shouwang seed-demo --if-empty
	$(BIN)/shouwang serve --host 127.0.0.1 --port 8000

BIOME := node_modules/.bin/biome
NODE_STAMP := node_modules/.installed

test: install browser nginx jslint
	$(BIN)/ruff check backend tests bench migrations/env.py
	$(BIN)/ruff format --check backend tests bench migrations/env.py
	$(BIN)/pytest

# Schemathesis over every operation of the OpenAPI document, as a county officer, a village
# cadre and an API client: every phase (coverage included) and 100 examples an operation.
# `make test` runs a quick run as the county officer (no coverage phase, 4 examples an
# operation); CI has forty minutes and each role's quick run takes one to five.
test-api: install
	SCHEMATHESIS_ROLES=county_officer,village_cadre,api_client \
		SCHEMATHESIS_EXAMPLES=$(or $(SCHEMATHESIS_EXAMPLES),100) \
		SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful $(BIN)/pytest -q -s tests/api

# The tests that stand real processes up (marker `cluster`: PostgreSQL primary and replica,
# nginx + PgBouncer + two uvicorn workers; about a minute each). `make test` runs them too.
test-deploy: install nginx
	$(BIN)/pytest -q -m cluster

# A real server under load and faults (tests/reliability): 50 clients send 10,000 self-reports
# and 10,000 visits (10% replays, 1% conflicts) to `shouwang serve` on SQLite (one worker) and
# on PostgreSQL (four workers, a throw-away database on 127.0.0.1:5432 behind a proxy the run
# cuts for 10 s); kill -9 mid-batch, the worker killed mid-delivery, the upload disk full
# (a tmpfs: needs root). Prints what it proved, ending "records lost: 0". About 20 minutes a
# database on a busy 2-core machine; RELIABILITY_DATABASE=sqlite (or postgres) runs one.
# `make test` runs a small subset (tests/reliability, marker `cluster`).
test-reliability: install
	$(BIN)/python -m tests.reliability.run --database $(or $(RELIABILITY_DATABASE),both)

# The suite without the browser and the process-standing tests (their servers run on the wall
# clock), once at each edge of the calendar (the clock frozen there):
# the first minutes of a month (still the previous day in UTC), a month's last minutes, New
# Year into a year the holiday table lacks, a leap day, inside 国庆, and a 调休 Saturday.
TEST_DATES := 2026-12-01T00:10+08:00 2026-08-31T23:50+08:00 2027-01-01T00:30+08:00 \
	2028-02-29T10:00+08:00 2026-10-03T10:00+08:00 2026-10-10T10:00+08:00

# On SQLite only unless DATES_ON_POSTGRES=1: the suite doubled with the 排查, desk and security
# work, and six more runs on both databases would take CI past its 40 minutes. PostgreSQL runs
# every test once at the default instant in `make test`. The instants run DATES_JOBS at a time
# (each pytest has its own scratch directory and database); a failed instant prints its log.
DATES_ENV := $(if $(DATES_ON_POSTGRES),,env -u TEST_DATABASE_URL)
DATES_JOBS ?= 2

test-dates: install
	@logs=$$(mktemp -d); \
	printf '%s\n' $(TEST_DATES) | xargs -P $(DATES_JOBS) -I{} sh -c \
		'log="$$0/$$(echo {} | tr ":+" "__").log"; \
		if $(DATES_ENV) $(BIN)/pytest -q -p no:cacheprovider -m "not e2e and not cluster" --today={} >"$$log" 2>&1; \
		then echo "== make test-dates: the clock at {}: $$(tail -1 "$$log")"; \
		else cat "$$log"; echo "== make test-dates: FAILED at {}"; fi' "$$logs" | tee "$$logs/summary"; \
	rm -rf "$$logs/"*.log; \
	if grep -q FAILED "$$logs/summary"; then rm -rf "$$logs"; echo "make test-dates failed"; exit 1; fi; \
	rm -rf "$$logs"

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres,bench]'
	touch $(STAMP)

# The browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

# Debian's nginx and PgBouncer for the deployment test (tests/deploy), the packages deploy/
# configures. The test runs its own nginx and PgBouncer on spare ports, never the services.
nginx:
	@if [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/sbin/pgbouncer ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx pgbouncer; \
	fi

# The JavaScript linter and formatter (Biome, pinned in package.json and package-lock.json),
# installed by `npm ci` from the lockfile; Debian's nodejs and npm when they are missing.
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

jslint: $(NODE_STAMP)
	$(BIOME) ci --colors=off --error-on-warnings frontend/static biome.json package.json

lint: jslint
	$(BIN)/ruff check backend tests bench migrations/env.py

format: $(NODE_STAMP)
	$(BIN)/ruff format backend tests bench migrations/env.py
	$(BIN)/ruff check --fix backend tests bench migrations/env.py
	$(BIOME) check --write frontend/static biome.json package.json

migrate: install
	$(BIN)/shouwang migrate

demo: install
	$(BIN)/shouwang seed-demo

# Every benchmark of issue 11 against real uvicorn servers, written to bench/RESULTS.md.
# ONLY=reads,writes,batch,memory,frontend,lighthouse,statements runs a subset;
# BENCH_HOUSEHOLDS=20000 a smaller county; BENCH_DATABASE_URL=postgresql://… PostgreSQL
# (2 workers); BENCH_PROFILE=1 records py-spy profiles into bench/profiles/.
bench: install wrk browser
	ONLY="$(ONLY)" BENCH_HOUSEHOLDS="$(BENCH_HOUSEHOLDS)" BENCH_SECONDS="$(BENCH_SECONDS)" \
		BENCH_PROFILE="$(BENCH_PROFILE)" BENCH_DATABASE_URL="$(BENCH_DATABASE_URL)" $(BIN)/python -m bench.run

# Issue 14's speed: `shouwang import-households` of a generated county sheet (BENCH_HOUSEHOLDS,
# default 100,000; BENCH_XLSX=0 skips the XLSX run) and the exports' peak memory at a township
# and at the county, written to bench/TRANSFER.md.
bench-transfer: install
	BENCH_HOUSEHOLDS="$(BENCH_HOUSEHOLDS)" BENCH_XLSX="$(BENCH_XLSX)" $(BIN)/python -m bench.transfer

# wrk from Debian: the load generator (Lua scripts in bench/lua/).
wrk:
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

clean:
	rm -rf $(VENV) node_modules data/*.db data/*.db-wal data/*.db-shm .pytest_cache
