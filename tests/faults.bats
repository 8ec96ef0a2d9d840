#!/usr/bin/env bats
# Faults explained: a triple fault told in words (src/x86/explain.c) — the
# first fault, then each delivery that failed and why — on the command line,
# in the console and to gdb. Each guest of guests/lib/faults.S fails to
# deliver a #PF in its own way. A host that resets the vCPU at a shutdown
# (SVM) leaves nothing to explain from: kvmdbg says the registers are lost.

load helper

teardown() {
	stop_stub
}

# Runs GUEST; on a host that keeps the registers at a shutdown, the line
# after the shutdown's is "kvmdbg: why: WHY"; the status stays 3.
explained() {
	run kvmdbg "$(guest "$1")"
	assert_equal "$status" 3
	if [ "$(host_fact shutdown_regs)" = reset ]; then
		assert_line --index 0 --partial "this host resets the vCPU at a shutdown, so the faulting registers are lost"
		assert_line --index 1 "kvmdbg: why: the faulting registers are lost (this host resets the vCPU at a shutdown); --catch all stops at each exception before its delivery, --trace-exceptions lists them, and --icount or --history keep the registers before the step that shuts down"
		return
	fi
	assert_line --index 0 --regexp '^kvmdbg: guest shut down: shutdown \(triple fault\) at pc 0x'
	assert_line --index 1 "kvmdbg: why: $2"
}

# The first fault of GUEST's load, and the start of its delivery.
pf() {
	echo "#PF at $(sym_addr "$1" bad_load) <bad_load> reading 0x7f0000000040: PML4 entry 254 not present; delivering #PF:"
}

@test "a triple fault explained: #PF, the IDT's limit holds no vector (#GP), then #DF" {
	explained fault_idtlimit.elf "$(pf fault_idtlimit.elf) IDT limit 0x0 cannot hold vector 14 → #GP(0x73) → #DF: IDT limit 0x0 cannot hold vector 8 → shutdown"
}

@test "a triple fault explained: gates not present (#NP)" {
	explained fault_notpresent.elf "$(pf fault_notpresent.elf) gate 14 is not present → #NP(0x73) → #DF: gate 8 is not present → shutdown"
}

@test "a triple fault explained: the handler's selector beyond the GDT's limit" {
	explained fault_badcs.elf "$(pf fault_badcs.elf) gate 14's selector 0xfff8 is beyond the GDT's limit 0x1f → #GP(0xfff9) → #DF: gate 8's selector 0xfff8 is beyond the GDT's limit 0x1f → shutdown"
}

@test "a triple fault explained: good gates, the stack not mapped (#PF pushing the frame, #DF)" {
	explained fault_nostack.elf "$(pf fault_nostack.elf) pushing the frame at 0x7f00000fffd0: PML4 entry 254 not present → #PF → #DF: pushing the frame at 0x7f00000fffd0: PML4 entry 254 not present → shutdown"
}

@test "a triple fault explained: #DF itself fails (a call gate at vector 8)" {
	explained fault_dffail.elf "$(pf fault_dffail.elf) gate 14's selector 0xfff8 is beyond the GDT's limit 0x1f → #GP(0xfff9) → #DF: gate 8 has type 0xc, not a 64-bit interrupt or trap gate → shutdown"
}

@test "a triple fault explained: ud2 with no IDT (#UD, then #GP delivered in turn)" {
	explained triple.elf "#UD at 0x100000 <_start>: ud2; delivering #UD: IDT limit 0x0 cannot hold vector 6 → #GP(0x33); delivering #GP(0x33): IDT limit 0x0 cannot hold vector 13 → #GP(0x6b) → #DF: IDT limit 0x0 cannot hold vector 8 → shutdown"
}

