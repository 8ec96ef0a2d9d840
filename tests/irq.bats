#!/usr/bin/env bats
# Interrupts and timers: KVM's interrupt controllers (PIC, IOAPIC, local
# APIC) and PIT, a halted guest with them, counting across interrupts, and
# history's refusal of them.

load helper

# The console's value of a register (decimal), from $output.
reg_of() {
	awk -v r="$1" '$1 == r { print $3; exit }' <<<"$output"
}

@test "the timer guest takes PIT and local APIC timer ticks, spinning and in hlt, and exits with their count" {
	run kvmdbg "$(guest timer.elf)"
	# Ten of each; one more may come between the last look and cli.
	[ "$status" -ge 20 ] && [ "$status" -le 24 ]
}

@test "counted across interrupts: at the exit icount is the instructions by construction, handlers included, deliveries not" {
	# Where int3 does not stop the guest, handler entries are seen by page and
	# a counted step takes about 17 ms (nested SVM, measured): every step
	# then finds a new tick (the PIT's slowest is 18 Hz) and the loop never
	# runs on.
	require_host int3 yes emulation-failure debug-exit
	for backend in step auto; do
		run kvmdbg --icount "$backend" "$(guest timer.elf)" -e cont -e 'info icount' -e regs \
			-e 'x/2wx pit_ticks'
		assert_line --regexp '^\[guest exited with status [0-9]+\]$'
		icount=$(awk '$1 == "icount" && $2 ~ /^[0-9]+$/ { print $2; exit }' <<<"$output")
		rbx=$(reg_of rbx) r12=$(reg_of r12)
		read -r pit apic < <(awk '$2 == "<pit_ticks>:" { print $3, $4; exit }' <<<"$output")
		ticks=$((pit + apic))
		[ "$ticks" -ge 20 ]
		echo "icount $icount rbx $rbx r12 $r12 ticks $ticks"
		assert_equal "$icount" $((69 + 3 * rbx + 4 * r12 + 6 * ticks))
	done
}

@test "a guest waiting with interrupts on after its one tick is halted for good: plain, counted, and without interrupt controllers at once" {
	run kvmdbg "$(guest idle.elf)" -e cont -e 'x/wx ticks'
	assert_line --partial '[guest halted (interrupts enabled, but nothing can send one (no timer armed, no device on an unmasked line)) at 0x'
	assert_line --regexp '<ticks>:[[:space:]]+0x00000001$'
	run kvmdbg --icount step "$(guest idle.elf)" -e cont -e 'x/wx ticks'
	assert_line --partial '[guest halted (interrupts enabled, but nothing can send one'
	assert_line --regexp '<ticks>:[[:space:]]+0x00000001$'
	run kvmdbg --irqchip off "$(guest idle.elf)" -e cont -e 'x/wx ticks'
	assert_line --partial '[guest halted (interrupts enabled, but no device raises interrupts) at 0x'
	assert_line --regexp '<ticks>:[[:space:]]+0x00000000$'
	run kvmdbg "$(guest halt.elf)"
	assert_success
	assert_output --partial 'guest halted (interrupts disabled)'
}

@test "a counted step from hlt retires it and lands at the tick's handler: the delivery is not an instruction" {
	# Where int3 does not stop the guest, handler entries are seen by page:
	# counted steps are then slow enough (nested SVM: 40114 of them to
	# pit_hlt in 100 s, 6665 ticks taken on the way) that reaching pit_hlt
	# depends on the host's speed, as in the test above.
	require_host int3 yes emulation-failure debug-exit
	run kvmdbg --icount step "$(guest timer.elf)" -e 'break pit_hlt' -e cont -e 'info icount' \
		-e 'x/wx pit_ticks' -e stepi -e 'info icount' -e 'x/wx pit_ticks'
	assert_line --regexp '^=> 0x[0-9a-f]+ <pit_hlt>:[[:space:]]+hlt'
	first=$(awk '$1 == "icount" && $2 ~ /^[0-9]+$/ { print $2; exit }' <<<"$output")
	second=$(awk '$1 == "icount" && $2 ~ /^[0-9]+$/ { n++; if (n == 2) { print $2; exit } }' \
		<<<"$output")
	assert_equal "$second" $((first + 1))
	assert_line --regexp '^=> 0x[0-9a-f]+ <pit_isr>:'
	# The handler has not run yet: the count of ticks is the same on both sides.
	ticks=$(awk '$2 == "<pit_ticks>:" { print $3 }' <<<"$output" | sort -u | wc -l)
	assert_equal "$ticks" 1
}

