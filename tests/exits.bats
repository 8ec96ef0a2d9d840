#!/usr/bin/env bats
# How a run ends: the guest's exit status, halt, shutdown, timeout, signals.

load helper

teardown() {
	stop_stub
}

@test "one-byte write of 42 to the exit port ends the run with status 42" {
	run kvmdbg "$(guest exit8.elf)"
	assert_equal "$status" 42
	assert_output ""
}

@test "four-byte write of 0x12345678 to the exit port gives status 0x78" {
	run kvmdbg "$(guest exit32.elf)"
	assert_equal "$status" 120
}

@test "cli; hlt is reported as guest halted with status 0" {
	run kvmdbg "$(guest halt.elf)"
	assert_success
	assert_output --regexp '^kvmdbg: guest halted \(interrupts disabled\) at pc 0x100002$'
}

@test "triple fault is reported as a shutdown with registers and status 3" {
	run kvmdbg "$(guest triple.elf)"
	assert_equal "$status" 3
	if [ "$(host_fact shutdown_regs)" = reset ]; then
		# SVM resets the vCPU at a shutdown: kvmdbg says the registers are lost.
		assert_line --index 0 "kvmdbg: guest shut down: shutdown (triple fault); this host resets the vCPU at a shutdown, so the faulting registers are lost (below: the reset state)"
		assert_line --regexp '^rip +000000000000fff0 +rflags'
		return
	fi
	assert_line --index 0 "kvmdbg: guest shut down: shutdown (triple fault) at pc 0x100000"
	assert_line --regexp '^rip +0000000000100000 +rflags'
	assert_line --regexp '^cs +0018 base 0000000000000000 limit ffffffff type b L G dpl 0$'
	assert_line --regexp '^cr4 .* efer 0000000000000500$'
}

@test "--timeout stops a spinning guest with status 124 and says where" {
	run kvmdbg --timeout 0.5 "$(guest spin.elf)"
	assert_equal "$status" 124
	assert_output --regexp '^kvmdbg: timeout at pc 0x10000[02] <_start(\+0x2)?>$'
}

@test "--timeout ends the other modes too with status 124 and says where: --eval, a console on stdin, --icount, --stop-at-icount, --gdb" {
	for mode in "-e cont" "--console" "--icount step" "--stop-at-icount 1000000000000" "--gdb 127.0.0.1:0"; do
		run kvmdbg --timeout 1 $mode "$(guest spin.elf)" <<<"cont"
		assert_equal "$status" 124
		assert_line --regexp '^kvmdbg: timeout at pc 0x10000[02] <_start(\+0x2)?>$'
	done
}

@test "--timeout with gdb waiting on continue: gdb hears SIGALRM, kvmdbg ends with status 124" {
	# The time runs from kvmdbg's start: gdb must be there before it ends
	# (gdb alone takes 2.6 s to start in the nested-SVM test VM).
	start_stub --timeout 10 "$(guest spin.elf)"
	run gdb_batch -ex continue "$(guest spin.elf)"
	assert_line --partial 'Program terminated with signal SIGALRM'
	status=0
	wait $STUB_PID || status=$?
	STUB_PID=
	assert_equal "$status" 124
}

@test "SIGINT stops a spinning guest with status 130" {
	"$KVMDBG" "$(guest spin.elf)" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 0.5
	kill -INT $pid
	status=0
	wait $pid || status=$?
	assert_equal "$status" 130
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --regexp '^kvmdbg: interrupted at pc 0x10000[02] <_start(\+0x2)?>$'
}

@test "rep outsb and rep insb go through the bus element by element" {
	run kvmdbg --stats "$(guest strio.elf)"
	# Four all-ones bytes from a port with no device: 4 * 0xff & 0xff = 252.
	assert_equal "$status" 252
	assert_line "rep outsb ok"
	assert_equal "$(stat_value io.pio.unclaimed_reads)" 4
	assert_equal "$(stat_value io.pio.writes)" 14
}

