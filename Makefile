.PHONY: run dev test lint fmt bench
run:  ## bring up web (gunicorn, as in production) + worker + beat with demo data
	bash scripts/run.sh
dev:  ## the same with Django's runserver (auto-reload; no persistent connections)
	CAREWATCH_PROCFILE=Procfile.dev bash scripts/run.sh
test:  ## lint, migrations check and the whole suite
	bash scripts/test.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache
fmt:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .
bench:
	.venv/bin/python bench/tenancy/run.py
