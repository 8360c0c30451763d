#!/usr/bin/env bash
# Issue 7: the harness workloads against orgscim on SQLite, on PostgreSQL with one instance, and on
# PostgreSQL with two instances (two `orgscim serve` on one database, the load spread over both by
# running one wrk per instance), in one run on one throwaway PostgreSQL cluster.
#
#   ORGSCIM_BIN=build-bench/plugin/cli/orgscim bench/postgres/run.sh
#   CONFIGS="pg1 pg2" WORKLOADS="W3 W4" DURATION=6 bench/postgres/run.sh
#
# Environment (defaults in brackets):
#   ORGSCIM_BIN [build/plugin/cli/orgscim]   CONFIGS ["sqlite pg1 pg2"]
#   WORKLOADS ["W1 W2 W4 W5 W6 W3 W7"]        DURATION [6] WARMUP [2] USERS [10000] CONNS [64]
#   PORT [18090] (pg2 also uses PORT+1)      POOL_SIZE [8] (per instance)  THREADS [0] (per instance)
#   WRITE_THREADS [unset: the server's default, 8 on SQLite and 0 on PostgreSQL]
#       (server.write_threads per instance; 0: writes on the I/O threads)
#   PIPELINE_READS [true]: storage.postgresql.pipeline_reads (false: every read blocks its I/O
#       thread for its own round trip, as before the thirteenth session)
#   PG_BIN [/usr/lib/postgresql/15/bin]      PG_SYNC [off]: synchronous_commit. `off` is the
#       PostgreSQL counterpart of SQLite's `synchronous=normal` in WAL mode (commits survive a crash
#       of orgscim, not of the machine); `on` fsyncs every commit.
#   PG_ANALYZE [1]: VACUUM ANALYZE the database after the preload, the state autovacuum brings a
#       freshly loaded table to within a minute. Without the ANALYZE the first workloads can run
#       on plans made for an empty table (docs/performance.md: W1 4.8 ms per primary-key lookup
#       instead of 0.02 ms); without the VACUUM the visibility map is empty, so an index-only scan
#       (W5 skipping to a deep page over (tenant, type, seq)) visits the heap for every row.
#   PG_STATS [1]: load pg_stat_statements and write, per configuration, the statements by total
#       execution time (with how often and how long they were planned) and the statements per
#       request of each workload to OUT/<config>/statements.txt
#   OUT [new temporary folder]
# Prints a markdown table (bench/peers/compare.mjs) and leaves the raw output in OUT.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../peers/common.sh"
bench_init pg
read -r -a CONFIGS <<<"${CONFIGS:-sqlite pg1 pg2}"
read -r -a WL <<<"${WORKLOADS:-W1 W2 W4 W5 W6 W3 W7}"
export DURATION="${DURATION:-6}" WARMUP="${WARMUP:-2}" USERS="${USERS:-10000}"
PORT="${PORT:-18090}"; POOL_SIZE="${POOL_SIZE:-8}"; PIPELINE_READS="${PIPELINE_READS:-true}"; THREADS="${THREADS:-0}"; WRITE_THREADS="${WRITE_THREADS:-}"
wt_key() { [[ -n "$WRITE_THREADS" ]] && printf ',"write_threads":%s' "$WRITE_THREADS"; return 0; }
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"; PG_SYNC="${PG_SYNC:-off}"; PG_STATS="${PG_STATS:-1}"; PG_ANALYZE="${PG_ANALYZE:-1}"

# Cluster in its own folder; under root the server runs as nobody (initdb refuses root).
WORK="$(mktemp -d /tmp/orgscim-bench-pgdata.XXXXXX)"
as_pg() { if [[ $EUID -eq 0 ]]; then /usr/sbin/runuser -u nobody -- "$@"; else "$@"; fi; }
[[ $EUID -eq 0 ]] && chown nobody "$WORK"
SRV_PIDS=()
cleanup() {
  local p
  for p in "${SRV_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${SRV_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -f "$WORK/data/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

as_pg "$PG_BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$OUT/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
  -o "-h '' -k $WORK -p 5432 -c max_connections=100 -c shared_buffers=128MB -c synchronous_commit=$PG_SYNC $(
      [[ "$PG_STATS" == 1 ]] && echo "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top -c pg_stat_statements.track_planning=on")" \
  start >"$OUT/pg_ctl.log" 2>&1
PG_PID="$(head -1 "$WORK/data/postmaster.pid")"
psql_() { local d="$1"; shift; psql -X -q -h "$WORK" -p 5432 -U postgres -d "$d" -v ON_ERROR_STOP=1 "$@"; }
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $WORK (pid $PG_PID), synchronous_commit=$PG_SYNC"

