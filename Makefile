# Two commands are the whole set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_BASE := $(VENV)/.installed-base
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint typecheck unit notebooks notebooks-refresh browser bench sandbox lab clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing python3-venv with apt" >&2; \
	  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_BASE): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@ $(STAMP_BASE)

# The demo and the tests always run on the embedded sandbox: SCALE_PILOT_TARGET (the one switch
# that moves a notebook onto a real NAS) is cleared for them; TRUENAS_* never moves anything.
SANDBOX_ONLY := env -u SCALE_PILOT_TARGET

demo: $(STAMP_BASE)
	$(SANDBOX_ONLY) $(BIN)/python -m scale_pilot_nb.notebook.demo

lint: $(STAMP_TEST)
	$(BIN)/ruff check scale_pilot_nb tests benchmarks
	$(BIN)/ruff format --check scale_pilot_nb tests benchmarks

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

unit: $(STAMP_TEST)
	$(SANDBOX_ONLY) $(BIN)/pytest -q -m "not browser"

# The notebooks are executable docs: their stored outputs are the reference (nbval).
notebooks: $(STAMP_TEST)
	$(SANDBOX_ONLY) $(BIN)/pytest -q -p no:cacheprovider --nbval --nbval-current-env \
	  --nbval-sanitize-with notebooks/nbval-sanitize.cfg notebooks/

test: lint typecheck unit notebooks

# Real browser test (not part of `make test`): JupyterLab driven by headless Chromium.
# Needs Debian's chromium (.ci/run installs it); the `browser` extra is installed here.
STAMP_BROWSER := $(VENV)/.installed-browser

$(STAMP_BROWSER): $(STAMP_TEST) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test,browser]'
	@touch $@

browser: $(STAMP_BROWSER)
	$(SANDBOX_ONLY) $(BIN)/pytest -q -m browser tests/browser

# Re-execute the notebooks so their stored outputs match the code (then review the diff).
notebooks-refresh: $(STAMP_BROWSER)
	$(SANDBOX_ONLY) $(BIN)/python notebooks/refresh.py

bench: $(STAMP_TEST)
	$(BIN)/python -m benchmarks

sandbox: $(STAMP_BASE)
	$(BIN)/scale-compose sandbox

# JupyterLab on the notebooks, which run on the embedded sandbox (the `lab` extra is installed here).
STAMP_LAB := $(VENV)/.installed-lab

$(STAMP_LAB): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[lab]'
	@touch $@ $(STAMP_BASE)

# Jupyter refuses to run as root unless told to (containers and CI machines often are root).
lab: $(STAMP_LAB)
	$(SANDBOX_ONLY) $(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
