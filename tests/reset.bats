#!/usr/bin/env bats
# Reset (system_reset, QEMU's monitor command): the machine as at power-on —
# RAM cleared and the guest loaded again from its file, the devices, the
# interrupt controllers and every CPU as before the first instruction — from
# the console and from gdb, after any way a run can end.

load helper

teardown() {
	stop_stub
}

# What power-on is, as the console shows it.
power_on_state='info ram
regs
sregs
fpu
xmm
dregs
msr IA32_KERNEL_GS_BASE
inb 0x3ff'

# The lines between what "print 111" and "print 222" print, and between
# "print 333" and "print 444", to $BATS_TEST_TMPDIR/a and /b; both whole.
split_dumps() {
	sed -n '/^0x6f (111)$/,/^0xde (222)$/p' <<<"$output" | sed '1d;$d' >"$BATS_TEST_TMPDIR/a"
	sed -n '/^0x14d (333)$/,/^0x1bc (444)$/p' <<<"$output" | sed '1d;$d' >"$BATS_TEST_TMPDIR/b"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a")" -gt 40 ]
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/a")" "$(wc -l <"$BATS_TEST_TMPDIR/b")"
}

@test "system_reset after the guest ran and exited: RAM, CPU, MSRs and devices as at power-on; the run repeats" {
	run_script "$(guest memloop.elf)" <<<"print 111
$power_on_state
print 222
break serial_put_hex
cont
cont
outb 0x3ff 0x5a
inb 0x3ff
msr IA32_KERNEL_GS_BASE = 0x1234
info ram
delete
cont
cont
system_reset
print 333
$power_on_state
print 444
cont"
	# (The cont after the exit fails: status 1, and the script goes on.)
	assert_failure 1
	split_dumps
	grep -qx 'KERNEL_GS_BASE (0xc0000102) = 0 address 0' "$BATS_TEST_TMPDIR/a"
	grep -qx '0x00' "$BATS_TEST_TMPDIR/a"
	# What the guest and the user changed was there before the reset (the
	# test can fail): RAM written, the UART's scratch register and an MSR set.
	assert_equal "$(grep -c '^RAM: 131072 KiB, hash [0-9a-f]\{16\}$' <<<"$output")" 3
	[ "$(grep '^RAM:' <<<"$output" | sed -n 2p)" != "$(grep '^RAM:' "$BATS_TEST_TMPDIR/a")" ]
	assert_line '0x5a'
	assert_line 'KERNEL_GS_BASE (0xc0000102) = 0x1234 address 0x1234'
	assert_line 'the guest has exited (status 59); there is nothing left to run (system_reset powers it on again)'
	assert_line --regexp '^Reset: the machine is as at power-on, at 0x100000 <_start>$'
	assert_line '=> 0x100000 <_start>:	cld'
	# The guest runs to its end again, with the same sums and status.
	assert_equal "$(grep -c '^\[guest exited with status 59\]$' <<<"$output")" 2
	assert_equal "$(grep -c 'round 64 sum 0xa97af0e75b89e43b' <<<"$output")" 2
	# After the reset, all of it is as it was at power-on.
	run diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_success
}

@test "counted with history: system_reset gives icount 0, history starts again there, the same count gives the same state" {
	run_script "$(guest icount.elf)" --history --serial none <<<"icount break 205
cont
print 111
icount
regs
x/512gx buf
x/512gx buf2
print 222
system_reset
icount
rstepi
icount break 205
cont
print 333
icount
regs
x/512gx buf
x/512gx buf2
print 444
rstepi 3
icount"
	assert_success
	split_dumps
	run diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_success
	run_script "$(guest icount.elf)" --history --serial none <<<"icount break 205
cont
system_reset
icount
rstepi
icount break 205
cont
rstepi 3
icount"
	assert_line 'Reset: the machine is as at power-on, at 0x100000 <_start>, icount 0'
	assert_line 'note: history starts again here, at icount 0'
	assert_line 'icount 0'
	assert_line --regexp '^No more reverse-execution history: icount 0, 0x100000 <_start>$'
	assert_equal "$(grep -c '^icount 205, ' <<<"$output")" 2
	assert_line 'icount 202'
}

@test "after a triple fault and after the guest's own reset, system_reset runs it again" {
	run kvmdbg -e cont -e system_reset -e cont "$(guest triple.elf)"
	assert_equal "$(grep -c '^\[guest shut down: shutdown (triple fault)' <<<"$output")" 2
	assert_line 'Reset: the machine is as at power-on, at 0x100000 <_start>'
	run kvmdbg -m 64M -e cont -e system_reset -e cont "$(guest platform.elf)"
	assert_equal "$(grep -c '^resetting$' <<<"$output")" 2
	assert_equal "$(grep -c '^\[the guest reset the machine (i8042 reset line)\]$' <<<"$output")" 2
	# The guest's second run reads the same machine as its first.
	assert_equal "$(grep -c '^selftest 0x55$' <<<"$output")" 2
	assert_equal "$(grep -c '^kbd id 0xfa 0xab 0x83$' <<<"$output")" 2
}

@test "system_reset with several CPUs: the others wait for their start-up IPI again" {
	run_script "$(guest smp.elf)" --serial none --smp 2 <<-EOF
		break $(ap_park)
		cont
		info cpus
		system_reset
		info cpus
	EOF
	assert_success
	assert_line 'Reset: the machine is as at power-on, at 0x100000 <_start>'
	assert_line --regexp '^\* CPU 0  stopped +0x100000 <_start>$'
	assert_line --regexp '^  CPU 1  waiting for SIPI +0xfffffff0$'
	assert_line --regexp "^\\* CPU 1  stopped +$(ap_park)\$"
}

@test "gdb: monitor system_reset, the entry after a register flush, breakpoints stay; a changed guest file is refused and nothing is lost" {
	cp "$(guest memloop.elf)" "$BATS_TEST_TMPDIR/g.elf"
	start_stub "$BATS_TEST_TMPDIR/g.elf" --serial none
	run gdb_batch -ex 'break serial_put_hex' -ex continue -ex 'monitor system_reset' \
		-ex 'maintenance flush register-cache' -ex 'p $pc' -ex continue -ex 'p $pc' \
		-ex "shell touch $BATS_TEST_TMPDIR/g.elf" -ex 'monitor system_reset' -ex 'p $pc' \
		-ex stepi -ex 'p $pc' "$BATS_TEST_TMPDIR/g.elf"
	assert_success
	assert_line 'Reset: the machine is as at power-on, at 0x100000 <_start>'
	assert_line --partial 'note: gdb still shows the registers from before'
	assert_line '$1 = (void (*)()) 0x100000 <_start>'
	assert_line '$2 = (void (*)()) 0x100180 <serial_put_hex>'
	assert_line "$BATS_TEST_TMPDIR/g.elf has changed since kvmdbg loaded it: start kvmdbg again for the new one"
	assert_line '$3 = (void (*)()) 0x100180 <serial_put_hex>'
	assert_line '$4 = (void (*)()) 0x100183 <serial_put_hex+3>'
	assert_equal "$(grep -c '^Reset:' <<<"$output")" 1
}

@test "system_reset takes no arguments" {
	run kvmdbg -e 'system_reset now' -e 'print 1' "$(guest memloop.elf)" --serial none
	assert_line 'system_reset takes no arguments'
	assert_line '0x1 (1)'
}
