#!/usr/bin/env bats
# Going back in time (--history): reverse-stepi, reverse-continue,
# reverse-finish and goto land on exactly the state the guest had then, and
# replay repeats no output.

load helper

teardown() {
	stop_stub
}

# The registers, one block per stop, from console output: lines "name 0x.. ..."
# of regs (general registers, rip, eflags) and of x/..gx dumps.
state_lines() {
	grep -E '^(r[a-z0-9]+|eflags|[a-z]s|fs_base|gs_base) +0x|^0x[0-9a-f]+( <[^>]*>)?:\s+0x|^RAM: ' ||
		true
}

# For every count from 1 to total-1 of a guest: the state reached by stepi
# from power-on, and the state reached by going to the end and back one
# rstepi at a time; the same, in reverse order.
sweep_back() {
	local total=$1 dump=$2 n
	shift 2
	{
		for ((n = 1; n < total; n++)); do
			echo stepi
			echo "$dump"
		done
	} >"$BATS_TEST_TMPDIR/forward"
	{
		echo "goto icount $total"
		for ((n = 1; n < total; n++)); do
			echo rstepi
			echo "$dump"
		done
	} >"$BATS_TEST_TMPDIR/back"
	kvmdbg --icount step --irqchip off --serial none -x "$BATS_TEST_TMPDIR/forward" "$@" 2>/dev/null |
		state_lines >"$BATS_TEST_TMPDIR/a"
	kvmdbg --history --icount step --serial none -x "$BATS_TEST_TMPDIR/back" "$@" 2>/dev/null |
		state_lines >"$BATS_TEST_TMPDIR/b"
	same_reversed $((total - 1))
}

# (Runs without history compared with runs with it are the same machine:
# --irqchip off, as --history makes it.)
# Whether $BATS_TEST_TMPDIR/a is $BATS_TEST_TMPDIR/b with its $1 blocks of
# lines (one per stop) in reverse order.
same_reversed() {
	local per=$(($(wc -l <"$BATS_TEST_TMPDIR/a") / $1))
	[ "$per" -gt 10 ] || fail "only $(wc -l <"$BATS_TEST_TMPDIR/a") state lines"
	awk -v per="$per" '{ b[int((NR - 1) / per)] = b[int((NR - 1) / per)] $0 "\n" }
		END { for (i = int((NR - 1) / per); i >= 0; i--) printf "%s", b[i] }' \
		"$BATS_TEST_TMPDIR/b" >"$BATS_TEST_TMPDIR/b.rev"
	diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b.rev"
}

@test "rstepi from the end lands on the state of every count: long mode (rep, I/O, MMIO, faults, int)" {
	sweep_back 252 $'regs\ninfo ram' --mem 4M "$(guest icount.elf)"
}

@test "the same in 32-bit protected mode" {
	run kvmdbg --icount step --serial none "$(guest icount32.elf)"
	total=$(sed -n 's/^kvmdbg: icount //p' <<<"$output")
	[ "$total" -gt 50 ]
	sweep_back "$total" $'regs\ninfo ram' --mem 4M "$(guest icount32.elf)"
}

@test "the same in real mode" {
	run kvmdbg --icount step --serial none --raw "$(guest icount16.bin)@0x7c00"
	total=$(sed -n 's/^kvmdbg: icount //p' <<<"$output")
	[ "$total" -gt 50 ]
	sweep_back "$total" $'regs\ninfo ram' --mem 4M --raw "$(guest icount16.bin)@0x7c00"
}

# memloop's state: registers, and the memory it writes.
memloop_state='regs
info ram
x/1gx sum'

@test "a guest writing memory: goto forwards and back, rstepi and rcont reach each count with the same registers and RAM" {
	# Straight there, in a fresh run each.
	for p in 5000 23456 23463; do
		run_script "$(guest memloop.elf)" --mem 16M --icount step --irqchip off --serial none <<<"goto icount $p
$memloop_state"
		assert_success
		state_lines <<<"$output" >"$BATS_TEST_TMPDIR/straight.$p"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/straight.$p")" -gt 20 ]
		grep -q '^RAM: 16384 KiB, hash [0-9a-f]\{16\}$' "$BATS_TEST_TMPDIR/straight.$p"
	done
	# Forward further, then back: goto, rstepi 7, and rcont to an icount stop.
	run_script "$(guest memloop.elf)" --mem 16M --history --icount step --serial none <<<"goto icount 40000
