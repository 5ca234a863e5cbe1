# Two commands do all the set-up: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint format bench-ami bench-rating bench-live bench-sim bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/callcontrol demo

test: $(STAMP)
	$(VENV)/bin/pytest --cov=callcontrol/domain --cov-branch --cov-report=term --cov-fail-under=90

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-ami: $(STAMP)
	$(PY) -m benchmarks.bench_ami

bench-rating: $(STAMP)
	$(PY) -m benchmarks.bench_rating

bench-live: $(STAMP)
	$(PY) -m benchmarks.bench_live

bench-sim: $(STAMP)
	$(PY) -m benchmarks.bench_sim

bench: bench-ami bench-rating bench-live bench-sim

clean:
	rm -rf $(VENV) .callcontrol build *.egg-info
