# Stage scale (sourced by scripts/bench): figure 4 of issue #5 on a zone from scripts/gen-scale-zone.ts
# (SCALE_NAMES load-balanced names over 50 datacenters, SCALE_NAMES / 10 static records):
# `gslb check` time and peak RSS; `gslb serve` launch to first answer and RSS; workload B on one name
# of the big zone and spread over all its names, against B on the example zone; then scripts/reload-under-load on a copy of
# the big zone (an invalid and a valid change under dnsperf load: time to the new answer, lost queries).
stage_scale() {
  local dir="$WORK/scale" statics=$((SCALE_NAMES / 10)) secs kb first startup
  node "$ROOT/dist/scripts/gen-scale-zone.js" "$dir" "$SCALE_NAMES" 50 "$statics" > /dev/null
  echo "scale: $SCALE_NAMES load-balanced names, 50 datacenters, $statics static records ($(du -sh "$dir" | cut -f1))"

  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%e %M' -o "$WORK/check.time" "$ROOT/bin/gslb" check --zones "$dir" > "$WORK/check.out" 2>&1 ||
      die "gslb check failed on the scale zone: $(tail -3 "$WORK/check.out")"
    read -r secs kb < "$WORK/check.time"
    echo "  gslb check: $secs s, peak RSS $(mib "$kb") MiB ($(cat "$WORK/check.out"))"
    figure check_s "scale: gslb check time" "$secs s"
    figure check_rss "scale: gslb check peak RSS" "$(mib "$kb") MiB"
  else
    skipped check_s "scale: gslb check time" "no /usr/bin/time (apt-get install time)"
    skipped check_rss "scale: gslb check peak RSS" "no /usr/bin/time (apt-get install time)"
  fi

  start_gslb big 1 "$dir"
  first=$(node "$ROOT/dist/scripts/wait-answer.js" --port "$PORT_big" --name "n0.$SCALE_ZONE" --timeout "$START_TIMEOUT") ||
    die "the scale zone's server never answered"
  startup=$(awk -v a="$START_MS_big" -v b="${first#* }" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
  echo "  gslb serve: first answer $startup s after launch; RSS $(mib "$(mem_kb "$PID_big" VmRSS)") MiB" \
    "(peak $(mib "$(mem_kb "$PID_big" VmHWM)") MiB)"
  figure start_s "scale: serve launch to first answer" "$startup s"
  figure start_rss "scale: serve RSS after start-up" "$(mib "$(mem_kb "$PID_big" VmRSS)") MiB"

  start_gslb small 1 "$ROOT/examples"
  warm big lbbig
  warm small lb
  interleave lbone:big lbbig:big lb:small
  # The issue's figure: B (one name, ECS per query) on the big zone against B on the example zone. Spread
  # over every name, most answers are first decisions or out of the CPU caches: shown, no target.
  figure scale_b "scale: B on one name of the big zone / B on the example zone" "$(median_of lbone big 1) q/s" "$(median_of lb small 1) q/s"
  figure scale_spread "scale: B over all names of the big zone / B on the example zone" "$(median_of lbbig big 1) q/s" "$(median_of lb small 1) q/s"
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
      figure "reload_${change}_ms" "scale: $change-file change to new answer (2 workers, $RELOAD_QPS q/s)" "$visible ms"
      figure "reload_${change}_done" "scale: $change-file change, every process reloaded" "$complete ms"
      figure "reload_${change}_lost" "scale: queries lost over the $change reloads" "$lost"
    else
      skipped "reload_${change}_ms" "scale: $change-file change to new answer" "reload-under-load failed (see above)"
      skipped "reload_${change}_lost" "scale: queries lost over the $change reloads" "reload-under-load failed"
    fi
  done
}