goto icount 5000
print 111
$memloop_state
print 222
goto icount 23470
rstepi 7
print 333
$memloop_state
print 444
icount break 23456
goto icount 30000
rcont
print 555
$memloop_state
print 666"
	assert_success
	assert_line --regexp '^icount 23456, 0x[0-9a-f]+ <main\+0x[0-9a-f]+> \(replayed\)$'
	sed -n '/^0x6f (111)$/,/^0xde (222)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/back.5000"
	sed -n '/^0x14d (333)$/,/^0x1bc (444)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/back.23463"
	sed -n '/^0x22b (555)$/,/^0x29a (666)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/back.23456"
	for p in 5000 23456 23463; do
		run diff "$BATS_TEST_TMPDIR/straight.$p" "$BATS_TEST_TMPDIR/back.$p"
		assert_success
	done
	# The positions differ from each other (the comparison can fail).
	run diff "$BATS_TEST_TMPDIR/straight.5000" "$BATS_TEST_TMPDIR/straight.23456"
	assert_failure
	# bc to a breakpoint: its second hit, straight and from two hits further.
	run_script "$(guest memloop.elf)" --mem 16M --history --icount step --serial none <<<"break serial_put_hex
cont
cont
print 111
$memloop_state
print 222
cont
cont
rcont
rcont
print 333
$memloop_state
print 444"
	assert_success
	sed -n '/^0x6f (111)$/,/^0xde (222)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/hit2"
	sed -n '/^0x14d (333)$/,/^0x1bc (444)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/hit2.back"
	grep -q '^RAM: ' "$BATS_TEST_TMPDIR/hit2"
	run diff "$BATS_TEST_TMPDIR/hit2" "$BATS_TEST_TMPDIR/hit2.back"
	assert_success
}

@test "replay prints nothing twice: the guest's output appears once, however often it goes back" {
	run_script "$(guest memloop.elf)" --history --icount step <<<"break serial_put_hex
cont
cont
cont
rcont
rcont
rstepi 100
cont
cont
cont
cont"
	assert_success
	assert_line --regexp '^Breakpoint 1, 0x100180 <serial_put_hex> \(replayed\)$'
	# Rounds 4 to 20 began once each (the last two live, past the furthest
	# point), and the sums of 4 to 16 were printed once each.
	for r in 4 8 12 16 20; do
		assert_equal "$(grep -c "^round $r sum" <<<"$output")" 1
	done
	assert_equal "$(grep -cE '^0x[0-9a-f]{3,}$' <<<"$output")" 4
	assert_equal "$(grep -E '^0x[0-9a-f]{3,}$' <<<"$output" | sort -u | wc -l)" 4
}

@test "no access-log record is repeated by replay; the log is the one of a plain run" {
	run kvmdbg --icount step --serial none --mmio-log "$BATS_TEST_TMPDIR/plain.log" "$(guest mmiolog.elf)"
	plain_status=$status
	n=$(wc -l <"$BATS_TEST_TMPDIR/plain.log")
	[ "$n" -gt 100 ]
	half=$(($(sed -n 's/^kvmdbg: icount //p' <<<"$output") / 2))
	[ "$half" -gt 100 ]
	run_script "$(guest mmiolog.elf)" --history --icount step --serial none \
		--mmio-log "$BATS_TEST_TMPDIR/history.log" <<<"goto icount $half
goto icount 10
goto icount $half
goto icount 20
cont"
	assert_line --regexp "^\[guest exited with status $plain_status: the end of its history"
	assert_same_log "$BATS_TEST_TMPDIR/plain.log" "$BATS_TEST_TMPDIR/history.log"
}

@test "gdb: reverse-stepi N then stepi N returns to the same pc and registers; replaylog:begin at power-on" {
	start_stub "$(guest memloop.elf)" --history --icount step
	run gdb_batch -ex 'reverse-stepi' -ex 'break serial_puts' -ex 'continue' \
		-ex 'info registers' -ex 'reverse-stepi 25' -ex 'info registers rip' -ex 'stepi 25' \
		-ex 'info registers' "$(guest memloop.elf)"
	assert_success
	assert_line 'No more reverse-execution history.'
	regs=$(grep -E '^(r[a-z0-9]+|eflags) +0x' <<<"$output")
	first=$(head -18 <<<"$regs")
	last=$(tail -18 <<<"$regs")
	assert_equal "$last" "$first"
	# In between, the pc was somewhere else.
	mid=$(sed -n 19p <<<"$regs")
	[[ $mid == rip* ]]
	[ "$mid" != "$(grep '^rip' <<<"$first")" ]
}

