#!/usr/bin/env bash
# Makes a writable working copy of the read-only peer harness (../shared/peers) and prepares it:
# node modules for the SCIMMY peer, the `limit` server, and a SCIMMY start file with Bulk on.
# The copy lives outside the repository; every bench/ script finds it through BENCH_PEERS_DIR.
#
#   bench/peers/setup.sh            # once; prints the directory
#
# Environment: PEERS_SRC [../shared/peers], BENCH_PEERS_DIR [/tmp/orgscim-bench-peers].
# Install scripts are not run (better-sqlite3 would compile SQLite for minutes), so `scimmy-sqlite` is not available
# in the copy; `scimmy-mem` is the peer the bench/ scripts use.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SRC="${PEERS_SRC:-$ROOT/../shared/peers}"
DST="${BENCH_PEERS_DIR:-/tmp/orgscim-bench-peers}"
[[ -f "$SRC/bench.sh" ]] || { echo "no peer harness at $SRC (set PEERS_SRC)" >&2; exit 2; }
mkdir -p "$DST"
# Copy over an older copy (keeps node_modules and the limit build when they are current).
cp -r "$SRC/." "$DST/"
chmod -R u+w "$DST"
if [[ ! -d "$DST/js/node_modules/scimmy" ]] || ! cmp -s "$SRC/js/package-lock.json" "$DST/js/.installed-lock"; then
  (cd "$DST/js" && npm ci --ignore-scripts --no-audit --no-fund >&2 && cp package-lock.json .installed-lock)
fi
[[ -x "$DST/limit/build/limit_server" ]] || "$DST/limit/build.sh" >&2
# The start file must sit beside scimmy-server.mjs so that "scimmy" resolves to the same module.
cp "$HERE/scimmy-bulk.mjs" "$DST/js/scimmy-bulk.mjs"
echo "$DST"
