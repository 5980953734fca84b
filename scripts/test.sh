#!/usr/bin/env bash
# Sets up everything the tests need, then runs them all: lint, types, unit, AppTest and browser tests.
# Works on a fresh machine: installs Debian's chromium and fonts-noto-cjk when missing (the browser
# tests drive Debian's Chromium; Playwright's own browser download does not work here) and the
# pinned Python packages into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
{ command -v fc-list >/dev/null && fc-list | grep -q "Noto Sans CJK"; } || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${need[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
