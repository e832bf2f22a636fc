# dnsperf workloads for scripts/bench (sourced). A workload is a function workload_NAME FILE that writes
# a dnsperf query file ("name type" per line, or dnsperf's binary format when the workload is listed in
# BINARY_WORKLOADS). To add one: write the function and, to run it in the qps stage, add it to WORKLOADS.
#   static  (A) static names only
#   mixed   90% static names, 10% NXDOMAIN
#   lb      (B) the load-balanced name www, a different EDNS Client Subnet /24 per query (10,000 of them)
#   lbmix   (C) 90% www A (no ECS: located by the resolver address), 10% NXDOMAIN
#   lbone   B on the scale zone: one of its load-balanced names, a different ECS /24 per query (as lb)
#   lbbig   B on the scale zone: a random one of its load-balanced names per query, each with its own ECS
WORKLOADS=(static mixed lb lbmix)
BINARY_WORKLOADS=" lb lbone lbbig "
ZONE=gslb.example.com
SCALE_ZONE=scale.example # what scripts/gen-scale-zone.ts writes

# Names of the example zone that exist statically, with types they hold.
STATIC_QUERIES=(
  "mail.$ZONE A" "mail.$ZONE AAAA" "$ZONE MX" "$ZONE SOA" "$ZONE NS" "$ZONE TXT" "$ZONE CAA"
  "ns1.$ZONE A" "ns1.$ZONE AAAA" "ns2.$ZONE A" "docs.$ZONE A" "_sip._udp.$ZONE SRV"
)

# A: static names of the example zone only.
workload_static() {
  printf '%s\n' "${STATIC_QUERIES[@]}" > "$1"
}

# C-like: 90% existing names, 10% distinct nonexistent names (NXDOMAIN), shuffled with a fixed seed.
workload_mixed() {
  printf '%s\n' "${STATIC_QUERIES[@]}" |
    awk -v zone="$ZONE" 'BEGIN { srand(42) } { q[n++] = $0 }
      END { for (i = 0; i < 20000; i++) {
              if (rand() < 0.1) printf "nx-%d-%06d.%s A\n", i, int(rand() * 1000000), zone
              else print q[int(rand() * n)] } }' > "$1"
}

workload_lb() {
  node "$ROOT/scripts/make-ecs-queries.mjs" "$1" "www.$ZONE" 10000 42
}

workload_lbmix() {
  awk -v zone="$ZONE" 'BEGIN { srand(43); for (i = 0; i < 20000; i++) {
      if (rand() < 0.1) printf "nx-%d-%06d.%s A\n", i, int(rand() * 1000000), zone
      else printf "www.%s A\n", zone } }' > "$1"
}

workload_lbone() {
  node "$ROOT/scripts/make-ecs-queries.mjs" "$1" "n1.$SCALE_ZONE" 10000 42
}

workload_lbbig() {
  node "$ROOT/scripts/make-ecs-queries.mjs" "$1" "n%d.$SCALE_ZONE" 100000 44 "$SCALE_NAMES"
}

# query_file WORKLOAD: the workload's query file, written on first use.
query_file() {
  local f="$WORK/$1.txt"
  [[ -f "$f" ]] || "workload_$1" "$f"
  echo "$f"
}

# dnsperf input format flag for a workload's file.
format_args() { [[ "$BINARY_WORKLOADS" == *" $1 "* ]] && echo "-B" || true; }
