#!/usr/bin/env bash
# The page-load benchmark (bench/page_load.py): sets up like the tests, then measures every page
# beside its floors and rewrites bench/RESULTS.md (and LOAD.md, REPORTS.md, CLI.md). About twelve minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python bench/page_load.py --rounds "${ROUNDS:-9}" --write bench/RESULTS.md
# Load: 8 browser sessions over the reading pages and the floors while imports run; about five minutes.
.venv/bin/python bench/load_run.py --sessions "${SESSIONS:-8}" --rounds "${LOAD_ROUNDS:-5}" --write bench/LOAD.md
# Outputs (report PDF/HTML, meeting deck) beside their floors; about three minutes.
.venv/bin/python bench/report_build.py --rounds "${REPORT_ROUNDS:-3}" --write bench/REPORTS.md
# The command line: --help and the refusal of a zip bomb beside `import komae_kpi`; about half a minute.
.venv/bin/python bench/cli_refusal.py --rounds "${CLI_ROUNDS:-9}" --write bench/CLI.md
