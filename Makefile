# The quick start is two commands: `make run` and `make test`. Everything they need is installed
# from the package registries on first use and re-installed when the requirement files change.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

# Development and test runs set their own throwaway keys; production must set DJANGO_SECRET_KEY.
# `make run` starts its own Redis on a port of its own, so it never meets a Redis the machine
# (or CI, on 6379) already runs: database 0 is the cache, 1 the worker's broker.
DEV_REDIS_PORT ?= 6390
DEV_ENV := DJANGO_DEBUG=1 DJANGO_SECRET_KEY=dev-only-not-a-secret \
	REDIS_URL=redis://127.0.0.1:$(DEV_REDIS_PORT)/0 \
	CELERY_BROKER_URL=redis://127.0.0.1:$(DEV_REDIS_PORT)/1
# The set-up steps run before that Redis starts; it keeps nothing on disk, so it starts empty and
# there is no cached page for them to forget.
SETUP_ENV := $(DEV_ENV) REDIS_URL= CELERY_BROKER_URL=
TEST_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=test-only-not-a-secret DJANGO_SECURE_SSL_REDIRECT=0 \
	DJANGO_ALLOWED_HOSTS=testserver,localhost,127.0.0.1 \
	DJANGO_EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend

.PHONY: install browser redis run test lint format pytest check-deploy collectstatic clean

install: $(STAMPS)/python $(STAMPS)/node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/python: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests (needs root and apt)"; \
		apt-get install -y --no-install-recommends chromium || \
		{ apt-get update && apt-get install -y --no-install-recommends chromium; }; }

$(STAMPS)/node: package.json package-lock.json
	npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

# `make run` starts Debian's Redis as the worker's broker and the cache.
redis:
	@command -v redis-server >/dev/null || { \
		echo "Installing Debian's redis-server for make run (needs root and apt)"; \
		apt-get install -y --no-install-recommends redis-server || \
		{ apt-get update && apt-get install -y --no-install-recommends redis-server; }; }

# Development's own VAPID key pair, made once and kept (a browser's subscription belongs to one
# pair), so that push notifications can be tried locally. .run/ is not committed.
.run/dev.env: | $(STAMPS)/python
	@mkdir -p .run
	$(DEV_ENV) $(BIN)/python manage.py make_vapid_keys > $@.new && mv $@.new $@

## make run: install, migrate a SQLite database, make the demo accounts and load the articles in
## the demo reviewer's name, then serve
## with Redis, the worker and the scheduler beside the web server (Procfile.dev, honcho). Ctrl+C,
## or any one of them stopping, stops them all.
run: install redis .run/dev.env
	$(SETUP_ENV) $(BIN)/python manage.py migrate --noinput
	$(SETUP_ENV) $(BIN)/python manage.py create_demo_accounts
	$(SETUP_ENV) $(BIN)/python manage.py load_articles --approve-as reviewer \
		--role "Physiotherapist (demo account, not a real review)"
	$(DEV_ENV) npm run --silent build:sw
	@echo "Serving http://127.0.0.1:8000 with Redis (port $(DEV_REDIS_PORT)), the worker and the scheduler (Ctrl+C stops all)"
	$(DEV_ENV) DEV_REDIS_PORT=$(DEV_REDIS_PORT) PATH="$(abspath $(BIN)):$$PATH" \
		$(BIN)/honcho -f Procfile.dev -e .run/dev.env start

## make test: lint (ruff, mypy), check migrations, run the whole suite, browser tests included (SQLite
## unless DATABASE_URL is set). Screenshots and a JUnit report land in test-artifacts/.
test: install browser lint
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) pytest

# Tests run against collected, hashed static files, as production serves them.
pytest: install collectstatic
	$(TEST_ENV) $(BIN)/pytest --junitxml=test-artifacts/junit.xml $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	DJANGO_SECRET_KEY=lint-only $(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make check-deploy: Django's deployment checklist with the production variables of the README.
check-deploy: install
	DJANGO_SECRET_KEY="$$(openssl rand -base64 48)" DJANGO_ALLOWED_HOSTS=portal.example.org \
		EMAIL_HOST=smtp.example.org REDIS_URL=redis://127.0.0.1:6379/0 \
		PORTAL_SITE_URL=https://portal.example.org \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# Django's collectstatic, then the service worker (Workbox, scripts/build-sw.mjs) from the
# collected, hashed names; WhiteNoise serves it at /sw.js (build/root/, not committed).
collectstatic: install
	DJANGO_SECRET_KEY=collectstatic-only $(BIN)/python manage.py collectstatic --noinput -v0
	npm run --silent build:sw

clean:
	rm -rf $(VENV) node_modules $(STAMPS) staticfiles build .pytest_cache .ruff_cache

# --- Operations: backups and the load test (both need PostgreSQL; see docs/reliability.md) ---
.PHONY: backup restore loadtest loadtest-restart

## make backup [BACKUP_FILE=...]: pg_dump -Fc of DATABASE_URL (default backups/backcramp-<UTC time>.dump).
backup:
	scripts/backup.sh $(BACKUP_FILE)

## make restore BACKUP_FILE=...: restore a backup into DATABASE_URL, after you type its name.
restore:
	@test -n "$(BACKUP_FILE)" || { echo "Usage: make restore BACKUP_FILE=backups/<file>.dump" >&2; exit 2; }
	scripts/restore.sh "$(BACKUP_FILE)"

## make loadtest: Locust, 50 patients + 3 clinicians + 10 readers for 60 s, against gunicorn on a fresh PostgreSQL database.
loadtest: install
	$(BIN)/python scripts/load_check.py $(LOADTEST_ARGS)

## make loadtest-restart: the same, with PostgreSQL stopped and started again during the run.
loadtest-restart: install
	$(BIN)/python scripts/load_check.py --restart-db $(LOADTEST_ARGS)

# --- The benchmark (PostgreSQL, gunicorn and wrk; see docs/performance.md) ---
.PHONY: bench bench-data wrk

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/backcramp_bench
BENCH_DATA_ARGS ?= --patients 10000 --clinicians 50
BENCH_ARGS ?=
export BENCH_DATABASE_URL

wrk:
	@command -v wrk >/dev/null || { \
		echo "Installing Debian's wrk for the benchmark (needs root and apt)"; \
		apt-get install -y --no-install-recommends wrk || \
		{ apt-get update && apt-get install -y --no-install-recommends wrk; }; }

## make bench-data: create BENCH_DATABASE_URL's database and fill it with demo data (replacing any).
bench-data: install
	$(BIN)/python -m bench.prepare $(BENCH_DATA_ARGS)

## make bench [BENCH_REDIS=1]: every scenario against gunicorn, table in bench/results/.
bench: install collectstatic wrk
	$(BIN)/python -m bench.run $(if $(BENCH_REDIS),--redis) $(BENCH_ARGS)

# --- Lighthouse on a phone (issue 16; Debian's Chromium; see docs/performance.md) ---
.PHONY: lighthouse

LIGHTHOUSE_ARGS ?=

## make lighthouse [LIGHTHOUSE_ARGS="--runs 5 --pages home,dashboard"]: Lighthouse (mobile) on
## each page against gunicorn with production settings; table in bench/results/.
lighthouse: install collectstatic browser
	$(BIN)/python -m bench.lighthouse $(LIGHTHOUSE_ARGS)
