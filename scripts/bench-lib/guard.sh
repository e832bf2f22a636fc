# Stage guard (sourced by scripts/bench): issue #17's speed figure. Workload B against `gslb serve
# --rrl-rate` and against the same server without it, interleaved. The rate is set above anything
# dnsperf sends for one key (B asks one name from one source: every query is the same RRL key), so
# nobody is over it and every response takes the limiter's full path (prefix, key hash, bucket
# update); what a response costs there does not depend on the rate's value. Then B with a DNS client
# cookie in every query against B without, on the plain server: what making a server cookie per
# reply costs (cookies are on by default; no target in the issue).
stage_guard() {
  start_gslb plain "$WORKERS" "$ROOT/examples"
  start_gslb rrl "$WORKERS" "$ROOT/examples" --rrl-rate 1000000
  echo "guard: gslb --workers $WORKERS plain pid $PID_plain port $PORT_plain; --rrl-rate 1000000 pid $PID_rrl port $PORT_rrl"
  warm plain lb
  warm rrl lb
  warm plain lbcookie
  interleave lb:plain lb:rrl lbcookie:plain
  local m lo hi
  read -r m lo hi < <(paired_ratios lb rrl plain)
  echo "  workload B, --rrl-rate set / not, round by round: median $m (min $lo, max $hi)"
  figure guard_rrl "guard: B, --rrl-rate set (no one over it) / off" \
    "$(printf '%.0f' "$(median_of lb rrl 1)") q/s" "$(printf '%.0f' "$(median_of lb plain 1)") q/s" "$m"
  read -r m lo hi < <(paired_ratios_of "$WORK/lbcookie.plain.rows" "$WORK/lb.plain.rows")
  echo "  workload B with a client cookie per query / without, round by round: median $m (min $lo, max $hi)"
  figure guard_cookie "guard: B with client cookies / without" \
    "$(printf '%.0f' "$(median_of lbcookie plain 1)") q/s" "$(printf '%.0f' "$(median_of lb plain 1)") q/s" "$m"
  stop_server plain
  stop_server rrl
}
