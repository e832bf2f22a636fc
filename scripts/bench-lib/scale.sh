# Stage scale (sourced by scripts/bench): figure 4 of issue #5 on a zone from scripts/gen-scale-zone.ts
# (SCALE_NAMES load-balanced names over 50 datacenters, SCALE_NAMES / 10 static records):
# `gslb check` time and peak RSS; `gslb serve` launch to first answer and RSS; workload B on one name
# of the big zone and spread over all its names, against B on the example zone; then scripts/reload-under-load on a copy of
# the big zone (an invalid and a valid change under dnsperf load: time to the new answer, lost queries).
# With --dnssec (DNSSEC=1) the big zone has a key made now, the example zone it is compared with is a
# signed copy, workload B is asked with DO=1, and before the load a sample of never-asked names gives
# the cost of lazy signing (lazy_signing below). The reload runs ask with DO=0 (reload-under-load's own
# dnsperf), on the signed copy.
stage_scale() {
  local dir="$WORK/scale" statics=$((SCALE_NAMES / 10)) secs kb first startup small="$ROOT/examples"
  local tag="" ztag="" one=lbone big=lbbig b=lb
  node "$ROOT/dist/scripts/gen-scale-zone.js" "$dir" "$SCALE_NAMES" 50 "$statics" > /dev/null
  if ((DNSSEC)); then
    make_keys "$dir" "$SCALE_ZONE"
    small="$WORK/scale-small"
    signed_copy "$ROOT/examples" "$small" "$ZONE"
    tag=" (signed, DO=1)" ztag=" (signed)" one=lbone_do big=lbbig_do b=lb_do
  fi
  echo "scale: $SCALE_NAMES load-balanced names, 50 datacenters, $statics static records ($(du -sh "$dir" | cut -f1))$ztag"

  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%e %M' -o "$WORK/check.time" "$ROOT/bin/gslb" check --zones "$dir" > "$WORK/check.out" 2>&1 ||
      die "gslb check failed on the scale zone: $(tail -3 "$WORK/check.out")"
    read -r secs kb < "$WORK/check.time"
    echo "  gslb check: $secs s, peak RSS $(mib "$kb") MiB ($(cat "$WORK/check.out"))"
    figure check_s "scale$ztag: gslb check time" "$secs s"
    figure check_rss "scale$ztag: gslb check peak RSS" "$(mib "$kb") MiB"
  else
    skipped check_s "scale$ztag: gslb check time" "no /usr/bin/time (apt-get install time)"
    skipped check_rss "scale$ztag: gslb check peak RSS" "no /usr/bin/time (apt-get install time)"
  fi

  if ((DNSSEC)) && [[ -f "$ROOT/dist/scripts/sign-speed.js" ]]; then
    # What a signed zone adds to every build: its NSEC chain (scripts/sign-speed.ts loads the zones and
    # builds each chain three times, in-process); signatures wait for their first DO=1 query.
    local chain
    "${SERVER_PIN[@]}" node "$ROOT/dist/scripts/sign-speed.js" --seconds 0.1 --zones "$dir" > "$WORK/chain.out" 2>&1 || true
    chain=$(sed -nE "s/^$SCALE_ZONE\.?: NSEC chain of ([0-9]+) names.*\(median ([0-9]+) ms\)$/\1 \2/p" "$WORK/chain.out")
    if [[ -n "$chain" ]]; then
      echo "  NSEC chain of ${chain% *} names built in ${chain#* } ms (median of 3, in-process)"
      figure scale_chain "scale$ztag: NSEC chain build, ${chain% *} names" "${chain#* } ms"
    else
      skipped scale_chain "scale$ztag: NSEC chain build" "no chain line from sign-speed.js (see $WORK/chain.out)"
    fi
  fi
  local admin=() big_admin=""
  ((DNSSEC)) && admin=(--admin 127.0.0.1:0)
  start_gslb big 1 "$dir" "${admin[@]}"
  ((DNSSEC)) && big_admin=$(admin_url big)
  first=$(node "$ROOT/dist/scripts/wait-answer.js" --port "$PORT_big" --name "n0.$SCALE_ZONE" --timeout "$START_TIMEOUT") ||
    die "the scale zone's server never answered"
  startup=$(awk -v a="$START_MS_big" -v b="${first#* }" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
  echo "  gslb serve: first answer $startup s after launch; RSS $(mib "$(mem_kb "$PID_big" VmRSS)") MiB" \
    "(peak $(mib "$(mem_kb "$PID_big" VmHWM)") MiB)"
  figure start_s "scale$ztag: serve launch to first answer" "$startup s"
  figure start_rss "scale$ztag: serve RSS after start-up" "$(mib "$(mem_kb "$PID_big" VmRSS)") MiB"
  if ((DNSSEC)); then
    signs big "n0.$SCALE_ZONE" || die "scale --dnssec: the big zone's answers carry no RRSIG (a build without DNSSEC?)"
    lazy_signing
  fi

  start_gslb small 1 "$small"
  warm big "$big"
  warm small "$b"
  interleave "$one:big" "$big:big" "$b:small"
  # The issue's figure: B (one name, ECS per query) on the big zone against B on the example zone. Spread
  # over every name, most answers are first decisions or out of the CPU caches: shown, no target.
  figure scale_b "scale$tag: B on one name of the big zone / B on the example zone" "$(median_of "$one" big 1) q/s" \
    "$(median_of "$b" small 1) q/s"
  figure scale_spread "scale$tag: B over all names of the big zone / B on the example zone" \
    "$(median_of "$big" big 1) q/s" "$(median_of "$b" small 1) q/s"
  if ((DNSSEC)); then
    # Spread over the names, the first rounds are mostly first signatures (lazy signing): each round's
    # rate shows it, and the RSS now holds every signature made.
    echo "  B over all names, round by round: $(col "$WORK/$big.big.rows" 1 | tr '\n' ' ')q/s;" \
      "signatures made $(signatures_made "$big_admin"); RSS $(mib "$(mem_kb "$PID_big" VmRSS)") MiB" \
      "(peak $(mib "$(mem_kb "$PID_big" VmHWM)") MiB)"
    figure scale_signed_rss "scale$ztag: RSS after the B runs (signatures cached)" "$(mib "$(mem_kb "$PID_big" VmRSS)") MiB"
  fi
  # The reload run starts its own server on a copy: one big server at a time is enough memory.
  stop_server big
  stop_server small

  awk -v n="$SCALE_NAMES" -v s="$statics" -v zone="$SCALE_ZONE" 'BEGIN { srand(45); for (i = 0; i < 20000; i++)
      if (rand() < 0.9) printf "n%d.%s A\n", int(rand() * n), zone; else printf "s%d.%s A\n", int(rand() * s), zone }' \
    > "$WORK/scale-queries.txt"
  # Two workers: they reload one at a time, so one always answers (one process pauses while it builds).
  # A master-file change reuses the built policy; a names.yaml change builds the whole policy again.
  local change visible complete lost
  for change in records policy; do
    "$ROOT/scripts/reload-under-load" --zones "$dir" --reloads 2 --qps "$RELOAD_QPS" --queries "$WORK/scale-queries.txt" \
      --timeout "$START_TIMEOUT" --workers 2 --change "$change" > "$WORK/reload-$change.out" 2>&1 || true
    echo "  reload, $change change:"
    sed 's/^/    /' "$WORK/reload-$change.out"
    visible=$(sed -nE 's/^reload to new answer: median ([0-9]+) ms.*/\1/p' "$WORK/reload-$change.out")
    complete=$(sed -nE 's/.*every process reloaded: median ([0-9]+) ms.*/\1/p' "$WORK/reload-$change.out")
    lost=$(sed -nE 's/^dnsperf at .* lost ([0-9]+);.*/\1/p' "$WORK/reload-$change.out")
    if [[ -n "$visible" && -n "$lost" ]]; then
      figure "reload_${change}_ms" "scale$ztag: $change-file change to new answer (2 workers, $RELOAD_QPS q/s)" "$visible ms"
      figure "reload_${change}_done" "scale$ztag: $change-file change, every process reloaded" "$complete ms"
      figure "reload_${change}_lost" "scale$ztag: queries lost over the $change reloads" "$lost"
    else
      skipped "reload_${change}_ms" "scale$ztag: $change-file change to new answer" "reload-under-load failed (see above)"
      skipped "reload_${change}_lost" "scale$ztag: queries lost over the $change reloads" "reload-under-load failed"
    fi
  done
}