# Writes a config file, creates an organization and a token. $1 name, $2 backend. Sets TOKEN, CFG.
prepare() {
  local name="$1" backend="$2" org
  CFG="$OUT/$name.json"
  if [[ "$backend" == sqlite ]]; then
    mkdir -p "$OUT/$name"
    printf '{"storage":{"backend":"sqlite","sqlite":{"path":"%s"}},"server":{"access_log":false,"threads":%s%s}}\n' \
      "$OUT/$name/orgscim.db" "$THREADS" "$(wt_key)" >"$CFG"
  else
    psql_ postgres -c "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
    [[ "$PG_STATS" == 1 ]] && psql_ "$name" -c "CREATE EXTENSION pg_stat_statements"
    export ORGSCIM_POSTGRES_URI="postgresql:///$name?host=$WORK&port=5432&user=postgres"
    printf '{"storage":{"backend":"postgresql","postgresql":{"uri_env":"ORGSCIM_POSTGRES_URI","pool_size":%s,"pipeline_reads":%s}},"server":{"access_log":false,"threads":%s%s}}\n' \
      "$POOL_SIZE" "$PIPELINE_READS" "$THREADS" "$(wt_key)" >"$CFG"
  fi
  bench_token "$CFG"
  [[ -n "$TOKEN" ]] || { echo "$name: could not create an organization and token" >&2; return 1; }
}
serve() {  # $1 port $2 log; appends to SRV_PIDS
  "$BIN" serve --config "$CFG" --listen "127.0.0.1:$1" >"$2" 2>&1 &
  SRV_PIDS+=($!)
  for _ in $(seq 1 80); do
    curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
    kill -0 "${SRV_PIDS[-1]}" 2>/dev/null || { echo "orgscim died at start, see $2" >&2; return 1; }
    sleep 0.25
  done
  echo "orgscim did not open port $1" >&2; return 1
}
stop_all() {
  local p
  for p in "${SRV_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${SRV_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  SRV_PIDS=()
}

for c in "${CONFIGS[@]}"; do
  echo "=== $c  $(date -Is)  load [$(cut -d' ' -f1-3 /proc/loadavg)]"
  case "$c" in
    sqlite) prepare bench_sqlite sqlite; serve "$PORT" "$OUT/$c.log"
            targets="http://127.0.0.1:$PORT/scim/v2"; db="" ;;
    pg1)    prepare bench_pg1 postgresql; serve "$PORT" "$OUT/$c.log"
            targets="http://127.0.0.1:$PORT/scim/v2"; db="$PG_PID" ;;
    pg2)    prepare bench_pg2 postgresql; serve "$PORT" "$OUT/$c.a.log"; serve "$((PORT + 1))" "$OUT/$c.b.log"
            targets="http://127.0.0.1:$PORT/scim/v2 http://127.0.0.1:$((PORT + 1))/scim/v2"; db="$PG_PID" ;;
    *) echo "unknown config $c (sqlite pg1 pg2)" >&2; exit 2 ;;
  esac
  export TARGETS="$targets" PIDS="${SRV_PIDS[*]}" DB_PIDS="$db" RUN_TAG="$TAG" DATADIR="$OUT/$c/data"
  OUT="$OUT/$c" "$ROOT/bench/peers/drive.sh" "orgscim-$c" "$TOKEN"  # preload
  [[ -n "$db" && "$PG_ANALYZE" == 1 ]] && psql_ "bench_$c" -c "VACUUM ANALYZE"
  for w in "${WL[@]}"; do
    # Statements per request: pg_stat_statements is reset before each workload, read after it.
    [[ -n "$db" && "$PG_STATS" == 1 ]] && psql_ "bench_$c" -c "SELECT pg_stat_statements_reset()" >/dev/null
    PRELOAD=0 OUT="$OUT/$c" "$ROOT/bench/peers/drive.sh" "orgscim-$c" "$TOKEN" "$w" | grep -v '^label\|^#' || echo "drive failed for $c $w"
    if [[ -n "$db" && "$PG_STATS" == 1 ]]; then
      reqs="$(cat "$OUT/$c/$w".[wm].*.txt | sed -n 's/^RESULT .*"requests":\([0-9]*\).*/\1/p' | awk '{s+=$1} END{print s+0}')"
      calls="$(psql_ "bench_$c" -At -c "SELECT sum(calls) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'")"
      { echo "== $w: $calls statements for $reqs requests (warmup + measured) = $(awk -v a="$calls" -v b="$reqs" 'BEGIN{printf "%.1f", b ? a / b : 0}') per request"
        psql_ "bench_$c" -P pager=off -c "SELECT calls, plans, round(total_plan_time::numeric, 1) AS plan_ms,
            round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 150) AS query
          FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 15"
      } >>"$OUT/$c/statements.txt"
    fi
  done
  stop_all
done

echo
labels=(); for c in "${CONFIGS[@]}"; do labels+=("orgscim-$c"); done
ratio_args=()
[[ " ${CONFIGS[*]} " == *" pg2 "* && " ${CONFIGS[*]} " == *" pg1 "* ]] && ratio_args+=(--ratio orgscim-pg2/orgscim-pg1)
[[ " ${CONFIGS[*]} " == *" pg1 "* && " ${CONFIGS[*]} " == *" sqlite "* ]] && ratio_args+=(--ratio orgscim-pg1/orgscim-sqlite)
[[ " ${CONFIGS[*]} " == *" pg2 "* && " ${CONFIGS[*]} " == *" sqlite "* ]] && ratio_args+=(--ratio orgscim-pg2/orgscim-sqlite)
node "$ROOT/bench/peers/compare.mjs" "$RESULTS_TSV" --labels "$(IFS=,; echo "${labels[*]}")" "${ratio_args[@]}" \
  | tee "$OUT/summary.md"
echo "raw results: $OUT"
