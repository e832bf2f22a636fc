# Stage cores (sourced by scripts/bench): figure 3 of issue #5. Workload B against `gslb serve
# --workers SCALING_WORKERS` (not pinned: its workers may use every core) and against one worker
# pinned like every other server here, interleaved. The CPU counts every worker process.
stage_cores() {
  local n="$SCALING_WORKERS"
  start_gslb w1 1 "$ROOT/examples"
  start_gslb wN "$n" "$ROOT/examples"
  echo "cores: gslb --workers 1 pid $PID_w1 port $PORT_w1 (pinned); --workers $n pid $PID_wN port $PORT_wN (not pinned)"
  warm w1 lb
  warm wN lb
  interleave lb:w1 lb:wN
  echo "  workload B, medians: 1 worker $(median_of lb w1 1) q/s at $(median_of lb w1 7) % CPU;" \
    "$n workers $(median_of lb wN 1) q/s at $(median_of lb wN 7) % CPU (all workers)"
  ((CORES > n)) || echo "  note: $CORES cores for $n workers and dnsperf: the workers take time from the load generator"
  figure cores "cores: B, $n workers / 1 worker" "$(median_of lb wN 1) q/s" "$(median_of lb w1 1) q/s"
  stop_server w1
  stop_server wN
}