@test "executing from an MMIO hole is reported with registers and status 4" {
	run kvmdbg "$(guest wild.elf)"
	assert_equal "$status" 4
	assert_line --index 0 --regexp '^kvmdbg: guest stopped: KVM internal error [0-9]+ \(.*\) at pc 0xd0000000'
	assert_line --regexp '^rip +00000000d0000000 '
}

@test "the guest's own int3 goes to its #BP handler" {
	run kvmdbg "$(guest int3.elf)"
	assert_success
	assert_output "before
#BP
after"
}

@test "a step of int3 or int n ends at its handler's first instruction, the frame as the CPU pushes it, and the guest runs on" {
	# VMX and SVM deliver an int n that is stepped with the step's TF
	# cleared: the handler ran unseen and its iret found TF in the frame
	# (a #DB the guest has no handler for: triple fault). kvmdbg delivers it.
	run kvmdbg -e 'break swint' -e cont -e stepi -e 'x/5xg $rsp' -e stepi -e cont \
		"$(guest gates.elf)"
	assert_success
	assert_line --regexp '^=> 0x[0-9a-f]+ <int_handler>:'
	# return address past the int, CS, RFLAGS (IF clear, no TF), RSP, SS
	assert_line "0x13fd8:	$(printf '0x%016x' $(($(sym_addr gates.elf swint) + 2)))	0x0000000000000018"
	assert_line --regexp '^0x13fe8:	0x00000000000000[0-9a-f]{2}	0x0000000000014000$'
	flags=$(awk '$1 == "0x13fe8:" { print $2 }' <<<"$output")
	[ $((flags & 0x302)) -eq 2 ]
	assert_line '0x13ff8:	0x0000000000000010'
	assert_line '[guest exited with status 0]'
	# The guest's own int3 under kvmdbg's breakpoint: stepping off it.
	run kvmdbg -e 'break guest_int3' -e cont -e stepi -e 'x/xg $rsp' -e cont "$(guest int3.elf)"
	assert_success
	assert_line '=> 0x100053 <bp_handler>:	push   %rsi'
	assert_line '0x13fd8:	0x0000000000100041'
	assert_line '#BP'
	assert_line 'after'
	assert_line '[guest exited with status 0]'
}

@test "int n through 32-bit interrupt and trap gates, and a 64-bit gate with an IST stack to another code segment: run and stepped, the CPU's frames" {
	# Run (the CPU delivers them on VMX and SVM, kvmdbg on PVM) and stepped
	# (kvmdbg everywhere): the same frames, flags and stacks.
	g=$(guest gates32.elf)
	run kvmdbg "$g" -e cont -e 'x/2wx &flags_int'
	assert_success
	assert_line 'T'
	assert_line 'I'
	# The interrupt gate cleared IF (bit 9), the trap gate kept it.
	read -r fi ft < <(awk '$2 == "<flags_int>:" { print $3, $4 }' <<<"$output")
	[ $((fi & 0x200)) -eq 0 ] && [ $((ft & 0x200)) -ne 0 ]
	run kvmdbg "$g" -e 'break swtrap32' -e 'break swint32' -e cont -e stepi -e 'x/3xw $esp' \
		-e 'info registers eflags' -e cont -e stepi -e 'x/3xw $esp' -e 'info registers eflags' \
		-e cont
	assert_success
	assert_line --regexp '^=> 0x[0-9a-f]+ <trap_handler>:'
	assert_line --regexp '^=> 0x[0-9a-f]+ <int_handler>:'
	# EIP past the int, CS 0x08, EFLAGS with IF; in the handlers IF as above.
	assert_line --regexp "^0x[0-9a-f]+ <stack\+0x3f4>:	$(printf '0x%08x' $(($(sym_addr gates32.elf swtrap32) + 2)))	0x00000008	0x00000[0-9a-f]{3}$"
	assert_line --regexp "^0x[0-9a-f]+ <stack\+0x3f4>:	$(printf '0x%08x' $(($(sym_addr gates32.elf swint32) + 2)))	0x00000008	0x00000[0-9a-f]{3}$"
	flags=$(awk '$1 == "eflags" { print $2 }' <<<"$output" | tr '\n' ' ')
	read -r in_trap in_int <<<"$flags"
	[ $((in_trap & 0x200)) -ne 0 ] && [ $((in_int & 0x200)) -eq 0 ]
	assert_line '[guest exited with status 0]'

	g=$(guest gates.elf)
	top=$(sym_addr gates.elf ist_top)
	run kvmdbg "$g" -e cont -e 'x/2xg &ist_seen'
	assert_success
	assert_line 'S'
	# The IST stack (16-byte aligned, five words pushed) and CS 0x28.
	assert_line --regexp "	$(printf '0x%016x' $((top - 40)))	0x0000000000000028$"
	run kvmdbg "$g" -e 'break swint_ist' -e cont -e stepi -e 'info registers rsp cs' -e 'x/5xg $rsp' \
		-e cont
	assert_success
	assert_line --regexp '^=> 0x[0-9a-f]+ <ist_handler>:'
	assert_line --regexp "^rsp +$(printf '0x%x' $((top - 40))) "
	assert_line --regexp '^cs +0x28 '
	assert_line --regexp "<ist_stack\+0xd8>:	$(printf '0x%016x' $(($(sym_addr gates.elf swint_ist) + 2)))	0x0000000000000018$"
	assert_line --regexp '<ist_stack\+0xe8>:	0x0000000000000[0-9a-f]{3}	0x0000000000014000$'
	assert_line --regexp '<ist_stack\+0xf8>:	0x0000000000000010$'
	assert_line '[guest exited with status 0]'
}

