#!/bin/bash
# What the execution history (--history) costs and how fast it goes back,
# with the single-step backend (--icount step):
#   forward: a whole run with history off and on (best of REPEAT runs each),
#     and their ratio, for guests/memloop.elf (a 64 KiB table stirred in a
#     loop: a few pages) and guests/sweep.elf (a byte written in each of 1024
#     pages, round after round);
#   timed as gdb sees it, in one session: reverse-stepi, cold (the first after
#     running forward) and warm (the next ones, cheap on the ladder of
#     checkpoints the first laid), in ms each; going 10^5 instructions back;
#     reverse-continue to an icount stop 10^5 and 10^6 instructions before;
#   memory: what the checkpoints took when taken, per million instructions,
#     and what is kept at the end (within --history-mem, 256 MiB by default);
#   on instruction-count time (--clock icount), guests/sched.elf at 1,000
#     timer ticks (2.5 million instructions, a task switch each tick): a whole
#     run with history off and on, warm reverse-stepi, and reverse-continue
#     from the end back across the 1,000 ticks to an icount stop.
# Usage: tests/bench/history.sh [REPEAT]   (default 3)
set -eu
cd "$(dirname "$0")/../.."

repeat=${1:-3}
n=50
make -s kvmdbg guests/memloop.elf guests/sweep.elf guests/sched.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. tests/bench/common.sh
# Best of $repeat runs of the console script $2 on guest $1, with options after.
best() {
	local guest=$1 script=$2

	shift 2
	best_of "$repeat" ./kvmdbg --icount step --serial none "$@" --script "$script" "guests/$guest" 2>/dev/null
}
change() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }'
}
row() {
	printf '%-64s %12s\n' "$1" "$2"
}

printf 'cont\n' >"$tmp/run"
for g in memloop sweep; do
	off=$(best $g.elf "$tmp/run")
	on=$(best $g.elf "$tmp/run" --history)
	row "$g: whole run, history off / on (s)" "$off / $on"
	row "$g: cost of the history" "$(change "$on" "$off")"
done

# Timed inside one session, as gdb sees it (its Python's clock): each line
# of gdb's output "T name seconds".
timed() {
	local guest=$1 port step

	shift
	port=$(free_port)
	./kvmdbg --icount step --serial none --history ${timed_opts[@]+"${timed_opts[@]}"} \
		--gdb 127.0.0.1:$port --wait "guests/$guest" >/dev/null 2>&1 &
	listening "$port" $!
	local args=(-ex 'python import time')
	for step in "$@"; do
		case $step in
		T:*) args+=(-ex "python t0 = time.time()" -ex "${step#T:*:}"
			    -ex "python print('T ${step#T:}'.split(':')[0], time.time() - t0)") ;;
		*) args+=(-ex "$step") ;;
		esac
	done
	timeout 600 gdb -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$port" \
		"${args[@]}" -ex kill "guests/$guest" 2>&1 | sed -n 's/^T //p'
	wait
}
ms() {
	awk -v s="$1" -v n="${2:-1}" 'BEGIN { printf "%.2f", 1000 * s / n }'
}

# reverse-stepi on memloop, 300,000 instructions in.
out=$(timed memloop.elf 'monitor goto icount 300000' "T:fwd:stepi $n" 'T:cold:reverse-stepi' \
	"T:warm:reverse-stepi $n" 'T:back:monitor goto icount 200000' \
	'T:forward:monitor goto icount 299000')
row "reverse-stepi, cold: the first after running forward (ms)" "$(ms "$(awk '$1 == "cold" { print $2 }' <<<"$out")")"
row "reverse-stepi, warm ($n in a row, gdb's reverse-stepi $n; ms each)" \
	"$(ms "$(awk '$1 == "warm" { print $2 }' <<<"$out")" "$n")"
row "for comparison: stepi forward ($n in a row, gdb's stepi $n; ms each)" \
	"$(ms "$(awk '$1 == "fwd" { print $2 }' <<<"$out")" "$n")"
row "goto 10^5 instructions back (ms)" "$(ms "$(awk '$1 == "back" { print $2 }' <<<"$out")")"
row "goto 99,000 instructions forward within history (ms)" \
	"$(ms "$(awk '$1 == "forward" { print $2 }' <<<"$out")")"

# reverse-continue across 10^5 and 10^6 instructions on sweep, to an icount stop.
for d in 100000 1000000; do
	out=$(timed sweep.elf 'monitor goto icount 1400000' "monitor icount break $((1400000 - d))" \
		'T:rc:reverse-continue')
	row "reverse-continue across $d instructions (sweep, s)" "$(awk '{ printf "%.2f", $2 }' <<<"$out")"
done

# Memory: per million instructions, as taken; and kept at the end.
for g in memloop sweep; do
	./kvmdbg --icount step --serial none --history -e cont -e history guests/$g.elf >"$tmp/out" 2>&1 || true
	count=$(sed -n 's/^History from icount [0-9]* to \([0-9]*\) .*/\1/p' "$tmp/out")
	taken=$(sed -n 's/.* taken (\([0-9]*\) KiB).*/\1/p' "$tmp/out")
	kept=$(sed -n 's/.* \([0-9]*\) of [0-9]* KiB$/\1/p' "$tmp/out")
	marks=$(sed -n 's/.*: \([0-9]*\) checkpoints,.*/\1/p' "$tmp/out")
	row "$g: checkpoints taken per 10^6 instructions (MiB)" \
		"$(awk -v t="$taken" -v c="$count" 'BEGIN { printf "%.1f", t / 1024 / (c / 1e6) }')"
	row "$g: kept at the end: checkpoints, MiB" \
		"$marks, $(awk -v k="$kept" 'BEGIN { printf "%.1f", k / 1024 }')"
done

# On instruction-count time: the scheduler guest at 1,000 ticks.
printf 'set *&tick_limit = 1000\ncont\n' >"$tmp/ticks"
off=$(best sched.elf "$tmp/ticks" --clock icount)
on=$(best sched.elf "$tmp/ticks" --clock icount --history)
row "sched, 1,000 ticks, --clock icount: whole run, history off / on (s)" "$off / $on"
row "sched: cost of the history" "$(change "$on" "$off")"
timed_opts=(--clock icount)
out=$(timed sched.elf 'set var *(int *)&tick_limit = 1000' continue 'monitor icount' \
	"T:warm0:reverse-stepi" "T:warm:reverse-stepi $n" 'monitor icount break 2000' \
	'T:rc:reverse-continue' 'monitor icount')
row "sched: reverse-stepi, warm ($n in a row; ms each)" \
	"$(ms "$(awk '$1 == "warm" { print $2 }' <<<"$out")" "$n")"
row "sched: reverse-continue from the end across 1,000 ticks to icount 2000 (s)" \
	"$(awk '$1 == "rc" { printf "%.2f", $2 }' <<<"$out")"
