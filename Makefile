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

.PHONY: help install system-packages run test test-fast lint snapshot bench synth clean

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

# Debian packages for the browser test of the card-link checkout and the independent XML-DSig
# check (xmlsec1). Installed when missing and when we may (root with apt); else those tests skip.
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v xmlsec1 >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing chromium, chromium-driver and xmlsec1 (Debian packages)"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver xmlsec1) >/dev/null 2>&1 \
				|| echo "warning: apt-get could not install chromium/xmlsec1; their tests will skip"; \
		else echo "warning: chromium/xmlsec1 missing and not root: their tests will skip"; fi; \
	fi

run: install ## Start the whole local stack on 127.0.0.1 (PORT=8000 by default)
	@$(PY) -m local.run --port $(PORT)

# Two workers by file (the infra suite synthesizes once per worker that runs it), then the e2e
# suite in one process: it starts one local stack, as `make run` does.
test: install ## Run every test suite (unit, integration, api, contract, infra, then e2e)
	@$(PY) -m mypy chalicelib
	@$(PY) -m pytest -q -n 2 --dist loadfile -m "not e2e"
	@$(PY) -m pytest -q -p no:xdist tests/e2e

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
