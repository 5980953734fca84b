#!/usr/bin/env bash
# Sets up everything the tests need (scripts/setup.sh), then runs them all: lint, types, unit,
# AppTest and headless-Chromium tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
