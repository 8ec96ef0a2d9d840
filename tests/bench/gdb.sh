#!/bin/bash
# gdb-facing speed of kvmdbg's gdb server against QEMU's gdbstub, side by side
# in one run on the same 32-bit multiboot guest (guests/bench32.elf):
#   stepi per second, hardware-breakpoint continue round trips per second,
#   register reads per second (maintenance flush register-cache + p $pc),
#   dump binary memory of 16 MiB in MiB/s.
# Usage: tests/bench/gdb.sh [SCALE]   (SCALE multiplies the iteration counts; default 1)
set -eu
cd "$(dirname "$0")/../.."

scale=${1:-1}
STEPS=$((2000 * scale))
BREAKS=$((500 * scale))
READS=$((3000 * scale))
DUMP_MIB=16
GUEST=guests/bench32.elf

. tests/bench/common.sh
need_qemu
make -s kvmdbg "$GUEST"
tick=0x$(nm "$GUEST" | awk '$3 == "tick" { print $1 }')
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
# Incompressible contents for the second dump (the first reads mostly zeroed RAM).
head -c $((DUMP_MIB * 1024 * 1024)) /dev/urandom >"$tmp/random.bin"


# The gdb script: a timestamp (ns) before and after each phase. stepi N and
# a breakpoint ignored N-1 times keep gdb's CLI out of the loop.
cat >"$tmp/bench.gdb" <<GDB
set pagination off
set confirm off
hbreak *$tick
continue
delete
define stamp
  shell date +%s%N >> $tmp/stamps
end
stamp
stepi $STEPS
stamp
hbreak *$tick
ignore \$bpnum $((BREAKS - 1))
continue
delete
stamp
set \$i = 0
while \$i < $READS
  maintenance flush register-cache
  output \$pc
  set \$i = \$i + 1
end
stamp
dump binary memory $tmp/mem.bin 0x100000 $((0x100000 + DUMP_MIB * 1024 * 1024))
stamp
restore $tmp/random.bin binary 0x200000
stamp
dump binary memory $tmp/mem2.bin 0x200000 $((0x200000 + DUMP_MIB * 1024 * 1024))
stamp
kill
GDB

# Runs the script against a server on PORT; prints the four rates.
measure() {
	rm -f "$tmp/stamps"
	timeout 600 gdb -batch -nx -ex "target remote 127.0.0.1:$1" -x "$tmp/bench.gdb" \
		>"$tmp/gdb.log" 2>&1 || true
	mapfile -t t <"$tmp/stamps"
	if [ "${#t[@]}" -ne 7 ]; then
		echo "gdb session failed:" >&2
		tail -5 "$tmp/gdb.log" >&2
		echo "- - - - - -"
		return
	fi
	cmp -s "$tmp/random.bin" "$tmp/mem2.bin" || echo "memory read back differs" >&2
	awk -v a="${t[0]}" -v b="${t[1]}" -v c="${t[2]}" -v d="${t[3]}" -v e="${t[4]}" \
		-v f="${t[5]}" -v g="${t[6]}" \
		-v s="$STEPS" -v k="$BREAKS" -v r="$READS" -v m="$DUMP_MIB" 'BEGIN {
		printf "%.0f %.0f %.0f %.1f %.1f %.1f\n", s / ((b - a) / 1e9), k / ((c - b) / 1e9),
			r / ((d - c) / 1e9), m / ((e - d) / 1e9), m / ((f - e) / 1e9),
			m / ((g - f) / 1e9) }'
}

port=$(free_port)
./kvmdbg --serial none -m 128M --gdb 127.0.0.1:$port -S "$GUEST" 2>"$tmp/kvmdbg.err" &
sleep 0.5
read -r k_step k_brk k_reg k_mem k_wr k_rnd < <(measure $port)
wait 2>/dev/null || true

port=$(free_port)
qemu-system-x86_64 -enable-kvm -m 128M -display none -serial null -monitor none \
	-S -gdb tcp:127.0.0.1:$port -kernel "$GUEST" 2>"$tmp/qemu.err" &
sleep 1
read -r q_step q_brk q_reg q_mem q_wr q_rnd < <(measure $port)
kill %% 2>/dev/null || true
wait 2>/dev/null || true

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.1fx", a / b; else print "n/a" }'
}
printf '%-34s %14s %14s %8s\n' "gdb operation" "kvmdbg" "QEMU" "ratio"
printf '%-34s %14s %14s %8s\n' "stepi per second ($STEPS)" "$k_step" "$q_step" "$(ratio "$k_step" "$q_step")"
printf '%-34s %14s %14s %8s\n' "hbreak continue round trips/s ($BREAKS)" "$k_brk" "$q_brk" "$(ratio "$k_brk" "$q_brk")"
printf '%-34s %14s %14s %8s\n' "register reads per second ($READS)" "$k_reg" "$q_reg" "$(ratio "$k_reg" "$q_reg")"
printf '%-34s %14s %14s %8s\n' "dump 16 MiB of RAM (mostly zero), MiB/s" "$k_mem" "$q_mem" "$(ratio "$k_mem" "$q_mem")"
printf '%-34s %14s %14s %8s\n' "dump 16 MiB of random data, MiB/s" "$k_rnd" "$q_rnd" "$(ratio "$k_rnd" "$q_rnd")"
printf '%-34s %14s %14s %8s\n' "restore 16 MiB (writes), MiB/s" "$k_wr" "$q_wr" "$(ratio "$k_wr" "$q_wr")"
