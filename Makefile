# Scrapbook: `make run` serves it, `make test` checks it. Both start from a bare clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
PYTEST_ARGS ?=
# `make test` runs the suite on this many processes (pytest-xdist; 0: in this one). Many tests
# wait on servers, Celery workers and timeouts, so 3 keep 2 cores busy; each more costs 20 s
# of CPU (collection, its test database, its servers) and slows the tests that time answers.
TEST_WORKERS ?= 3

.PHONY: run serve worker install install-dev js-install browser test bench-chat lint check-deploy demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Serving needs the runtime dependencies alone (requirements.txt); the tests and the linter
# add theirs on top (requirements-dev.txt). Each is reinstalled only when its requirements
# change: a new requirements.txt makes the runtime install newer than the dev one, so both
# are redone.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
RUNTIME_INSTALLED := $(VENV)/.installed-runtime
DEV_INSTALLED := $(VENV)/.installed-dev

$(RUNTIME_INSTALLED): requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(DEV_INSTALLED): requirements-dev.txt $(RUNTIME_INSTALLED)
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

install: $(RUNTIME_INSTALLED)

install-dev: $(DEV_INSTALLED)

# Migrate, load the demo catalogue and ratings (idempotent), fit the recommender.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py fit_recommender

run: demo serve

serve: install
	$(BIN)/python -m scrapbook.serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# With REDIS_URL (or CELERY_BROKER_URL): a Celery worker for the background tasks (IMDb
# refreshes, recommender refits), with celery beat, which queues the periodic ones. Exactly
# one beat per deployment: start further workers with `make worker BEAT=`.
BEAT ?= --beat
worker: install
	@if [ -z "$$REDIS_URL$$CELERY_BROKER_URL" ]; then \
		echo "make worker needs REDIS_URL (or CELERY_BROKER_URL); without one, make run runs the background tasks itself"; \
		exit 1; fi
	$(BIN)/celery -A scrapbook worker $(BEAT) --loglevel=info

# The JavaScript socket.io-client the chat tests drive (and the benchmark's bare Node
# server), Axios and playwright-core for the browser test: reinstalled only when the
# lock file changes.
JS_DIR := tests/js
$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && npm ci --no-audit --no-fund --silent
	touch $@

js-install: $(JS_DIR)/node_modules/.installed

# Debian's Chromium for the browser end-to-end test (tests/test_browser_e2e.py): installed
# with apt-get when missing and we are root. Never fails the build; the test then skips.
CHROMIUM_PATH ?= /usr/bin/chromium
browser:
	@if [ -x "$(CHROMIUM_PATH)" ]; then :; \
	elif [ "$$(id -u)" != 0 ]; then echo "browser: no Chromium at $(CHROMIUM_PATH) and not root, so not installing it: the browser test will skip"; \
	elif ! command -v apt-get >/dev/null; then echo "browser: no Chromium at $(CHROMIUM_PATH) and no apt-get: the browser test will skip"; \
	else echo "browser: installing Debian's chromium"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "browser: installing chromium with apt-get failed: the browser test will skip"; \
	fi

# --dist worksteal: each process starts with an equal share of the tests in order, so a module's
# tests, which may share servers started once per module, mostly run in the same process.
test: install-dev js-install browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench-chat: install-dev js-install
	$(BIN)/python bench/chat.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-deploy: install
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=check-deploy-only-$$(printf 'x%.0s' $$(seq 60)) \
		DJANGO_ALLOWED_HOSTS=scrapbook.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache $(JS_DIR)/node_modules
