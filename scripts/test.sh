#!/usr/bin/env bash
# Sets up everything the tests need (scripts/setup.sh), then runs them all: lint, types, unit,
# AppTest and headless-Chromium tests. Extra arguments go to pytest.
# The tests run in two processes (pytest-xdist; a module's tests stay in one process, so they share
# its fixtures): the machines have two cores, and one process left the suite near its 15-minute
# budget. `-n 0` as an extra argument runs them in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 --dist loadscope "$@"
