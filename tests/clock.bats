#!/usr/bin/env bats
# A machine on instruction-count time (--clock icount): kvmdbg's own 8259A
# pair and 8254 PIT, whose time is the count (1 ns per instruction), so a
# timer interrupt comes at the same count in every run and every replay.

load helper

teardown() {
	stop_stub
}

# The exit's count and registers of guests/vtimer.elf under --clock icount,
# as "icount rbx r12 ticks" (extra arguments are kvmdbg's).
vtimer_end() {
	run_script "$(guest vtimer.elf)" --clock icount --serial none "$@" <<<$'cont\nicount\nprint $rbx\nprint $r12\nx/1wd &ticks'
	assert_success
	assert_line '[guest exited with status 8]'
	local icount values
	icount=$(sed -n 's/^icount \([0-9]*\)$/\1/p' <<<"$output")
	values=$(sed -n 's/^0x[0-9a-f]* (\([0-9]*\))$/\1/p' <<<"$output" | tr '\n' ' ')
	echo "$icount $values$(sed -n 's/^0x[0-9a-f]* <ticks>:\t\([0-9]*\)$/\1/p' <<<"$output")"
}

@test "--clock icount: the PIT ticks through the PIC at counts; the guest's own formula holds, and two runs end alike" {
	read -r icount rbx r12 ticks < <(vtimer_end)
	echo "# icount $icount, rbx $rbx, r12 $r12, ticks $ticks" >&3
	assert_equal "$ticks" 8
	# guests/vtimer.S: 45 + 3 per spin, 4 per hlt turn, 6 per handler.
	assert_equal "$icount" $((45 + 3 * rbx + 4 * r12 + 6 * ticks))
	# Half the ticks while it spins: a tick per 1676 instructions (COUNT 2
	# of 1193182 Hz, at 1 ns each), so some 4 * 1676 / 3 turns; hlt jumps
	# to each of the other four.
	[ "$rbx" -gt 2000 ] && [ "$rbx" -lt 2300 ] || fail "$rbx turns of the spin loop"
	assert_equal "$r12" 4
	assert_equal "$(vtimer_end)" "$icount $rbx $r12 $ticks"
}

@test "--clock icount with --history: goto into the timer handler twice gives one state; rstepi from its entry lands before the interrupted instruction" {
	# The first tick: IRQ 0 rises at 2 PIT ticks after the count was
	# loaded; find its handler's entry by a breakpoint, then go back there.
	run_script "$(guest vtimer.elf)" --history --clock icount --serial none <<<'break pit_isr
cont
icount
regs
goto 3000
goto 10
cont
icount
regs
rstepi
x/1i $pc
print $rsp'
	assert_success
	[ "$(grep -c '^=> 0x[0-9a-f]* <pit_isr>:' <<<"$output")" -ge 2 ] || fail "no stop at pit_isr"
	first=$(grep -m1 '^icount [0-9]*$' <<<"$output")
	second=$(grep '^icount [0-9]*$' <<<"$output" | sed -n 2p)
	assert_equal "$second" "$first"
	# Both stops show the same registers (the frame the delivery pushed).
	regs=$(sed -n '/^rax /,/^gs_base /p' <<<"$output")
	n=$(($(wc -l <<<"$regs") / 2))
	[ "$n" -gt 20 ] || fail "no registers: $regs"
	assert_equal "$(tail -n "$n" <<<"$regs")" "$(head -n "$n" <<<"$regs")"
	# One step back from the handler's first instruction: the delivery is
	# not an instruction, so it is the last one retired before it, in spin.
	assert_line --regexp '^=> 0x[0-9a-f]+ <spin(\+0x[0-9a-f]+)?>:'
	assert_line '0x14000 (81920)'
}

@test "--clock icount: a halt with interrupts enabled jumps to the timer; with no timer left it is halted for good, saying so" {
	run kvmdbg --clock icount --serial none "$(guest idle.elf)"
	assert_success
	assert_line --partial '[guest halted (interrupts enabled, but no timer will raise one the guest takes) at 0x'
	# One tick taken (6 instructions of handler) after a 10 ms one-shot:
	# 10,000,000 ns of the clock are not 10 million steps.
	assert_line 'kvmdbg: icount 49'
	# info irq: kvmdbg's own controllers, the one-shot run out, the time
	# the halts skipped (the clock is 49 instructions and those).
	run kvmdbg --clock icount --serial none -e cont -e 'info irq' "$(guest idle.elf)"
	assert_success
	assert_line 'interrupts  enabled (IF=1)'
	assert_line 'PIC master  vectors 0x20-0x27, IMR 0xfe, IRR 0x00, ISR 0x00, ELCR 0x00'
	assert_line 'PIT 0       mode 0, count 11932 (10000151 ns), output high'
	assert_line 'PIT 2       not programmed'
	assert_line --regexp '^clock       ([0-9]+) ns \(1 per instruction, and ([0-9]+) skipped by halts\)$'
	clock=$(sed -n 's/^clock       \([0-9]*\) ns (1 per instruction, and \([0-9]*\) skipped.*/\1 \2/p' <<<"$output")
	read -r now skipped <<<"$clock"
	assert_equal "$((now - skipped))" 49
	[ "$now" -ge 10000151 ] || fail "the clock is at $now ns, before the one-shot"
}