@test "gdb: reverse-continue stops at the last hit of a breakpoint; reverse-finish at the call" {
	start_stub "$(guest memloop.elf)" --history --icount step
	run gdb_batch -ex 'break serial_put_hex' -ex 'continue' -ex 'continue' -ex 'continue' \
		-ex 'reverse-continue' -ex 'reverse-finish' -ex 'x/i $pc' "$(guest memloop.elf)"
	assert_success
	# The sums of rounds 4, 8 and 12, then 8's again.
	hits=$(grep -o '^Breakpoint 1, serial_put_hex (v=[0-9]*)' <<<"$output" | sed 's/.*v=//;s/)//')
	assert_equal "$(wc -l <<<"$hits")" 4
	assert_equal "$(sed -n 4p <<<"$hits")" "$(sed -n 2p <<<"$hits")"
	[ "$(sed -n 3p <<<"$hits")" != "$(sed -n 2p <<<"$hits")" ]
	assert_line --regexp '^=> 0x[0-9a-f]+ <main\+[0-9]+>:\s+call\s+0x100180 <serial_put_hex>$'
}

@test "gdb: watch + reverse-continue stops before the store that last changed the variable, with old and new values" {
	start_stub "$(guest memloop.elf)" --history --icount step
	run gdb_batch -ex 'break serial_put_hex' -ex 'continue' -ex 'delete' -ex 'print sum' \
		-ex 'watch sum' -ex 'reverse-continue' -ex 'print sum' -ex 'x/i $pc' \
		-ex 'stepi' -ex 'print sum' "$(guest memloop.elf)"
	assert_success
	now=$(sed -n 's/^\$1 = //p' <<<"$output")
	before=$(sed -n 's/^\$2 = //p' <<<"$output")
	[ -n "$now" ] && [ -n "$before" ] && [ "$now" != "$before" ]
	assert_line "Old value = $now"
	assert_line "New value = $before"
	assert_line --regexp '^=> 0x[0-9a-f]+ <main\+[0-9]+>:\s+mov\s+%r[a-z0-9]+,0x[0-9a-f]+\(%rip\)\s+# 0x[0-9a-f]+ <sum>$'
	# One instruction on, the store is done again.
	assert_line "\$3 = $now"
}

@test "the guest's exit is the end of history: gdb and the console go back from it" {
	start_stub "$(guest exit8.elf)" --history --icount step
	run gdb_batch -ex 'continue' -ex 'x/i $pc' -ex 'reverse-stepi' -ex 'x/i $pc' -ex 'continue' \
		"$(guest exit8.elf)"
	assert_success
	assert_line --partial 'the end of its history'
	assert_equal "$(grep -c 'No more reverse-execution history.' <<<"$output")" 2
	assert_line --regexp '^=> 0x[0-9a-f]+ <[^>]*>:\s+out\s+%al,\$0xf4$'
	refute_line --partial 'exited with code'
	stop_stub
	run kvmdbg --history -e cont -e rstepi -e 'print $pc' -e cont -e 'goto icount 1' \
		"$(guest exit8.elf)"
	assert_line --regexp '^\[guest exited with status [0-9]+: the end of its history, icount [0-9]+;'
	assert_line --regexp '^icount 1, 0x[0-9a-f]+ <[^>]*> \(replayed\)$'
}

