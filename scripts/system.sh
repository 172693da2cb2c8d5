#!/usr/bin/env bash
# Best-effort system packages: a CJK font so the report charts show Chinese labels.
# Without it the charts fall back to English labels; nothing fails.
set -uo pipefail
if fc-list 2>/dev/null | grep -qi "Noto Sans CJK\|WenQuanYi\|Source Han"; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing a CJK font for the report charts (fonts-noto-cjk)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null) \
    || echo "!! no CJK font installed: report charts will use English labels"
fi
exit 0
