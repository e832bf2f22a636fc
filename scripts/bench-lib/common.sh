# Helpers for scripts/bench and its stages (sourced, not run): processes started, tracked and stopped
# on exit; CPU and memory of a process tree (a server with workers is several processes); one dnsperf
# run; medians and percentiles; the figures that make the closing summary.
# Expects from scripts/bench: ROOT, WORK, KEEP, CLIENTS, OUTSTANDING, SERVER_PIN, CLIENT_PIN, CLIENT_CORE,
# ALGORITHM and KEYGEN (for the DNSSEC helpers).

die() { echo "bench: $*" >&2; exit 2; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
now_ms() { date +%s%3N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# ------------------------------------------------------------------ processes
PIDS=()
DNSPERF_PID=""
START_TIMEOUT=120 # seconds a server may take to listen (the 100,000-name zone takes several)

descendants() { local c; for c in $(pgrep -P "$1" || true); do echo "$c"; descendants "$c"; done; }
proc_tree() { echo "$1"; descendants "$1"; }

# stop_tree PID: SIGTERM (a gslb primary stops its workers itself), then SIGKILL whatever is left.
stop_tree() {
  local pid="$1" kids
  kids=$(descendants "$pid")
  kill -TERM "$pid" 2> /dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086 # one word per pid
  kill -KILL "$pid" $kids 2> /dev/null || true
}

cleanup() {
  local pid
  [[ -z "$DNSPERF_PID" ]] || kill -TERM "$DNSPERF_PID" 2> /dev/null || true
  for pid in "${PIDS[@]}"; do stop_tree "$pid"; done
  if ((KEEP)); then echo "bench: work folder kept: $WORK"; else rm -rf "$WORK"; fi
}

# start_server NAME PIN PATTERN CMD...: starts CMD (on the server core when PIN is "pin"), waits for the
# line naming its port (PATTERN: a sed -E expression printing it); sets PORT_<NAME>, PID_<NAME> and
# START_MS_<NAME> (the launch, for start-up times).
start_server() {
  local name="$1" pin="$2" pattern="$3"
  shift 3
  local prefix=()
  [[ "$pin" == pin ]] && prefix=("${SERVER_PIN[@]}")
  printf -v "START_MS_$name" '%s' "$(now_ms)"
  "${prefix[@]}" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  local pid=$! port=""
  PIDS+=("$pid")
  for _ in $(seq $((START_TIMEOUT * 10))); do
    port=$(sed -nE "$pattern" "$WORK/$name.out" | head -1)
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  [[ -n "$port" ]] || { tail -5 "$WORK/$name.err" >&2; die "$name did not start"; }
  printf -v "PORT_$name" '%s' "$port"
  printf -v "PID_$name" '%s' "$pid"
}

# start_gslb NAME WORKERS ZONES [serve options...]: one worker is pinned like the baseline; more are not.
start_gslb() {
  local name="$1" workers="$2" zones="$3" pin=pin
  shift 3
  ((workers > 1)) && pin=free
  start_server "$name" "$pin" 's/^gslb serving .* on 127\.0\.0\.1:([0-9]+).*/\1/p' \
    "$ROOT/bin/gslb" serve --zones "$zones" --listen 127.0.0.1:0 --workers "$workers" --log-level warn "$@"
}

start_bare() {
  start_server "$1" pin 's/^bare-responder listening on 127\.0\.0\.1:([0-9]+)$/\1/p' \
    node "$ROOT/scripts/bare-responder.mjs" --host 127.0.0.1 --port 0
}

untrack() { # PID: no longer stopped on exit (it has been stopped, or has ended)
  local keep=() p
  for p in "${PIDS[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

stop_server() {
  local pid_var="PID_$1"
  stop_tree "${!pid_var}"
  untrack "${!pid_var}"
}

# ------------------------------------------------------------------ CPU and memory
CLK_TCK=$(getconf CLK_TCK)
# utime + stime of a process and its descendants, in clock ticks (fields after the ')' so a comm
# with spaces is safe); a worker that exits during a run takes its ticks with it.
cpu_ticks() {
  local p total=0 t
  for p in $(proc_tree "$1"); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2> /dev/null | awk '{ print $12 + $13 }') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
# mem_kb PID FIELD: a /proc/PID/status field (VmRSS, VmHWM) summed over the process tree, in KiB.
mem_kb() {
  local p total=0 k
  for p in $(proc_tree "$1"); do
    k=$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$p/status" 2> /dev/null) || k=0
    total=$((total + ${k:-0}))
  done
  echo "$total"
}
core_ticks() { # "busy total" clock ticks of one core from /proc/stat (busy = all but idle and iowait)
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
busy_share() { # busy share in % between two "busy total" samples
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0) }'
}

# ------------------------------------------------------------------ dnsperf
# run_dnsperf SERVER FILE OUT SECONDS [extra dnsperf args]: one run; sets ROW to "qps avg min max sd
# lost srv-cpu% cli-cpu% srv-us-per-query" (latency in ms; server CPU over its process tree; client
# CPU: busy share of dnsperf's core, only when pinned).
run_dnsperf() {
  local server="$1" file="$2" out="$3" seconds="$4"
  shift 4
  local port_var="PORT_$server" pid_var="PID_$server"
  local pid="${!pid_var}" t0 t1 c0 c1 k0="0 0" k1="0 0"
  t0=$(cpu_ticks "$pid")
  [[ -n "$CLIENT_CORE" ]] && k0=$(core_ticks "$CLIENT_CORE")
  c0=$(date +%s.%N)
  # In the background plus `wait`, so Ctrl-C / SIGTERM interrupt the wait at once and the EXIT trap stops everything.
  timeout $((seconds + 30)) "${CLIENT_PIN[@]}" dnsperf -s 127.0.0.1 -p "${!port_var}" -d "$file" \
    -l "$seconds" -c "$CLIENTS" -q "$OUTSTANDING" "$@" > "$out" 2>&1 &
  DNSPERF_PID=$!
  wait "$DNSPERF_PID" || true
  DNSPERF_PID=""
  c1=$(date +%s.%N)
  kill -0 "$pid" 2> /dev/null || die "$server (pid $pid) died during the run; see $WORK/$server.err (use --keep)"
  t1=$(cpu_ticks "$pid")
  [[ -n "$CLIENT_CORE" ]] && k1=$(core_ticks "$CLIENT_CORE")
  ROW=$(awk -v t0="$t0" -v t1="$t1" -v s="$c0" -v e="$c1" -v hz="$CLK_TCK" -v ccpu="$(busy_share "$k0" "$k1")" '
    /Queries per second:/ { qps = $4 }
    /Queries completed:/ { done = $3 }
    /Queries lost:/ { lost = $3 }
    /Average Latency/ { avg = $4; min = $6; max = $8; gsub(/[(),]/, "", min); gsub(/[(),]/, "", max) }
    /Latency StdDev/ { sd = $4 }
    END {
      if (qps == "") { print "dnsperf produced no statistics" > "/dev/stderr"; exit 1 }
      cpu = (t1 - t0) / hz
      printf "%.0f %.3f %.3f %.3f %.3f %d %.0f %s %.2f\n", qps, avg * 1000, min * 1000, max * 1000, sd * 1000, lost,
        100 * cpu / (e - s), ccpu, (done > 0 ? 1e6 * cpu / done : 0)
    }' "$out") || die "dnsperf failed; see $out (use --keep)"
}

# warm SERVER WORKLOAD: one unrecorded 2 s run (the first seconds include V8 compiling the hot path).
warm() { run_dnsperf "$1" "$(query_file "$2")" "$WORK/warmup.$1.txt" 2 $(format_args "$2"); }

# interleave WORKLOAD:SERVER...: RUNS rounds, each running every pair in turn (a noisy moment then does
# not land on one server only); each ROW goes to $WORK/WORKLOAD.SERVER.rows.
# Every other run goes through the list backwards (A B B A ...), so neither server always runs first
# after the other: slow drifts of a shared machine's speed then weigh on both alike.
interleave() {
  local run pair wl s order
  for run in $(seq "$RUNS"); do
    order=("$@")
    if ((run % 2 == 0)); then
      local i
      order=()
      for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
    fi
    for pair in "${order[@]}"; do
      wl="${pair%%:*}" s="${pair#*:}"
      run_dnsperf "$s" "$(query_file "$wl")" "$WORK/$wl.$s.run$run.txt" "$DURATION" $(format_args "$wl")
      echo "$ROW" >> "$WORK/$wl.$s.rows"
      printf '  run %d/%d  %-7s %-7s %8s qps\n' "$run" "$RUNS" "$wl" "$s" "${ROW%% *}"
      sleep 1
    done
  done
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$1"; }
# median_of WORKLOAD SERVER COLUMN: the median of one ROW column over the runs interleave recorded.
median_of() { col "$WORK/$1.$2.rows" "$3" | median; }

# paired_ratios WORKLOAD OURS BASE: "median min max" of OURS' q/s over BASE's, run by run (the two
# runs of one round are next to each other in time, so a machine that changes speed between rounds
# moves both): steadier than the ratio of the two medians on a shared machine.
paired_ratios() { paired_ratios_of "$WORK/$1.$2.rows" "$WORK/$1.$3.rows"; }

# paired_ratios_of OURS_ROWS BASE_ROWS: the same from two rows files (when the two sides ran different
# workloads, e.g. DO=1 queries against the signed zone and DO=0 against the unsigned one).
paired_ratios_of() {
  paste -d' ' <(col "$1" 1) <(col "$2" 1) |
    awk '$2 > 0 { printf "%.4f\n", $1 / $2 }' | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "- - -"; exit }
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}

percentiles() { # FILE -> "p50 p90 p99 p99.9" in microseconds from dnsperf -v lines
  grep '^> ' "$1" | awk '{ print $NF * 1e6 }' | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "- - - -"; exit }
      split("0.5 0.9 0.99 0.999", p, " ")
      for (i = 1; i <= 4; i++) { k = int(p[i] * NR + 0.999999); if (k < 1) k = 1; printf "%.0f%s", v[k], (i < 4 ? " " : "\n") }
    }'
}

# ------------------------------------------------------------------ DNSSEC
algorithm_name() { case "${1:-$ALGORITHM}" in 13) echo ECDSAP256SHA256 ;; 15) echo ED25519 ;; *) echo "algorithm $1" ;; esac; }