@test "changing registers in the past discards the history after it, and says so" {
	run kvmdbg --history --icount step --serial none -e 'goto icount 3000' -e 'goto icount 1000' \
		-e 'set $rbx = 5' -e 'stepi' -e 'history' -e 'goto icount 2000' -e 'print $rbx' \
		"$(guest memloop.elf)"
	assert_success
	assert_line 'note: registers or memory changed at icount 1000: the history after it (up to 3000) is discarded'
	assert_line --regexp '^History from icount 0 to 1001 \(now 1001\): '
	# gdb writing memory in the past: the same, told as console output.
	start_stub "$(guest memloop.elf)" --history --icount step
	run gdb_batch -ex 'monitor goto icount 30000' -ex 'monitor goto icount 20000' \
		-ex 'set var sum = 5' -ex 'stepi' -ex 'monitor history' "$(guest memloop.elf)"
	assert_success
	assert_line 'kvmdbg: registers or memory changed at icount 20000: the history after it (up to 30000) is discarded'
	# A monitor command that moved the guest says gdb must reread the registers.
	assert_line --partial 'note: gdb still shows the registers from before: flushregs'
	assert_line --regexp '^History from icount 0 to 20001 \(now 20001\): '
}

@test "history refuses what it cannot do: off, before its start, bad sizes" {
	run kvmdbg --icount step -e rstepi -e stepi -e 'goto icount 0' "$(guest exit8.elf)"
	# (KVM's interrupt controllers are on: "history on" would be refused.)
	assert_line 'note: history is off: there is nothing to go back to (start kvmdbg with --history)'
	assert_line --partial 'has passed and history is off'
	run kvmdbg --icount step --irqchip off -e rstepi "$(guest exit8.elf)"
	assert_line 'note: history is off: there is nothing to go back to (turn it on: history on; or start kvmdbg with --history)'
	# Uncounted, no count is claimed.
	run kvmdbg -e rstepi "$(guest regs.elf)"
	assert_line 'note: history is off: there is nothing to go back to (start kvmdbg with --history)'
	assert_line 'No more reverse-execution history: 0x100000 <_start>'
	run kvmdbg -e 'history on' "$(guest exit8.elf)"
	assert_line --partial 'history needs instruction counts'
	run kvmdbg --icount step --irqchip off -e 'stepi 5' -e 'history on' -e 'goto icount 2' -e 'history off' \
		-e history "$(guest icount.elf)"
	assert_line 'icount 2 is before the start of history (5)'
	assert_line 'History is off.'
	run kvmdbg --history-mem 0 "$(guest exit8.elf)"
	assert_failure 2
	assert_line --partial "invalid --history-mem '0'"
	run kvmdbg --history-mem 12Q "$(guest exit8.elf)"
	assert_failure 2
	run kvmdbg --icount step -e 'history on 1z' -e 'history maybe' "$(guest exit8.elf)"
	assert_line "invalid size '1z' (e.g. 64M)"
	assert_line 'usage: history [on [SIZE] | off | info | interrupts [FROM [TO]]]'
	# A budget smaller than RAM's first copy.
	run kvmdbg --history-mem 4k --serial none "$(guest memloop.elf)"
	assert_failure 2
	assert_line --partial 'needs more than the history'
}

@test "the command line's --history-mem is a ceiling: the console and the monitor may lower the budget, not lift it" {
	run kvmdbg --history-mem 32M --serial none -e 'history on 3G' -e history -e 'history on 16M' \
		-e history -e 'history off' -e 'history on' -e history "$(guest memloop.elf)"
	assert_line 'history may keep 32 MiB at most: the command line sets that (--history-mem); here it may only be lowered'
	assert_line --regexp '^History from icount 0 to 0 \(now 0\): 1 checkpoints, [0-9]+ pages, [0-9]+ of 32768 KiB$'
	assert_line --regexp ' of 16384 KiB$'
	# Without --history-mem, the default is the ceiling.
	run kvmdbg --icount step --irqchip off -e 'history on 257M' -e 'history on 256M' -e history \
		"$(guest exit8.elf)"
	assert_line 'history may keep 256 MiB at most: the command line sets that (--history-mem); here it may only be lowered'
	assert_line --regexp ' of 262144 KiB$'
	start_stub --history-mem 32M --serial none "$(guest memloop.elf)"
	run gdb_batch -ex 'monitor history on 3G' -ex 'monitor history' "$(guest memloop.elf)"
	assert_line 'history may keep 32 MiB at most: the command line sets that (--history-mem); here it may only be lowered'
	assert_line --regexp ' of 32768 KiB$'
}

