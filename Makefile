# Sunbid: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bootstrap system-deps bench clean-data

$(STAMP): pyproject.toml scripts/bootstrap.sh
	@bash scripts/bootstrap.sh
	@touch $(STAMP)

bootstrap: $(STAMP)

run: $(STAMP)
	@$(VENV)/bin/sunbid serve

system-deps:
	@bash scripts/system-deps.sh

test: $(STAMP) system-deps
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-data:
	@$(VENV)/bin/sunbid db stop 2>/dev/null || true
	rm -rf var
