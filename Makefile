# scalpbot: `make demo` shows the product working, `make test` proves it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT := out/demo
DEMO_HOME := demo-home
DEMO_SPEED ?= 60

.PHONY: demo demo-backtest test lint typecheck contracts pytest bench fuzz crash-trials clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: a paper-trading session on the simulated NSE market with the built-in strategies and
## the dashboard at http://127.0.0.1:8050, until Ctrl-C (state is kept in demo-home/; the
## first start prints a one-time password for the user admin)
demo: $(STAMP)
	@test -f $(DEMO_HOME)/config.yaml || { $(BIN)/scalpbot init --home $(DEMO_HOME) >/dev/null && \
		cp demo/config.yaml $(DEMO_HOME)/config.yaml && echo "created $(DEMO_HOME)/"; }
	$(BIN)/scalpbot serve --home $(DEMO_HOME) --speed $(DEMO_SPEED) --resume --status-line

## demo-backtest: backtest the MA cross on bundled minute data and write an HTML report
demo-backtest: $(STAMP)
	@mkdir -p $(DEMO_OUT)
	$(BIN)/scalpbot backtest --data src/scalpbot/data/samples/2006-min-005.txt \
		--strategy ma_cross --param fast=10 --param slow=30 --param long_only=false \
		--symbol DEMO --quantity 1 --charges zerodha \
		--json $(DEMO_OUT)/backtest.json --report $(DEMO_OUT)/report.html
	@echo "Open $(DEMO_OUT)/report.html in a browser."

## test: lint, types, layer contracts and every test
test: lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/backtest_vs_peers.py

## fuzz: schemathesis over every API operation with more examples (over 1,000 cases)
fuzz: $(STAMP)
	SCALPBOT_FUZZ_EXAMPLES=$${SCALPBOT_FUZZ_EXAMPLES:-15} $(BIN)/pytest -q -s \
		tests/test_api_schemathesis.py

## crash-trials: kill live sessions on the Kite sandbox at random and check nothing is lost
crash-trials: $(STAMP)
	$(BIN)/python bench/crash_trials.py --trials $${TRIALS:-200}

clean:
	rm -rf $(VENV) out build *.egg-info