@test "--clock takes icount or host; icount refuses --irqchip on and --icount perf, with the reason" {
	run kvmdbg --clock sometimes "$(guest vtimer.elf)"
	assert_failure 2
	assert_line "kvmdbg: --clock wants icount or host, not 'sometimes'"
	run kvmdbg --clock icount --irqchip on "$(guest vtimer.elf)"
	assert_failure 2
	assert_line --partial 'not with --irqchip on'
	run kvmdbg --clock icount --icount perf "$(guest vtimer.elf)"
	assert_failure 2
	assert_line --partial 'not with --icount perf'
	# host is today's machine: KVM's PIT and PIC (vtimer would wait for ever
	# at its count of 2, far below what KVM's PIT does: it is not run here).
	run kvmdbg --clock host --timeout 5 --serial none "$(guest idle.elf)"
	assert_success
}

@test "gdb on --clock icount --history: reverse-continue from the end to a watchpoint on the task pointer stops at the last switch, with the tick count then" {
	start_stub --history --clock icount --serial none "$(guest sched.elf)"
	run gdb_batch -ex continue -ex 'watch *(long *)&current' -ex reverse-continue \
		-ex 'print *(int *)&ticks' -ex 'print *(int *)&switches' -ex reverse-continue \
		-ex 'print *(int *)&ticks' -ex 'info line *$pc' "$(guest sched.elf)"
	assert_success
	# guests/sched.S: the tenth tick ends the run; the ninth made the last
	# switch (switches counts it after the store), the eighth the one before.
	assert_equal "$(grep -c '^switch_to () at guests/sched.S' <<<"$output")" 2
	assert_line '$1 = 9'
	assert_line '$2 = 8'
	assert_line '$3 = 8'
}

# Ten consecutive counts across the first tick's delivery, each gone to with
# goto, dumped (registers, the scheduler's variables, the top of both
# stacks); the same ten again after going to the end and back.
@test "--clock icount --history: goto to ten counts in a row across a tick gives the same states twice" {
	run_script "$(guest sched.elf)" --history --clock icount --serial none <<<$'break tick\ncont\nicount'
	assert_success
	at=$(sed -n 's/^icount \([0-9]*\)$/\1/p' <<<"$output")
	[ -n "$at" ] && [ "$at" -gt 2000 ] || fail "no tick: $output"
	dump=
	for ((n = at - 5; n < at + 5; n++)); do
		dump+="goto $n"$'\nregs\nx/6gx &current\nx/4gx $rsp\ninfo ram\n'
	done
	{ echo cont; printf '%s' "$dump"; echo 'goto 20000'; printf '%s' "$dump"; } >"$BATS_TEST_TMPDIR/cmds"
	run kvmdbg --history --clock icount --serial none -x "$BATS_TEST_TMPDIR/cmds" "$(guest sched.elf)"
	assert_success
	states=$(sed -n '/^icount [0-9]*, /,$p' <<<"$output" | grep -v '^icount 20000')
	n=$(($(wc -l <<<"$states") / 2))
	[ "$n" -gt 200 ] || fail "too little: $states"
	assert_equal "$(tail -n "$n" <<<"$states")" "$(head -n "$n" <<<"$states")"
	# The delivery is inside the ten: a count is the point before it (the
	# handler's entry is a point of the same count, after a step that
	# retired nothing), the next one is past the handler's first instruction.
	assert_line --regexp "^icount $at, 0x[0-9a-f]+ <task_a(\+0x[0-9a-f]+)?> \(replayed\)$"
	assert_line --regexp "^icount $((at + 1)), 0x[0-9a-f]+ <tick\+0x1> \(replayed\)$"
}

