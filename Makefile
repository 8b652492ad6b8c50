# anesqc developer commands.
#
#   make run            dev server on http://127.0.0.1:8000 (PORT=8001 to change), with a
#                       Celery worker for reports (filesystem broker, no Redis needed)
#   make test           lint (ruff, mypy, the import-linter layering contract) + migrations check
#                       + pytest on throwaway PostgreSQL/Redis
#                       (PYTEST_ARGS='-k foo -x' to pass arguments to pytest)
#   make lint           ruff check + ruff format --check + mypy + lint-imports
#   make bench          speed as ratios against floors measured in the same run, on throwaway
#                       PostgreSQL/Redis with gunicorn serving (BENCH_ARGS=--quick for a short run,
#                       --smoke for the smallest sizes); the table goes to var/bench/results.json
#   make messages       refresh and compile the English translations (needs gettext)
#   make venv           create/update .venv from requirements-dev.txt
#   make clean          remove .venv, db.sqlite3 and var/

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
# The project's Python packages, from the project package down to the ground floor (docs/architecture.md).
PACKAGES := anesqc notifications workspace reports evidence rectification rounds indicators departments scoring accounts audit common

# Environment for the test run. makemigrations needs no database server: it
# runs against an in-memory SQLite database (so it leaves no db.sqlite3).
TEST_ENV := SECRET_KEY=test-only-not-secret-but-long-enough-for-the-strength-check ANESQC_REQUIRE_POSTGRES=1

.PHONY: help venv run test lint bench messages clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

venv: $(STAMP) .env

# Local development defaults, so `manage.py` works in a checkout without exporting anything.
# Never used in production, which sets its environment (and SECRET_KEY) for real; .env is git-ignored.
.env:
	@printf '# Local development only (written by make venv). Production sets real environment variables.\nDEBUG=true\n' > $@

# Re-run pip only when a requirements file is newer than the stamp (a fresh
# clone has no stamp); a missing or broken .venv is recreated first.
$(STAMP): requirements.txt requirements-dev.txt
	@if ! $(VENV_PY) -c 'import sys' >/dev/null 2>&1; then \
	  echo "creating $(VENV) with $$(command -v $(PYTHON))"; \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV); \
	fi
	$(VENV_PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

run:
	scripts/apt-deps run
	@$(MAKE) --no-print-directory venv
	DEBUG=true $(VENV_PY) manage.py migrate --noinput
	DEBUG=true $(VENV_PY) manage.py seed_demo
	DEBUG=true VENV_PY=$(VENV_PY) scripts/run-dev $(PORT)

test:
	scripts/apt-deps test
	@$(MAKE) --no-print-directory venv
	$(TEST_ENV) $(VENV)/bin/ruff check .
	$(TEST_ENV) $(VENV)/bin/ruff format --check .
	$(TEST_ENV) DATABASE_URL=sqlite://:memory: $(VENV)/bin/mypy $(PACKAGES)
	$(TEST_ENV) DATABASE_URL=sqlite://:memory: $(VENV)/bin/lint-imports
	$(TEST_ENV) DATABASE_URL=sqlite://:memory: $(VENV_PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) scripts/with-services --redis -- $(VENV_PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true DATABASE_URL=sqlite://:memory: $(VENV)/bin/mypy $(PACKAGES)
	DEBUG=true DATABASE_URL=sqlite://:memory: $(VENV)/bin/lint-imports

bench: venv
	$(VENV_PY) -m pip install --disable-pip-version-check -q -r requirements-bench.txt
	DEBUG=false SECRET_KEY=bench-only-not-secret-but-long-enough-for-the-strength-check CONN_MAX_AGE=60 scripts/with-services --redis -- $(VENV_PY) bench/all.py $(BENCH_ARGS)

messages: venv
	DEBUG=true $(VENV_PY) manage.py makemessages -l en --ignore=.venv --ignore=tests
	DEBUG=true $(VENV_PY) manage.py compilemessages -l en --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 var/
