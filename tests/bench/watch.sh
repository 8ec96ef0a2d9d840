#!/bin/bash
# gdb watchpoint speed of kvmdbg against QEMU's gdbstub, side by side in one
# run on the same 32-bit multiboot guest (guests/bench32.elf, whose tick()
# increments `ticks` forever): watch and rwatch stops per second on ticks
# (gdb's ignore count keeps its CLI out of the loop), then watch with 99 more
# watchpoints on the same page. QEMU with KVM puts watchpoints in debug
# registers: at most 4, and on hosts whose KVM emulates CPL 0 code (PVM) they
# never fire; a phase that gets no stop within the timeout says "never".
# Usage: tests/bench/watch.sh [HITS]   (default 2000)
set -eu
cd "$(dirname "$0")/../.."

HITS=${1:-2000}
WAIT=20   # seconds a phase may take before it counts as never stopping
GUEST=guests/bench32.elf

. tests/bench/common.sh
need_qemu
make -s kvmdbg "$GUEST"
ticks=0x$(nm "$GUEST" | awk '$3 == "ticks" { print $1 }')
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT


# One gdb session per phase, so a phase that never stops costs only its own.
phase() { # port, gdb commands that set the watchpoints
	cat >"$tmp/phase.gdb" <<GDB
set pagination off
set confirm off
$2
ignore \$bpnum $((HITS - 1))
shell date +%s%N >> $tmp/stamps
continue
shell date +%s%N >> $tmp/stamps
delete
GDB
	rm -f "$tmp/stamps"
	timeout $WAIT gdb -batch -nx -ex "target remote 127.0.0.1:$1" -x "$tmp/phase.gdb" \
		>"$tmp/gdb.log" 2>&1 || true
	mapfile -t t < <(cat "$tmp/stamps" 2>/dev/null)
	if [ "${#t[@]}" -ne 2 ]; then
		echo never
		return
	fi
	awk -v a="${t[0]}" -v b="${t[1]}" -v n="$HITS" 'BEGIN { printf "%.0f\n", n / ((b - a) / 1e9) }'
}

more=""
for i in $(seq 1 99); do
	# Past the guest's data, on the same page, never written.
	more+="watch *(volatile unsigned int *)$(printf '%#x' $(((ticks & ~0xfff) + 0x400 + i * 8)))"$'\n'
done
watch1="watch *(volatile unsigned int *)$ticks"

measure() { # start the server with "$@", print three rates
	"$@" &
	local port=$PORT
	listening $port $!
	w=$(phase $port "$watch1")
	r=$(phase $port "rwatch *(volatile unsigned int *)$ticks")
	m=$(phase $port "$more$watch1")
	kill %% 2>/dev/null || true
	wait 2>/dev/null || true
	echo "$w $r $m"
}

PORT=$(free_port)
read -r kw kr km < <(measure ./kvmdbg --serial none -m 128M --gdb 127.0.0.1:$PORT -S "$GUEST")
PORT=$(free_port)
read -r qw qr qm < <(measure qemu-system-x86_64 -enable-kvm -m 128M -display none -serial null \
	-monitor none -S -gdb tcp:127.0.0.1:$PORT -kernel "$GUEST")

printf '%-40s %10s %10s %8s\n' "gdb watchpoint stops per second ($HITS)" "kvmdbg" "QEMU" "ratio"
printf '%-40s %10s %10s %8s\n' "watch ticks" "$kw" "$qw" "$(ratio "$kw" "$qw")"
printf '%-40s %10s %10s %8s\n' "rwatch ticks" "$kr" "$qr" "$(ratio "$kr" "$qr")"
printf '%-40s %10s %10s %8s\n' "watch ticks, 99 more on its page" "$km" "$qm" "$(ratio "$km" "$qm")"
