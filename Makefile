# Each target bootstraps .venv from the requirements files on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint openapi migrate venv node-tools worker bench-dispatch messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# The pinned third-party tools the suite runs on openapi.yaml (tests/test_third_party_tools.py).
NODE_TOOLS := tests/clients/ts
$(NODE_TOOLS)/node_modules/.installed: $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error
	touch $@

node-tools: $(NODE_TOOLS)/node_modules/.installed

migrate: venv
	$(BIN)/alembic upgrade head

# The API (gunicorn) and the worker, on SQLite with pushes logged; no credentials needed.
# Ctrl-C stops both.
run: migrate
	@trap 'kill 0' INT TERM; \
	$(BIN)/flask --app wsgi worker & \
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers 1 --threads 4 wsgi:app & \
	wait

test: venv node-tools
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .

openapi: venv
	$(BIN)/flask --app wsgi openapi print --format=yaml > openapi.yaml

# The message catalogues: extract every msgid from the code into the template, then merge it
# into each locale's .po (new msgids arrive untranslated; the tests say which). See README.
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k plural:1,2 --no-location --sort-output \
		--add-comments=TRANSLATORS: --project=Steady --copyright-holder=Steady -o api/translations/messages.pot .
	$(BIN)/pybabel update -i api/translations/messages.pot -d api/translations --no-fuzzy-matching \
		--ignore-obsolete

worker: migrate
	$(BIN)/flask --app wsgi worker

bench-dispatch: venv
	$(BIN)/python -m bench.dispatch
