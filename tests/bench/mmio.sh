#!/bin/bash
# MMIO logging speed, side by side in one run: a guest making 100,000 MMIO
# writes (guests/mmiobench.S, each write an exit) with logging off, then
# logged as text, as JSON Lines, and watched with a range that matches
# nothing (the filter's own cost). Reports records per second and the
# slowdown against logging off, best of REPEAT runs each.
# Usage: tests/bench/mmio.sh [REPEAT]   (default 3)
set -eu
cd "$(dirname "$0")/../.."

repeat=${1:-3}
writes=100000
make -s kvmdbg guests/mmiobench.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. tests/bench/common.sh
# Best of $repeat runs of kvmdbg with the given options.
best() {
	best_of "$repeat" ./kvmdbg --serial none "$@" guests/mmiobench.elf
}

off=$(best)
text=$(best --mmio-log "$tmp/log.txt")
json=$(best --mmio-log "$tmp/log.jsonl")
filtered=$(best --watch-mmio 0xd0000100+8)

records=$(($(wc -l <"$tmp/log.txt") - 1))
[ "$records" -eq $((writes + 0)) ] || [ "$records" -eq $((writes + 1)) ] ||
	{ echo "expected $writes records, got $records" >&2; exit 1; }
[ "$(wc -l <"$tmp/log.jsonl")" -eq "$records" ] || { echo "JSON log differs" >&2; exit 1; }

row() { # name seconds
	awk -v n="$1" -v s="$2" -v off="$off" -v r="$records" 'BEGIN {
		rate = (n ~ /off|matches/) ? "-" : sprintf("%.0f rec/s", r / s)
		printf "%-34s %8.3f s %18s %7.2fx\n", n, s, rate, s / off }'
}
printf '%-34s %10s %18s %8s\n' "$writes MMIO writes" "time" "records/s" "slowdown"
row "logging off" "$off"
row "--mmio-log text" "$text"
row "--mmio-log .jsonl" "$json"
row "--watch-mmio that matches nothing" "$filtered"
