# Two commands on a fresh machine: `make up` runs the system, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: up down status logs test test-unit test-integration docs clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing Jaring and its dependencies into $(VENV)…"
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

up: $(STAMP)        ## start Kafka, PostgreSQL and the services in the background
	@$(PY) -m deploy.local.stack up

down: $(STAMP)      ## stop everything `make up` started
	@$(PY) -m deploy.local.stack down

status: $(STAMP)
	@$(PY) -m deploy.local.stack status

logs: $(STAMP)      ## last lines of every log; `make logs S=claims` for one
	@$(PY) -m deploy.local.stack logs $(S)

test: $(STAMP)      ## the whole suite on real Kafka and PostgreSQL (started on free ports unless given)
	@$(PY) -m pytest

test-unit: $(STAMP)
	@$(PY) -m pytest tests/unit

test-integration: $(STAMP)
	@$(PY) -m pytest -m "integration or e2e"

docs: $(STAMP)      ## regenerate the AsyncAPI document of every service
	@$(PY) -m deploy.asyncapi docs/asyncapi

clean: down
	rm -rf .jaring