@test "ud2 reaches the guest's #UD handler and int \$0x40 its handler" {
	run kvmdbg "$(guest softint.elf)"
	assert_success
	assert_output "U
I"
}

@test "a real-mode int n: run where KVM can, explained where it spins (PVM), stepped into everywhere" {
	# IVT entry 0x80 -> 0000:7c10, int $0x80, hlt; the handler exits 42.
	printf '\xc7\x06\x00\x02\x10\x7c\xc7\x06\x02\x02\x00\x00\xcd\x80\xf4\x90\xb0\x2a\xe6\xf4' \
		>"$BATS_TEST_TMPDIR/int80.bin"
	# The IVT is reachable: the reset IDTR, as after a real CPU's reset.
	run kvmdbg --raw "$BATS_TEST_TMPDIR/int80.bin@0x7c00" -e sregs
	assert_line 'idt  base 0x0000000000000000  limit 0xffff'
	# A step of it ends at the handler's first instruction, its frame (IP
	# past the int, CS, FLAGS) on the stack, on every host: kvmdbg delivers it.
	run kvmdbg --raw "$BATS_TEST_TMPDIR/int80.bin@0x7c00" -e 'stepi 3' -e 'x/3xh $sp' \
		-e 'info registers sp' -e 'stepi 2'
	assert_success
	assert_line '=> 0x7c10:	mov    $0x2a,%al'
	assert_line '0x7bfa:	0x7c0e	0x0000	0x0002'
	assert_line --regexp '^sp +0x7bfa '
	assert_line '[guest exited with status 42]'
	run kvmdbg --timeout 10 --raw "$BATS_TEST_TMPDIR/int80.bin@0x7c00"
	if [ "$(host_fact module)" != kvm_pvm ]; then
		# Elsewhere the CPU takes it through the IVT (the reset IDTR: base 0,
		# limit 0xffff; with limit 0 it triple-faulted) and nothing is said.
		assert_equal "$status" 42
		refute_output --partial 'real-mode int n'
		return
	fi
	# PVM: KVM spins on it in the kernel, no exit; kvmdbg says why at the stop.
	assert_equal "$status" 124
	assert_line 'kvmdbg: the CPU is at int $0x80 at 0x7c0c (real mode): this host'"'"'s KVM does not carry out a real-mode int n (PVM'"'"'s emulator spins on it whatever the IVT holds): stepi carries it out (kvmdbg delivers it), but such a guest needs a VMX or SVM host to run'
}
