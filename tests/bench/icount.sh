#!/bin/bash
# Instruction counting speed, side by side in one run:
#   a bare single-step loop over KVM_RUN (tests/bench/steploop.c: the limit
#   here) against kvmdbg's counted single steps (--icount step), and the time
#   kvmdbg takes to reach icount 1,000,000 in a long-mode guest.
# Usage: tests/bench/icount.sh [COUNT]   (default 1000000)
set -eu
cd "$(dirname "$0")/../.."

count=${1:-1000000}
make -s kvmdbg guests/spin.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/steploop" tests/bench/steploop.c

bare=$("$tmp/steploop" "$count")
start=$(date +%s%N)
./kvmdbg --serial none --stop-at-icount "$count" guests/spin.elf >"$tmp/out" 2>&1
end=$(date +%s%N)
grep -q "^icount $count$" "$tmp/out" || { cat "$tmp/out" >&2; exit 1; }
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
counted=$(awk -v n="$count" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')

printf '%-44s %12s\n' "bare KVM_RUN single steps per second" "$bare"
printf '%-44s %12s\n' "kvmdbg counted steps per second" "$counted"
printf '%-44s %11s%%\n' "kvmdbg / bare" "$(awk -v a="$counted" -v b="$bare" 'BEGIN { printf "%.0f", 100 * a / b }')"
printf '%-44s %11ss\n' "time to icount $count (long mode, spin.elf)" "$secs"
