#!/bin/bash
# gdb-facing speed of kvmdbg's gdb server against QEMU's gdbstub, side by side
# in one run on the same 32-bit multiboot guest (guests/bench32.elf):
#   stepi per second, hardware-breakpoint continue round trips per second,
#   register reads per second (maintenance flush register-cache + p $pc),
#   dump binary memory of 16 MiB in MiB/s.
# A server whose breakpoints never stop the guest (QEMU's gdbstub on a host
# whose KVM delivers int3 to the guest and never fires DR0-DR3, e.g. nested
# SVM) gets there by an interrupted continue instead, and its round-trip rate
# is reported missing, with the reason.
# Twice: on an idle machine, then loaded, with a busy loop on each core but
# one (as a compile or another VM would keep them; at least one loop), each
# loop bounded in time.
# Usage: tests/bench/gdb.sh [SCALE]   (SCALE multiplies the iteration counts and
#   the dump size; default 1; 0.1 for the test VM, whose emulated CPU is slow)
#   LOAD=0 measures idle only; LOAD=N runs N busy loops. BOOT_WAIT and
#   BREAK_WAIT (seconds; 30, 120) bound the continues to the breakpoint.
#   QEMU=0 measures kvmdbg alone (two builds compared, say).
set -eu
cd "$(dirname "$0")/../.."

scale=${1:-1}
scaled() { awk -v n="$1" -v s="$scale" 'BEGIN { n = int(n * s); print (n > 0 ? n : 1) }'; }
STEPS=$(scaled 2000)
BREAKS=$(scaled 500)
READS=$(scaled 3000)
DUMP_MIB=$(scaled 16)
GUEST=guests/bench32.elf

. tests/bench/common.sh
[ "${QEMU:-1}" = 0 ] || need_qemu
make -s kvmdbg "$GUEST"
tick=0x$(nm "$GUEST" | awk '$3 == "tick" { print $1 }')
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
# Incompressible contents for the second dump (the first reads mostly zeroed RAM).
head -c $((DUMP_MIB * 1024 * 1024)) /dev/urandom >"$tmp/random.bin"


# Seconds a continue to the breakpoint may take before gdb interrupts it.
BOOT_WAIT=${BOOT_WAIT:-30}
BREAK_WAIT=${BREAK_WAIT:-120}

# The gdb script: a timestamp (ns) before and after each phase. stepi N and
# a breakpoint ignored N-1 times keep gdb's CLI out of the loop. A watchdog
# (a shell that sends gdb SIGINT after $arg0 seconds unless called off, and
# leaves the file interrupted.$arg1) bounds each continue.
cat >"$tmp/bench.gdb" <<GDB
set pagination off
set confirm off
define watchdog
  shell (sleep \$arg0; touch $tmp/interrupted.\$arg1; kill -INT \$PPID) & echo \$! >$tmp/dog
end
define call_off
  shell kill \$(cat $tmp/dog) 2>/dev/null
end
define stamp
  shell date +%s%N >> $tmp/stamps
end
hbreak *$tick
watchdog $BOOT_WAIT boot
continue
call_off
delete
stamp
stepi $STEPS
stamp
hbreak *$tick
ignore \$bpnum $((BREAKS - 1))
watchdog $BREAK_WAIT break
continue
call_off
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

