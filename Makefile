# Two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
WAREHOUSE := $(or $(SCORECARD_WAREHOUSE),data/warehouse.duckdb)
PORT ?= 8501
export GX_ANALYTICS_ENABLED := false

.PHONY: run test venv warehouse demo bench clean postgres

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Builds the demo warehouse through the real ETL only if it is missing.
warehouse: $(VENV)/.installed
	@if [ ! -f "$(WAREHOUSE)" ]; then $(PY) -m etl demo; else echo "Warehouse $(WAREHOUSE) exists."; fi

demo: $(VENV)/.installed
	$(PY) -m etl demo

# serve.py serves app.py and warms the server up before its first request (ui/warmup.py); same app, pages, settings.
run: warehouse
	$(PY) -m launch streamlit run serve.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT) --browser.gatherUsageStats false

# Browser tests need Debian's chromium; install it once if missing.
/usr/bin/chromium:
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || sudo -n sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'

# Report tests read PDFs with Debian's poppler-utils (pdftotext, pdftoppm); reports use DejaVu Sans.
/usr/bin/pdftotext:
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils fonts-dejavu-core) || sudo -n sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils fonts-dejavu-core'

/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core) || sudo -n sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core'

# The store and SQL-source tests start a throwaway PostgreSQL cluster: Debian's postgresql when initdb is missing.
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; else \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) || \
	  sudo -n sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql'; fi

test: $(VENV)/.installed-dev /usr/bin/chromium /usr/bin/pdftotext /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf postgres
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed
	$(PY) -m benchmarks --scale 1 10

clean:
	rm -rf $(VENV) data/warehouse.duckdb* data/warehouse.parquet data/warehouse.followup.sqlite* data/sample test-artifacts
