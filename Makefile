# Practika — the two commands are `make dev` and `make test`; see README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# make dev, migrate, superuser and worker run the embedded mode; production sets its own env.
DEV_ENV := DEBUG=1

# Services used by `make services-test` (CI has them on these addresses).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/practika
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: dev test lint type migrate superuser worker bench services-test install install-dev clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Practika needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import django, wagtail, rest_framework, huey, channels"
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import pytest, pytest_django, mypy, moto, playwright"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input

superuser: install
	$(DEV_ENV) $(BIN)/python manage.py createsuperuser

dev: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Practika:   http://$(HOST):$(PORT)/"
	@echo "  CMS:        http://$(HOST):$(PORT)/cms/      (author / teacher / admin)"
	@echo "  Admin:      http://$(HOST):$(PORT)/admin/    (admin)"
	@echo "  API:        http://$(HOST):$(PORT)/api/v1/   docs: /docs/  /docs/redoc/"
	@echo "  Demo users: student, student2, teacher, author, admin"
	@echo "  Password:   $${PRACTIKA_DEMO_PASSWORD:-practika-demo}"
	@echo ""
	$(DEV_ENV) $(BIN)/python manage.py runpractika --host $(HOST) --port $(PORT)

worker: install
	$(DEV_ENV) $(BIN)/python manage.py run_huey

test: install-dev
	$(BIN)/pytest -p no:cacheprovider --cov --cov-report=term --cov-fail-under=85

services-test: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	PRACTIKA_REQUIRE_SERVICES=1 $(BIN)/pytest -p no:cacheprovider

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/black --check --quiet .
	$(BIN)/lint-imports

type: install-dev
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/ .mypy_cache .ruff_cache .coverage htmlcov
