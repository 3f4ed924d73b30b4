.PHONY: run test lint fmt bench
run:  ## bring up web + worker + beat with demo data
	bash scripts/run.sh
test:  ## lint, migrations check and the whole suite
	bash scripts/test.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache
fmt:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .
bench:
	.venv/bin/python bench/tenancy/run.py
