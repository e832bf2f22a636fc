# Stage dnstap (sourced by scripts/bench): issue #19's speed figure. Workload B against `gslb serve
# --dnstap unix:PATH` streaming every query and response to Debian's `dnstap` command, and against
# the same server without it, interleaved. The collector runs on dnsperf's core (it is the client
# side's work, not the server's) and throws what it reads away (-w /dev/null). The server prints
# its drops: a collector that cannot keep up makes frames dropped, not answers slower.
stage_dnstap() {
  if ! command -v dnstap > /dev/null; then
    echo "dnstap: skipped (no dnstap command; apt-get install golang-github-dnstap-golang-dnstap-cli)"
    return
  fi
  local sock="$WORK/dnstap.sock"
  "${CLIENT_PIN[@]}" dnstap -u "$sock" -w /dev/null > "$WORK/dnstap-collector.out" 2>&1 &
  PID_collector=$!
  PIDS+=("$PID_collector")
  for _ in $(seq 50); do [[ -S "$sock" ]] && break; sleep 0.1; done
  [[ -S "$sock" ]] || die "the dnstap collector did not open $sock"
  start_gslb plain "$WORKERS" "$ROOT/examples"
  start_gslb tap "$WORKERS" "$ROOT/examples" --dnstap "unix:$sock" --admin 127.0.0.1:0
  echo "dnstap: gslb --workers $WORKERS plain pid $PID_plain port $PORT_plain; --dnstap pid $PID_tap port $PORT_tap"
  warm plain lb
  warm tap lb
  interleave lb:plain lb:tap
  local m lo hi
  read -r m lo hi < <(paired_ratios lb tap plain)
  echo "  workload B, --dnstap on / off, round by round: median $m (min $lo, max $hi)"
  local admin
  admin=$(sed -nE 's/^admin on (http:\/\/[^ ]+\/)$/\1/p' "$WORK/tap.out" | head -1)
  if [[ -n "$admin" ]]; then
    echo "  frames: $(curl -fsS "${admin}metrics" 2> /dev/null | sed -n 's/^gslb_dnstap_frames_total{result="\([a-z]*\)"} \(.*\)/\1 \2/p' | paste -sd, -)"
  fi
  figure dnstap_lb "dnstap: B, --dnstap on / off" \
    "$(printf '%.0f' "$(median_of lb tap 1)") q/s" "$(printf '%.0f' "$(median_of lb plain 1)") q/s" "$m"
  stop_server plain
  stop_server tap
  stop_tree "$PID_collector"
  untrack "$PID_collector"
}
