# dnsperf workloads for scripts/bench (sourced). A workload is a function workload_NAME FILE that writes
# a dnsperf query file ("name type" per line, or dnsperf's binary format when the workload is listed in
# BINARY_WORKLOADS). To add one: write the function and, to run it in the qps stage, add it to WORKLOADS.
#   static  (A) static names only
#   mixed   90% static names, 10% NXDOMAIN
#   lb      (B) the load-balanced name www, a different EDNS Client Subnet /24 per query (10,000 of them)
#   lbmix   (C) 90% www A (no ECS: located by the resolver address), 10% NXDOMAIN
#   lbone   B on the scale zone: one of its load-balanced names, a different ECS /24 per query (as lb)
#   lbbig   B on the scale zone: a random one of its load-balanced names per query, each with its own ECS
#   lbcookie B with a DNS client cookie in every query (the server makes a server cookie per reply)
# Every workload NAME has a twin NAME_do with the DNSSEC OK bit set (for the signed zones): a text
# workload's twin is the same file sent with dnsperf -D; a binary one's is written with the bit set
# (make-ecs-queries.mjs --do) from the same seed, so both ask the same names with the same subnets.
WORKLOADS=(static mixed lb lbmix)
BINARY_WORKLOADS=" lb lbone lbbig lbcookie "
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

# The binary workloads take an optional second argument, --do (their _do twins).
workload_lb() {
  node "$ROOT/scripts/make-ecs-queries.mjs" ${2:+"$2"} "$1" "www.$ZONE" 10000 42
}

workload_lbmix() {
  awk -v zone="$ZONE" 'BEGIN { srand(43); for (i = 0; i < 20000; i++) {
      if (rand() < 0.1) printf "nx-%d-%06d.%s A\n", i, int(rand() * 1000000), zone
      else printf "www.%s A\n", zone } }' > "$1"
}

workload_lbcookie() {
  node "$ROOT/scripts/make-ecs-queries.mjs" ${2:+"$2"} --cookie "$1" "www.$ZONE" 10000 42
}

workload_lbone() {
  node "$ROOT/scripts/make-ecs-queries.mjs" ${2:+"$2"} "$1" "n1.$SCALE_ZONE" 10000 42
}

workload_lbbig() {
  node "$ROOT/scripts/make-ecs-queries.mjs" ${2:+"$2"} "$1" "n%d.$SCALE_ZONE" 100000 44 "$SCALE_NAMES"
}

is_binary() { [[ "$BINARY_WORKLOADS" == *" ${1%_do} "* ]]; }

# query_file WORKLOAD: the workload's query file, written on first use (a text _do twin shares its file).
query_file() {
  local wl="$1" base="${1%_do}" f
  is_binary "$wl" || wl="$base"
  f="$WORK/$wl.txt"
  if [[ ! -f "$f" ]]; then
    if [[ "$wl" == "$base" ]]; then "workload_$wl" "$f"; else "workload_$base" "$f" --do; fi
  fi
  echo "$f"
}

# dnsperf flags for a workload's file: -B for the binary format; -D for a text _do twin.
format_args() {
  if is_binary "$1"; then
    echo "-B"
  elif [[ "$1" == *_do ]]; then
    echo "-D"
  fi
}

# workload_exists NAME: a workload function for NAME, or NAME is the _do twin of one.
workload_exists() { declare -F "workload_${1%_do}" > /dev/null; }