@test "a small --history-mem thins old checkpoints out and stays within it; going back stays exact" {
	run_script "$(guest memloop.elf)" --mem 16M --icount step --irqchip off --serial none <<<"goto icount 3000
$memloop_state"
	state_lines <<<"$output" >"$BATS_TEST_TMPDIR/straight"
	run_script "$(guest memloop.elf)" --mem 16M --history-mem 600k --icount step --serial none \
		<<<"goto icount 150000
history
goto icount 3000
$memloop_state"
	assert_success
	line=$(grep '^History from' <<<"$output")
	used=$(sed -n 's/.* \([0-9]*\) of 600 KiB$/\1/p' <<<"$line")
	[ -n "$used" ] && [ "$used" -le 600 ] || fail "$line"
	thinned=$(grep -o '[0-9]* thinned out' <<<"$output" | cut -d' ' -f1)
	[ "$thinned" -gt 0 ]
	state_lines <<<"$output" >"$BATS_TEST_TMPDIR/back"
	run diff "$BATS_TEST_TMPDIR/straight" "$BATS_TEST_TMPDIR/back"
	assert_success
}

@test "gdb: reverse-step and reverse-next go back by source lines" {
	start_stub "$(guest memloop.elf)" --history --icount step
	run gdb_batch -ex 'break serial_put_hex' -ex 'continue' -ex 'up' -ex 'info line *$pc' \
		-ex 'reverse-next' -ex 'info line *$pc' -ex 'reverse-step' -ex 'bt 1' \
		"$(guest memloop.elf)"
	assert_success
	# From serial_put_hex's caller: reverse-next goes back over a source
	# line of main; reverse-step then into the function called before it.
	lines=$(grep -o '^Line [0-9]* of "guests/memloop.c"' <<<"$output" | cut -d' ' -f2)
	assert_equal "$(wc -l <<<"$lines")" 2
	[ "$(sed -n 2p <<<"$lines")" -lt "$(sed -n 1p <<<"$lines")" ]
	assert_line --regexp '^#0 +(0x[0-9a-f]+ in )?serial_puts '
}

@test "gdb: Ctrl-C interrupts a long reverse-continue and the guest is back where it started" {
	start_stub "$(guest memloop.elf)" --history --icount step
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	assert_equal "$(rsp 'Z0,100180,1')" OK
	for _ in 1 2 3 4; do
		reply=$(rsp c)
		[[ $reply == T05* ]] || fail "continue: $reply"
	done
	assert_equal "$(rsp 'z0,100180,1')" OK
	before=$(rsp g)
	# Nothing to stop at: it would replay back to power-on.
	send_packet bc
	sleep 0.2
	printf '\003' >&7
	reply=$(read_packet)
	[[ $reply == T02* ]] || fail "bc then Ctrl-C: $reply"
	assert_equal "$(rsp g)" "$before"
	# Left alone, it goes all the way (slowly where steps are slow: the test VM).
	send_packet bc
	IFS= read -r -t 300 -d '#' reply <&7
	[[ $reply == *replaylog:begin\;* ]] || fail "bc: $reply"
	exec 7>&-
}

@test "rdtsc and rdrand give again, when replayed, what they gave the first time" {
	dump=$'regs\nx/64wx tsc_buf\nx/64wx rand_buf'
	run_script "$(guest tsc.elf)" --history --icount step --serial none <<<"goto icount 400
print 111
$dump
print 222
goto icount 100
goto icount 400
print 333
$dump
print 444
cont
goto icount 5
cont"
	assert_success
	sed -n '/^0x6f (111)$/,/^0xde (222)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/a"
	sed -n '/^0x14d (333)$/,/^0x1bc (444)$/p' <<<"$output" | state_lines >"$BATS_TEST_TMPDIR/b"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a")" -gt 30 ]
	run diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_success
	# The second run to the end replays the first: the same exit and count.
	exits=$(grep '^\[guest exited with status' <<<"$output" | sort -u)
	assert_equal "$(wc -l <<<"$exits")" 1
	# Another run reads another TSC (so the comparison above can fail).
	run_script "$(guest tsc.elf)" --icount step --serial none <<<"goto icount 400
x/64wx tsc_buf"
	state_lines <<<"$output" >"$BATS_TEST_TMPDIR/c"
	run diff <(grep tsc_buf "$BATS_TEST_TMPDIR/a") "$BATS_TEST_TMPDIR/c"
	assert_failure
}