# make_keys ZONES APEX: one combined signing key (flags 257, the SEP bit) of algorithm ALGORITHM in
# ZONES/APEX/keys/, written by BIND's dnssec-keygen (what operators and the issue's checker use) or by
# `gslb keygen` (KEYGEN: auto picks dnssec-keygen when installed).
make_keys() {
  local zones="$1" apex="$2" tool="$KEYGEN"
  [[ "$tool" == auto ]] && { command -v dnssec-keygen > /dev/null && tool=bind || tool=gslb; }
  mkdir -p "$zones/$apex/keys"
  case "$tool" in
    bind) dnssec-keygen -q -K "$zones/$apex/keys" -a "$(algorithm_name)" -f KSK "$apex" > /dev/null ;;
    gslb) "$ROOT/bin/gslb" keygen --zones "$zones" "$apex" --algorithm "$(algorithm_name)" > /dev/null ;;
  esac || die "cannot make a $(algorithm_name) key for $apex with $tool (--keygen)"
}

# signed_copy SRC DEST APEX: a copy of the zones folder SRC whose zone APEX has a key made now.
signed_copy() {
  rm -rf "$2"
  cp -r "$1" "$2"
  rm -rf "${2:?}/$3/keys"
  make_keys "$2" "$3"
}

# probe PORT NAME [dns-probe.mjs options...]: one or more timed queries; prints the probe's summary line.
probe() {
  local port="$1" name="$2"
  shift 2
  "${CLIENT_PIN[@]}" node "$ROOT/scripts/bench-lib/dns-probe.mjs" --port "$port" --name "$name" --quiet "$@" | tail -1
}
# probe_field SUMMARY KEY: one value of a summary line ("summary median_us=... signed=...").
probe_field() { sed -nE "s/.* $2=([^ ]+).*/\1/p" <<< "$1"; }

