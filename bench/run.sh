#!/usr/bin/env bash
# Runs the SCIM workloads (W1..W7, see ../shared/peers/README.md) against orgscim and, in the same
# run, against the minimal Beast server (the ceiling) and SCIMMY (the peer), then prints the
# summary table with ratios. Figures go to docs/performance.md.
#
#   bench/run.sh                      # build dir: build/ (Release recommended)
#   ROUNDS=2 DURATION=15 bench/run.sh
#   PEERS="limit scimmy-mem orgscim" WORKLOADS="W1 W2" bench/run.sh
#
# Uses a writable copy of ../shared/peers made by bench/peers/setup.sh (the shared folder is
# read-only; set PEERS_DIR to use another prepared copy). Issue 7 (PostgreSQL, two instances):
# bench/postgres/run.sh; issue 3 (filters, Entra PATCH, Bulk against SCIMMY): bench/protocol/run.sh.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEERS_DIR="${PEERS_DIR:-$("$HERE/peers/setup.sh")}"
export ORGSCIM_BIN="${ORGSCIM_BIN:-$ROOT/build/plugin/cli/orgscim}"
[[ -x "$ORGSCIM_BIN" ]] || { echo "build orgscim first (missing $ORGSCIM_BIN)" >&2; exit 2; }
OUT="${OUT:-$(mktemp -d)}"
export RESULTS_TSV="$OUT/results.tsv" PEERS_OUT="$OUT"
export ROUNDS="${ROUNDS:-1}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}"
read -r -a peers <<<"${PEERS:-limit scimmy-mem orgscim}"
"$PEERS_DIR/run-peers.sh" "${peers[@]}"
node "$PEERS_DIR/tools/summarize.mjs" "$RESULTS_TSV" --ref "${REF:-limit}" | tee "$OUT/summary.md"
echo "raw results: $OUT"
