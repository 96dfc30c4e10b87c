# The two commands: `make run` and `make test`. Both set the machine up first.
PORT ?= 5000
VENV := .venv
FLASK := $(VENV)/bin/flask --app app

.PHONY: setup run test test-sqlite test-postgres bench bench-deps migrate demo clean translations screenshots

setup:
	@bash scripts/setup.sh

migrate: setup
	@$(FLASK) db upgrade

demo: migrate
	@$(FLASK) demo load

run: demo
	@PORT=$(PORT) $(VENV)/bin/python -m console.devrun

test: setup test-sqlite test-postgres

test-sqlite:
	@echo "== test suite on SQLite"
	@$(VENV)/bin/pytest -q

# Runs only where TEST_DATABASE_URL names a PostgreSQL database (.ci/run sets it when one answers).
test-postgres:
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== test suite on PostgreSQL"; \
		$(VENV)/bin/pytest -q; \
	else echo "== TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

# PNGs of the main pages (the console with the demo data, in chromium) for the README.
screenshots: setup
	@SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -q tests/browser/test_screenshots.py

# Every benchmark runs, even after one failed; make bench fails at the end if any did.
bench: setup bench-deps
	@failed=""; for f in bench/bench_*.py; do [ -e "$$f" ] || continue; echo "== $$f"; \
		$(VENV)/bin/python "$$f" || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "== failed:$$failed"; exit 1; fi

# sox with MP3 support is the baseline of bench/bench_media_convert.py: installed for the benchmarks only.
bench-deps:
	@if ! command -v sox >/dev/null || ! sox -h 2>/dev/null | grep -q ' mp3'; then \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		$$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
			--no-install-recommends sox libsox-fmt-mp3; \
	fi
	@# Ghostscript (AGPL) is the baseline of bench/bench_fax.py only: the console renders PDFs with pypdfium2.
	@if ! command -v gs >/dev/null; then \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		$$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
			--no-install-recommends ghostscript; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor

# After changing user-visible text: refresh the catalogue, translate the new German entries, commit the .po.
translations: setup
	@$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -w 120 --ignore-dirs ".*" -o translations/messages.pot .
	@$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching -w 120
	@$(VENV)/bin/pybabel compile -d translations
