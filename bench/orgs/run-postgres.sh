#!/usr/bin/env bash
# Issue 5 on PostgreSQL: orgscim_members_bench (a child's /Users with 10,000 inherited members
# against 10,000 home Users) on a throwaway cluster of Debian's PostgreSQL, started here and
# removed afterwards (under root the server runs as nobody: initdb refuses root).
#
#   BENCH=build-bench/bench/orgs/orgscim_members_bench bench/orgs/run-postgres.sh [benchmark args]
set -euo pipefail
BENCH="${BENCH:-build/bench/orgs/orgscim_members_bench}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
[[ -x "$BENCH" ]] || { echo "build orgscim_members_bench first (missing $BENCH)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/orgscim-members-pg.XXXXXX)"
as_pg() { if [[ $EUID -eq 0 ]]; then /usr/sbin/runuser -u nobody -- "$@"; else "$@"; fi; }
[[ $EUID -eq 0 ]] && chown nobody "$WORK"
cleanup() {
  [[ -f "$WORK/data/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
as_pg "$PG_BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$WORK/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
  -o "-h '' -k $WORK -p 5432 -c shared_buffers=128MB -c synchronous_commit=off" start >/dev/null
psql -X -q -h "$WORK" -p 5432 -U postgres -d postgres -c "CREATE DATABASE members"
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $WORK, synchronous_commit=off"
ORGSCIM_BENCH_BACKEND=postgresql \
  ORGSCIM_POSTGRES_URI="postgresql:///members?host=$WORK&port=5432&user=postgres" \
  "$BENCH" "$@"