# Runs the script against a server on PORT (named NAME in messages); prints its six rates.
measure() {
	rm -f "$tmp/stamps" "$tmp"/interrupted.*
	timeout 600 gdb -batch -nx -ex "target remote 127.0.0.1:$1" -x "$tmp/bench.gdb" \
		>"$tmp/gdb.log" 2>&1 || true
	t=()
	[ -f "$tmp/stamps" ] && mapfile -t t <"$tmp/stamps"
	if [ "${#t[@]}" -ne 7 ]; then
		echo "gdb session with $2 failed (${#t[@]} of 7 phases stamped):" >&2
		tail -5 "$tmp/gdb.log" >&2
		echo "- - - - - -"
		return
	fi
	cmp -s "$tmp/random.bin" "$tmp/mem2.bin" || echo "memory read back differs" >&2
	[ -e "$tmp/interrupted.boot" ] &&
		echo "$2: the breakpoint at tick did not stop the guest in $BOOT_WAIT s; interrupted there" >&2
	local broke=1
	[ -e "$tmp/interrupted.break" ] && broke=0 &&
		echo "$2: $BREAKS breakpoint hits did not come in $BREAK_WAIT s; round trips not measured" >&2
	awk -v broke="$broke" -v a="${t[0]}" -v b="${t[1]}" -v c="${t[2]}" -v d="${t[3]}" -v e="${t[4]}" \
		-v f="${t[5]}" -v g="${t[6]}" \
		-v s="$STEPS" -v k="$BREAKS" -v r="$READS" -v m="$DUMP_MIB" 'BEGIN {
		printf "%.0f %s %.0f %.1f %.1f %.1f\n", s / ((b - a) / 1e9),
			broke ? sprintf("%.0f", k / ((c - b) / 1e9)) : "-", r / ((d - c) / 1e9), m / ((e - d) / 1e9), m / ((f - e) / 1e9),
			m / ((g - f) / 1e9) }'
}

# Both servers, one after the other; prints kvmdbg's six rates, then QEMU's.
measure_both() {
	local port

	port=$(free_port)
	./kvmdbg --serial none -m 128M --gdb 127.0.0.1:$port -S "$GUEST" 2>"$tmp/kvmdbg.err" &
	local kvmdbg=$!
	listening "$port" "$kvmdbg"
	measure "$port" kvmdbg
	# (The script ends with kill; after a failed session the guest runs on.)
	kill "$kvmdbg" 2>/dev/null || true
	wait "$kvmdbg" 2>/dev/null || true

	if [ "${QEMU:-1}" = 0 ]; then
		echo "- - - - - -"
		return
	fi
	port=$(free_port)
	qemu-system-x86_64 -enable-kvm -m 128M -display none -serial null -monitor none \
		-S -gdb tcp:127.0.0.1:$port -kernel "$GUEST" 2>"$tmp/qemu.err" &
	local qemu=$!
	listening "$port" "$qemu"
	measure "$port" QEMU
	kill "$qemu" 2>/dev/null || true
	wait "$qemu" 2>/dev/null || true
}

read -r -a idle < <(measure_both | paste -sd' ')

loops=$(load_loops)
loaded=()
[ "$loops" -gt 0 ] && read -r -a loaded < <(while_loaded "$loops" measure_both | paste -sd' ')

names=("stepi per second ($STEPS)" "hbreak continue round trips/s ($BREAKS)"
	"register reads per second ($READS)" "dump $DUMP_MIB MiB of RAM (mostly zero), MiB/s"
	"restore $DUMP_MIB MiB (writes), MiB/s" "dump $DUMP_MIB MiB of random data, MiB/s")
echo "$(nproc) cores; loaded: $loops busy loop(s)"
printf '%-42s %9s %9s %7s' "gdb operation" "kvmdbg" "QEMU" "ratio"
[ "$loops" -gt 0 ] && printf ' | %9s %9s %7s' "kvmdbg" "QEMU" "ratio"
printf '\n%-42s %27s' "" "idle"
[ "$loops" -gt 0 ] && printf ' | %27s' "loaded"
printf '\n'
for i in 0 1 2 3 4 5; do
	printf '%-42s %9s %9s %7s' "${names[i]}" "${idle[i]:--}" "${idle[i + 6]:--}" \
		"$(ratio "${idle[i]:-}" "${idle[i + 6]:-}")"
	[ "$loops" -gt 0 ] && printf ' | %9s %9s %7s' "${loaded[i]:--}" "${loaded[i + 6]:--}" \
		"$(ratio "${loaded[i]:-}" "${loaded[i + 6]:-}")"
	printf '\n'
done
