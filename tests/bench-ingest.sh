#!/usr/bin/env bash
# Ingest throughput of a ~1 GB .omega log (native engine, memory-mapped)
# beside `cat FILE > /dev/null` on the same file, in one run, hot cache.
#   cargo build --release -p omega-host && tests/bench-ingest.sh [runs] [dir]
set -euo pipefail
runs=${1:-5}
dir=${2:-${TMPDIR:-/tmp}}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
omega="$root/target/release/omega"
[ -x "$omega" ] || { echo "build the host first: cargo build --release -p omega-host" >&2; exit 2; }
log="$dir/omega-bench-1g.omega"
# 16 nodes x 4 streams x 100,000 events, 100-byte payloads: 6.4M frames, ~1.02 GB
"$omega" sample --nodes 16 --streams 4 --per-stream 100000 --payload 100 --format omega --out "$log"
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null   # warm the page cache
secs() { local s e; s=$(date +%s%N); "$@" > /dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
cat_us=(); ing_us=()
for _ in $(seq "$runs"); do
  cat_us+=("$(secs cat "$log")")
  ing_us+=("$(secs "$omega" ingest --input "$log")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
c=$(median "${cat_us[@]}"); i=$(median "${ing_us[@]}")
echo "log: $log ($bytes bytes, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
awk -v b="$bytes" -v c="$c" -v i="$i" -v n="$runs" 'BEGIN {
  printf "cat > /dev/null : median %8.1f ms  %6.2f GB/s  (%d runs)\n", c/1000, b/c/1000, n;
  printf "omega ingest    : median %8.1f ms  %6.2f GB/s  (every frame: bounds, CRC32, event parse)\n", i/1000, b/i/1000;
  printf "ingest / cat    : %.2fx the time\n", i/c }'
rm -f "$log"
