#!/usr/bin/env bash
# Speed through Glewlwyd vs standalone, in the same run: W1 and W7 (see ../shared/peers/README.md)
# against `orgscim serve` and against the module inside Glewlwyd 2.7.5 (SQLite both), same data
# size. Prints one TSV line per workload and server; the ratio glewlwyd/standalone is the figure.
#
#   tests/e2e/glewlwyd_bench.sh                 # build dir: build/
#   BUILD=build-rel USERS=10000 WL="W1 W7" tests/e2e/glewlwyd_bench.sh
#
# Needs Glewlwyd (docs/glewlwyd.md), wrk and node, and ../shared/peers (PEERS_DIR overrides).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
MODULE="$BUILD/plugin/glewlwyd/liborgscim_glewlwyd.so"
ORGSCIM="$BUILD/plugin/cli/orgscim"
[[ -f "$MODULE" && -x "$ORGSCIM" ]] || { echo "build orgscim and orgscim_glewlwyd first" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/orgscim-glewlwyd-bench.XXXXXX")
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
# shellcheck source=free_port.sh
. "$(dirname "$0")/free_port.sh"
wait_http() { for _ in $(seq 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

PORT=$(free_port); BASE="http://127.0.0.1:$PORT"; API="$BASE/api"; J='Content-Type: application/json'
sqlite3 "$W/glewlwyd.db" </usr/share/dbconfig-common/data/glewlwyd/install/sqlite3
mkdir "$W/plugins"; cp /usr/lib/glewlwyd/plugin/*.so "$MODULE" "$W/plugins/"
cat >"$W/glewlwyd.conf" <<C
port=$PORT
bind_address="127.0.0.1"
external_url="$BASE"
api_prefix="api"
log_mode="file"
log_file="$W/glewlwyd.log"
log_level="WARNING"
admin_session_authentication="cookie,api_key"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="$W/plugins"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "$W/glewlwyd.db"; };
C
setsid /usr/bin/glewlwyd -c "$W/glewlwyd.conf" >"$W/stdout.log" 2>&1 </dev/null & GPID=$!; PIDS+=("$GPID")
wait_http "$BASE/config"
curl -fsS -c "$W/cookies" -H "$J" -d '{"username":"admin","password":"password"}' "$API/auth/" >/dev/null
jq -n --arg db "$W/gw-orgscim.db" '{storage:{backend:"sqlite",sqlite:{path:$db}}}' >"$W/gw.json"
jq -n --slurpfile c "$W/gw.json" '{module:"orgscim",name:"scim",display_name:"orgscim",enabled:true,
    parameters:($c[0] + {glewlwyd:{sync_users:(env.SYNC != "0")}})}' >"$W/instance.json"
curl -fsS -b "$W/cookies" -H "$J" -d @"$W/instance.json" "$API/mod/plugin/" >/dev/null
ORG=$("$ORGSCIM" orgs create --name bench --json --config "$W/gw.json" | jq -r .id)
GTOK=$("$ORGSCIM" tokens create --org "$ORG" --name bench --json --config "$W/gw.json" | jq -r .secret)

SPORT=$(free_port)
ORG2=$("$ORGSCIM" orgs create --name bench --json --db "$W/sa.db" | jq -r .id)
STOK=$("$ORGSCIM" tokens create --org "$ORG2" --name bench --json --db "$W/sa.db" | jq -r .secret)
"$ORGSCIM" serve --db "$W/sa.db" --listen "127.0.0.1:$SPORT" >"$W/serve.log" 2>&1 & SPID=$!; PIDS+=("$SPID")
wait_http "http://127.0.0.1:$SPORT/healthz"

export USERS="${USERS:-2000}" NGROUPS="${NGROUPS:-20}" MEMBERS="${MEMBERS:-50}"
export DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}" RESULTS_TSV="$W/results.tsv"
read -r -a wl <<<"${WL:-W1 W7}"
LABEL=standalone SERVER_PID=$SPID "$PEERS_DIR/bench.sh" "http://127.0.0.1:$SPORT/scim/v2" "$STOK" "${wl[@]}"
LABEL=glewlwyd SERVER_PID=$GPID "$PEERS_DIR/bench.sh" "$API/scim/scim/v2" "$GTOK" "${wl[@]}"
echo "--- results (time tag label workload users rps p50ms p99ms errors srvCPU% req/CPUs wrkCPU% RSSMB load1)"
cat "$W/results.tsv"
