#!/usr/bin/env bash
# The page-load benchmark (bench/page_load.py): sets up like the tests, then measures every page
# beside its floors and rewrites bench/RESULTS.md. Takes about four minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python bench/page_load.py --rounds "${ROUNDS:-9}" --write bench/RESULTS.md
# Outputs (report PDF/HTML, meeting deck) beside their floors; about three minutes.
.venv/bin/python bench/report_build.py --rounds "${REPORT_ROUNDS:-3}" --write bench/REPORTS.md
