# Stage memory (sourced by scripts/bench): figure 6 of issue #5. The example zone's server RSS against
# the bare responder's, both after RUNS closed-loop runs of workload B (which also give gslb's maximum
# rate); then LONG seconds of workload B at half that rate, with the RSS at start, middle and end.
stage_memory() {
  start_gslb mem 1 "$ROOT/examples"
  start_bare membare
  echo "memory: gslb pid $PID_mem port $PORT_mem; bare responder pid $PID_membare port $PORT_membare"
  warm mem lb
  warm membare lb
  interleave lb:mem lb:membare
  figure mem "memory: RSS after workload B, example zone" "$(mib "$(mem_kb "$PID_mem" VmRSS)") MiB" \
    "$(mib "$(mem_kb "$PID_membare" VmRSS)") MiB"
  stop_server membare

  local half sampler end
  half=$(awk -v q="$(median_of lb mem 1)" 'BEGIN { printf "%.0f", q / 2 }')
  echo "  long run: ${LONG} s of workload B at $half q/s (half of gslb's median maximum)"
  # The start sample once traffic flows, the middle one half way; the end one after dnsperf stops.
  (
    sleep 1
    mem_kb "$PID_mem" VmRSS > "$WORK/rss.start"
    sleep $((LONG / 2 - 1))
    mem_kb "$PID_mem" VmRSS > "$WORK/rss.middle"
  ) &
  sampler=$!
  PIDS+=("$sampler")
  run_dnsperf mem "$(query_file lb)" "$WORK/lb.long.txt" "$LONG" -Q "$half" $(format_args lb)
  end=$(mem_kb "$PID_mem" VmRSS)
  wait "$sampler" || true
  untrack "$sampler"
  echo "  RSS at start / middle / end: $(mib "$(cat "$WORK/rss.start")") / $(mib "$(cat "$WORK/rss.middle")") /" \
    "$(mib "$end") MiB; answered $(cut -d' ' -f1 <<< "$ROW") q/s, lost $(cut -d' ' -f6 <<< "$ROW")"
  figure mem_drift "memory: RSS after ${LONG} s at $half q/s, end / start" "$(mib "$end") MiB" \
    "$(mib "$(cat "$WORK/rss.start")") MiB"
  stop_server mem
}
