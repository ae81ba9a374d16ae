#!/usr/bin/env bash
# Start the local PostgreSQL cluster when it is installed but not running, and make sure the
# `test` database exists. Under CI (CI=true) a server that cannot be reached is an error.
set -u
host=${TERRAPLAN_PG_HOST:-127.0.0.1}
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p 5432; then
  :
elif [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "Starting PostgreSQL..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p 5432 && break; sleep 1; done
fi
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p 5432; then
  psql -h "$host" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h "$host" -U postgres -d postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable on $host:5432 and CI=true: the PostgreSQL tests cannot run." >&2
  exit 1
fi
echo "PostgreSQL is not reachable on $host:5432: its tests will be skipped (CI never skips them)." >&2
exit 0
