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
DURATION ?= 1800
RATE ?=
FILE ?=
SQL ?=
PYTEST_ARGS ?=
SIM_ARGS ?=
CHAOS_ARGS ?=
# The running local stack's AWS endpoint, for tools that take one (the simulator does not look for a stack).
LOCAL_ENDPOINT = $(PY) -c 'from harness.config import read_stack; print(read_stack().aws_endpoint)'

.PHONY: help install system-packages build up down status logs init plan apply destroy migrate seed \
	reset sim replay load soak chaos capacity query test bench lint format checkov preflight clean

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

logs: ## last lines of every service and function log under $(STATE_DIR)/logs
	@ls $(STATE_DIR)/logs/*.log >/dev/null 2>&1 || { echo "no logs under $(STATE_DIR)/logs: run make up" >&2; exit 1; }
	@tail -n 40 $(STATE_DIR)/logs/*.log

init: $(STAMP) ## terraform init (ENV=dev|staging|prod TARGET=local|aws)
	$(PY) -m harness.terraform init --env $(ENV) --target $(TARGET)

plan: $(STAMP) build $(if $(filter local,$(TARGET)),up) ## terraform plan, then the preflight over it
	$(PY) -m harness.terraform plan --env $(ENV) --target $(TARGET)
	$(PY) -m preflight --env $(ENV) --target $(TARGET)

preflight: $(STAMP) build $(if $(filter local,$(TARGET)),up) ## static checks of the plan AWS would refuse (concurrency, timeouts, IAM, API, state; ENV=...)
	$(PY) -m preflight --env $(ENV) --target $(TARGET)

apply: $(STAMP) build $(if $(filter local,$(TARGET)),up) ## terraform apply (TARGET=local: to the embedded emulator)
	$(PY) -m harness.terraform apply --env $(ENV) --target $(TARGET)

destroy: $(STAMP) ## terraform destroy
	$(PY) -m harness.terraform destroy --env $(ENV) --target $(TARGET)

migrate: $(STAMP) up ## apply the Aurora/Postgres migrations (handlers/migrations) to the local stack
	$(PY) -m harness.migrate

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

load: $(STAMP) ## load test with loadtest.load (SCENARIO=fleet-234k TARGET=local|aws)
	$(if $(filter local,$(TARGET)),$(MAKE) --no-print-directory up)
	$(PY) -m loadtest.load --scenario $(LOAD_SCENARIO) --target $(TARGET)

soak: $(STAMP) ## steady-rate soak with loadtest.soak on the local stack (DURATION seconds at RATE records/s)
	@test -n "$(RATE)" || { echo "make soak needs RATE=records/s (the rate the stack sustains: docs/benchmarks.md)" >&2; exit 1; }
	@$(MAKE) --no-print-directory up
	$(PY) -m loadtest.soak --duration $(DURATION) --rate $(RATE)

chaos: $(STAMP) build ## fault suite: each fault alone and mixed while the simulator streams; the records table (CHAOS_ARGS=...)
	$(PY) -m chaos --env $(ENV) $(CHAOS_ARGS)

capacity: $(STAMP) ## capacity_planner: the plan for 234,000 vehicles vs infra/$(ENV).tfvars
	$(PY) -m capacity_planner --env $(ENV)

query: $(STAMP) ## ad-hoc SQL over the data-lake Parquet (SQL="select ..."; without SQL: list tables)
	$(PY) -m harness.runtime.query $(if $(SQL),"$(SQL)")

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

clean: ## stop the stack, remove build/ and the local state (.local)
	-@test -x $(PY) && $(PY) -m harness down
	rm -rf build $(STATE_DIR) .pytest_cache .benchmarks
