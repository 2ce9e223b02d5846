# Retaguarda: the Makefile targets are the interface. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DDB_VERSION := 2.9.30
DDB_DIR := .local/dynamodb-local
DDB_JAR := $(DDB_DIR)/DynamoDBLocal.jar
PORT ?= 8000
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
STAGE ?= dev
INFRA_STAMP := $(VENV)/.installed-infra

# The clock guard: the fast suites also run with the system clock more than 400 days ahead, at 01:30 UTC
# (22:30 of the day before in São Paulo, so a test taking the machine's date for São Paulo's fails).
FUTURE ?= $(shell date -u -d '+401 days' '+%Y-%m-%d 01:30:00')

.PHONY: help install system-packages run test test-fast test-future lint snapshot bench synth clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import chalice, pynamodb, moto, pydantic" && touch $@

$(INFRA_STAMP): requirements-infra.txt $(STAMP)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -r requirements-infra.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import aws_cdk, chalice.cdk, cfnlint, samtranslator" && touch $@

# DynamoDB Local ships inside the npm package amplify-dynamodb-simulator; it is unpacked
# here at set-up time and never committed (its licence is not open source).
$(DDB_JAR):
	@mkdir -p $(DDB_DIR)
	@cd $(DDB_DIR) && npm pack --silent amplify-dynamodb-simulator@$(DDB_VERSION) >/dev/null \
		&& tar xzf amplify-dynamodb-simulator-$(DDB_VERSION).tgz --strip-components=2 package/emulator \
		&& rm -f amplify-dynamodb-simulator-$(DDB_VERSION).tgz
	@test -f $@

install: $(STAMP) $(INFRA_STAMP) ## Create .venv and install everything (PyPI packages, CDK, DynamoDB Local, Chromium)
	@command -v java >/dev/null && $(MAKE) -s --no-print-directory $(DDB_JAR) || echo "warning: no Java; DynamoDB Local skipped (moto fallback)"
	@$(MAKE) -s --no-print-directory system-packages

# Debian packages for the browser test of the card-link checkout, the independent XML-DSig check
# (xmlsec1) and the clock guard (faketime). Installed when missing and when we may (root with apt);
# else the browser and xmlsec1 tests skip and `make test-future` says what to install.
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v xmlsec1 >/dev/null \
			|| ! command -v faketime >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing chromium, chromium-driver, xmlsec1 and faketime (Debian packages)"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver xmlsec1 faketime) >/dev/null 2>&1 \
				|| echo "warning: apt-get could not install chromium/xmlsec1/faketime; their tests will skip"; \
		else echo "warning: chromium/xmlsec1/faketime missing and not root: their tests will skip"; fi; \
	fi

run: install ## Start the whole local stack on 127.0.0.1 (PORT=8000 by default)
	@$(PY) -m local.run --port $(PORT)

# Two workers by file (the infra suite synthesizes once per worker that runs it), then the e2e
# suite in one process: it starts one local stack, as `make run` does.
test: install ## Run every test suite (unit, integration, api, contract, infra, e2e, then the clock guard)
	@$(PY) -m mypy chalicelib
	@$(PY) -m pytest -q -n 2 --dist loadfile -m "not e2e"
	@$(PY) -m pytest -q -p no:xdist tests/e2e
	@$(MAKE) -s --no-print-directory test-future

# libfaketime moves the system clock of pytest and everything it starts (LD_PRELOAD); each process
# starts at FUTURE and its clock runs from there.
test-future: install ## The fast suites (unit, api, contract) with the system clock at FUTURE (400+ days ahead)
	@command -v faketime >/dev/null || { echo "error: the clock guard needs faketime (apt-get install faketime)"; exit 1; }
	@echo "clock guard: unit, api and contract suites with the system clock at $(FUTURE) UTC (libfaketime)"
	@faketime -f "@$(FUTURE)" $(PY) -m pytest -q -n 2 --dist loadfile -p no:cacheprovider tests/unit tests/api tests/contract

test-fast: install ## Every suite but e2e
	@$(PY) -m pytest -q -n 2 --dist loadfile -m "not e2e"

lint: install ## ruff and mypy
	@$(PY) -m ruff check app.py chalicelib local tests bench infra
	@$(PY) -m mypy chalicelib

snapshot: install ## Refresh the reviewed OpenAPI snapshot after an intended API change
	@UPDATE_SNAPSHOT=1 $(PY) -m pytest -q tests/contract/test_openapi.py

bench: install ## Benchmarks; each prints its figures
	@$(PY) -m bench

synth: install ## Synthesize the CDK app offline (STAGE=dev|prod) into .local/infra/cdk.out
	@$(PY) infra/app.py -c stage=$(STAGE)

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) .local