@test "gdb hears the explanation before the shutdown's stop; the console prints it" {
	require_host shutdown_regs kept
	start_stub "$(guest fault_idtlimit.elf)"
	run gdb_batch -ex continue "$(guest fault_idtlimit.elf)"
	assert_success
	assert_line --partial "kvmdbg: why: $(pf fault_idtlimit.elf) IDT limit 0x0 cannot hold vector 14"
	assert_line --regexp '^Program received signal SIGSEGV'
	run kvmdbg --console "$(guest fault_idtlimit.elf)" <<<$'cont\nquit'
	assert_line --partial "why: $(pf fault_idtlimit.elf) IDT limit 0x0 cannot hold vector 14"
}

@test "--history: the shutdown's registers on every host (SVM: kept before the step), explained; reverse-stepi and stepi back into it" {
	local at
	at=$(sym_addr fault_dffail.elf bad_load)
	run kvmdbg --history --console "$(guest fault_dffail.elf)" <<<$'cont\nreverse-stepi\nstepi\nstepi\nquit'
	assert_line --regexp "^\[guest shut down: shutdown \(triple fault\) at pc $at( \(this host resets the vCPU at a shutdown: the registers are the ones before the step that shut down\))?\]$"
	assert_line "why: $(pf fault_dffail.elf) gate 14's selector 0xfff8 is beyond the GDT's limit 0x1f → #GP(0xfff9) → #DF: gate 8 has type 0xc, not a 64-bit interrupt or trap gate → shutdown"
	assert_line "(replayed) icount 30"
	assert_line --regexp "^=> $at <bad_load>:"
	refute_output --partial diverged
	# The second shutdown is told as the first.
	[ "$(grep -c '^why: #PF at ' <<<"$output")" = 2 ] || fail "not two explanations: $output"
}

@test "--icount and a gdb stepi: the shutdown's registers on every host (SVM: kept before the step), explained" {
	local at why
	at=$(sym_addr fault_notpresent.elf bad_load)
	why="$(pf fault_notpresent.elf) gate 14 is not present → #NP(0x73) → #DF: gate 8 is not present → shutdown"
	run kvmdbg --icount step "$(guest fault_notpresent.elf)"
	assert_equal "$status" 3
	# (A counted run reports its end as the console does.)
	assert_line --regexp "^\[guest shut down: shutdown \(triple fault\) at pc $at( \(this host resets the vCPU at a shutdown: the registers are the ones before the step that shut down\))?\]$"
	assert_line "why: $why"
	assert_line --regexp "^rip +0*${at#0x} "
	start_stub "$(guest fault_notpresent.elf)"
	run gdb_batch -ex "break *$at" -ex continue -ex stepi -ex 'p/x $pc' "$(guest fault_notpresent.elf)"
	assert_success
	assert_line "kvmdbg: why: $why"
	assert_line --regexp '^Program received signal SIGSEGV'
	assert_line "\$1 = $at"
}

@test "gdb under --history: the shutdown stops at the faulting instruction; reverse-stepi leaves it, stepi runs into it again" {
	local at prev
	at=$(sym_addr fault_idtlimit.elf bad_load)
	prev=$(printf '0x%x' $((at - 10)))  # movabs $0x7f0000000040, %rcx: ten bytes
	start_stub --history "$(guest fault_idtlimit.elf)"
	run gdb_batch -ex continue -ex 'p/x $pc' -ex reverse-stepi -ex 'p/x $pc' -ex 'p/x $rcx' \
		-ex stepi -ex 'p/x $pc' -ex stepi -ex 'p/x $pc' "$(guest fault_idtlimit.elf)"
	assert_success
	assert_line --partial "kvmdbg: why: $(pf fault_idtlimit.elf) IDT limit 0x0 cannot hold vector 14"
	assert_equal "$(grep -c '^Program received signal SIGSEGV' <<<"$output")" 2
	assert_line "\$1 = $at"
	assert_line "\$2 = $prev"
	assert_line "\$3 = 0x0"
	assert_line "\$4 = $at"
	assert_line "\$5 = $at"
	refute_output --partial diverged
}

