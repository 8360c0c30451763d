#!/usr/bin/env bash
# Load driver for the bench/ scripts: the peer harness's preload and workloads (W1..W7, through its
# unchanged tools/scim.lua) plus the protocol workloads of scim-ext.lua (F1 P1 P2 B1), against one
# server or several instances of one server at once.
#
#   TARGETS="http://127.0.0.1:18090/scim/v2 [http://127.0.0.1:18091/scim/v2 ...]" PIDS="..." \
#     bench/peers/drive.sh LABEL TOKEN WORKLOAD...
#
# With several TARGETS, one wrk process per target runs at the same time with CONNS/#TARGETS
# connections each (the load generator spreads the requests; no proxy in the path) and
# merge-wrk.mjs combines their results. Preload goes through the first target.
#
# Environment (defaults in brackets):
#   TARGETS            base URLs, loopback only
#   PIDS               server processes: CPU % and peak RSS are theirs (summed)
#   DB_PIDS            database server processes; their children count too (PostgreSQL backends)
#   USERS [10000] NGROUPS [100] MEMBERS [100] PRELOAD [1] DATADIR [$OUT/data]
#   DURATION [8] WARMUP [2] CONNS [64] WRK_THREADS [1] WRK_TIMEOUT [10s]; DURATION_<WL>, WARMUP_<WL>,
#   CONNS_<WL>, WRK_TIMEOUT_<WL> override them for one workload (e.g. CONNS_B1=2 DURATION_B1=20)
#   RESULTS_TSV RUN_TAG [single] OUT [new temporary folder]
#   BENCH_PEERS_DIR [/tmp/orgscim-bench-peers]  (bench/peers/setup.sh makes it)
#   SCIM_ERRORS [0]    1: statuses and the first error bodies of each workload (scim-ext.lua)
#
# RESULTS_TSV gets one line per workload. Columns 1-14 are the harness's (summarize.mjs reads
# them): time tag label workload users rps p50ms p99ms errors srvCPU% req/CPUs wrkCPU% peakRSSMB
# load1, where srvCPU% is PIDS only and req/CPUs counts PIDS + DB_PIDS CPU; then 15 dbCPU%,
# 16 machine CPU busy % (all cores, everything on the machine), 17 successful (status < 400) req/s.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PEERS="${BENCH_PEERS_DIR:-/tmp/orgscim-bench-peers}"
if [[ $# -lt 2 ]]; then sed -n "2,28p" "$0"; exit 2; fi
LABEL="$1"; TOKEN="$2"; shift 2
WORKLOADS=("$@")
read -r -a TGT <<<"${TARGETS:?set TARGETS}"
read -r -a APP_PIDS <<<"${PIDS:-}"
read -r -a DBP <<<"${DB_PIDS:-}"
USERS="${USERS:-10000}"; NGROUPS="${NGROUPS:-100}"; MEMBERS="${MEMBERS:-100}"
DURATION="${DURATION:-8}"; WARMUP="${WARMUP:-2}"; CONNS="${CONNS:-64}"
WRK_THREADS="${WRK_THREADS:-1}"; WRK_TIMEOUT="${WRK_TIMEOUT:-10s}"
OUT="${OUT:-$(mktemp -d)/$(date +%Y%m%d-%H%M%S)-$LABEL}"
DATADIR="${DATADIR:-$OUT/data}"
RUNID="r$(date +%s%N | tail -c 9)$RANDOM"
mkdir -p "$OUT"
[[ -f "$PEERS/tools/scim.lua" ]] || { echo "run bench/peers/setup.sh first (no $PEERS)" >&2; exit 2; }
export SCIM_BASE_LUA="$PEERS/tools/scim.lua"
LUA="$HERE/scim-ext.lua"

for t in "${TGT[@]}"; do
  h="${t#*://}"; h="${h%%/*}"; h="${h%:*}"
  case "$h" in 127.*|localhost|\[::1\]) ;; *) echo "refusing non-loopback target $t" >&2; exit 2;; esac
done
basepath="/${TGT[0]#*://*/}"

