#!/usr/bin/env bash
# System packages the project needs from Debian (idempotent; installs only what is missing):
# - a CJK font (fonts-noto-cjk), so the report charts and the printed pages show Chinese;
# - Chromium (/usr/bin/chromium), which the browser tests of the web pages drive through
#   Playwright and which prints the fairs' invitation lists to PDF.
# Without root or apt-get nothing is installed and the script says what is missing.
set -uo pipefail
missing=()
# Count the CJK fonts into a variable: `fc-list | grep -q` under pipefail fails with 141 when grep
# stops reading early (SIGPIPE to fc-list), which made this script reinstall on every run.
cjk=$(fc-list 2>/dev/null | grep -ci "Noto Sans CJK\|Noto Serif CJK\|WenQuanYi\|Source Han" || true)
if [ "${cjk:-0}" -eq 0 ]; then missing+=(fonts-noto-cjk); fi
if [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing system packages: ${missing[*]}"
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null); then
    echo "!! could not install ${missing[*]}: charts fall back to English labels; the browser tests fail" >&2
  fi
else
  echo "!! missing system packages (install as root): ${missing[*]}" >&2
fi
exit 0
