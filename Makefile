# Set-up and everyday commands. Only python3 (3.11), git and make are needed on the machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= org
STAMP  := $(VENV)/.installed

.PHONY: help test plan lint validate bench clean

## help: list these targets with what each does (from their ## comments)
help:
	@sed -n 's/^## \([a-z-]*\): /\1\t/p' $(MAKEFILE_LIST) | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt policies/dependencies.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## test: lint, type-check the app's composition and run the whole test suite (creates the virtualenv on first use)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

## plan: evaluate a stack offline with its policies (STACK=org by default)
plan: $(STAMP)
	$(BIN)/python -m org plan --stack $(STACK)

## validate: check every org data file (accounts, OUs, SCPs, SSO) as CI does on vending PRs
validate: $(STAMP)
	$(BIN)/python -m org validate
	$(BIN)/python -m org access

## bench: the benchmarks (minutes; not tests): plan scaling, policy throughput, mail forwarder
bench: $(STAMP)
	$(BIN)/python benchmarks/plan_scale.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/policy_throughput.py
	$(BIN)/python benchmarks/mail_forwarder.py

## lint: ruff over the whole repository
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## clean: remove the virtualenv and the tool caches
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