CLK_TCK="$(getconf CLK_TCK)"
ticks_of() {  # utime+stime of the given pids (gone pids count 0)
  local s=0 p v
  for p in "$@"; do
    v="$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)"; s=$((s + v))
  done
  echo "$s"
}
db_pids() { local p; for p in "${DBP[@]}"; do echo "$p"; pgrep -P "$p" || true; done; }
app_ticks() { ticks_of "${APP_PIDS[@]}"; }
db_ticks() { if [[ ${#DBP[@]} -gt 0 ]]; then ticks_of $(db_pids); else echo 0; fi; }
machine() { awk '/^cpu /{print $2+$3+$4+$6+$7+$8+$9, $5+$6}' /proc/stat; }  # busy idle
peak_rss_mb() {
  local s=0 p v
  for p in "${APP_PIDS[@]}"; do
    v="$(awk '$1=="VmHWM:"{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)"; s=$((s + v))
  done
  echo $((s / 1024))
}
# Requests that wrk abandons at the end of a run must not eat into the next one.
drain() {
  local n=0 a b
  while (( n < 240 )); do
    a=$(( $(app_ticks) + $(db_ticks) )); sleep 0.5; b=$(( $(app_ticks) + $(db_ticks) )); n=$((n + 1))
    (( (b - a) * 20 < CLK_TCK )) && break
  done
}

# wrk against every target at once; conns split evenly. $1 workload, $2 seconds, $3 conns, $4 tag,
# $5 timeout
run_wrk() {
  local w="$1" secs="$2" conns="$3" tag="$4" tmo="$5" i=0 per pids=()
  per=$(( conns / ${#TGT[@]} )); (( per >= 1 )) || per=1
  for t in "${TGT[@]}"; do
    SCIM_QUANTILES=$([[ ${#TGT[@]} -gt 1 ]] && echo 1 || echo 0) /usr/bin/time -f "WRKTIME %U %S %e" \
      -o "$OUT/$w.$tag.$i.time" wrk -t"$WRK_THREADS" -c"$per" -d"${secs}s" --timeout "$tmo" \
      -s "$LUA" "$t" -- "$w" "$DATADIR" "$TOKEN" "$basepath" "${RUNID}${tag}${i}" \
      > "$OUT/$w.$tag.$i.txt" 2>&1 &
    pids+=($!); i=$((i + 1))
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
}

{
  echo "# drive.sh $LABEL  targets=${TGT[*]}  pids=${APP_PIDS[*]:-?} db_pids=${DBP[*]:-none}"
  echo "# machine: nproc=$(nproc) load=[$(cut -d' ' -f1-3 /proc/loadavg)] $(date -Is)"
  echo "# wrk -t$WRK_THREADS -c$CONNS (split over ${#TGT[@]} target(s)) -d${DURATION}s (warmup ${WARMUP}s), preload users=$USERS groups=$NGROUPS members=$MEMBERS"
} | tee "$OUT/header.txt"

if [[ "${PRELOAD:-1}" != "0" ]]; then
  node "$PEERS/tools/preload.mjs" "${TGT[0]}" "$TOKEN" "$DATADIR" "$USERS" "$NGROUPS" "$MEMBERS" "$RUNID" | tee "$OUT/preload.json"
  drain preload
fi
nusers="$(wc -l < "$DATADIR/users.tsv")"

printf '%-14s %-4s %9s %9s %8s %8s %7s %7s %6s %8s %6s %6s %6s\n' label wl "req/s" "ok req/s" p50ms p99ms errors \
  "srvCPU%" "dbCPU%" "req/CPUs" "wrk%" "busy%" RSSMB | tee "$OUT/table.txt"
for w in "${WORKLOADS[@]}"; do
  v="CONNS_$w"; conns="${!v:-$CONNS}"; v="DURATION_$w"; secs="${!v:-$DURATION}"
  v="WARMUP_$w"; warm="${!v:-$WARMUP}"; v="WRK_TIMEOUT_$w"; tmo="${!v:-$WRK_TIMEOUT}"
  if [[ "$warm" != "0" ]]; then run_wrk "$w" "$warm" "$conns" w "$tmo"; drain "$w-warmup"; fi
  a0="$(app_ticks)"; d0="$(db_ticks)"; read -r mb0 mi0 < <(machine)
  run_wrk "$w" "$secs" "$conns" m "$tmo"
  a1="$(app_ticks)"; d1="$(db_ticks)"; read -r mb1 mi1 < <(machine)
  drain "$w"
  files=(); for f in "$OUT/$w.m."*.txt; do files+=("$f"); done
  wcpu="$(cat "$OUT/$w.m."*.time | awk '/^WRKTIME/{u+=$2+$3; if ($4>e) e=$4} END{printf "%.3f %.3f", u, e}')"
  res="$(node "$HERE/merge-wrk.mjs" "${files[@]}" 2>"$OUT/$w.merge.err" | sed -n 's/^RESULT //p' || true)"
  if [[ -z "$res" ]]; then echo "$w: no RESULT, see $OUT/$w.m.*.txt" | tee -a "$OUT/table.txt"; continue; fi
  line="$(node -e '
    const [r, a, d, mb, mi, hz, wc, label, w, rss] = process.argv.slice(1);
    const R = JSON.parse(r), s = R.duration_us / 1e6, [wu, we] = wc.split(" ").map(Number);
    const errs = R.err_connect + R.err_read + R.err_write + R.err_status + R.err_timeout;
    const cs = (+a + +d) / +hz, busy = 100 * +mb / (+mb + +mi);
    const f = (x, n = 0) => x.toFixed(n);
    const rate = (x) => x.toFixed(x < 100 ? 2 : 0);
    console.log([label, w, rate(R.requests / s), rate((R.requests - R.err_status) / s),
      f(R.lat_p50_us / 1000, 2), f(R.lat_p99_us / 1000, 2), errs, f(100 * (+a / +hz) / s), f(100 * (+d / +hz) / s),
      f(cs > 0 ? R.requests / cs : 0), f(100 * wu / Math.max(we, 1e-9)), f(busy), rss].join(" "));
  ' "$res" "$((a1 - a0))" "$((d1 - d0))" "$((mb1 - mb0))" "$((mi1 - mi0))" "$CLK_TCK" "$wcpu" "$LABEL" "$w" "$(peak_rss_mb)")"
  read -r l_ wl rps okrps p50 p99 errs cpu dbcpu rpc wrkcpu busy rss <<<"$line"
  printf '%-14s %-4s %9s %9s %8s %8s %7s %7s %6s %8s %6s %6s %6s\n' "$LABEL" "$wl" "$rps" "$okrps" "$p50" "$p99" \
    "$errs" "$cpu" "$dbcpu" "$rpc" "$wrkcpu" "$busy" "$rss" | tee -a "$OUT/table.txt"
  grep -h '^STATUSES\|^ERROR' "$OUT/$w.m."*.txt 2>/dev/null | cut -c1-200 | sed "s/^/# $w /" | tee -a "$OUT/table.txt" || true
  if [[ -n "${RESULTS_TSV:-}" ]]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "${RUN_TAG:-single}" \
      "$LABEL" "$wl" "$nusers" "$rps" "$p50" "$p99" "$errs" "$cpu" "$rpc" "$wrkcpu" "$rss" \
      "$(cut -d' ' -f1 /proc/loadavg)" "$dbcpu" "$busy" "$okrps" >> "$RESULTS_TSV"
  fi
done
echo "# raw output in $OUT"