@test "a replay that does not find what ran is reported as a divergence, not accepted" {
	# 40 KiB of history: the first checkpoint, and room for a hundred-odd
	# rdtsc/rdrand results; the later ones are not kept, so their replay differs.
	run kvmdbg --history-mem 40k --icount step --serial none -e 'goto icount 5000' \
		-e 'goto icount 100' -e 'goto icount 5000' -e 'history' "$(guest tsc.elf)"
	assert_success
	assert_line --regexp '^\[guest stopped: history diverged at icount 5000: r[a-z0-9]+ was 0x[0-9a-f]+, is 0x[0-9a-f]+\]$'
	# History goes on from what ran now.
	assert_line --regexp '^History from icount 0 to 5000 \(now 5000\): '
}

@test "going back over MMIO, port I/O and coalesced writes (mmiolog) and over hlt lands on the same states" {
	run kvmdbg --icount step --serial none "$(guest mmiolog.elf)"
	total=$(sed -n 's/^kvmdbg: icount //p' <<<"$output")
	[ "$total" -gt 1000 ]
	# Every 7th count: forward by stepi 7, and back from the end by goto.
	for ((n = 7; n < total; n += 7)); do printf 'stepi 7\nregs\ninfo ram\n'; done \
		>"$BATS_TEST_TMPDIR/forward"
	{
		echo "goto icount $total"
		for ((n = (total - 1) / 7 * 7; n > 0; n -= 7)); do
			printf 'goto icount %d\nregs\ninfo ram\n' $n
		done
	} >"$BATS_TEST_TMPDIR/back"
	kvmdbg --mem 4M --icount step --irqchip off --serial none -x "$BATS_TEST_TMPDIR/forward" \
		"$(guest mmiolog.elf)" 2>/dev/null | state_lines >"$BATS_TEST_TMPDIR/a"
	kvmdbg --mem 4M --history --icount step --serial none -x "$BATS_TEST_TMPDIR/back" \
		"$(guest mmiolog.elf)" 2>/dev/null | state_lines >"$BATS_TEST_TMPDIR/b"
	run same_reversed $(((total - 1) / 7))
	assert_success
	# hlt: the halt is a stop like any other; back over it and forward again.
	run kvmdbg --history --icount step -e cont -e rstepi -e rstepi -e rstepi -e cont \
		"$(guest halt.elf)"
	assert_line '[guest halted (interrupts disabled) at 0x100002]'
	assert_line '(replayed) icount 1'
	assert_line '(replayed) icount 0'
	assert_line --regexp '^No more reverse-execution history: icount 0, 0x100000 <_start>$'
	assert_equal "$(grep -c '^\[guest halted' <<<"$output")" 2
}

@test "with --history the guest is not offered KVM's paravirtual CPUID leaves (kvmclock)" {
	run kvmdbg --icount step --serial none -e 'stepi 6' -e 'x/s kvm_sig' "$(guest tsc.elf)"
	assert_line --regexp '^0x[0-9a-f]+ <kvm_sig>:\s+"KVMKVMKVM"$'
	run kvmdbg --history --serial none -e 'stepi 6' -e 'x/s kvm_sig' "$(guest tsc.elf)"
	assert_line --regexp '^0x[0-9a-f]+ <kvm_sig>:\s+""$'
	# Turned on later, it says what that leaves.
	run kvmdbg --icount step --irqchip off --serial none -e 'stepi 6' -e 'history on' "$(guest tsc.elf)"
	assert_line --partial 'note: the guest has run: it may use the KVM clock'
}

@test "rcont from the guest's exit to a breakpoint at a fault handler's entry, then rstepi to the faulting instruction" {
	run kvmdbg --history --icount step --serial none -e 'break ud_handler' -e cont \
		-e 'regs rip rsp' -e cont -e rcont -e 'regs rip rsp' -e rstepi -e icount \
		"$(guest icount.elf)"
	assert_success
	assert_line '[guest exited with status 0: the end of its history, icount 252; rstepi, rcont and goto go back]'
	assert_line 'Breakpoint 1, 0x101000 <ud_handler> (replayed)'
	# The handler's entry is reached by no instruction retiring: the same
	# count as the ud2, with the fault's frame pushed.
	assert_equal "$(grep -c '^rsp  *0x13fd8 ' <<<"$output")" 2
	assert_line '(replayed) icount 246'
	assert_line --regexp '^=> 0x10007d <fault>:\s+ud2$'
	assert_line 'icount 246'
}
