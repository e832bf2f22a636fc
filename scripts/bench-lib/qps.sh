# Stage qps (sourced by scripts/bench): figures 1 and 2 of issue #5. gslb on the example zone and the
# bare responder, closed-loop throughput per workload (RUNS interleaved runs, medians), then one run
# each at a fixed LATENCY_QPS with per-query latencies (dnsperf -v) and the server's CPU.

# Summary labels of the issue's workloads; others get their own name.
workload_label() {
  case "$1" in
    static) echo "A static" ;;
    lb) echo "B load-balanced, ECS per query" ;;
    lbmix) echo "C 90% lb, 10% NXDOMAIN" ;;
    *) echo "$1" ;;
  esac
}

stage_qps() {
  local wl s f cli out
  start_gslb gslb "$WORKERS" "$ROOT/examples"
  start_bare bare
  echo "qps: gslb --workers $WORKERS pid $PID_gslb port $PORT_gslb; bare responder pid $PID_bare port $PORT_bare"
  warm gslb "${SELECTED[0]}"
  warm bare "${SELECTED[0]}"
  local pairs=()
  for wl in "${SELECTED[@]}"; do pairs+=("$wl:gslb" "$wl:bare"); done
  interleave "${pairs[@]}"
  if ((LATENCY_QPS > 0)); then
    for wl in "${SELECTED[@]}"; do
      for s in gslb bare; do
        # dnsperf -v prints every query's latency; it costs client CPU, so it gets its own rate-limited run.
        out="$WORK/$wl.$s.latency.txt"
        run_dnsperf "$s" "$(query_file "$wl")" "$out" "$DURATION" -Q "$LATENCY_QPS" -v $(format_args "$wl")
        echo "$(percentiles "$out") $(cut -d' ' -f1,7 <<< "$ROW")" > "$WORK/$wl.$s.lat"
        printf '  latency at %s qps  %-7s %-5s done\n' "$LATENCY_QPS" "$wl" "$s"
        sleep 1
      done
    done
  fi

  echo
  echo "Throughput (closed loop, dnsperf -c $CLIENTS -q $OUTSTANDING, ${DURATION} s x $RUNS; medians; latency in ms)"
  printf '%-8s %-6s %10s %17s %8s %8s %8s %8s %7s %9s %9s\n' workload server qps 'qps min..max' 'avg' 'min' 'max' 'stddev' lost \
    'srv CPU%' 'cli CPU%'
  for wl in "${SELECTED[@]}"; do
    for s in gslb bare; do
      f="$WORK/$wl.$s.rows"
      cli=-
      [[ -n "$CLIENT_CORE" ]] && cli=$(median_of "$wl" "$s" 8)
      printf '%-8s %-6s %10.0f %17s %8s %8s %8s %8s %7s %9s %9s\n' "$wl" "$s" "$(median_of "$wl" "$s" 1)" \
        "$(col "$f" 1 | sort -g | head -1)..$(col "$f" 1 | sort -g | tail -1)" \
        "$(median_of "$wl" "$s" 2)" "$(median_of "$wl" "$s" 3)" "$(median_of "$wl" "$s" 4)" "$(median_of "$wl" "$s" 5)" \
        "$(median_of "$wl" "$s" 6)" "$(median_of "$wl" "$s" 7)" "$cli"
    done
  done
  echo "Note: server CPU well under 100% (and client CPU near 100%) means dnsperf was the limit, not the server."
  echo
  echo "gslb / bare, round by round (the two runs of a round are adjacent): the summary's ratio is the median"
  local m lo hi
  for wl in "${SELECTED[@]}"; do
    read -r m lo hi < <(paired_ratios "$wl" gslb bare)
    printf '%-8s median %s  (min %s, max %s; ratio of the medians %s)\n' "$wl" "$m" "$lo" "$hi" \
      "$(ratio "$(median_of "$wl" gslb 1)" "$(median_of "$wl" bare 1)")"
    figure "qps_$wl" "qps: $(workload_label "$wl")" "$(printf '%.0f' "$(median_of "$wl" gslb 1)") q/s" \
      "$(printf '%.0f' "$(median_of "$wl" bare 1)") q/s" "$m"
  done

  if ((LATENCY_QPS > 0)); then
    echo
    echo "Latency at a fixed $LATENCY_QPS qps (dnsperf -v, one ${DURATION} s run each; microseconds; server CPU in % of a core)"
    printf '%-8s %-6s %12s %8s %8s %8s %8s %9s\n' workload server 'answered qps' p50 p90 p99 p99.9 'srv CPU%'
    local p50 p90 p99 p999 qps cpu
    for wl in "${SELECTED[@]}"; do
      for s in gslb bare; do
        read -r p50 p90 p99 p999 qps cpu < "$WORK/$wl.$s.lat"
        printf '%-8s %-6s %12s %8s %8s %8s %8s %9s\n' "$wl" "$s" "$qps" "$p50" "$p90" "$p99" "$p999" "$cpu"
      done
    done
    for wl in "${SELECTED[@]}"; do
      figure p50 "p50 at $LATENCY_QPS q/s: $(workload_label "$wl")" "$(cut -d' ' -f1 "$WORK/$wl.gslb.lat") us" \
        "$(cut -d' ' -f1 "$WORK/$wl.bare.lat") us"
      figure cpu "CPU at $LATENCY_QPS q/s: $(workload_label "$wl")" "$(cut -d' ' -f6 "$WORK/$wl.gslb.lat") %core" \
        "$(cut -d' ' -f6 "$WORK/$wl.bare.lat") %core"
    done
  fi
  echo "gslb RSS: $(mib "$(mem_kb "$PID_gslb" VmRSS)") MiB (peak $(mib "$(mem_kb "$PID_gslb" VmHWM)") MiB);" \
    "bare responder RSS: $(mib "$(mem_kb "$PID_bare" VmRSS)") MiB"
  stop_server gslb
  stop_server bare
}
