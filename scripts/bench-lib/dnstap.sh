# Stage dnstap (sourced by scripts/bench): issue #19's speed figure. Workload B against `gslb serve
# --dnstap unix:PATH` streaming every query and response to Debian's `dnstap` command, and against
# the same server without it, interleaved. The collector runs on dnsperf's core (it is the client
# side's work, not the server's) and throws what it reads away (-w /dev/null). The server prints
# its drops: a collector that cannot keep up makes frames dropped, not answers slower.
# dnsperf nearly fills its core by itself, so the CPU the collector takes there (the `dnstap` command
# handles every frame in Go) lowers the rate dnsperf can offer: a third server streams to
# bench-lib/fstrm-sink.mjs instead, a collector that reads and discards whole chunks, to tell the
# server's own cost from the collector's; and the server's CPU per query is reported for both.
stage_dnstap() {
  if ! command -v dnstap > /dev/null; then
    echo "dnstap: skipped (no dnstap command; apt-get install golang-github-dnstap-golang-dnstap-cli)"
    return
  fi
  local sock="$WORK/dnstap.sock" sink="$WORK/sink.sock"
  "${CLIENT_PIN[@]}" dnstap -u "$sock" -w /dev/null > "$WORK/dnstap-collector.out" 2>&1 &
  PID_collector=$!
  PIDS+=("$PID_collector")
  "${CLIENT_PIN[@]}" node "$ROOT/scripts/bench-lib/fstrm-sink.mjs" "$sink" > "$WORK/dnstap-sink.out" 2>&1 &
  PID_fstrm=$!
  PIDS+=("$PID_fstrm")
  for _ in $(seq 50); do [[ -S "$sock" && -S "$sink" ]] && break; sleep 0.1; done
  [[ -S "$sock" ]] || die "the dnstap collector did not open $sock"
  [[ -S "$sink" ]] || die "the fstrm sink did not open $sink"
  start_gslb plain "$WORKERS" "$ROOT/examples"
  start_gslb tap "$WORKERS" "$ROOT/examples" --dnstap "unix:$sock" --admin 127.0.0.1:0
  start_gslb sink "$WORKERS" "$ROOT/examples" --dnstap "unix:$sink" --admin 127.0.0.1:0
  echo "dnstap: gslb --workers $WORKERS plain pid $PID_plain port $PORT_plain; --dnstap to the dnstap command pid $PID_tap port $PORT_tap; to the sink pid $PID_sink port $PORT_sink"
  local c0 s0
  c0=$(cpu_ticks "$PID_collector")
  s0=$(cpu_ticks "$PID_fstrm")
  warm plain lb
  warm tap lb
  warm sink lb
  interleave lb:plain lb:tap lb:sink
  local m lo hi sm slo shi
  read -r m lo hi < <(paired_ratios lb tap plain)
  read -r sm slo shi < <(paired_ratios lb sink plain)
  echo "  workload B, --dnstap on / off, round by round: median $m (min $lo, max $hi)"
  echo "  the same with the discarding sink as the collector: median $sm (min $slo, max $shi)"
  echo "  server CPU per query: off $(median_of lb plain 9) us, to dnstap $(median_of lb tap 9) us, to the sink $(median_of lb sink 9) us"
  echo "  dnsperf's core busy: off $(median_of lb plain 8) %, to dnstap $(median_of lb tap 8) %, to the sink $(median_of lb sink 8) %"
  echo "  collectors' CPU over the stage (s): dnstap $(awk -v a="$c0" -v b="$(cpu_ticks "$PID_collector")" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')," \
    "sink $(awk -v a="$s0" -v b="$(cpu_ticks "$PID_fstrm")" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')"
  local s admin
  for s in tap sink; do
    admin=$(sed -nE 's/^admin on (http:\/\/[^ ]+\/)$/\1/p' "$WORK/$s.out" | head -1)
    if [[ -n "$admin" ]]; then
      echo "  frames ($s): $(curl -fsS "${admin}metrics" 2> /dev/null | sed -n 's/^gslb_dnstap_frames_total{result="\([a-z]*\)"} \(.*\)/\1 \2/p' | paste -sd, -)"
    fi
  done
  figure dnstap_lb "dnstap: B, --dnstap on / off" \
    "$(printf '%.0f' "$(median_of lb tap 1)") q/s" "$(printf '%.0f' "$(median_of lb plain 1)") q/s" "$m"
  figure dnstap_sink "dnstap: B, to a discarding sink / off" \
    "$(printf '%.0f' "$(median_of lb sink 1)") q/s" "$(printf '%.0f' "$(median_of lb plain 1)") q/s" "$sm"
  figure dnstap_cpu "dnstap: server CPU per query, on / off" "$(median_of lb tap 9) us" "$(median_of lb plain 9) us"
  stop_server plain
  stop_server tap
  stop_server sink
  stop_tree "$PID_collector"
  untrack "$PID_collector"
  stop_tree "$PID_fstrm"
  untrack "$PID_fstrm"
}