# ---- catching exceptions (guests/catch.S: #PF, #UD and #GP handlers that
# check their frames; its status says which handler did not run) ----------

@test "catch.elf runs its three handlers (status 0); --catch pf stops at the faulting load, status 6, the fault in words" {
	run kvmdbg --serial none "$(guest catch.elf)"
	assert_success
	run kvmdbg --serial none --catch pf "$(guest catch.elf)"
	assert_equal "$status" 6
	assert_line --index 0 "kvmdbg: caught exception #PF error 0x0 (not present, read, supervisor) cr2 0x7f0000000040 at $(sym_addr catch.elf pf_load) <pf_load>"
	assert_line --index 1 --regexp '^rax +0+ +rbx'
}

@test "--catch: a name kvmdbg does not know is refused with the ones it knows" {
	run kvmdbg --catch pf,bogus "$(guest catch.elf)"
	assert_equal "$status" 2
	assert_output --partial "--catch: unknown exception 'bogus' (de db nmi bp of br ud nm df ts np ss gp pf"
}

@test "gdb: monitor catch pf, continue: SIGSEGV at the load with \$cr2; continue delivers it (the handler checks its frame and CR2)" {
	start_stub "$(guest catch.elf)"
	run gdb_batch -ex 'monitor catch pf' -ex continue -ex 'p/x $pc' -ex 'p/x $cr2' -ex 'p/x $rsp' \
		-ex continue "$(guest catch.elf)"
	assert_success
	assert_line "Catching: pf"
	assert_line "kvmdbg: exception #PF error 0x0 (not present, read, supervisor) cr2 0x7f0000000040 at $(sym_addr catch.elf pf_load) <pf_load>"
	assert_line --regexp '^Program received signal SIGSEGV'
	assert_line "\$1 = $(sym_addr catch.elf pf_load)"
	assert_line '$2 = 0x7f0000000040'
	# rsp as before delivery: the stack the guest started on, nothing pushed.
	assert_line '$3 = 0x14000'
	assert_line '[Inferior 1 (Remote target) exited normally]'
}

@test "gdb: signal 0 after pointing rcx at mapped memory lets the load succeed (no #PF handler); ud gives SIGILL and gp SIGSEGV, delivered by continue" {
	start_stub "$(guest catch.elf)"
	run gdb_batch -ex 'monitor catch pf ud gp' -ex continue -ex 'set $rcx = &ok_data' \
		-ex 'signal 0' -ex 'p/x $pc' -ex continue -ex 'p/x $pc' -ex continue "$(guest catch.elf)"
	assert_success
	assert_line --regexp '^Program received signal SIGILL'
	assert_line "kvmdbg: exception #UD at $(sym_addr catch.elf ud_insn) <ud_insn>"
	assert_line "\$1 = $(sym_addr catch.elf ud_insn)"
	assert_line "kvmdbg: exception #GP error 0x0 at $(sym_addr catch.elf gp_load) <gp_load>"
	assert_line "\$2 = $(sym_addr catch.elf gp_load)"
	# Status 1: every handler ran but the #PF's.
	assert_line '[Inferior 1 (Remote target) exited with code 01]'
}

@test "console: catch pf, then cont stops at the faulting instruction in one line; catch lists, uncatch clears, cont delivers" {
	run_script "$(guest catch.elf)" --serial none <<'EOF2'
catch pf,ud
catch
cont
p $cr2
uncatch ud
catch
cont
uncatch
catch
catch nosuch
EOF2
	assert_failure 1
	assert_line "Catching: ud pf"
	assert_line "Caught exception #PF error 0x0 (not present, read, supervisor) cr2 0x7f0000000040 at $(sym_addr catch.elf pf_load) <pf_load>"
	assert_line --regexp "^=> $(sym_addr catch.elf pf_load) <pf_load>:"
	assert_line "0x7f0000000040 (139637976727616)"
	assert_line "Catching: pf"
	assert_line "[guest exited with status 0]"
	assert_line "Catching: none"
	assert_line --partial "unknown exception 'nosuch'"
}

