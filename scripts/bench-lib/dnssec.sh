# Stage dnssec (sourced by scripts/bench): issue #16's speed figures. The example zone served twice in
# one run: unsigned (examples/) and a copy signed with a key made now (ALGORITHM, KEYGEN). Workloads A,
# B and C (--workload picks one) with DO=1 against the signed copy and DO=0 against the unsigned zone,
# RUNS interleaved runs, medians and round-by-round ratios (and, to tell signing from EDNS, the DO=1
# queries against the unsigned zone too: no target); then each at LATENCY_QPS with per-query
# latencies (p50) and the server's CPU; the signatures the signed server made over all of it (from its
# /metrics); and signatures per second on the server core (scripts/sign-speed.ts).

# admin_url NAME: the admin URL a server started with --admin printed (it follows the serving line).
admin_url() {
  local url="" _
  for _ in $(seq 100); do
    url=$(sed -nE 's|^admin on (http://[^ ]+/)$|\1|p' "$WORK/$1.out" | head -1)
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  echo "$url"
}

# signatures_made URL: the signed server's gslb_dnssec_signatures_total{source="signed"} summed over its
# zones (crypto.sign calls); "-" when /metrics does not have it.
signatures_made() {
  [[ -n "$1" ]] || { echo -; return 0; }
  curl -fsS --max-time 5 "${1}metrics" 2> /dev/null |
    awk '/^gslb_dnssec_signatures_total\{/ && /source="signed"/ { s += $NF; n++ } END { if (n) print s; else print "-" }' ||
    echo -
}

# sign_rates: signatures per second on the server core from scripts/sign-speed.ts (the signer's own
# measurement: crypto.sign, and ZoneSigner.sign of a new RRset, canonical form included), one
# "ALGORITHM CRYPTO_SIGN ZONESIGNER_NEW" line per algorithm; its own output stays in $WORK/sign-speed.out.
sign_rates() {
  [[ -f "$ROOT/dist/scripts/sign-speed.js" ]] || return 0
  "${SERVER_PIN[@]}" node "$ROOT/dist/scripts/sign-speed.js" --seconds 2 > "$WORK/sign-speed.out"
  sed -nE 's|^.* \(([0-9]+)\): crypto\.sign ([0-9]+)/s; ZoneSigner\.sign: new RRset ([0-9]+)/s.*|\1 \2 \3|p' \
    "$WORK/sign-speed.out"
}

