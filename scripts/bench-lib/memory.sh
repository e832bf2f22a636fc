# Stage memory (sourced by scripts/bench): figure 6 of issue #5. The example zone's server RSS against
# the bare responder's, both after RUNS closed-loop runs of workload B (which also give gslb's maximum
# rate); then LONG seconds of workload B at half that rate, RSS sampled every 5 s.
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
  # RSS every 5 s while dnsperf runs. "Flat" is judged on the mean of the last sixth of the run against
  # the mean of the second sixth: the first sixth is warm-up (the JIT, V8 sizing its young generation).
  : > "$WORK/rss.samples"
  (
    while :; do
      mem_kb "$PID_mem" VmRSS >> "$WORK/rss.samples"
      sleep 5
    done
  ) &
  sampler=$!
  PIDS+=("$sampler")
  run_dnsperf mem "$(query_file lb)" "$WORK/lb.long.txt" "$LONG" -Q "$half" $(format_args lb)
  kill "$sampler" 2> /dev/null || true
  wait "$sampler" 2> /dev/null || true
  untrack "$sampler"
  end=$(mem_kb "$PID_mem" VmRSS)
  local early late
  read -r early late < <(awk '{ v[NR] = $1 } END {
      n = NR; s = int(n / 6); if (s < 1) s = 1
      for (i = s + 1; i <= 2 * s && i <= n; i++) { a += v[i]; na++ }
      for (i = n - s + 1; i <= n; i++) { b += v[i]; nb++ }
      printf "%d %d\n", (na ? a / na : v[1]), (nb ? b / nb : v[n]) }' "$WORK/rss.samples")
  echo "  RSS (MiB) first sample / min / max / end: $(mib "$(head -1 "$WORK/rss.samples")") /" \
    "$(mib "$(sort -n "$WORK/rss.samples" | head -1)") / $(mib "$(sort -n "$WORK/rss.samples" | tail -1)") / $(mib "$end");" \
    "second-sixth mean $(mib "$early"), last-sixth mean $(mib "$late"); answered $(cut -d' ' -f1 <<< "$ROW") q/s," \
    "lost $(cut -d' ' -f6 <<< "$ROW")"
  figure mem_drift "memory: ${LONG} s at $half q/s, RSS last sixth / second sixth" "$(mib "$late") MiB" \
    "$(mib "$early") MiB"
  stop_server mem
}
