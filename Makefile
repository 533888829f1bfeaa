# Two commands for a newcomer: `make demo` and `make test`. Everything else is for maintainers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The demo needs the example's extra only; the suite, the test, example, browser and docs extras
# (the docs' extension is tested); the maintainers' targets (lint, the wheel, the matrix),
# everything.
DEMO_STAMP := $(VENV)/.installed-demo-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# pyenv keeps 3.11, 3.12 and 3.13 side by side on these machines; the matrix needs all of them.
export PYENV_VERSION ?= 3.11.7:3.12.1:3.13.0

# Bytecode is cached even where the environment says not to (these machines set
# PYTHONDONTWRITEBYTECODE=1): the suite starts dozens of Python processes (pytest, servers,
# manage.py), and each would compile the app and its tests again (pytest's collection alone
# takes three times as long).
unexport PYTHONDONTWRITEBYTECODE
# pip leaves the compiling to the first import: of thousands of installed modules, the suite
# imports a fraction (a fresh clone's install takes a quarter less).
PIP := $(BIN)/python -m pip install --quiet --no-compile

# The app's tests run on their own minimal settings (tests/); the example site's on its own.
EXAMPLE_TESTS := example_project/tests --ds=example_project.tests.settings
# The browser, many-process and tutorial tests: slow, and independent of the database and of
# Django's version, so CI runs them once (in make test) and leaves them out elsewhere.
QUICK := not newcomer and not browser and not services
# make demo PORT=8001 when 8000 is taken.
PORT ?= 8000

.PHONY: demo dev test _test-app _test-staff _test-example test-fast test-database bench load matrix matrix-newest matrix-main screenshots lint wheel wheel-check docs messages static clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(PIP) -e ".[test,example,browser,docs]"
	touch $(TEST_STAMP)

$(STAMP): $(TEST_STAMP)
	$(PIP) -e ".[test,example,browser,lint,docs]" nox build
	touch $(STAMP)

## make dev: everything the maintainers' targets need (lint, the wheel, the matrix)
dev: $(STAMP)

$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(PIP) -e ".[example]"
	touch $(DEMO_STAMP)

## make demo: the fluxems example site on http://127.0.0.1:$(PORT) (SQLite, nothing else to install)
demo: $(DEMO_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_user --base-url http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## make test: the whole test suite, with branch coverage
## (three runs side by side, each output shown whole when it ends)
test: $(TEST_STAMP)
	$(BIN)/python -m coverage erase
	$(MAKE) --no-print-directory -j3 -O _test-app _test-staff _test-example
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report

# Three runs on 2 CPUs: each spends part of its time waiting on Chromium, servers or pip, and
# the third fills it (with the virtualenv made, 220-244 s against 269 s for two runs; on a fresh
# clone, compiling makes the CPU the limit). The staff's side (the admin and the console, with
# the audit's and the scanner's Chromium) and the tutorial's replay are one; the app's other
# tests another; the example's the third. With the replay among the app's tests, that run
# ended 53 s after the staff's (249 s against 196 s, fresh clone), one CPU idle meanwhile; with
# it here, the three ended within 8 s of one another (261-269 s, in a slower run).
STAFF_TESTS := tests/admin tests/console tests/test_tutorial.py

_test-app:
	$(BIN)/python -m coverage run -m pytest $(addprefix --ignore=,$(STAFF_TESTS)) $(PYTEST_ARGS)

_test-staff:
	$(BIN)/python -m coverage run -m pytest $(STAFF_TESTS) $(PYTEST_ARGS)

_test-example:
	$(BIN)/python -m coverage run -m pytest $(EXAMPLE_TESTS) $(PYTEST_ARGS)

## make test-fast: all but the slow tests, no coverage (CI runs it on PostgreSQL + Redis)
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(QUICK)" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(QUICK)" $(EXAMPLE_TESTS) $(PYTEST_ARGS)

## make test-database: the tests of what differs from one database to another (the consent log,
## its chain, exports and purges, undeclared cookies, migrations, publishing, the consent POST)
## and the example's quick tests; CI runs them on MariaDB (DATABASE_URL=mysql://...)
DATABASE_TESTS := tests/proof tests/console tests/test_models.py tests/test_migrations.py \
	tests/test_concurrency.py tests/publishing/test_publish.py tests/enforcement/test_following.py \
	tests/pages/test_consent_endpoint.py tests/admin/test_console.py
test-database: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(QUICK)" $(DATABASE_TESTS) $(PYTEST_ARGS)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(QUICK)" $(EXAMPLE_TESTS) $(PYTEST_ARGS)

## make bench: ratios against a bare Django request, medians of interleaved rounds
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/sizes.py

## make load: 2,000 consent POSTs from 50 clients against gunicorn on PostgreSQL
load: $(STAMP)
	$(BIN)/python benchmarks/load.py

## make matrix: Django 5.2 on Python 3.11 and the newest Django on Python 3.13
matrix: $(STAMP)
	$(BIN)/nox

## make matrix-newest: the newest Django on Python 3.13, all but the slow tests (CI)
matrix-newest: $(STAMP)
	$(BIN)/nox -s "tests(py313-django61)" -- -q -m "$(QUICK)"

## make matrix-main: the suite on Django's main branch, allowed to fail (needs GitHub)
matrix-main: $(STAMP)
	$(BIN)/nox -s django_main

## make screenshots: the docs' screenshots taken again, in Chromium, by the browser tests that
## show each page (the banner light and dark, the admin, the proof, the audit, the tutorial)
screenshots: $(STAMP)
	COOKIECONSENT_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m browser $(EXAMPLE_TESTS)
	COOKIECONSENT_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_tutorial.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cookieconsent

## make wheel: dist/cookieconsent-<version>-py3-none-any.whl, to pip install without an index
wheel: $(BIN)/python
	rm -rf dist
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

## make docs: the Sphinx site in docs/_build/html, warnings as errors
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -n -E -b html docs docs/_build/html

## the wheel carries templates, static files, migrations, locale files and py.typed
wheel-check: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --wheel --outdir dist . >/dev/null
	$(BIN)/python .ci/check_wheel.py dist/*.whl

## make static: cookieconsent.min.js and .min.css (what the page loads) from cookieconsent.js and
## .css, through rjsmin and rcssmin
static: $(STAMP)
	$(BIN)/python -m rjsmin < cookieconsent/static/cookieconsent/cookieconsent.js \
		> cookieconsent/static/cookieconsent/cookieconsent.min.js
	$(BIN)/python -m rcssmin < cookieconsent/static/cookieconsent/cookieconsent.css \
		> cookieconsent/static/cookieconsent/cookieconsent.min.css

messages: $(STAMP)
	cd cookieconsent && ../$(BIN)/django-admin makemessages -l af --no-obsolete && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) dist build *.egg-info docs/_build .coverage .coverage.* .nox .pytest_cache
