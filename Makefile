# The README's first two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test fuzz clean chromium

# Headless Chromium for the HTML-report test (Debian packages); installed once, as root or with sudo.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/echostrain demo --out demo_output

# The layers contract (pyproject.toml, docs/architecture.md) first, then the suite.
test: $(VENV)/.installed-test chromium
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The readers' fuzzing at length (make test runs 15 examples per reader).
fuzz: $(VENV)/.installed-test
	ECHOSTRAIN_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} $(BIN)/python -m pytest -q tests/io/test_fuzz_readers.py

clean:
	rm -rf demo_output .pytest_cache build src/*.egg-info
