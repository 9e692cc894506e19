# fleettap: `make help` lists the targets. Every target that needs Python depends on the venv
# stamp, so `make sim` or `make test` works on a fresh clone with no prior command.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fleettap-installed
STATE_DIR := $(or $(FLEETTAP_STATE_DIR),$(CURDIR)/.local)
export FLEETTAP_STATE_DIR := $(STATE_DIR)

ENV ?= dev
TARGET ?= local
STACK ?= embedded
SCENARIO ?= hos-violation
# `make load` defaults to the fleet-scale scenario unless SCENARIO is given on the command line.
LOAD_SCENARIO := $(if $(filter command line,$(origin SCENARIO)),$(SCENARIO),fleet-234k)
# `make load` on the local stack with neither SCENARIO nor VEHICLES: find the ceiling (a sweep).
LOAD_SWEEP := $(if $(filter local,$(TARGET)),$(if $(filter command line,$(origin SCENARIO))$(VEHICLES),,1))
DURATION ?= 1800
RATE ?=
FILE ?=
SQL ?=
PYTEST_ARGS ?=
SIM_ARGS ?=
CHAOS_ARGS ?=
# The edit-run loop and shell access (logs, invoke, event, sync, query): one function, an event file,
# output format of `make query` (csv|json), WATCH=1 for `make sync`.
FN ?=
EVENT ?=
FORMAT ?=
WATCH ?=
# The running local stack's AWS endpoint, for tools that take one (the simulator does not look for a stack).
LOCAL_ENDPOINT = $(PY) -c 'from harness.config import read_stack; print(read_stack().aws_endpoint)'

.PHONY: help install system-packages build up down status logs init plan apply destroy migrate rds-ca state-bucket seed \
	reset sim replay replay-failures load soak chaos capacity query test bench lint format checkov preflight clean
.PHONY: env psql redis-cli invoke event sync query-shell

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: ENV=$(ENV) TARGET=$(TARGET) STACK=$(STACK) SCENARIO=$(SCENARIO) STATE_DIR=$(STATE_DIR)"

$(STAMP): pyproject.toml requirements/dev.txt requirements/lambda.txt
	@$(MAKE) --no-print-directory system-packages
	@test -x $(PY) || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON) is older than 3.11: run with PYTHON=python3.11 (or newer)" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt -r requirements/lambda.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP) ## create/reuse .venv, install Python deps and missing system servers

system-packages: ## install redis-server / PostgreSQL via apt-get when missing (root), else explain
	@bash .ci/system-packages

build: $(STAMP) ## build the Lambda zips (build/lambda/functions.zip, deps-layer.zip)
	$(PY) -m harness.build

up: $(STAMP) ## start the local stack (STACK=embedded|compose); harmless when already up
	$(PY) -m harness up --stack $(STACK)

down: $(STAMP) ## stop exactly what `make up` started
	$(PY) -m harness down

status: $(STAMP) ## services, pids, ports and health (+ functions, mappings and lag once applied)
	$(PY) -m harness status
	@if test -f $(STATE_DIR)/stack.json; then $(PY) -m harness.runtime.status; fi

