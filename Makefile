# `make run` starts the dashboard on http://localhost:8501 with the demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test demo-files clean-db

run: $(VENV)/.runtime
	$(PY) -m impact demo --if-empty
	$(PY) -m streamlit run dashboard.py --server.address localhost --server.port $(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest

# Rewrite the demo CSV files after changing data/demo/build.py.
demo-files: $(VENV)/.runtime
	$(PY) data/demo/build.py

# Remove the default SQLite database (the next `make run` loads the demo data again).
clean-db:
	rm -f data/impact.sqlite3 data/impact.sqlite3-wal data/impact.sqlite3-shm

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@