stage_dnssec() {
  local signed="$WORK/signed-zones" wl s m lo hi url made0 made1 workloads=(static lb lbmix)
  [[ "$WORKLOAD" == all ]] || workloads=("${SELECTED[@]}")
  signed_copy "$ROOT/examples" "$signed" "$ZONE"
  start_gslb uns "$WORKERS" "$ROOT/examples"
  start_gslb sig "$WORKERS" "$signed" --admin 127.0.0.1:0
  url=$(admin_url sig)
  echo "dnssec: gslb --workers $WORKERS unsigned pid $PID_uns port $PORT_uns; signed ($(algorithm_name)," \
    "$(basename "$(ls "$signed/$ZONE/keys/"*.key)" .key)) pid $PID_sig port $PORT_sig"
  if ! signs sig "www.$ZONE" "mail.$ZONE"; then
    echo "dnssec: skipped: the signed copy's answers carry no RRSIG (a build without DNSSEC?)"
    for wl in "${workloads[@]}"; do
      skipped "dnssec_qps_$wl" "dnssec: $(workload_label "$wl"), DO=1 signed / unsigned" "answers not signed"
    done
    skipped dnssec_p50 "dnssec: p50 at $LATENCY_QPS q/s, DO=1 signed / unsigned" "answers not signed"
    stop_server uns
    stop_server sig
    return
  fi
  # Warm-up with every workload: the JIT, and each RRset's first signature (lazy signing) before the
  # timed runs; what the first answers cost is the scale stage's lazy-signing figure.
  for wl in "${workloads[@]}"; do
    warm uns "$wl"
    warm sig "${wl}_do"
  done
  warm uns "${workloads[0]}_do"
  made0=$(signatures_made "$url")
  local pairs=()
  for wl in "${workloads[@]}"; do pairs+=("$wl:uns" "${wl}_do:sig" "${wl}_do:uns"); done
  interleave "${pairs[@]}"
  if ((LATENCY_QPS > 0)); then
    for wl in "${workloads[@]}"; do
      for s in uns sig; do
        local q="$wl"
        [[ "$s" == sig ]] && q="${wl}_do"
        run_dnsperf "$s" "$(query_file "$q")" "$WORK/$q.$s.latency.txt" "$DURATION" -Q "$LATENCY_QPS" -v $(format_args "$q")
        echo "$(percentiles "$WORK/$q.$s.latency.txt") $(cut -d' ' -f1,7 <<< "$ROW")" > "$WORK/$q.$s.lat"
        printf '  latency at %s qps  %-9s %-4s done\n' "$LATENCY_QPS" "$q" "$s"
        sleep 1
      done
    done
  fi
  made1=$(signatures_made "$url")

  echo
  echo "DNSSEC throughput: DO=1 against the signed copy (sig) and DO=0 against the unsigned zone (uns);"
  echo "the _do rows of uns: DO=1 against the unsigned zone (EDNS and DO, nothing to sign)"
  echo "(closed loop, dnsperf -c $CLIENTS -q $OUTSTANDING, ${DURATION} s x $RUNS; medians; latency in ms)"
  printf '%-10s %-4s %10s %17s %8s %8s %7s %9s %9s %9s\n' workload srv qps 'qps min..max' avg max lost 'srv CPU%' \
    'cli CPU%' 'us CPU/q'
  local row
  for wl in "${workloads[@]}"; do
    for row in "$wl:uns" "${wl}_do:uns" "${wl}_do:sig"; do
      local q="${row%%:*}" s="${row#*:}" f cli=-
      f="$WORK/$q.$s.rows"
      [[ -n "$CLIENT_CORE" ]] && cli=$(median_of "$q" "$s" 8)
      printf '%-10s %-4s %10.0f %17s %8s %8s %7s %9s %9s %9s\n' "$q" "$s" "$(median_of "$q" "$s" 1)" \
        "$(col "$f" 1 | sort -g | head -1)..$(col "$f" 1 | sort -g | tail -1)" "$(median_of "$q" "$s" 2)" \
        "$(median_of "$q" "$s" 4)" "$(median_of "$q" "$s" 6)" "$(median_of "$q" "$s" 7)" "$cli" "$(median_of "$q" "$s" 9)"
    done
  done
  echo
  echo "signed DO=1 / unsigned DO=0, round by round (the two runs of a round are adjacent): the summary's ratio is the median"
  for wl in "${workloads[@]}"; do
    read -r m lo hi < <(paired_ratios_of "$WORK/${wl}_do.sig.rows" "$WORK/$wl.uns.rows")
    printf '%-8s median %s  (min %s, max %s; ratio of the medians %s; CPU per query %s us / %s us)\n' "$wl" "$m" "$lo" "$hi" \
      "$(ratio "$(median_of "${wl}_do" sig 1)" "$(median_of "$wl" uns 1)")" "$(median_of "${wl}_do" sig 9)" \
      "$(median_of "$wl" uns 9)"
    figure "dnssec_qps_$wl" "dnssec: $(workload_label "$wl"), DO=1 signed / unsigned" \
      "$(printf '%.0f' "$(median_of "${wl}_do" sig 1)") q/s" "$(printf '%.0f' "$(median_of "$wl" uns 1)") q/s" "$m"
  done
  echo "signed DO=1 / unsigned DO=1 (the same queries: what signing adds beyond EDNS and DO), round by round"
  for wl in "${workloads[@]}"; do
    read -r m lo hi < <(paired_ratios_of "$WORK/${wl}_do.sig.rows" "$WORK/${wl}_do.uns.rows")
    printf '%-8s median %s  (min %s, max %s; CPU per query %s us / %s us)\n' "$wl" "$m" "$lo" "$hi" \
      "$(median_of "${wl}_do" sig 9)" "$(median_of "${wl}_do" uns 9)"
  done

  if ((LATENCY_QPS > 0)); then
    echo
    echo "Latency at a fixed $LATENCY_QPS qps (dnsperf -v, one ${DURATION} s run each; microseconds; server CPU in % of a core)"
    printf '%-10s %-4s %12s %8s %8s %8s %8s %9s\n' workload srv 'answered qps' p50 p90 p99 p99.9 'srv CPU%'
    local p50 p90 p99 p999 qps cpu
    for wl in "${workloads[@]}"; do
      for s in uns sig; do
        local q="$wl"
        [[ "$s" == sig ]] && q="${wl}_do"
        read -r p50 p90 p99 p999 qps cpu < "$WORK/$q.$s.lat"
        printf '%-10s %-4s %12s %8s %8s %8s %8s %9s\n' "$q" "$s" "$qps" "$p50" "$p90" "$p99" "$p999" "$cpu"
      done
    done
    for wl in "${workloads[@]}"; do
      figure dnssec_p50 "dnssec: p50 at $LATENCY_QPS q/s: $(workload_label "$wl"), DO=1 / unsigned" \
        "$(cut -d' ' -f1 "$WORK/${wl}_do.sig.lat") us" "$(cut -d' ' -f1 "$WORK/$wl.uns.lat") us"
      figure dnssec_cpu "dnssec: CPU at $LATENCY_QPS q/s: $(workload_label "$wl"), DO=1 / unsigned" \
        "$(cut -d' ' -f6 "$WORK/${wl}_do.sig.lat") %core" "$(cut -d' ' -f6 "$WORK/$wl.uns.lat") %core"
    done
  fi
  echo
  if [[ "$made1" != - && "$made0" != - ]]; then
    echo "signatures made by the signed server (crypto.sign calls): $made0 in the warm-up," \
      "$((made1 - made0)) over the timed runs"
    figure dnssec_signed "dnssec: signatures made over the timed runs (after warm-up)" "$((made1 - made0))"
  else
    echo "signatures made: no gslb_dnssec_signatures_total in the signed server's /metrics"
  fi
  echo "RSS: unsigned $(mib "$(mem_kb "$PID_uns" VmRSS)") MiB, signed $(mib "$(mem_kb "$PID_sig" VmRSS)") MiB"
  stop_server uns
  stop_server sig

  local alg rate signer
  echo "signatures per second on the server core (dist/scripts/sign-speed.js):"
  while read -r alg rate signer; do
    echo "  $(algorithm_name "$alg") ($alg): crypto.sign $rate/s; ZoneSigner.sign of a new RRset $signer/s"
    figure sign_rate "dnssec: crypto.sign, $(algorithm_name "$alg"), one core" "$rate /s"
    figure sign_rate "dnssec: ZoneSigner.sign, new RRset, $(algorithm_name "$alg")" "$signer /s"
  done < <(sign_rates)
  [[ -s "$WORK/sign-speed.out" ]] || skipped sign_rate "dnssec: signatures per second" "no dist/scripts/sign-speed.js (npm run build)"
}
