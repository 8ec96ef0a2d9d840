#!/bin/bash
# What --trace-exceptions costs (README, When the guest faults): the run time
# of guests/tick1k.elf (a 1 kHz timer, a #UD every 65536 turns of a fixed
# loop) plain, with --trace-exceptions (its #UDs), with
# --trace-exceptions=irq (and every tick), and with --catch pf (a catch site
# planted that never fires: what catching costs a guest that does not fault);
# each the best of RUNS, then the same with a busy loop on all but one core. QEMU's -d int works under TCG only, so
# there is nothing of QEMU's to run beside it with KVM.
# Usage: tests/bench/trace.sh [RUNS]   (default 3)
set -eu
cd "$(dirname "$0")/../.."

RUNS=${1:-3}
GUEST=guests/tick1k.elf

. tests/bench/common.sh
make -s kvmdbg "$GUEST"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# A run may outrun the host: each record is a stop, and where breakpoints go by
# page (nested SVM under QEMU TCG, some 5.6 ms a stop) a 1 kHz timer's stops
# leave the guest no time to run. Such a run is cut at LIMIT seconds.
LIMIT=${LIMIT:-60}
run() { # kvmdbg options
	timeout "$LIMIT" ./kvmdbg --serial none "$@" "$GUEST" 2>"$tmp/trace" || [ $? -lt 124 ] ||
		echo "cut at $LIMIT s: $*" >>"$tmp/cut"
}

measure() {
	local plain catch exc irq
	plain=$(best_of "$RUNS" run)
	catch=$(best_of "$RUNS" run --catch pf)
	exc=$(best_of "$RUNS" run --trace-exceptions)
	local nexc
	nexc=$(grep -c '^exception #UD' "$tmp/trace" || true)
	irq=$(best_of "$RUNS" run --trace-exceptions=irq)
	local nirq
	nirq=$(grep -c '^interrupt vector 0x20' "$tmp/trace" || true)
	echo "$plain $catch $exc $nexc $irq $nirq"
}

slower() { # time over the plain run's, as "1.03x"
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "n/a" }'
}

read -r -a idle < <(measure)
loops=$(load_loops)
loaded=()
[ "$loops" -gt 0 ] && read -r -a loaded < <(while_loaded "$loops" measure)

echo "$(nproc) cores; loaded: $loops busy loop(s); best of $RUNS runs, seconds (and against plain)"
printf '%-44s | %16s | %16s\n' "guests/tick1k.elf" idle loaded
row() { # name, index into the results
	printf '%-44s | %7s %8s | %7s %8s\n' "$1" "${idle[$2]}" "$(slower "${idle[$2]}" "${idle[0]}")" \
		"${loaded[$2]:--}" "$(slower "${loaded[$2]:-}" "${loaded[0]:-}")"
}
row "plain run" 0
row "--catch pf (sites planted, never fires)" 1
row "--trace-exceptions (${idle[3]} #UD records)" 2
row "--trace-exceptions=irq (+${idle[5]} ticks)" 4
[ -s "$tmp/cut" ] && sort -u "$tmp/cut"
true
