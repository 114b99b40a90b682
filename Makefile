# `make run` starts the dashboard on http://localhost:8501 with the demo data; `make test` runs ruff (configured in
# pyproject.toml) and, if it passes, every test in two processes (pytest-xdist; a process that runs out of tests takes
# some of the other's, so neither ends alone on a long module) with mypy beside them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test demo-files translations clean-db

run: $(VENV)/.runtime
	$(PY) -m impact demo --if-empty
	$(PY) -m impact serve --address localhost --port $(PORT)

# mypy runs beside the tests: on a clean checkout it keeps one core busy for about 10 s, while pytest is still
# starting its processes. Its report is printed once the tests end; either failing fails the target.
test: $(VENV)/.dev node_modules/.package-lock.json
	$(PY) -m ruff check .
	$(PY) -m mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	$(PY) -m pytest -n 2 --dist worksteal; tests=$$?; \
	wait $$mypy; typed=$$?; cat $(VENV)/mypy.log; \
	if [ $$typed -ne 0 ]; then exit $$typed; fi; exit $$tests

# Rewrite the demo CSV files after changing data/demo/build.py.
demo-files: $(VENV)/.runtime
	$(PY) data/demo/build.py

# Refresh impact/locale/impact.pot from the code and merge it into each language's impact.po (then translate the
# new empty entries; `make test` fails while one is missing).
translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel extract -k _ -k N_ -k ngettext:1,2 --no-wrap --sort-output --no-location --project="hackathon impact dashboard" -o impact/locale/impact.pot dashboard.py pages impact
	$(VENV)/bin/pybabel update -i impact/locale/impact.pot -d impact/locale -D impact --no-wrap --ignore-obsolete --no-fuzzy-matching

# Remove the default SQLite database (the next `make run` loads the demo data again).
clean-db:
	rm -f data/impact.sqlite3 data/impact.sqlite3-wal data/impact.sqlite3-shm

# The packages are installed by uv (itself from PyPI, pinned here): the test dependencies in 8 s on a new checkout
# here, against 38 s with pip (which also compiles every file's bytecode).
INSTALL := $(VENV)/bin/uv pip install --quiet --python $(PY)

# Python keeps the bytecode it compiles for a module (in __pycache__, ignored by git), so that the many processes of
# a test run (servers, subprocesses) compile each module once, whatever the environment says: compiling only what
# is imported costs less than compiling all 9,000 files of the packages at install (12 s here).
unexport PYTHONDONTWRITEBYTECODE

# The environment is made without pip, whose own install took 9 s here, and the Python that makes it installs uv into
# it with its pip (`--python`, pip 22.3 or later). A Python without such a pip gives the environment a pip of its own.
$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install --quiet uv==0.13.9 2>/dev/null || \
	  { $(PY) -m ensurepip --upgrade >/dev/null && $(PY) -m pip install --quiet uv==0.13.9; }
	$(INSTALL) -r requirements.txt
	touch $@

# axe-core for the accessibility check in the browser tests (from the npm registry, pinned in package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(INSTALL) -r requirements-dev.txt
	touch $@