@test "info irq shows the local APIC timer, the PICs, the IOAPIC and the PIT" {
	run kvmdbg "$(guest timer.elf)" -e 'break apic_wait' -e cont -e 'info irq'
	assert_line 'interrupts  enabled (IF=1)'
	assert_line 'local APIC  base 0xfee00000, id 0, software-enabled, TPR 0'
	assert_line --regexp '^  timer  0x00020040 vector 0x40 periodic, initial 625000, current [0-9]+, divide by 16 \(armed\)$'
	assert_line --regexp '^PIC master  vectors 0x20-0x27, IMR 0xff, IRR 0x0[01], ISR 0x00$'
	assert_line 'IOAPIC      base 0xfec00000, id 0, IRR 0'
	assert_line '  every pin masked'
	assert_line --regexp '^PIT 0       mode 2, count 11932 \(10\.000 ms\)'
	run kvmdbg --irqchip off "$(guest timer.elf)" -e 'info irq'
	assert_line 'no interrupt controllers: the machine runs with --irqchip off'
}

@test "checkpoints keep the interrupt controllers: back before the APIC was set up, it is as it was" {
	run kvmdbg "$(guest timer.elf)" -e 'break pit_wait' -e cont -e checkpoint -e 'delete 1' \
		-e cont -e 'info irq' -e 'restart 1' -e 'info irq'
	assert_line --regexp '^  timer  0x00010000 vector 0 one-shot masked, initial 625000, current [0-9]+, divide by 16$'
	assert_line '  timer  0x00010000 vector 0 one-shot masked, initial 0, current 0, divide by 2'
	assert_line --regexp '^PIC master  vectors 0x20-0x27, IMR 0xfe, '
}

@test "history refuses KVM's interrupt controllers in one line; --history runs on instruction-count time, or without controllers with --clock host" {
	run kvmdbg --history --irqchip on "$(guest halt.elf)"
	assert_failure
	assert_output --partial '--history cannot go with --irqchip on: the in-kernel interrupt controllers and timer interrupt the guest in host time'
	run kvmdbg --icount step "$(guest halt.elf)" -e 'history on'
	assert_output --partial "history needs a machine without KVM's interrupt controllers"
	# The one-shot tick comes (icount 49 with its handler), then nothing can.
	run kvmdbg --history "$(guest idle.elf)" -e cont -e icount -e 'info irq'
	assert_line --partial '[guest halted (interrupts enabled, but no timer will raise one the guest takes)'
	assert_line 'icount 49'
	assert_line 'PIT 0       mode 0, count 11932 (10000151 ns), output high'
	run kvmdbg --history --clock host "$(guest idle.elf)" -e cont -e 'info irq'
	assert_line --partial '[guest halted (interrupts enabled, but no device raises interrupts)'
	assert_line 'no interrupt controllers: the machine runs with --irqchip off'
	run kvmdbg --irqchip sometimes "$(guest halt.elf)"
	assert_failure
	assert_output --partial "--irqchip wants on or off, not 'sometimes'"
}

@test "the UART interrupts: IRQ 4 for received data and an empty THR, a line piped in reaches a guest waiting in hlt" {
	run kvmdbg "$(guest uartirq.elf)" <<<'hello by interrupt'
	assert_success
	assert_line 'irq echo: hello by interrupt'
	assert_line 'thre interrupts 1'
	# A line that comes later wakes the guest out of hlt.
	run bash -c "(sleep 0.5; echo 'late line') | '$KVMDBG' '$(guest uartirq.elf)'"
	assert_success
	assert_line 'irq echo: late line'
	# Once the input has ended, nothing can wake it: halted for good.
	run kvmdbg "$(guest uartirq.elf)" </dev/null
	assert_success
	assert_output --partial 'guest halted (interrupts enabled, but nothing can send one'
	run kvmdbg --irqchip off "$(guest uartirq.elf)" <<<'x'
	assert_output --partial 'guest halted (interrupts enabled, but no device raises interrupts)'
}

@test "stepi holds interrupts off (KVM_GUESTDBG_BLOCKIRQ) so it does not wander into handlers" {
	require_host blockirq yes
	run kvmdbg "$(guest timer.elf)" -e 'break pit_spin' -e cont -e 'delete 1' -e 'stepi 3000' \
		-e 'x/2wx pit_ticks'
	assert_line --regexp '^=> 0x[0-9a-f]+ <pit_spin>:'
	refute_line --regexp '<pit_isr'
	assert_line --regexp '<pit_ticks>:[[:space:]]+0x00000000[[:space:]]+0x00000000$'
}

@test "counted steps let interrupts in: the same steps counted take ticks" {
	# (Where int3 does not stop the guest a counted step takes ~17 ms: see above.)
	require_host int3 yes emulation-failure debug-exit
	run kvmdbg --icount step "$(guest timer.elf)" -e 'break pit_spin' -e cont -e 'delete 1' \
		-e 'stepi 3000' -e 'x/2wx pit_ticks'
	assert_line --regexp '<pit_ticks>:[[:space:]]+0x[0-9a-f]{8}[[:space:]]'
	refute_line --regexp '<pit_ticks>:[[:space:]]+0x00000000[[:space:]]'
}
