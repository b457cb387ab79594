# The two commands of the README:
#   make demo   start the demo site on SQLite at http://127.0.0.1:8000/
#   make test   install everything and run the checks and the test suite
# Each creates .venv and installs what it needs on first use.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

# pyenv keeps each Python in its own folder and puts only one on PATH; nox
# needs python3.11 and python3.13 side by side.
PYENV_PYTHONS := $(wildcard $(HOME)/.pyenv/versions/3.1[1-3]*/bin)
export PATH := $(subst $() $(),:,$(strip $(PYENV_PYTHONS) $(PATH)))
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test benchmark

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[drf]"
	touch $@

$(VENV)/.installed-tools: | $(PY)
	$(PY) -m pip install --quiet nox uv
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --group bench -e .
	touch $@

benchmark: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py $(BENCHFLAGS)

demo: $(VENV)/.installed-demo
	$(PY) example/manage.py rundemo

test: $(VENV)/.installed-tools
	scripts/install-system-packages
	$(VENV)/bin/nox $(NOXFLAGS)
