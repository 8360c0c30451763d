# Sourced by bench/postgres/run.sh and bench/protocol/run.sh: what every orgscim bench run sets up.

# bench_init NAME: ROOT, BIN (orgscim), BENCH_PEERS_DIR (writable copy of the peer harness), OUT
# (results folder, RESULTS_TSV in it) and TAG. Honours ORGSCIM_BIN, PEERS_DIR and OUT.
bench_init() {
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  BIN="${ORGSCIM_BIN:-$ROOT/build/plugin/cli/orgscim}"
  [[ -x "$BIN" ]] || { echo "build orgscim first (missing $BIN; set ORGSCIM_BIN)" >&2; exit 2; }
  BENCH_PEERS_DIR="${PEERS_DIR:-$("$ROOT/bench/peers/setup.sh")}"
  export BENCH_PEERS_DIR
  OUT="${OUT:-$(mktemp -d "/tmp/orgscim-bench-$1.XXXXXX")}"
  mkdir -p "$OUT"
  export RESULTS_TSV="$OUT/results.tsv"
  TAG="$(date +%Y%m%d-%H%M%S)"
}

# bench_token CONFIG: a new organization in the database of CONFIG and a provisioning secret for
# it, in TOKEN (the CLI with --config: --db would force SQLite).
bench_token() {
  local org
  org="$("$BIN" orgs create --name bench --json --config "$1" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')"
  TOKEN="$("$BIN" tokens create --org "$org" --json --config "$1" | sed -n 's/.*"secret" *: *"\([^"]*\)".*/\1/p')"
}