logs: ## last lines of every service and function log (FN=name: follow that function's log)
	@ls $(STATE_DIR)/logs/*.log >/dev/null 2>&1 || { echo "no logs under $(STATE_DIR)/logs: run make up" >&2; exit 1; }
	@$(if $(FN),$(PY) -m harness.runtime.logs --follow --exact $(FN),tail -n 40 $(STATE_DIR)/logs/*.log)

env: $(STAMP) ## shell exports for the running stack: eval "$(make -s env)" (AWS CLI/SDKs, psql)
	@$(PY) -m harness env

psql: $(STAMP) ## psql on the local Postgres (Aurora stand-in)
	@$(PY) -m harness psql

redis-cli: $(STAMP) ## redis-cli on the local Redis (ElastiCache stand-in)
	@$(PY) -m harness redis-cli

invoke: $(STAMP) ## run one deployed function with an event (FN=name EVENT=file.json; see make event)
	@test -n "$(FN)" || { echo "make invoke needs FN=<function> (and EVENT=file.json)" >&2; exit 2; }
	@$(PY) -m harness.invoke $(FN) $(EVENT)

event: $(STAMP) ## write a realistic event for one function from the simulator (FN=name [EVENT=out.json] [STEP=dot step])
	@test -n "$(FN)" || { echo "make event needs FN=<function>" >&2; exit 2; }
	@$(PY) -m harness.events $(FN) $(if $(EVENT),--output $(EVENT)) $(if $(STEP),--step $(STEP))

sync: $(STAMP) build ## hot reload: rebuilt handler code to the running functions, no apply (WATCH=1 keeps watching)
	$(PY) -m harness.hot_reload --env $(ENV) $(if $(WATCH),--watch)

init: $(STAMP) ## terraform init (ENV=dev|staging|prod TARGET=local|aws)
	$(PY) -m harness.terraform init --env $(ENV) --target $(TARGET)

plan: $(STAMP) build $(if $(filter local,$(TARGET)),up) ## terraform plan, then the preflight over it (TARGET=aws: saved for make apply)
	$(PY) -m harness.terraform plan --env $(ENV) --target $(TARGET)
	$(PY) -m preflight --env $(ENV) --target $(TARGET) $(if $(filter aws,$(TARGET)),--saved-plan)

preflight: $(STAMP) build $(if $(filter local,$(TARGET)),up) ## static checks of the plan AWS would refuse (concurrency, timeouts, IAM, API, state; ENV=...)
	$(PY) -m preflight --env $(ENV) --target $(TARGET)

apply: $(STAMP) build $(if $(filter local,$(TARGET)),up) ## terraform apply (TARGET=local: to the embedded emulator; TARGET=aws staging/prod: the plan make plan saved)
	$(PY) -m harness.terraform apply --env $(ENV) --target $(TARGET)

destroy: $(STAMP) ## terraform destroy
	$(PY) -m harness.terraform destroy --env $(ENV) --target $(TARGET)

migrate: $(STAMP) $(if $(filter local,$(TARGET)),up) ## apply handlers/migrations through the deployed schema_migrator (ENV, TARGET=local|aws; local without an applied stack: straight to Postgres)
	$(PY) -m harness.migrate --env $(ENV) --target $(TARGET)

rds-ca: ## download the RDS CA bundle (build/rds-ca) the handlers verify Aurora with; make build packages it (TARGET=aws needs it)
	mkdir -p build/rds-ca
	curl -fsSL --retry 3 -o build/rds-ca/global-bundle.pem.tmp https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
	mv build/rds-ca/global-bundle.pem.tmp build/rds-ca/global-bundle.pem

state-bucket: $(STAMP) ## create the S3 bucket of the Terraform states once per account (KMS, versioning, no public access; infra/backend/README.md)
	$(PY) -m harness.state_bucket --env $(ENV)

seed: $(STAMP) ## write the reference data (thresholds, HOS rules, geofences, fuel benchmarks) to the applied stack
	$(PY) -m harness.seed --env $(ENV)

reset: $(STAMP) ## wipe run data from the applied local stack (tables, Redis, Postgres, queues) and re-seed
	$(PY) -m harness.reset --env $(ENV)

sim: $(STAMP) build ## scenario_runner: SCENARIO end to end; it brings up, applies, migrates, seeds (SIM_ARGS=--test)
	$(PY) -m scenario_runner --scenario $(SCENARIO) --env $(ENV) $(SIM_ARGS)

replay: $(STAMP) ## replay a recorded JSON Lines/Parquet file into Kinesis (FILE=...)
	@test -n "$(FILE)" || { echo "make replay needs FILE=path/to/records.jsonl" >&2; exit 1; }
	@$(MAKE) --no-print-directory up
	$(PY) -m sim.replay --endpoint-url "$$($(LOCAL_ENDPOINT))" $(FILE)

FN ?=
replay-failures: $(STAMP) ## replay FN's failed stream batches from its on-failure destination (ENV TARGET; DRY_RUN=1 lists)
	@test -n "$(FN)" || { echo "make replay-failures needs FN=<function key or name>, e.g. FN=anomaly" >&2; exit 1; }
	$(PY) -m operations.replay --function $(FN) --env $(ENV) --target $(TARGET) $(if $(DRY_RUN),--dry-run)

load: $(STAMP) ## local, no SCENARIO/VEHICLES: sweep to the ceiling (loadtest.sweep); else loadtest.load (SCENARIO=fleet-234k TARGET=local|aws VEHICLES=n)
	$(if $(filter local,$(TARGET)),$(MAKE) --no-print-directory up)
	$(if $(LOAD_SWEEP),$(PY) -m loadtest.sweep --target local,$(PY) -m loadtest.load --scenario $(LOAD_SCENARIO) --target $(TARGET) --env $(ENV)$(if $(VEHICLES), --vehicles $(VEHICLES)))

soak: $(STAMP) ## steady-rate soak with loadtest.soak on the local stack applied for ENV (DURATION seconds at RATE records/s)
	@test -n "$(RATE)" || { echo "make soak needs RATE=records/s (the rate the stack sustains: docs/benchmarks.md)" >&2; exit 1; }
	@$(MAKE) --no-print-directory up
	$(PY) -m loadtest.soak --duration $(DURATION) --rate $(RATE) --env $(ENV)

chaos: $(STAMP) build ## fault suite: each fault alone and mixed while the simulator streams; the records table (CHAOS_ARGS=...)
	$(PY) -m chaos --env $(ENV) $(CHAOS_ARGS)

capacity: $(STAMP) ## capacity_planner: the plan for 234,000 vehicles vs infra/$(ENV).tfvars
	$(PY) -m capacity_planner --env $(ENV)

query: $(STAMP) ## ad-hoc SQL over the data-lake Parquet (SQL="select ..." FORMAT=csv|json; no SQL: tables)
	@$(PY) -m harness.runtime.query $(if $(FORMAT),--$(FORMAT)) $(if $(SQL),"$(SQL)")

query-shell: $(STAMP) ## interactive SQL prompt over the data lake (DuckDB)
	@$(PY) -m harness.runtime.query --interactive $(if $(FORMAT),--$(FORMAT))

test: $(STAMP) build ## the test suite (starts and stops its own services on free ports)
	$(PY) -m pytest tests --ignore=tests/bench $(PYTEST_ARGS)

bench: $(STAMP) build ## benchmarks (tests/bench) with pytest-benchmark enabled
	$(PY) -m pytest tests/bench --benchmark-enable $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint and format check), mypy over handlers/domain, terraform fmt -check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	env -u TF_CLI_CONFIG_FILE terraform fmt -check -recursive infra

format: $(STAMP) ## apply ruff's fixes and formatting, and terraform fmt
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	env -u TF_CLI_CONFIG_FILE terraform fmt -recursive infra

checkov: ## Terraform static analysis (checkov in its own venv: its pins clash with ours)
	@test -x .venv-checkov/bin/checkov || { $(PYTHON) -m venv .venv-checkov && .venv-checkov/bin/pip install --quiet -r requirements/checkov.txt; }
	.venv-checkov/bin/checkov --quiet --compact -d infra --framework terraform

clean: ## stop the stack, remove build/ and the local state (.local); keeps reports/
	-@test -x $(PY) && $(PY) -m harness down
	rm -rf build $(STATE_DIR) .pytest_cache .benchmarks
