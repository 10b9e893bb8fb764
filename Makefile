# Two commands on a fresh machine: `make up` runs the system, `make test` runs the tests.
# The interpreter the images run (deploy/images/base.Dockerfile: Debian's python3, linked statically and
# built with LTO and profile-guided optimisation) when this machine has it at 3.11 or later, else the
# python3 on PATH. A CPython built without them (pyenv's default: a shared libpython, no PGO) spent 20-30 %
# more CPU on plain Python code here, 9 % more in the services at 100 claims/s (docs/benchmarks.md,
# "Round 15"). `make python` says which.
SYSTEM_PYTHON ?= /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $(SYSTEM_PYTHON) || echo python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: python up down status logs traces traces-down test lint test-unit test-integration test-prerequisites bench bench-e2e bench-statements bench-data-scale bench-backlog chaos chaos-scale docs clean

# What the suite needs besides Python, Java and Maven, from Debian's packages: the browser tests drive
# Chromium (Playwright cannot download its own here) and the alert rules are checked by promtool.
CHROMIUM ?= $(or $(JARING_CHROMIUM),/usr/bin/chromium)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing Jaring and its dependencies into $(VENV)…"
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

python:            ## the interpreter .venv is made from (an existing .venv keeps its own: remove it to change)
	@echo $(PYTHON)

up: $(STAMP)        ## start Kafka, PostgreSQL and the services in the background (JARING_KAFKA_BROKERS=3: a 3-node Kafka cluster)
	@$(PY) -m deploy.local.stack up

down: $(STAMP)      ## stop everything `make up` started
	@$(PY) -m deploy.local.stack down

status: $(STAMP)
	@$(PY) -m deploy.local.stack status

logs: $(STAMP)      ## last lines of every log; `make logs S=claims` for one
	@$(PY) -m deploy.local.stack logs $(S)

# axe-core, which the browser tests inject into the public pages (npm, pinned in package-lock.json).
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@npm ci --prefix tests/browser --no-audit --no-fund --silent
	@touch $(AXE)

# The AsyncAPI project's parser, which tests/unit/deploy/test_asyncapi_parser.py runs on docs/asyncapi.
ASYNCAPI_PARSER := tests/asyncapi/node_modules/@asyncapi/parser/package.json
$(ASYNCAPI_PARSER): tests/asyncapi/package.json tests/asyncapi/package-lock.json
	@npm ci --prefix tests/asyncapi --no-audit --no-fund --silent
	@touch $(ASYNCAPI_PARSER)

traces: $(STAMP)    ## a trace viewer on loopback: Jaeger v2 built from its Go module (once), then `JARING_TRACES=1 make up`
	@$(PY) -m deploy.local.traces up

traces-down: $(STAMP)
	@$(PY) -m deploy.local.traces down

test: test-prerequisites lint $(STAMP) $(AXE) $(ASYNCAPI_PARSER)      ## lint, then the whole suite on real Kafka and PostgreSQL (started on free ports unless given)
	@$(PY) -m pytest

# ruff and mypy as pyproject.toml configures them (strict mypy on shared/ and every domain/). mypy keeps
# its cache in .mypy_cache: a run after a small change takes 2-3 s, a cold one about 8 s of CPU (70 s on a busy
# 2-core machine).
lint: $(STAMP)      ## ruff check, ruff format --check, mypy
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy

# Stops at once, naming the one command that installs what is missing, instead of failing tests later.
test-prerequisites:
	@missing=""; \
	test -x "$(CHROMIUM)" || missing="$$missing chromium"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "make test needs Debian's$$missing (Chromium for the browser tests, promtool for the alert rules, npm for axe-core and the AsyncAPI parser):"; \
	  echo "  sudo apt-get install -y$$missing"; \
	  exit 1; \
	fi

test-unit: $(STAMP) $(ASYNCAPI_PARSER)
	@$(PY) -m pytest tests/unit

test-integration: $(STAMP)
	@$(PY) -m pytest -m "integration or e2e"

bench: $(STAMP) bench-e2e bench-data-scale bench-backlog   ## every benchmark: end to end, data scale, backlog drain, then bulk import (each on its own stack); `make bench ROWS=50000`
	@$(PY) -m bench.enrollment_import --rows $(or $(ROWS),50000)

BENCH_STAMP := $(VENV)/.bench-installed
RATES       ?= 25,50,100,200,300,500,1000
$(BENCH_STAMP): $(STAMP)
	@$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

bench-e2e: $(BENCH_STAMP)   ## claims filed → families notified at RATES (up to the first not sustained), ceilings, partitions × instances (~30 min)
	@$(PY) -m bench.e2e --rate $(RATES) --duration 60 --ceilings --grid --grid-duration 20

bench-data-scale: $(STAMP)  ## the e2e load at 100/s on an empty database, then with SCALE_ROWS (1,000,000) participants and past claims seeded; plans of the hot queries
	@$(PY) -m bench.data_scale --rows $(or $(SCALE_ROWS),1000000)

bench-backlog: $(STAMP)     ## services down MINUTES (10) while claims are filed at BACKLOG_RATE (50)/s: drain time and claims/s while draining
	@$(PY) -m bench.backlog --minutes $(or $(MINUTES),10) --rate $(or $(BACKLOG_RATE),50)

bench-statements: $(STAMP)  ## SQL statements one claim costs per service, each printed (issue 17's budget; also in make test)
	@$(PY) -m pytest -s tests/e2e/test_statement_budget.py

chaos: $(STAMP)     ## claims filed for minutes while every part is killed (SIGKILL); fails if anything is lost or doubled; BROKERS=3 on a Kafka cluster
	@$(PY) -m bench.chaos --rate $(or $(RATE),5) --outage 20 --gap 10 --brokers $(or $(BROKERS),1) --write

chaos-scale: $(STAMP)   ## issue 17's chaos at scale: 10,000 claims at 50/s, every service (grievances and the console too) killed twice, Kafka and PostgreSQL SIGKILLed, the SMS/WhatsApp provider failing for a minute (~25 min); BROKERS=3 on a Kafka cluster, its leader SIGKILLed twice (~30 min)
	@$(PY) -m bench.chaos --rate 50 --workers 10000 --kills 2 --console --grievances --provider-seconds 60 --outage 20 --gap 10 --slow-accounts-every 100 --brokers $(or $(BROKERS),1) --section chaos-scale --write

# Containers (docs/deploy.md): Docker is needed only by these targets, never by `make test`.
.PHONY: images compose-up compose-down compose-test test-containers
images:             ## build the images here (debootstrap base, no registry needed)
	@deploy/compose/compose.sh images

compose-up:         ## the stack in containers (docker-compose.yml + local images), until healthy
	@deploy/compose/compose.sh up

compose-down:       ## stop it, remove its volumes, stop a dockerd that compose.sh started
	@deploy/compose/compose.sh down

compose-test: $(STAMP)  ## compose-up, the end-to-end suite against it, compose-down
	@deploy/compose/compose.sh test

test-containers: $(STAMP)  ## the integration tier on Kafka and PostgreSQL started by testcontainers
	@deploy/compose/compose.sh integration

docs: $(STAMP)      ## regenerate the AsyncAPI document of every service
	@$(PY) -m deploy.asyncapi docs/asyncapi

clean: down
	rm -rf .jaring
