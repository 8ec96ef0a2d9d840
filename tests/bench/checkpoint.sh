#!/bin/bash
# What checkpoints cost, on guests/memloop.elf (a 64 KiB table stirred in a
# loop, 400,000 instructions), best of REPEAT runs each:
#   the run from main to the end with the dirty log off, and on (a checkpoint
#   taken at main), and their ratio;
#   taking a checkpoint: the first (every page that is not zero) and the next
#   ones (the pages written since);
#   restart: between two checkpoints 4 rounds apart (the pages written
#   between them: about 18).
# Usage: tests/bench/checkpoint.sh [REPEAT]   (default 3)
set -eu
cd "$(dirname "$0")/../.."

repeat=${1:-3}
n=200
make -s kvmdbg guests/memloop.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. tests/bench/common.sh
# Best of $repeat runs of the console script $1.
best() {
	best_of "$repeat" ./kvmdbg --serial none --script "$1" guests/memloop.elf
}

printf 'break main\ncont\ndelete\ncont\n' >"$tmp/off"
printf 'break main\ncont\ndelete\ncheckpoint\ncont\n' >"$tmp/on"
# n checkpoints at the same place: the first copies every page not zero.
{ printf 'break serial_put_hex\ncont\n'; for ((i = 0; i < n; i++)); do echo checkpoint; done; } >"$tmp/take"
printf 'break serial_put_hex\ncont\n' >"$tmp/none"
# Back and forth n times between two checkpoints 4 rounds apart.
printf 'break serial_put_hex\ncont\ncheckpoint\ncont\ncheckpoint\n' >"$tmp/two"
{ cat "$tmp/two"; for ((i = 0; i < n / 2; i++)); do printf 'restart 1\nrestart 2\n'; done; } >"$tmp/back"

off=$(best "$tmp/off")
on=$(best "$tmp/on")
take=$(best "$tmp/take")
none=$(best "$tmp/none")
back=$(best "$tmp/back")
two=$(best "$tmp/two")
first=$(./kvmdbg --serial none -e 'break serial_put_hex' -e cont -e checkpoint -e cont \
	-e checkpoint guests/memloop.elf | sed -n 's/^Checkpoint \([12]\) at .*(\([0-9]*\) pages, \([0-9]*\) KiB)$/\1 \2 \3/p')

printf '%-52s %10s\n' "run from main to the end, dirty log off (s)" "$off"
printf '%-52s %10s\n' "the same with a checkpoint at main (s)" "$on"
printf '%-52s %9s%%\n' "cost of the dirty log" \
	"$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%+.0f", 100 * (a - b) / b }')"
awk '{ printf "%-52s %10s\n", "checkpoint " $1 ": pages, KiB", $2 ", " $3 }' <<<"$first"
printf '%-52s %10s\n' "a checkpoint ($n at one place, first included, ms each)" \
	"$(awk -v t="$take" -v z="$none" -v n="$n" 'BEGIN { printf "%.2f", 1000 * (t - z) / n }')"
printf '%-52s %10s\n' "restart 4 rounds away (ms each)" \
	"$(awk -v a="$back" -v b="$two" -v n="$n" 'BEGIN { printf "%.2f", 1000 * (a - b) / n }')"
