# Newsroom: `make demo` serves the demo site, `make test` runs the whole suite.
# Both create .venv and install into it only when pyproject.toml changed.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's own address, for links in its email and robots.txt and the links it prints.
SITE_URL ?= http://$(HOST):$(PORT)

# Django 6.1 needs Python >= 3.12. `python3` may be older (pip would then quietly
# install Django 5.2), so try the versioned names first, then pyenv's installs.
PYTHON_CANDIDATES := $(PYTHON) python3.14 python3.13 python3.12 python3 \
	$(sort $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3))
FIND_PYTHON := for p in $(PYTHON_CANDIDATES); do \
	if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	echo "$$p"; break; fi; done

.PHONY: demo test lint format judge bench screenshots clean

$(VENV):
	@py="$$($(FIND_PYTHON))"; \
	if [ -z "$$py" ]; then \
		echo "make: Newsroom needs Python 3.12 or newer (Django 6.1); none found (tried: $(strip $(PYTHON_CANDIDATES))). Install one, e.g. 'pyenv install 3.13', or run 'make PYTHON=/path/to/python3.12'." >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py ($$("$$py" --version))"; \
	"$$py" -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	DEBUG=1 SITE_URL='$(SITE_URL)' $(BIN)/python manage.py load_demo
	@# The task worker (webhook deliveries) runs beside the dev server and stops with it.
	DEBUG=1 SITE_URL='$(SITE_URL)' $(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 SITE_URL='$(SITE_URL)' $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# HTTP benchmark of the story page: Newsroom uncached and cached, behind nginx, nginx's
# static ceiling and a Wagtail peer, side by side (bench/README.md). Needs wrk and nginx.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The independent page judges (Lighthouse, Nu HTML checker, axe, feed, sitemap, JSON-LD)
# against a running server, e.g. `make demo` in another terminal.
SITE ?= http://$(HOST):$(PORT)
TOOLS ?= ../shared/tools
judge:
	@test -x $(TOOLS)/audit-page || { echo "make judge: no page judges at $(TOOLS); set TOOLS=/path/to/tools" >&2; exit 1; }
	@curl -sf -o /dev/null $(SITE)/ || { echo "make judge: nothing answers at $(SITE); run 'make demo' first" >&2; exit 1; }
	@story=$$(curl -s $(SITE)/ | grep -o '/stories/[^"]*' | head -1); \
	tag=$$(curl -s "$(SITE)$$story" | grep -o '/tags/[^"]*' | head -1); \
	for path in / "$$story" "$$tag" "/search/?q=library"; do \
		echo "== $(SITE)$$path"; $(TOOLS)/audit-page "$(SITE)$$path" || exit 1; \
	done; \
	$(TOOLS)/check-jsonld "$(SITE)$$story" && \
	$(TOOLS)/check-feed $(SITE)/feeds/rss/ && $(TOOLS)/check-feed $(SITE)/feeds/atom/ && \
	$(TOOLS)/check-sitemap $(SITE)/sitemap.xml

# The README's screenshots of the staff screens, from a running demo (`make demo`).
screenshots: $(STAMP)
	@curl -sf -o /dev/null $(SITE)/ || { echo "make screenshots: nothing answers at $(SITE); run 'make demo' first" >&2; exit 1; }
	SITE=$(SITE) $(BIN)/python docs/screenshots/take.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
