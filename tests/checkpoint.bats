#!/usr/bin/env bats
# Checkpoints of the whole machine (checkpoint, restart N, info checkpoints):
# going back to one and on again repeats the run exactly.

load helper

teardown() {
	stop_stub
}

# The guest's state, as the console shows it: registers, system registers,
# and memory the guest writes (memloop's table and sum; icount's buffers).
memloop_state='regs
sregs
x/8192gx table
x/1gx sum'
icount_state='regs
sregs
x/512gx buf
x/512gx buf2'

# Runs a console script on a guest; the output between what "print 111" and
# "print 222" print, and between "print 333" and "print 444" (two dumps of
# the state) go to $BATS_TEST_TMPDIR/a and /b.
two_dumps() {
	local guest=$1 script=$2

	shift 2
	run_script "$guest" --serial none "$@" <<<"$script"
	assert_success
	sed -n '/^0x6f (111)$/,/^0xde (222)$/p' <<<"$output" | sed '1d;$d' >"$BATS_TEST_TMPDIR/a"
	sed -n '/^0x14d (333)$/,/^0x1bc (444)$/p' <<<"$output" | sed '1d;$d' >"$BATS_TEST_TMPDIR/b"
	# Both dumps are there, and whole.
	[ "$(grep -c '^0x' "$BATS_TEST_TMPDIR/a")" -gt 100 ]
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/a")" "$(wc -l <"$BATS_TEST_TMPDIR/b")"
}

@test "restart goes back to a checkpoint; running on repeats registers and memory exactly" {
	two_dumps "$(guest memloop.elf)" "break serial_put_hex
cont
cont
checkpoint
cont
cont
cont
print 111
$memloop_state
print 222
restart 1
cont
cont
cont
print 333
$memloop_state
print 444"
	assert_line --regexp '^Checkpoint 1 at 0x[0-9a-f]+ <serial_put_hex> \([0-9]+ pages, [0-9]+ KiB\)$'
	assert_line '=> 0x100180 <serial_put_hex>:	mov    %rdi,%r8'
	assert_line --regexp '^Back at checkpoint 1: 0x[0-9a-f]+ <serial_put_hex>$'
	run diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_success
	# The table changed between the checkpoint and the dumps (the test can fail).
	run_script "$(guest memloop.elf)" --serial none <<<"break serial_put_hex
cont
cont
x/8192gx table"
	run diff <(grep -A8192 '<table>' <<<"$output") <(grep -A8192 '<table>' "$BATS_TEST_TMPDIR/a")
	assert_failure
}

@test "after a restart the guest runs to its end as it would have; the exit status is the same" {
	run_script "$(guest memloop.elf)" <<<"break serial_put_hex
cont
checkpoint
delete
cont
restart 1
cont"
	assert_success
	assert_equal "$(grep -c '^\[guest exited with status 59\]$' <<<"$output")" 2
	# After the restart the guest prints the rounds from 4 on again, the same sums.
	assert_equal "$(grep -c 'round 64 sum 0xa97af0e75b89e43b' <<<"$output")" 2
}

@test "counted: back to a checkpoint at an exact icount, on to the same count, same state (rep, ports, MMIO, fault, int)" {
	for at in 150 205 215 240; do
		two_dumps "$(guest icount.elf)" "icount break 100
cont
checkpoint
icount break $at
cont
print 111
$icount_state
print 222
restart 1
icount
icount break $at
cont
print 333
$icount_state
print 444" --icount step
		assert_line 'icount 100'
		run diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
		assert_success
	done
}

@test "checkpoints form a tree: restart, run on, checkpoint again, and each one is what it was" {
	two_dumps "$(guest memloop.elf)" "break serial_put_hex
cont
checkpoint
cont
cont
checkpoint
print 111
$memloop_state
print 222
restart 1
cont
cont
cont
checkpoint
restart 2
print 333
$memloop_state
print 444
info checkpoints"
	run diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_success
	run_script "$(guest memloop.elf)" --serial none <<<"break serial_put_hex
cont
checkpoint
cont
checkpoint
restart 1
cont
cont
checkpoint
restart 2
info checkpoints"
	assert_line --regexp '^ +1 +- +[0-9]+ +[0-9]+  0x[0-9a-f]+ <serial_put_hex>$'
	assert_line --regexp '^\* +2 +1 +[0-9]+ +[0-9]+  0x[0-9a-f]+ <serial_put_hex>$'
	assert_line --regexp '^ +3 +1 +[0-9]+ +[0-9]+  0x[0-9a-f]+ <serial_put_hex>$'
}

@test "bad checkpoint numbers and arguments are refused and change nothing" {
	run_script "$(guest memloop.elf)" --serial none <<<"restart 1
info checkpoints
checkpoint now
break serial_put_hex
cont
checkpoint
restart 0
restart 2
restart -1
restart x
restart
print \$pc"
	assert_failure 1
	assert_line 'no checkpoint 1'
	assert_line 'No checkpoints.'
	assert_line 'checkpoint takes no arguments'
	assert_line 'no checkpoint 2'
	assert_line "invalid checkpoint number '0'"
	assert_line "invalid checkpoint number '-1'"
	assert_line "invalid checkpoint number 'x'"
	assert_line 'usage: restart NUMBER (info checkpoints lists them)'
	assert_line '0x100180 (1048960) <serial_put_hex>'
}

@test "gdb: monitor checkpoint and monitor restart take the guest back; gdb rereads the registers" {
	start_stub "$(guest memloop.elf)"
	run gdb_batch -ex 'break serial_put_hex' -ex continue -ex 'monitor checkpoint' \
		-ex continue -ex 'print sum' -ex 'monitor restart 1' \
		-ex 'maintenance flush register-cache' -ex 'print sum' -ex 'print $pc' \
		"$(guest memloop.elf)"
	assert_success
	assert_line --regexp '^Checkpoint 1 at 0x[0-9a-f]+ <serial_put_hex>'
	assert_line '$1 = 13472502386462459391'
	assert_line '$2 = 3112'
	assert_line --regexp '^\$3 = \(void \(\*\)\(\)\) 0x100180 <serial_put_hex>$'
}

@test "with a watchpoint on the guest's data (its page re-laid in the memory map), restart and run on see the same writes" {
	run_script "$(guest memloop.elf)" --serial none <<<"break serial_put_hex
cont
delete
checkpoint
watch sum 8
cont
cont
cont
restart 1
cont
cont
cont"
	assert_success
	mapfile -t values < <(grep -E '^(Old|New) value' <<<"$output")
	assert_equal "${#values[@]}" 12
	assert_equal "${values[*]:0:6}" "${values[*]:6:6}"
	# The writes differ from one another (the test can fail).
	[ "${values[1]}" != "${values[3]}" ]
}

@test "checkpoints are limited: the 257th is refused with a reason, restart still works" {
	{
		echo 'break serial_put_hex'
		echo cont
		for _ in $(seq 257); do echo checkpoint; done
		echo 'restart 256'
	} >"$BATS_TEST_TMPDIR/commands"
	run kvmdbg --serial none --script "$BATS_TEST_TMPDIR/commands" "$(guest memloop.elf)"
	assert_failure 1
	assert_line --regexp '^Checkpoint 256 at 0x100180 <serial_put_hex> \(0 pages, [0-9]+ KiB\)$'
	assert_line 'all 256 checkpoints are taken'
	assert_line --regexp '^Back at checkpoint 256: 0x100180 <serial_put_hex>$'
}
