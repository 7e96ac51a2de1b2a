# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
VENDOR := static/vendor

.PHONY: run test setup assets migrate seed lint check test-fast bench backup restore clean

run: setup assets migrate seed
	@echo ""
	@echo "============================================================"
	@echo " 基层党建工作管理平台: http://127.0.0.1:8000"
	@$(PY) manage.py demo_logins
	@echo "============================================================"
	$(PY) manage.py runserver 127.0.0.1:8000

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# Front-end assets come from the npm registry at build time and are served from our own static files.
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/htmx $(VENDOR)/echarts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css $(VENDOR)/bootstrap-icons/
	cp -r node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	touch $(VENDOR)/.installed

assets: $(VENDOR)/.installed

migrate: setup
	$(PY) manage.py migrate --noinput -v0

seed: migrate
	$(PY) manage.py seed_demo --if-empty

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# The whole suite: lint, migrations check, then pytest on SQLite and (where the binaries exist) on a real
# PostgreSQL and Redis started by tests/services.py; REQUIRE_SERVICES=1 turns a missing service into a failure.
test: setup assets lint
	$(PY) -m tests.services $(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -x -q -m "not browser and not services" $(PYTEST_ARGS)

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PIP) install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

# make backup [BACKUP_DIR=…]: the database (pg_dump custom format / SQLite's backup) and MEDIA_ROOT, with a manifest.
# make restore BACKUP=backups/backup-…: restored into DATABASE_URL and checked table by table against the manifest.
BACKUP_DIR ?= backups
backup: setup
	$(PY) manage.py backup --output $(BACKUP_DIR)

restore: setup
	@test -n "$(BACKUP)" || (echo "用法：make restore BACKUP=backups/backup-YYYYmmdd-HHMMSS" && exit 2)
	$(PY) manage.py restore $(BACKUP)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles db.sqlite3 artifacts
