#!/usr/bin/env bash
# Issue 3: protocol depth against SCIMMY, same harness, same data, same run.
#   F1 filter mix (eq/sw/co/or/and/not/value paths, 10,000 users)
#   P1 Entra user PATCH mix ("True"/"False" strings, path-less Replace, value paths, capitalized ops)
#   P2 group member PATCH mix (Add, then Remove by filter or by value list)
#   B1 POST /Bulk with 1,000 operations
# Before the load, probe.mjs sends every shape once and checks the answer and its effect (a server
# that refuses a shape answers faster; the probe table says which).
#
#   ORGSCIM_BIN=build-bench/plugin/cli/orgscim bench/protocol/run.sh
#
# Environment (defaults in brackets): ORGSCIM_BIN [build/plugin/cli/orgscim], PEERS ["scimmy orgscim"],
# WORKLOADS ["F1 P1 P2 B1"], DURATION [6], WARMUP [2], USERS [10000], CONNS [16], WRK_TIMEOUT [30s],
# B1: CONNS_B1 [2] DURATION_B1 [20] WARMUP_B1 [0] WRK_TIMEOUT_B1 [120s]; PORT [18090]; OUT.
# `scimmy` is the harness's scimmy-mem with /Bulk switched on (bench/peers/scimmy-bulk.mjs);
# `orgscim` is `orgscim serve` on a fresh SQLite database with the access log off.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../peers/common.sh"
bench_init protocol
read -r -a PEERS <<<"${PEERS:-scimmy orgscim}"
read -r -a WL <<<"${WORKLOADS:-F1 P1 P2 B1}"
# 64 connections would leave SCIMMY's slow requests (seconds) queued past any sane timeout.
export DURATION="${DURATION:-6}" WARMUP="${WARMUP:-2}" USERS="${USERS:-10000}" CONNS="${CONNS:-16}"
export WRK_TIMEOUT="${WRK_TIMEOUT:-30s}" CONNS_B1="${CONNS_B1:-2}" DURATION_B1="${DURATION_B1:-20}"
export WARMUP_B1="${WARMUP_B1:-0}" WRK_TIMEOUT_B1="${WRK_TIMEOUT_B1:-120s}" SCIM_ERRORS="${SCIM_ERRORS:-1}"
PORT="${PORT:-18090}"
BASE="http://127.0.0.1:$PORT/scim/v2"

SPID=""
stop() { if [[ -n "$SPID" ]]; then kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; SPID=""; fi; }
trap stop EXIT
start() {  # $1 peer; sets SPID, TOKEN
  local log="$OUT/$1.log" org
  case "$1" in
    scimmy)
      TOKEN=bench-token
      (cd "$BENCH_PEERS_DIR/js" && exec env SCIM_TOKEN="$TOKEN" node scimmy-bulk.mjs "$PORT" memory) >"$log" 2>&1 &
      SPID=$! ;;
    orgscim)
      mkdir -p "$OUT/orgscim-db"
      printf '{"storage":{"backend":"sqlite","sqlite":{"path":"%s"}},"server":{"access_log":false}}\n' \
        "$OUT/orgscim-db/orgscim.db" >"$OUT/orgscim.json"
      bench_token "$OUT/orgscim.json"
      "$BIN" serve --config "$OUT/orgscim.json" --listen "127.0.0.1:$PORT" >"$log" 2>&1 &
      SPID=$! ;;
    *) echo "unknown peer $1 (scimmy orgscim)" >&2; return 1 ;;
  esac
  for _ in $(seq 1 80); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
    kill -0 "$SPID" 2>/dev/null || { echo "$1 died at start, see $log" >&2; return 1; }
    sleep 0.25
  done
  echo "$1 did not open port $PORT" >&2; return 1
}

: >"$OUT/probe.md"
for p in "${PEERS[@]}"; do
  echo "=== $p  $(date -Is)  load [$(cut -d' ' -f1-3 /proc/loadavg)]"
  start "$p"
  export TARGETS="$BASE" PIDS="$SPID" RUN_TAG="$TAG" DATADIR="$OUT/$p/data"
  OUT="$OUT/$p" "$ROOT/bench/peers/drive.sh" "$p" "$TOKEN"           # preload only
  node "$HERE/probe.mjs" "$BASE" "$TOKEN" "$DATADIR" "$p" | tee -a "$OUT/probe.md"
  PRELOAD=0 OUT="$OUT/$p" "$ROOT/bench/peers/drive.sh" "$p" "$TOKEN" "${WL[@]}" || echo "drive failed for $p"
  stop
done

echo
{
  echo "| server | shape | HTTP | verdict |"
  echo "|---|---|---|---|"
  cat "$OUT/probe.md"
  echo
  node "$ROOT/bench/peers/compare.mjs" "$RESULTS_TSV" --labels "$(IFS=,; echo "${PEERS[*]}")" \
    $([[ " ${PEERS[*]} " == *" scimmy "* && " ${PEERS[*]} " == *" orgscim "* ]] && echo --ratio orgscim/scimmy)
} | tee "$OUT/summary.md"
echo "raw results: $OUT"
