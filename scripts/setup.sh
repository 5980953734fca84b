#!/usr/bin/env bash
# Everything the tests and the benchmark need, on a fresh machine: Debian's chromium,
# fonts-noto-cjk, fonts-ipaexfont-gothic, strace and LibreOffice Calc when missing (Playwright
# cannot download its own browser here) and the pinned Python packages in .venv. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
{ command -v fc-list >/dev/null && fc-list | grep -q "Noto Sans CJK"; } || need+=(fonts-noto-cjk)
# IPAex Gothic is TrueType, which Chromium embeds in PDFs as a real font (Noto CJK becomes Type 3).
{ command -v fc-list >/dev/null && fc-list | grep -q "IPAexGothic"; } || need+=(fonts-ipaexfont-gothic)
# strace lets a test prove that making a report contacts no host.
command -v strace >/dev/null || need+=(strace)
# LibreOffice opens our exports in a test, to show that no cell becomes a formula; Calc alone,
# without its recommended GUI and Java packages.
lean=()
command -v soffice >/dev/null || lean+=(libreoffice-calc-nogui)
if [ ${#need[@]} -gt 0 ] || [ ${#lean[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${need[*]} ${lean[*]} from Debian"
  $sudo apt-get update -qq
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if [ ${#lean[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${lean[@]}" >/dev/null
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