# signs SERVER NAME...: true when a DO=1 query for each NAME (A) to SERVER comes back with an RRSIG.
signs() {
  local port_var="PORT_$1" name
  shift
  for name in "$@"; do
    [[ "$(probe_field "$(probe "${!port_var}" "$name" --do)" signed)" == 1 ]] || return 1
  done
}

# ------------------------------------------------------------------ figures
# figure KEY LABEL OURS BASELINE [RATIO]: one line of the summary. OURS and BASELINE start with a
# number (a unit may follow) or are "-"; the ratio is RATIO when given, else OURS / BASELINE; the
# target is TARGET[KEY] (scripts/bench).
figure() {
  local key="$1" label="$2" ours="$3" base="${4:--}" r="${5:--}"
  [[ "$r" == - && "$base" != - && "$ours" != - ]] && r=$(ratio "${ours%% *}" "${base%% *}")
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$ours" "$base" "$r" "${TARGET[$key]:-}" >> "$WORK/figures.tsv"
}

# skipped KEY LABEL WHY: a figure a stage could not measure.
skipped() { printf '%s\t%s\t-\t-\t%s\n' "$2" "skipped: $3" "${TARGET[$1]:-}" >> "$WORK/figures.tsv"; }

print_summary() {
  [[ -s "$WORK/figures.tsv" ]] || return 0
  echo
  echo "Summary (ratio = ours / baseline; a target is a condition on 'ours' or 'ratio')"
  awk -F '\t' '
    function met(t, ours, r) {
      if (t == "") return "-"
      if (ours ~ /^skipped/) return "-"
      n = split(t, w, " "); v = (w[1] == "ratio" ? r : ours) + 0; x = w[3] + 0
      if ((w[1] == "ratio" && r == "-") || n != 3) return "?"
      ok = (w[2] == ">=" ? v >= x : w[2] == "<=" ? v <= x : w[2] == "==" ? v == x : 0)
      return ok ? "met" : "NOT MET"
    }
    BEGIN { printf "%-52s %-16s %-16s %6s  %-15s %s\n", "figure", "ours", "baseline", "ratio", "target", "met" }
    { printf "%-52s %-16s %-16s %6s  %-15s %s\n", $1, $2, $3, $4, ($5 == "" ? "-" : $5), met($5, $2, $4) }
  ' "$WORK/figures.tsv"
}
