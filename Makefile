# `make run` and `make test` set themselves up on a fresh machine; `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/sample
SAMPLE := data/sample/fiqa_sample.jsonl
export HF_HUB_OFFLINE := 1

.PHONY: help setup run report check test lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: $(STAMP) ## make .venv with the project, CPU torch (pinned by constraints.txt; TORCH_INDEX=...) and the test tools

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: setup ## mine hard negatives for the committed sample with the default encoder -> out/sample (OUT=...)
	$(BIN)/prep run $(SAMPLE) --columns anchor=question,positive=documents --out "$(OUT)"
	@echo "output: $(OUT) (datasets.load_from_disk), with manifest.json, rejects.parquet, report.html"

report: setup ## profile the committed sample: terminal summary, out/report.json and out/report.html
	$(BIN)/prep report $(SAMPLE) --columns anchor=question,positive=documents \
		--json out/report.json --html out/report.html

check: run ## prep lint the output of `make run` for MultipleNegativesRankingLoss (exit 1 on errors)
	$(BIN)/prep lint "$(OUT)" --loss MultipleNegativesRankingLoss

test: setup ## run the test suite (tests on ../shared/data skip where it is absent)
	$(BIN)/python -m pytest

lint: setup ## ruff
	$(BIN)/ruff check pipeline schemas tests benchmarks

bench: setup ## prep report speed on generated input (benchmarks/report_speed.py; the others: benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/report_speed.py

clean: ## remove outputs (keeps .venv)
	rm -rf out
