# Stage churn (sourced by scripts/bench): figure 5 of issue #5. gslb on the example zone with --redis
# (a key prefix of its own, so a shared Redis is safe) takes workload B in RUNS quiet phases and RUNS
# churn phases, interleaved; in a churn phase scripts/churn.ts publishes 1,000 endpoint state changes a
# second (three agents' worth of reports), on dnsperf's core so it does not take the server's. Then one
# more churn phase under B in which churn.ts also turns a target of www down and up each second and
# times how long the answer takes to follow (the issue's "no answer stale by more than 1 s").
# With --dnssec (DNSSEC=1) all of it runs against a signed copy of the example zone with DO=1 queries
# (workload B's _do twin; the staleness probe asks with DO=1 and only takes signed answers), and the
# signatures the server made in each phase are read from its /metrics.
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
  local url="$REDIS" prefix="gslb-bench-$$:" run churn_pid zones="$ROOT/examples" wl=lb tag="" dnssec_args=()
  local admin=() m
  if ((DNSSEC)); then
    zones="$WORK/churn-zones" wl=lb_do tag=" (signed, DO=1)" dnssec_args=(--dnssec) admin=(--admin 127.0.0.1:0)
  fi
  if ! redis_answers "$url"; then
    echo "churn: skipped: no Redis answers at $url (start one, or give --redis URL or REDIS_URL)"
    skipped churn_cpu "churn$tag: server CPU per query, churn / quiet" "no Redis at $url"
    skipped churn_qps "churn$tag: B q/s, churn / quiet" "no Redis at $url"
    return
  fi
  ((DNSSEC)) && signed_copy "$ROOT/examples" "$zones" "$ZONE"
  start_gslb churn 1 "$zones" --redis "$url" --redis-prefix "$prefix" "${admin[@]}"
  echo "churn: gslb --redis $url --redis-prefix $prefix pid $PID_churn port $PORT_churn; $CHURN_RATE changes/s$tag"
  local admin_at=""
  if ((DNSSEC)); then
    admin_at=$(admin_url churn)
    signs churn "www.$ZONE" || die "churn --dnssec: the signed copy's answers carry no RRSIG (a build without DNSSEC?)"
  fi
  warm churn "$wl"
  # made[quiet|churn]: signatures made (crypto.sign calls) over each kind of phase, from /metrics.
  declare -A made=([quiet]=0 [churn]=0)
  for run in $(seq "$RUNS"); do
    m=$(signatures_made "$admin_at")
    run_dnsperf churn "$(query_file "$wl")" "$WORK/lb.quiet.run$run.txt" "$DURATION" $(format_args "$wl")
    echo "$ROW" >> "$WORK/lb.quiet.rows"
    count_signatures quiet "$m"
    printf '  run %d/%d  quiet  %8s qps, %s us CPU per query\n' "$run" "$RUNS" "${ROW%% *}" "${ROW##* }"
    "${CLIENT_PIN[@]}" node "$ROOT/dist/scripts/churn.js" --redis "$url" --prefix "$prefix" --rate "$CHURN_RATE" \
      --seconds $((DURATION + 2)) > "$WORK/churn.run$run.out" 2>&1 &
    churn_pid=$!
    PIDS+=("$churn_pid")
    sleep 1 # connected, and the server's plan read
    m=$(signatures_made "$admin_at")
    run_dnsperf churn "$(query_file "$wl")" "$WORK/lb.churning.run$run.txt" "$DURATION" $(format_args "$wl")
    echo "$ROW" >> "$WORK/lb.churning.rows"
    count_signatures churn "$m"
    printf '  run %d/%d  churn  %8s qps, %s us CPU per query\n' "$run" "$RUNS" "${ROW%% *}" "${ROW##* }"
    wait "$churn_pid" || die "scripts/churn.ts failed: $(tail -3 "$WORK/churn.run$run.out")"
    untrack "$churn_pid"
    sleep 1
  done
  echo "  $(tail -1 "$WORK/churn.run$RUNS.out")"
  figure churn_cpu "churn$tag: server CPU per query, churn / quiet" "$(median_of lb churning 9) us" "$(median_of lb quiet 9) us"
  figure churn_qps "churn$tag: B q/s, churn / quiet" "$(median_of lb churning 1) q/s" "$(median_of lb quiet 1) q/s"
  if ((DNSSEC)) && [[ "${made[quiet]}" != - && "${made[churn]}" != - ]]; then
    echo "  signatures made (crypto.sign calls): ${made[quiet]} over the quiet phases, ${made[churn]} over the churn phases"
    figure churn_signed "churn$tag: signatures made, churn phases / quiet phases" "${made[churn]}" "${made[quiet]}"
  fi

  # Staleness: finding the target (each tried down for up to 1 s) comes before the timed seconds.
  local stale
  "${CLIENT_PIN[@]}" node "$ROOT/dist/scripts/churn.js" --redis "$url" --prefix "$prefix" --rate "$CHURN_RATE" \
    --seconds $((DURATION + 2)) --dns-port "$PORT_churn" --name "www.$ZONE" "${dnssec_args[@]}" \
    > "$WORK/churn.stale.out" 2>&1 &
  churn_pid=$!
  PIDS+=("$churn_pid")
  for _ in $(seq 100); do grep -q '^churn: [0-9]* changes/s' "$WORK/churn.stale.out" && break; sleep 0.1; done
  m=$(signatures_made "$admin_at")
  run_dnsperf churn "$(query_file "$wl")" "$WORK/lb.stale.txt" "$DURATION" $(format_args "$wl")
  wait "$churn_pid" || die "scripts/churn.ts (staleness) failed: $(tail -3 "$WORK/churn.stale.out")"
  untrack "$churn_pid"
  echo "  under B$tag at ${ROW%% *} q/s: $(grep '^staleness:' "$WORK/churn.stale.out")"
  if ((DNSSEC)); then
    local flips
    made[stale]=0
    count_signatures stale "$m"
    flips=$(sed -nE 's/^staleness: ([0-9]+) health changes.*/\1/p' "$WORK/churn.stale.out")
    if [[ "${made[stale]}" != - ]]; then
      echo "  signatures made over that phase: ${made[stale]} for ${flips:-?} health changes of a www target" \
        "(down, up, ...) under B with a new ECS /24 per query"
    fi
  fi
  stale=$(sed -nE 's/^staleness: .* max ([0-9]+) ms.*/\1/p' "$WORK/churn.stale.out")
  grep -q 'not within 3 s' "$WORK/churn.stale.out" && stale=3000
  if [[ -n "$stale" ]]; then
    figure churn_stale "churn$tag: answer behind a health change, max" "$stale ms"
  else
    skipped churn_stale "churn$tag: answer behind a health change, max" "no staleness figure (see $WORK/churn.stale.out)"
  fi
  stop_server churn
}

# count_signatures PHASE BEFORE: adds the signatures made since BEFORE (a signatures_made reading) to
# made[PHASE]; "-" when either reading has none (no --dnssec, or no such metric).
count_signatures() {
  local now
  [[ -n "$admin_at" && "$2" != - && "${made[$1]}" != - ]] || { made[$1]=-; return 0; }
  now=$(signatures_made "$admin_at")
  [[ "$now" != - ]] || { made[$1]=-; return 0; }
  made[$1]=$((made[$1] + now - $2))
}
