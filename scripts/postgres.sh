#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests.
# Installs Debian's postgresql package when the machine has none, starts the
# cluster when it is stopped. Never fails the caller: the store tests skip
# their PostgreSQL half, with a message, when no server can be started.
set -uo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if command -v pg_isready >/dev/null && ready; then echo "== PostgreSQL is running"; exit 0; fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing PostgreSQL (Debian package)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || echo "!! could not install postgresql"
  fi
fi
for v in $(ls /etc/postgresql 2>/dev/null); do
  pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || pg_ctlcluster "$v" main start 2>/dev/null || true
done
for _ in $(seq 1 20); do ready && { echo "== PostgreSQL is running"; exit 0; }; sleep 0.5; done
echo "!! PostgreSQL is not reachable: the PostgreSQL half of the store tests will be skipped"
exit 0