@test "counting: with catch all, each stop's icount is where --stop-at-icount lands on the instruction, and the run ends at the same count" {
	run_script "$(guest catch.elf)" --serial none --icount step <<'EOF2'
catch all
cont
info icount
cont
info icount
cont
info icount
cont
info icount
EOF2
	local counts
	counts=$(sed -n 's/^icount \([0-9]*\) (step backend)$/\1/p' <<<"$output")
	[ "$(wc -l <<<"$counts")" = 4 ] || fail "not four counts: $output"
	local i=0 sym
	for sym in pf_load ud_insn gp_load; do
		i=$((i + 1))
		run kvmdbg --serial none --stop-at-icount "$(sed -n ${i}p <<<"$counts")" "$(guest catch.elf)"
		assert_line --regexp "^rip .* $(sym_addr catch.elf $sym) <$sym>\$"
	done
	run_script "$(guest catch.elf)" --serial none --icount step <<<$'cont\ninfo icount'
	assert_line "icount $(sed -n 4p <<<"$counts") (step backend)"
}

@test "--trace-exceptions: catch.elf's #PF, #UD and #GP in order, each with its frame and handler; the run's status unchanged; JSON Lines to a .jsonl file" {
	local pf ud gp
	pf=$(sym_addr catch.elf pf_load) ud=$(sym_addr catch.elf ud_insn) gp=$(sym_addr catch.elf gp_load)
	run kvmdbg --serial none --trace-exceptions "$(guest catch.elf)"
	assert_success
	assert_line --index 0 "exception #PF error 0x0 (not present, read, supervisor) cr2 0x7f0000000040 at 0x18:$pf <pf_load>, handler $(sym_addr catch.elf pf_handler) <pf_handler>"
	assert_line --index 1 "exception #UD at 0x18:$ud <ud_insn>, handler $(sym_addr catch.elf ud_handler) <ud_handler>"
	assert_line --index 2 "exception #GP error 0x0 at 0x18:$gp <gp_load>, handler $(sym_addr catch.elf gp_handler) <gp_handler>"
	[ ${#lines[@]} = 3 ] || fail "more than three lines: $output"
	run kvmdbg --serial none --trace-exceptions="$BATS_TEST_TMPDIR/t.jsonl" "$(guest catch.elf)"
	assert_success
	run cat "$BATS_TEST_TMPDIR/t.jsonl"
	assert_line --index 0 "{\"cpu\":0,\"vector\":14,\"name\":\"#PF\",\"error\":0,\"cr2\":\"0x7f0000000040\",\"cs\":\"0x18\",\"rip\":\"$pf\",\"symbol\":\"pf_load\",\"handler\":\"$(sym_addr catch.elf pf_handler)\",\"handler_symbol\":\"pf_handler\"}"
	assert_line --index 1 --partial "\"vector\":6,\"name\":\"#UD\",\"cs\":\"0x18\",\"rip\":\"$ud\""
	assert_line --index 2 --partial "\"vector\":13,\"name\":\"#GP\",\"error\":0,"
}

@test "--trace-exceptions with --icount: each record's count is the catch stop's; with --catch the caught one is traced once and stops" {
	run kvmdbg --serial none --icount step --trace-exceptions "$(guest catch.elf)"
	assert_success
	assert_line --index 1 --regexp '^icount [0-9]+: exception #PF error 0x0 '
	assert_line --index 2 --regexp '^icount [0-9]+: exception #UD at '
	local n
	n=$(sed -n 's/^icount \([0-9]*\): exception #UD.*/\1/p' <<<"$output")
	run_script "$(guest catch.elf)" --serial none --icount step <<<$'catch ud\ncont\ninfo icount'
	assert_line "icount $n (step backend)"
	run kvmdbg --serial none --trace-exceptions --catch ud "$(guest catch.elf)"
	assert_equal "$status" 6
	assert_line --index 0 --partial "exception #PF error 0x0"
	assert_line --index 1 --partial "exception #UD at 0x18:"
	assert_line --index 2 --partial "kvmdbg: caught exception #UD at"
}

@test "--trace-exceptions=irq: every tick of tick1k.elf's 1 kHz timer (its status: the ticks it took, mod 256) and its 16 #UDs, in order with them" {
	# Where int3 does not stop the guest, each record is a stop by page
	# (memslots changed twice): nested SVM under QEMU TCG takes about 5.6 ms
	# a stop, so a 1 kHz timer's stops leave the guest no time to run.
	require_host int3 debug-exit emulation-failure
	run kvmdbg --serial none --trace-exceptions=irq "$(guest tick1k.elf)"
	local ticks=$status n
	n=$(grep -c '^interrupt vector 0x20 at 0x18:0x[0-9a-f]* <[a-z_0-9+x]*>, handler 0x[0-9a-f]* <tick_isr>$' <<<"$output" || true)
	[ $((n % 256)) = "$ticks" ] || fail "$n tick records, but the guest took $ticks ticks (mod 256): $(head -5 <<<"$output")"
	[ "$(grep -c "^exception #UD at 0x18:$(sym_addr tick1k.elf ud_insn) <ud_insn>, handler" <<<"$output")" = 16 ] ||
		fail "not 16 #UD records: $(grep -v '^interrupt' <<<"$output" | head -5)"
}

@test "console: with catch ud, stepi at ud2 stops there as the exception (not in the handler); the next stepi delivers it and steps into the handler" {
	# By page (nested SVM), a step through ud2 on a page taken out of the
	# map goes through KVM's emulator (SVM intercepts #UD), which fails
	# there: every page is given back for the step, and the handler runs
	# unseen (README, KVM hosts).
	require_host int3 debug-exit emulation-failure
	run_script "$(guest catch.elf)" --serial none <<'EOF2'
catch ud
break ud_insn
cont
stepi
stepi
EOF2
	assert_success
	assert_line "Caught exception #UD at $(sym_addr catch.elf ud_insn) <ud_insn>"
	assert_line --regexp "^=> $(sym_addr catch.elf ud_handler)|^=> 0x[0-9a-f]+ <ud_handler\+0x[0-9a-f]+>:"
}

@test "--history: a catch stop keeps history; rstepi goes to the instruction before the fault, stepi runs into the catch again, cont delivers it" {
	run_script "$(guest catch.elf)" --serial none --history <<'EOF2'
catch pf
cont
rstepi
stepi
stepi
cont
EOF2
	assert_success
	local pf
	pf=$(sym_addr catch.elf pf_load)
	[ "$(grep -c "^Caught exception #PF error 0x0 (not present, read, supervisor) cr2 0x7f0000000040 at $pf <pf_load>" <<<"$output")" = 2 ] ||
		fail "not caught twice: $output"
	assert_line "(replayed) icount 145"
	assert_line --regexp '^=> 0x[0-9a-f]+ <_start\+0x[0-9a-f]+>:	movabs \$0x7f0000000040,%rcx$'
	refute_output --partial discarded
	assert_line --regexp '^\[guest exited with status 0: the end of its history'
}

@test "gdb under --history: signal 0 with nothing changed runs the load again into the same catch; continue then delivers it" {
	start_stub --history "$(guest catch.elf)"
	run gdb_batch -ex 'monitor catch pf' -ex continue -ex 'signal 0' -ex 'p/x $pc' -ex continue \
		"$(guest catch.elf)"
	assert_success
	[ "$(grep -c '^Program received signal SIGSEGV' <<<"$output")" = 2 ] || fail "not two SIGSEGVs: $output"
	assert_line "\$1 = $(sym_addr catch.elf pf_load)"
	refute_output --partial diverged
	assert_line "kvmdbg: the guest exited with status 0: the end of its history (reverse-stepi and reverse-continue go back)"
}
