# Stage churn (sourced by scripts/bench): figure 5 of issue #5. gslb on the example zone with --redis
# (a key prefix of its own, so a shared Redis is safe) takes workload B in RUNS quiet phases and RUNS
# churn phases, interleaved; in a churn phase scripts/churn.ts publishes 1,000 endpoint state changes a
# second (three agents' worth of reports), on dnsperf's core so it does not take the server's. Then one
# more churn phase under B in which churn.ts also turns a target of www down and up each second and
# times how long the answer takes to follow (the issue's "no answer stale by more than 1 s").
CHURN_RATE=1000

# redis_answers URL: true when something at the URL's host and port answers a PING.
redis_answers() {
  local hostport="${1#*://}" host port
  hostport="${hostport##*@}"
  hostport="${hostport%%/*}"
  host="${hostport%:*}"
  port=6379
  [[ "$hostport" == *:* ]] && port="${hostport##*:}"
  timeout 2 bash -c 'exec 3<> "/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && read -r -t 1 reply <&3 && [[ -n "$reply" ]]' \
    "$host" "$port" 2> /dev/null
}

stage_churn() {
  local url="$REDIS" prefix="gslb-bench-$$:" run churn_pid
  if ! redis_answers "$url"; then
    echo "churn: skipped: no Redis answers at $url (start one, or give --redis URL or REDIS_URL)"
    skipped churn_cpu "churn: server CPU per query, churn / quiet" "no Redis at $url"
    skipped churn_qps "churn: B q/s, churn / quiet" "no Redis at $url"
    return
  fi
  start_gslb churn 1 "$ROOT/examples" --redis "$url" --redis-prefix "$prefix"
  echo "churn: gslb --redis $url --redis-prefix $prefix pid $PID_churn port $PORT_churn; $CHURN_RATE changes/s"
  warm churn lb
  for run in $(seq "$RUNS"); do
    run_dnsperf churn "$(query_file lb)" "$WORK/lb.quiet.run$run.txt" "$DURATION" $(format_args lb)
    echo "$ROW" >> "$WORK/lb.quiet.rows"
    printf '  run %d/%d  quiet  %8s qps, %s us CPU per query\n' "$run" "$RUNS" "${ROW%% *}" "${ROW##* }"
    "${CLIENT_PIN[@]}" node "$ROOT/dist/scripts/churn.js" --redis "$url" --prefix "$prefix" --rate "$CHURN_RATE" \
      --seconds $((DURATION + 2)) > "$WORK/churn.run$run.out" 2>&1 &
    churn_pid=$!
    PIDS+=("$churn_pid")
    sleep 1 # connected, and the server's plan read
    run_dnsperf churn "$(query_file lb)" "$WORK/lb.churning.run$run.txt" "$DURATION" $(format_args lb)
    echo "$ROW" >> "$WORK/lb.churning.rows"
    printf '  run %d/%d  churn  %8s qps, %s us CPU per query\n' "$run" "$RUNS" "${ROW%% *}" "${ROW##* }"
    wait "$churn_pid" || die "scripts/churn.ts failed: $(tail -3 "$WORK/churn.run$run.out")"
    untrack "$churn_pid"
    sleep 1
  done
  echo "  $(tail -1 "$WORK/churn.run$RUNS.out")"
  figure churn_cpu "churn: server CPU per query, churn / quiet" "$(median_of lb churning 9) us" "$(median_of lb quiet 9) us"
  figure churn_qps "churn: B q/s, churn / quiet" "$(median_of lb churning 1) q/s" "$(median_of lb quiet 1) q/s"

  # Staleness: finding the target (each tried down for up to 1 s) comes before the timed seconds.
  local stale
  "${CLIENT_PIN[@]}" node "$ROOT/dist/scripts/churn.js" --redis "$url" --prefix "$prefix" --rate "$CHURN_RATE" \
    --seconds $((DURATION + 2)) --dns-port "$PORT_churn" --name "www.$ZONE" > "$WORK/churn.stale.out" 2>&1 &
  churn_pid=$!
  PIDS+=("$churn_pid")
  for _ in $(seq 100); do grep -q '^churn: [0-9]* changes/s' "$WORK/churn.stale.out" && break; sleep 0.1; done
  run_dnsperf churn "$(query_file lb)" "$WORK/lb.stale.txt" "$DURATION" $(format_args lb)
  wait "$churn_pid" || die "scripts/churn.ts (staleness) failed: $(tail -3 "$WORK/churn.stale.out")"
  untrack "$churn_pid"
  echo "  under B at ${ROW%% *} q/s: $(grep '^staleness:' "$WORK/churn.stale.out")"
  stale=$(sed -nE 's/^staleness: .* max ([0-9]+) ms.*/\1/p' "$WORK/churn.stale.out")
  grep -q 'not within 3 s' "$WORK/churn.stale.out" && stale=3000
  if [[ -n "$stale" ]]; then
    figure churn_stale "churn: answer behind a health change, max" "$stale ms"
  else
    skipped churn_stale "churn: answer behind a health change, max" "no staleness figure (see $WORK/churn.stale.out)"
  fi
  stop_server churn
}