@test "--clock icount --history: history interrupts lists each tick at its count, the same after a replay, and over gdb" {
	run kvmdbg --history --clock icount --serial none "$(guest sched.elf)" -e cont \
		-e 'history interrupts' -e history -e 'goto 3000' -e cont -e 'history interrupts' \
		-e 'history interrupts 5000 9000'
	assert_success
	lines=$(grep '^icount [0-9]*: vector' <<<"$output")
	# sched.S ends at its tenth tick: ten, each taken in a task's loop.
	assert_equal "$(wc -l <<<"$lines")" 22
	first=$(head -n 10 <<<"$lines")
	assert_equal "$(sed -n 11,20p <<<"$lines")" "$first"
	assert_equal "$(tail -n 2 <<<"$lines")" "$(sed -n 2,3p <<<"$first")"
	assert_equal "$(grep -c -E '^icount [0-9]+: vector 0x20 before 0x[0-9a-f]+ <task_[ab](\+0x[0-9a-f]+)?>$' <<<"$first")" 10
	assert_line '10 interrupts taken.'
	assert_line --regexp '^10 interrupts taken, the last at icount [0-9]+ \(history interrupts lists them\)\.$'
	assert_line '2 interrupts taken from icount 5000 to 9000.'
	# A tick every 2514 or 2515 instructions: sched.S's PIT count of 3 is
	# 3 * 838.1 ns, at 1 ns per instruction.
	counts=($(sed 's/^icount \([0-9]*\):.*/\1/' <<<"$first"))
	for ((i = 1; i < 10; i++)); do
		gap=$((counts[i] - counts[i - 1]))
		[ "$gap" -eq 2514 ] || [ "$gap" -eq 2515 ] || fail "ticks at ${counts[*]}"
	done
	start_stub --history --clock icount --serial none "$(guest sched.elf)"
	run gdb_batch -ex continue -ex 'monitor history interrupts' "$(guest sched.elf)"
	assert_success
	assert_equal "$(grep '^icount [0-9]*: vector' <<<"$output")" "$first"
}

@test "--clock icount: a run with history, gone back and forth through the ticks, logs what a plain run logs, record for record" {
	run kvmdbg --clock icount --serial none --mmio-log "$BATS_TEST_TMPDIR/plain.log" "$(guest sched.elf)"
	assert_equal "$status" 9
	# The PICs' set-up, the PIT's, an EOI per tick and the exit.
	run awk 'NR > 1 { print $NF }' "$BATS_TEST_TMPDIR/plain.log"
	assert_equal "$(head -n 10 <<<"$output" | tr '\n' ' ')" \
		'pic.ICW1 pic.ICW1 pic.ICW2 pic.ICW2 pic.ICW3 pic.ICW3 pic.ICW4 pic.ICW4 pic.IMR pic.IMR '
	assert_equal "$(grep -c '^pic.OCW2$' <<<"$output")" 10
	run_script "$(guest sched.elf)" --history --serial none \
		--mmio-log "$BATS_TEST_TMPDIR/history.log" <<<'goto icount 12000
goto icount 10
goto icount 20000
goto icount 2600
cont
goto icount 5000
cont'
	assert_line --regexp '^\[guest exited with status 9: the end of its history'
	assert_same_log "$BATS_TEST_TMPDIR/plain.log" "$BATS_TEST_TMPDIR/history.log"
}

# kvmdbg ARGS... with guests/uartirq.elf's line on stdin only once the guest
# has said "ready" and had a moment to reach its hlt: late for certain,
# however slowly kvmdbg starts on this host. Sets status, output and lines.
run_late_line() {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out pid end
	rm -f "$fifo"
	mkfifo "$fifo"
	timeout --kill-after=5 "$HANG" "$KVMDBG" "$@" <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec 7>"$fifo"
	end=$((SECONDS + 30 * TIME_SCALE))
	until grep -q '^ready$' "$out" || [ $SECONDS -ge $end ]; do
		sleep 0.05
	done
	sleep "$TIME_SCALE"
	echo 'late line' >&7
	exec 7>&-
	status=0
	wait "$pid" || status=$?
	output=$(cat "$out")
	mapfile -t lines <<<"$output"
}

