# Deep Learning for E-commerce: the two commands are `make lab` and `make test`.
# Both set everything up on a fresh clone (a virtual environment in .venv with the pinned
# packages and course_lib) and do nothing more the second time unless a pin changed.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: help setup lab test test-fast grade start exercises data times strip clean-venv

help:
	@echo "make lab             set up, then open the course in JupyterLab"
	@echo "make test            set up, then run every test (notebooks, grading, hygiene, browser)"
	@echo "make start CH=01     copy chapter 01's exercise into work/ (never overwrites)"
	@echo "make grade NB=PATH   grade an exercise notebook"
	@echo "make exercises       regenerate exercises/ from solutions/"
	@echo "make data            build the shop world's data cache"
	@echo "make times           time every notebook alone against the 60 s budget"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; v = sys.version_info[:2]; sys.exit(0) if v == (3, 11) else print(f"warning: the course is tested on Python 3.11; this is {v[0]}.{v[1]}")'
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

# Jupyter refuses to run as root unless told; containers and CI often are root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: setup
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks/00_welcome.ipynb

# The data cache is filled first: the 60 s notebook budget assumes it (cold build times are
# printed by `course_lib data`), and parallel notebooks then never build the same data twice.
test: setup
	$(PY) -m course_lib data
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope --nbval-lax --nbval-current-env \
		-p no:cacheprovider tests notebooks solutions

test-fast: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope -m "not browser" tests

grade: setup
	@test -n "$(NB)" || { echo "usage: make grade NB=work/01_neurons_exercises.ipynb"; exit 2; }
	$(PY) -m course_lib grade "$(NB)"

start: setup
	@test -n "$(CH)" || { echo "usage: make start CH=01"; exit 2; }
	$(PY) -m course_lib start "$(CH)"

exercises: setup
	$(PY) -m course_lib exercises

data: setup
	$(PY) -m course_lib data

times: setup
	$(PY) -m course_lib times

strip: setup
	$(VENV)/bin/nbstripout notebooks/*.ipynb solutions/*.ipynb exercises/*.ipynb

clean-venv:
	rm -rf $(VENV)