# lazy_signing: what signing on first use costs, on the big server just started (nothing but n0 asked):
# one query at a time (no ECS: located by the resolver address) over N names never asked before, four
# ways; medians. DO=0 first ask: the name's first decision; DO=1 on those names: their first signature
# only; DO=1 first ask of other names: decision and signature (the issue's figure); DO=1 again: cached.
lazy_signing() {
  local n=50 first_do0 sign_only first_do1 again
  ((n > SCALE_NAMES / 4)) && n=$((SCALE_NAMES / 4))
  local set1=$((SCALE_NAMES - 2 * n)) set2=$((SCALE_NAMES - n)) name="n%d.$SCALE_ZONE" warm_name="n0.$SCALE_ZONE"
  first_do0=$(probe "$PORT_big" "$name" --from "$set1" --count "$n" --warm "$warm_name")
  sign_only=$(probe "$PORT_big" "$name" --from "$set1" --count "$n" --warm "$warm_name" --do)
  first_do1=$(probe "$PORT_big" "$name" --from "$set2" --count "$n" --warm "$warm_name" --do)
  again=$(probe "$PORT_big" "$name" --from "$set2" --count "$n" --warm "$warm_name" --do)
  echo "  lazy signing, one query at a time over $n never-asked names each (median us, client to client):"
  echo "    DO=0, first ask: $(probe_field "$first_do0" median_us); then DO=1 on the same names (first signature):" \
    "$(probe_field "$sign_only" median_us)"
  echo "    DO=1, first ask of other names: $(probe_field "$first_do1" median_us) (signed $(probe_field "$first_do1" signed)/$n);" \
    "asked again: $(probe_field "$again" median_us)"
  figure scale_lazy "scale$ztag: first DO=1 answer of a never-asked name / DO=0" \
    "$(probe_field "$first_do1" median_us) us" "$(probe_field "$first_do0" median_us) us"
}