@test "--clock icount: input that comes late wakes a guest halted for it (the UART's interrupt), a replay takes it at the same count without waiting, and a stop while it waits costs no CPU" {
	# guests/uartirq.c waits in hlt for IRQ 4, with no timer.
	run_late_line --clock icount "$(guest uartirq.elf)"
	assert_success
	assert_line 'irq echo: late line'
	run_late_line --history "$(guest uartirq.elf)" -e cont -e 'history interrupts' \
		-e 'goto 100' -e cont -e 'history interrupts'
	assert_success
	assert_equal "$(grep -c '^irq echo: late line$' <<<"$output")" 1
	ends=$(grep '^\[guest exited with status 0: the end of its history, icount [0-9]*;' <<<"$output")
	assert_equal "$(wc -l <<<"$ends")" 2
	assert_equal "$(sort -u <<<"$ends" | wc -l)" 1
	irqs=$(grep '^icount [0-9]*: vector 0x24 before' <<<"$output")
	# The THR-empty interrupt, then the received line's.
	assert_equal "$(wc -l <<<"$irqs")" 4
	assert_equal "$(tail -n 2 <<<"$irqs")" "$(head -n 2 <<<"$irqs")"
	# Nothing comes: --timeout stops it at the hlt, not halted for good;
	# waiting 4 s longer costs no more CPU (start-up's cost aside).
	local t cpu=()
	for t in 1 5; do
		run bash -c "TIMEFORMAT='cpu %U %S'; time '$KVMDBG' --clock icount --timeout $t '$(guest uartirq.elf)' < <(sleep 30 2>/dev/null 3>&-)"
		assert_equal "$status" 124
		assert_line --regexp '^=> 0x[0-9a-f]+ <main\+0x[0-9a-f]+>:	hlt *$'
		cpu+=("$(sed -n 's/^cpu //p' <<<"$output" | awk '{ print $1 + $2 }')")
	done
	echo "# CPU seconds with --timeout 1 and 5: ${cpu[*]}" >&3
	awk -v a="${cpu[0]}" -v b="${cpu[1]}" 'BEGIN { exit !(b - a < 0.1) }' ||
		fail "waiting used the CPU: ${cpu[*]} s"
	# Its input at its end: halted for good, saying why.
	run kvmdbg --clock icount "$(guest uartirq.elf)" </dev/null
	assert_line --regexp "^\[guest halted \(interrupts enabled, but no timer will raise one the guest takes, and the UART's input has ended\) at "
}

@test "--clock icount: the RTC's periodic and update-ended interrupts come at the clock's times, the same in every run and replay" {
	# guests/rtcirq.S: 16 periodic ticks at 8192 Hz, then 2 update-ended
	# interrupts (a second apart), all waited for in hlt; exits 16 + 32 * 2.
	run kvmdbg --clock icount "$(guest rtcirq.elf)" -e cont -e icount -e 'x/2bx &start_sec' -e 'info irq'
	assert_success
	assert_line '[guest exited with status 80]'
	first=$(grep -E '^icount [0-9]+$' <<<"$output")
	# Two seconds of the clock went by, in BCD.
	read -r start end < <(sed -n 's/^0x[0-9a-f]* <start_sec>:\t0x\([0-9]*\)\t0x\([0-9]*\)$/\1 \2/p' <<<"$output")
	assert_equal $(((10#$end - 10#$start + 60) % 60)) 2
	# At the second update, the clock is at two seconds: 2,000,000,000 ns.
	assert_line --regexp '^clock       20000000[0-9]{2} ns \(1 per instruction, and 1999999[0-9]{3} skipped by halts\)$'
	assert_line --regexp '^RTC         [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC \(BCD, 24 hours\), update-ended interrupt, register C 0x00, interrupts at 3000000000 ns$'
	run kvmdbg --clock icount "$(guest rtcirq.elf)" -e cont -e icount
	assert_equal "$(grep -E '^icount [0-9]+$' <<<"$output")" "$first"
	# With history: 18 interrupts at vector 0x28; going into the handler of
	# the first update-ended one twice gives one state.
	run kvmdbg --history "$(guest rtcirq.elf)" -e cont -e 'history interrupts'
	assert_success
	irqs=$(grep -E '^icount [0-9]+: vector 0x28 before 0x[0-9a-f]+ <wait_(ticks|updates)\+0x1>$' <<<"$output")
	assert_equal "$(wc -l <<<"$irqs")" 18
	at=$(sed -n '17s/^icount \([0-9]*\):.*/\1/p' <<<"$irqs")
	run kvmdbg --history "$(guest rtcirq.elf)" -e cont -e "goto $((at + 3))" -e regs -e 'x/2wx &ticks' \
		-e 'goto 20' -e "goto $((at + 3))" -e regs -e 'x/2wx &ticks'
	assert_success
	states=$(sed -n "/^icount $((at + 3)), /,/<ticks>/p" <<<"$output")
	n=$(($(wc -l <<<"$states") / 2))
	[ "$n" -gt 10 ] || fail "$output"
	assert_equal "$(tail -n "$n" <<<"$states")" "$(head -n "$n" <<<"$states")"
	assert_line --regexp "^icount $((at + 3)), 0x[0-9a-f]+ <rtc_isr\+0x[0-9a-f]+> \(replayed\)$"
}
