#!/usr/bin/env bats
# Console commands in batch mode (--eval, --script, stdin) against guests in
# long, protected and real mode: decoded output and error handling.

load helper

@test "regs after three steps shows the values the guest set and decoded flags" {
	run kvmdbg -e 'stepi 3' -e regs "$(guest regs.elf)"
	assert_success
	assert_line --index 0 --regexp '^=> 0x100011 <after_xor>:	call +0x10001c <leaf>$'
	assert_line --regexp '^rax +0x1122334455667788 +1234605616436508552$'
	assert_line --regexp '^rcx +0x5 +5$'
	assert_line --regexp '^rip +0x100011 +0x100011 <after_xor>$'
	assert_line --regexp '^eflags +0x46 +\[ PF ZF \]$'
}

@test "sregs in long mode names cr0, cr4 and efer bits and the CPU mode" {
	run kvmdbg -e sregs "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^cs +0x0018  base 0x0000000000000000  limit 0xffffffff  type 0xb code xr,accessed +dpl 0 P L G$'
	assert_line "cr0  0x0000000080010033 [ PE MP ET NE WP PG ]"
	assert_line "cr4  0x0000000000000620 [ PAE OSFXSR OSXMMEXCPT ]"
	assert_line "efer 0x0000000000000500 [ LME LMA ]"
	assert_line "mode: 64-bit long mode, CPL 0, paging 4-level"
}

@test "sregs in 32-bit protected mode" {
	run kvmdbg -e sregs "$(guest hello32.elf)"
	assert_success
	assert_line "cr0  0x0000000000000033 [ PE MP ET NE ]"
	assert_line "mode: 32-bit protected mode, CPL 0, paging off"
	assert_line --regexp '^cs +0x0008  base 0x0000000000000000  limit 0xffffffff  type 0xb code xr,accessed +dpl 0 P D G$'
}

@test "sregs in real mode" {
	run kvmdbg -e sregs --raw "$(guest hello16.bin)@0x7c00"
	assert_success
	assert_line "cr0  0x0000000000000010 [ ET ]"
	assert_line "mode: 16-bit real mode"
}

@test "disas of a known function shows its instructions in long mode" {
	run kvmdbg -e 'disas _start 6' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 --regexp '^=> 0x100000 <_start>:	movabs \$0x1122334455667788,%rax$'
	assert_line --index 1 --regexp '^   0x10000a <_start\+0xa>:	mov +\$0x5,%ecx$'
	assert_line --index 2 --regexp '^   0x10000f <_start\+0xf>:	xor +%edx,%edx$'
	assert_line --index 3 --regexp '^   0x100011 <after_xor>:	call +0x10001c <leaf>$'
	assert_line --index 5 --regexp '^   0x100018 <after_xor\+0x7>:	out +%al,\$0xf4$'
}

@test "disas decodes 32-bit code in protected mode and 16-bit code in real mode" {
	run kvmdbg -e 'disas _start 1' "$(guest hello32.elf)"
	assert_success
	assert_output --regexp '^=> 0x10000c <_start>:	mov +%eax,0x[0-9a-f]+( <multiboot_magic>)?$'
	run kvmdbg -e 'disas $pc 2' --raw "$(guest hello16.bin)@0x7c00"
	assert_success
	assert_line --index 0 --regexp '^=> 0x7c00:	cld$'
	assert_line --index 1 --regexp '^   0x7c01:	calll +0x7c[0-9a-f]{2}$'
}

# Kernels before 6.17 refuse x86 KVM_GET_ONE_REG: kvmdbg reads MSRs with
# KVM_GET_MSRS instead and says so once, in a note before the value.
onereg_note() {
	if [ "$(host_fact one_reg)" = yes ]; then
		refute_line --partial "note:"
	else
		assert_line --index 0 "note: KVM_GET_ONE_REG refused this id (Invalid argument); reading it with KVM_GET_MSRS instead"
		lines=("${lines[@]:1}")
	fi
}

@test "onereg get IA32_APIC_BASE shows the id, base address and BSP EN bits" {
	run kvmdbg -e 'onereg get IA32_APIC_BASE' "$(guest regs.elf)"
	assert_success
	onereg_note
	assert_equal "${#lines[@]}" 1
	assert_regex "${lines[0]}" '^IA32_APIC_BASE \(0x203000020000001b: x86 u64 msr 0x1b\) = 0xfee00900 \[ BSP EN \] base 0xfee00000$'
}

@test "onereg get by numeric id, list and dump agree" {
	run kvmdbg -e 'onereg get 0x20300002c0000080' "$(guest regs.elf)"
	assert_success
	onereg_note
	assert_equal "${#lines[@]}" 1
	assert_equal "${lines[0]}" "EFER (0x20300002c0000080: x86 u64 msr 0xc0000080) = 0x500 [ LME LMA ]"
	run kvmdbg -e 'onereg list' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 --regexp '^[1-9][0-9]* registers \(ids from KVM_GET_(REG|MSR_INDEX)_LIST\)$'
	n=$(sed -n '1s/ .*//p' <<<"$output")
	assert_equal "$(grep -c '^0x2030' <<<"$output")" "$n"
	assert_line --regexp '^0x2030000200000010  IA32_TSC$'
	# Every MSR this host's KVM lists has its name.
	refute_line --regexp '^0x2030[0-9a-f]{12}  $'
	run kvmdbg -e 'onereg dump' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^IA32_PAT \(0x2030000200000277: x86 u64 msr 0x277\) = 0x7040600070406 \[ PA0=WB PA1=WT PA2=UC- PA3=UC PA4=WB PA5=WT PA6=UC- PA7=UC \]$'
	assert_equal "$(grep -c ': x86 u64 msr ' <<<"$output")" "$n"
}

@test "msr reads, writes and reports a refused write in one line" {
	run kvmdbg -e 'msr EFER' -e 'msr KERNEL_GS_BASE = 0x1234' -e 'msr 0xc0000102' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 "EFER (0xc0000080) = 0x500 [ LME LMA ]"
	assert_line --index 1 "KERNEL_GS_BASE (0xc0000102) = 0x1234 address 0x1234"
	assert_line --index 2 "KERNEL_GS_BASE (0xc0000102) = 0x1234 address 0x1234"
	run kvmdbg -e 'msr IA32_APIC_BASE = 0x1234' -e 'msr IA32_APIC_BASE' "$(guest regs.elf)"
	assert_failure 1
	assert_line --index 0 "KVM refused to write 0x1234 to MSR 0x1b"
	assert_line --index 1 "IA32_APIC_BASE (0x1b) = 0xfee00900 [ BSP EN ] base 0xfee00000"
}

@test "fpu, xmm and dregs print their registers" {
	run kvmdbg -e fpu -e xmm -e dregs "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^st0  0x[0-9a-f]{20}  '
	assert_line --regexp '^fctrl 0x037f  fstat 0x0000 \(top 0\)'
	assert_line --regexp '^xmm15 0x[0-9a-f]{32}  v4_int32 \{'
	assert_line "dr0  0x0000000000000000  disabled"
	assert_line --regexp '^dr7  0x0000000000000400 \[ \]$'
}

@test "dregs shows a hardware breakpoint's debug register while it is armed" {
	run kvmdbg -e 'hbreak leaf' -e cont -e 'info break' "$(guest regs.elf)"
	assert_success
	assert_line "Hardware breakpoint 1 at 0x10001c <leaf>"
	assert_line "Breakpoint 1, 0x10001c <leaf>"
	by_page=
	[ "$(host_fact hw_breakpoints)" = yes ] || by_page=' \(by page\)'
	assert_line --regexp "^1 +hw breakpoint 0x000000000010001c +1  leaf$by_page\$"
}

@test "x formats: bytes, giants, decimal, chars, strings, instructions, physical" {
	run kvmdbg -e 'x/8xb _start' -e 'x/2xg _start' -e 'x/s message' -e 'x/3c message' \
		-e 'x/2i after_xor' -e 'x/1dw $rsp - 4' -e 'xp/xg 0x16000' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 "0x100000 <_start>:	0x48	0xb8	0x88	0x77	0x66	0x55	0x44	0x33"
	assert_line --index 1 "0x100000 <_start>:	0x334455667788b848	0x3100000005b91122"
	assert_line --index 2 --regexp '^0x[0-9a-f]+ <message>:	"kvmdbg\\tregs"$'
	assert_line --index 3 --regexp "^0x[0-9a-f]+ <message>:	107 'k'	118 'v'	109 'm'$"
	assert_line --index 4 --regexp '^   0x100011 <after_xor>:	call +0x10001c <leaf>$'
	assert_line --index 6 --regexp '^0x13ffc:	0$'
	assert_line --index 7 "0x16000:	0x0000000000017003"
}

@test "addresses accept symbols, sym+off, registers and arithmetic" {
	run kvmdbg -e 'print leaf+1' -e 'sym after_xor + 7' -e 'addr leaf' -e 'print $rip - 0x100000 + 3' \
		-e 'print $eip' -e 'break leaf + 1' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 "0x10001d (1048605) <leaf+0x1>"
	assert_line --index 1 "0x100018 = after_xor+0x7"
	assert_line --index 2 "leaf = 0x10001c"
	assert_line --index 3 "0x3 (3)"
	assert_line --index 4 "0x100000 (1048576) <_start>"
	assert_line --index 5 "Breakpoint 1 at 0x10001d <leaf+0x1>"
}

@test "break, cont, info break and delete" {
	run kvmdbg -e 'break leaf' -e 'break after_xor' -e 'info break' -e cont -e cont \
		-e 'delete 1' -e 'info break' -e 'delete' -e 'info break' -e cont "$(guest regs.elf)"
	assert_success
	by_page=
	[ "$(host_fact int3)" != guest ] || by_page=' \(by page\)'
	assert_line --regexp "^1 +breakpoint +0x000000000010001c +0  leaf$by_page\$"
	assert_line "Breakpoint 2, 0x100011 <after_xor>"
	assert_line "Breakpoint 1, 0x10001c <leaf>"
	assert_line --regexp "^2 +breakpoint +0x0000000000100011 +1  after_xor$by_page\$"
	assert_line "No breakpoints or watchpoints."
	assert_line "[guest exited with status 7]"
}

@test "a breakpoint in 32-bit code stops there" {
	run kvmdbg -e 'break serial_puts' -e cont -e 'print $esp' "$(guest hello32.elf)"
	assert_success
	assert_line --regexp '^Breakpoint 1, 0x[0-9a-f]+ <serial_puts>$'
	assert_line --regexp '^0x13f[0-9a-f]{2} \([0-9]+\)$'
}

@test "kvmdbg's words start on a line of their own after an unfinished line of the guest's" {
	# gdbtest prints "total " then the number: stopped between the two.
	run kvmdbg -e 'break serial_put_dec' -e cont -e 'delete' -e cont "$(guest gdbtest.elf)"
	assert_success
	assert_line --regexp '^total ?$'
	assert_line --regexp '^Breakpoint 1, 0x[0-9a-f]+ <serial_put_dec>$'
	assert_line '15'
	assert_line '[guest exited with status 0]'
}

@test "print VAR gives a data symbol's value by its ELF size: number, string, bytes" {
	run kvmdbg -e 'break guest_exit' -e cont -e 'print total' -e 'p/x counter' \
		-e 'print digits.0' -e 'p/x digits.0' -e 'p/d total' -e 'p &total' -e 'print main' \
		"$(guest gdbtest.elf)"
	assert_success
	assert_line 'total = 0xf (15)'
	assert_line 'counter = 0xf'
	assert_line 'digits.0 = "0123456789abcdef"'
	assert_line 'digits.0 = {0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x00}'
	assert_line 'total = 15'
	# An address stays an address: &VAR, and a function's name.
	assert_line --regexp '^0x[0-9a-f]+ \([0-9]+\) <total>$'
	assert_line --regexp '^0x[0-9a-f]+ \([0-9]+\) <main>$'
}

@test "gdb's habits: b *ADDR, ni over a call, bt, finish, p/FMT, p &sym, i r" {
	run kvmdbg -e 'b *after_xor' -e c -e ni -e 'i r rip' -e 'p/x $rip' -e 'p/d -1' -e 'p/t 5' \
		-e 'p/c 65' -e 'p/o 8' -e 'p &leaf' -e 'p/a leaf+1' -e 'p/q 1' "$(guest regs.elf)"
	assert_failure 1
	assert_line --index 0 'Breakpoint 1 at 0x100011 <after_xor>'
	assert_line 'Breakpoint 1, 0x100011 <after_xor>'
	# ni ran the call to leaf through: the next instruction, no breakpoint report.
	assert_line --regexp '^=> 0x100016 <after_xor\+0x5>:'$'\t''mov +\$0x7,%al$'
	assert_line --regexp '^rip +0x100016 +1048598$'
	assert_line '0x100016'
	assert_line --regexp '^-1$'
	assert_line '101'
	assert_line "65 'A'"
	assert_line '010'
	assert_line '0x10001c (1048604) <leaf>'
	assert_line '0x10001d <leaf+0x1>'
	assert_line "invalid format '/q' for print (x d u o t c a)"
	# ni on anything else is stepi; bt and finish at a function's first instruction.
	run kvmdbg -e ni -e 'b leaf' -e c -e bt -e finish -e 'info break' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^=> 0x10000a <_start\+0xa>:'
	assert_line '#0  0x10001c <leaf>'
	assert_line '#1  0x100016 <after_xor+0x5>'
	assert_line 'Run till exit from 0x10001c <leaf>'
	assert_line --regexp '^=> 0x100016 <after_xor\+0x5>:'
	# finish's breakpoint went with the stop; the user's stays.
	assert_line --regexp '^1 +breakpoint +0x000000000010001c +1  leaf( \(by page\))?$'
	refute_line --regexp '^2 '
}

@test "bt follows frame pointers through C functions; finish returns to the caller" {
	run kvmdbg -e 'break add' -e c -e bt -e finish -e bt "$(guest gdbtest.elf)"
	assert_success
	assert_line --regexp '^#0  0x[0-9a-f]+ <add>$'
	assert_line --regexp '^#1  0x[0-9a-f]+ <bump\+0x[0-9a-f]+>$'
	assert_line --regexp '^#2  0x[0-9a-f]+ <main\+0x[0-9a-f]+>$'
	bump=$(sed -n 's/^#1  \(0x[0-9a-f]*\) .*/\1/p' <<<"$output" | head -1)
	assert_line "Run till exit from $(sed -n 's/^#0  //p' <<<"$output" | head -1)"
	assert_line --regexp "^=> $bump <bump\\+0x[0-9a-f]+>:"
	assert_line --regexp '^#0  0x[0-9a-f]+ <bump\+0x[0-9a-f]+>$'
	assert_line --regexp '^#1  0x[0-9a-f]+ <main\+0x[0-9a-f]+>$'
}

@test "QEMU monitor staples: gva2gpa, info mem, info tlb, memory writes, port I/O, nmi" {
	run kvmdbg -e 'gva2gpa message' -e 'gva2gpa 0x40000000000' -e 'info mem' -e 'info tlb' \
		"$(guest regs.elf)"
	assert_failure 1
	assert_line --index 0 --regexp '^gpa: 0x[0-9a-f]+$'
	assert_line --index 1 'cannot access memory at address 0x40000000000 (not mapped)'
	# The identity map kvmdbg builds for a 64-bit ELF (supervisor pages): one range, and its pages.
	assert_line --regexp '^0000000000000000-0000000[0-9a-f]{9} 0000000[0-9a-f]{9} -rwx$'
	assert_line --regexp '^0000000000000000: 0000000000000000 (1G|2M|4K) -rwx$'
	# gdb's assignments to memory, by size.
	run kvmdbg -e 'set {char}message = 0x4b' -e 'x/s message' -e 'set *(short *)message = 0x4141' \
		-e 'x/s message' -e 'set *message = 0x42424242' -e 'x/s message' \
		-e 'set *(long *) message = 0x4343434343434343' -e 'x/s message' \
		-e 'set {float}message = 1' "$(guest regs.elf)"
	assert_failure 1
	assert_line --index 0 --regexp '<message>:'$'\t''"Kvmdbg\\tregs"$'
	assert_line --index 1 --regexp '<message>:'$'\t''"AAmdbg\\tregs"$'
	assert_line --index 2 --regexp '<message>:'$'\t''"BBBBbg\\tregs"$'
	assert_line --index 3 --regexp '<message>:'$'\t''"CCCCCCCCegs"$'
	assert_line --index 4 "unknown type 'float' (char, short, int, long, long long, uint8_t ... uint64_t)"
	# Ports: kvmdbg's UART (its scratch register keeps a byte), nothing, KVM's own, the exit port.
	run kvmdbg -e 'inb 0x3fd' -e 'outb 0x3ff 0x5a' -e 'inb 0x3ff' -e 'inw 0x2f8' -e 'inb 0x61' \
		-e 'outb 0xf4 1' -e 'outb 0x3ff 0x100' -e 'stepi' "$(guest regs.elf)"
	assert_failure 1
	assert_line --index 0 '0x60'
	assert_line --index 1 '0x5a'
	assert_line --index 2 '0xffff'
	assert_line --index 3 "KVM handles the PIT's speaker port 0x61 without kvmdbg, which cannot reach it (--irqchip off leaves the address to kvmdbg)"
	assert_line --index 4 '(the device at port 0xf4 asks to end the run: not done from the console)'
	assert_line --index 5 '0x100 does not fit in 1 byte'
	assert_line --index 6 --regexp '^=> 0x10000a <_start\+0xa>:'
	# An NMI with no IDT to take it: a step holds it back, as it holds
	# interrupts; the run after it takes it, and the guest shuts down.
	run kvmdbg -e nmi -e stepi -e cont "$(guest regs.elf)"
	assert_success
	assert_line --index 0 --regexp '^=> 0x10000a <_start\+0xa>:'
	assert_line --index 1 'Continuing.'
	assert_line --index 2 --regexp '^\[guest shut down: '
}

@test "more than four hardware breakpoints is a clear error" {
	require_host hw_breakpoints yes
	run kvmdbg -e 'hbreak _start' -e 'hbreak leaf' -e 'hbreak after_xor' -e 'hbreak _start+10' \
		-e 'hbreak _start+15' -e 'info break' "$(guest regs.elf)"
	assert_failure 1
	assert_line "all 4 hardware breakpoints are in use (delete one, or use a software breakpoint)"
	assert_equal "$(grep -c 'hw breakpoint' <<<"$output")" 4
}

@test "where DR0-DR3 never fire, hardware breakpoints stop the guest by page, five of them" {
	require_host hw_breakpoints no
	run kvmdbg -e 'hbreak _start+10' -e 'hbreak _start+15' -e 'hbreak after_xor' -e 'hbreak leaf' \
		-e 'hbreak after_xor+5' -e cont -e cont -e cont -e cont -e cont -e 'info break' \
		"$(guest regs.elf)"
	assert_success
	assert_line "Breakpoint 1, 0x10000a <_start+0xa>"
	assert_line "Breakpoint 2, 0x10000f <_start+0xf>"
	assert_line "Breakpoint 3, 0x100011 <after_xor>"
	assert_line "Breakpoint 4, 0x10001c <leaf>"
	assert_line "Breakpoint 5, 0x100016 <after_xor+0x5>"
	assert_equal "$(grep -c 'hw breakpoint .*  1  ' <<<"$output")" 5
}

@test "a breakpoint in real-mode code stops there, whatever int3 does in real mode here" {
	run kvmdbg -e 'break 0x7c10' -e cont -e 'print $pc' -e stepi -e 'print $pc' -e cont \
		--raw "$(guest hello16.bin)@0x7c00"
	assert_success
	assert_line "Breakpoint 1, 0x7c10"
	assert_line "0x7c10 (31760)"
	assert_line "0x7c16 (31766)"
	assert_line "Hello from 16-bit real mode!"
	assert_line "[guest exited with status 0]"
}

@test "a breakpoint that works by page here says so once, and info break marks it" {
	run kvmdbg -e 'break 0x7c10' -e 'break 0x7c16' -e 'info break' --raw "$(guest hello16.bin)@0x7c00"
	assert_success
	assert_line --index 0 "Breakpoint 1 at 0x7c10"
	if [ "$(host_fact int3_real_mode)" = guest ]; then
		assert_line --index 1 "note: this host does not stop at int3 in real mode ($(host_detail int3_real_mode)): breakpoints take their code page out of the map and step through that page (kvmdbg --host)"
		assert_equal "$(grep -c '^note:' <<<"$output")" 1
		assert_line --regexp '^2 +breakpoint +0x0000000000007c16 +0  \(by page\)$'
	else
		refute_output --partial 'note:'
		refute_output --partial '(by page)'
	fi
}

@test "stepi N lands where N single steps land" {
	for n in 1 2 3 4 5 6; do
		run kvmdbg -e "stepi $n" -e 'print $rip' "$(guest regs.elf)"
		assert_success
		one=$(tail -n1 <<<"$output")
		args=()
		for ((i = 0; i < n; i++)); do args+=(-e stepi); done
		run kvmdbg "${args[@]}" -e 'print $rip' "$(guest regs.elf)"
		assert_success
		assert_equal "$(tail -n1 <<<"$output")" "$one"
	done
}

@test "stepping over the exit port reports the guest's exit" {
	run kvmdbg -e 'stepi 8' "$(guest regs.elf)"
	assert_success
	assert_output "[guest exited with status 7]"
}

@test "errors are one line each and keep the state" {
	run kvmdbg -e 'stepi 2' -e frobnicate -e 'x/4x nosuchsym' -e 'x/4x 0x40000000000' \
		-e 'print $nosuchreg' -e 'msr NOSUCH' -e 'x/4q $rsp' -e 'stepi 0' -e 'delete 9' \
		-e 'print $rip' "$(guest regs.elf)"
	assert_failure 1
	assert_line --index 1 "unknown command 'frobnicate'; 'help' lists them"
	assert_line --index 2 "no symbol 'nosuchsym' in the guest (a register needs '\$', as in \$nosuchsym)"
	assert_line --index 3 "cannot access memory at address 0x40000000000"
	assert_line --index 4 "unknown register '\$nosuchreg'"
	assert_line --index 5 "unknown MSR 'NOSUCH' (a name such as EFER, or an index such as 0xc0000080)"
	assert_line --index 6 "invalid format letter 'q' in 'x/4q' (formats x d u c s i, sizes b h w g)"
	assert_line --index 7 "invalid count '0' (1 to 65536)"
	assert_line --index 8 "no breakpoint or watchpoint number 9"
	assert_line --index 9 "0x10000f (1048591) <_start+0xf>"
	assert_equal "${#lines[@]}" 10
}

@test "--script runs a file of commands and names the failing line" {
	cat >"$BATS_TEST_TMPDIR/cmds" <<'CMDS'
# comments and blank lines are skipped

break leaf
cont
bogus
print $rip
CMDS
	run kvmdbg -x "$BATS_TEST_TMPDIR/cmds" "$(guest regs.elf)"
	assert_failure 1
	assert_line "Breakpoint 1, 0x10001c <leaf>"
	assert_line "unknown command 'bogus'; 'help' lists them"
	assert_line "($BATS_TEST_TMPDIR/cmds, line 5: bogus)"
	assert_line "0x10001c (1048604) <leaf>"
	run kvmdbg -x "$BATS_TEST_TMPDIR/nope" "$(guest regs.elf)"
	assert_failure 1
	assert_output "cannot open script $BATS_TEST_TMPDIR/nope: No such file or directory"
}

@test "--console reads commands from a pipe without prompts" {
	run bash -c "printf 'stepi 3\nprint \$rcx\nquit\nregs\n' | timeout $HANG '$KVMDBG' --console '$(guest regs.elf)'"
	assert_success
	assert_output "=> 0x100011 <after_xor>:	call   0x10001c <leaf>
0x5 (5)"
}

@test "quit ends the batch before later commands" {
	run kvmdbg -e 'print 1' -e quit -e 'print 2' "$(guest regs.elf)"
	assert_success
	assert_output "0x1 (1)"
}

@test "help lists every command and explains one" {
	run kvmdbg -e help -e 'help x' "$(guest regs.elf)"
	assert_success
	for c in regs sregs fpu xmm dregs onereg msr x xp disas sym addr stepi cont stop rstepi rcont goto \
		history break hbreak delete checkpoint restart info cpu stats quit help; do
		assert_line --regexp "^  $c( |/)"
	done
	assert_line "x/FMT ADDRESS — memory at a guest-virtual address (FMT: count, x d u c s i, b h w g)"
	# A synopsis longer than its column is whole, its help on the next line.
	assert_line '  info break | watchpoints | registers [NAME...] | icount | checkpoints | ram | symbol ADDRESS | irq | cpus | host | version | mem | tlb | cpuid [LEAF]'
	assert_line --regexp '^ {37}breakpoints and watchpoints, registers'
}

@test "stats in the console counts the exits so far" {
	run kvmdbg -e 'stepi 8' -e stats "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^vcpu0\.exits\.io +1  # KVM_EXIT_IO$'
}

@test "a breakpoint on the guest's own int3, and the int3 still reaches the guest" {
	# Where int3 reaches the guest without an exit, the CPU delivers it (and
	# its handler shares the page kvmdbg takes away): see README, KVM hosts.
	require_host int3 debug-exit emulation-failure
	run kvmdbg -e 'break guest_int3' -e 'break bp_handler' -e cont -e cont -e 'x/xg $rsp' \
		-e cont "$(guest int3.elf)"
	assert_success
	assert_line "Breakpoint 1, 0x100040 <guest_int3>"
	assert_line "Breakpoint 2, 0x100053 <bp_handler>"
	# The #BP frame returns to the instruction after the int3.
	assert_line "0x13fd8:	0x0000000000100041"
	assert_line "[guest exited with status 0]"
}

@test "a breakpoint in a software-interrupt handler sees the interrupt frame" {
	# Where int3 reaches the guest without an exit, the CPU delivers it (and
	# its handler shares the page kvmdbg takes away): see README, KVM hosts.
	require_host int3 debug-exit emulation-failure
	run kvmdbg -e 'break int_handler' -e cont -e 'x/3xg $rsp' -e cont "$(guest softint.elf)"
	assert_success
	assert_line --regexp '^Breakpoint 1, 0x[0-9a-f]+ <int_handler>$'
	# Return address after the two-byte int $0x40, code segment 0x18, then rflags.
	ret=$(printf '0x%016x' $(( $(kvmdbg -e 'print after_int' "$(guest softint.elf)" | cut -d' ' -f1) )))
	assert_line --regexp "^0x[0-9a-f]+:	$ret	0x0000000000000018$"
	assert_line "[guest exited with status 0]"
}

@test "x without an address goes on where the last x stopped" {
	run kvmdbg -e 'x/2xg _start' -e x -e 'x/1i after_xor' -e x -e 'x/1xb' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 "0x100000 <_start>:	0x334455667788b848	0x3100000005b91122"
	assert_line --index 1 "0x100010 <_start+0x10>:	0x07b000000006e8d2	0x766bc3900b0ff4e6"
	assert_line --index 2 --regexp '^   0x100011 <after_xor>:	call +0x10001c <leaf>$'
	assert_line --index 3 --regexp '^   0x100016 <after_xor\+0x5>:	mov +\$0x7,%al$'
	assert_line --index 4 "0x100018 <after_xor+0x7>:	0xe6"
	run kvmdbg -e x "$(guest regs.elf)"
	assert_failure 1
	assert_output "usage: x/FMT ADDRESS (e.g. x/4xg \$rsp)"
}

@test "regs NAME and info registers NAME show just those; set changes a register" {
	run kvmdbg -e 'stepi 3' -e 'regs rip $ecx xmm0' -e 'set $rax = 0x1234 + 1' -e 'set $eax = 7' \
		-e 'info registers rax' -e 'set $rip = leaf' -e stepi -e 'set rax = 1' \
		-e 'set $xmm0 = 1' -e 'regs nosuch' "$(guest regs.elf)"
	assert_failure 1
	assert_line --index 1 "rip            0x100011            1048593"
	assert_line --index 2 "ecx            0x5                 5"
	assert_line --index 3 "xmm0           0x00000000000000000000000000000000"
	assert_line --index 4 "rax            0x7                 7"
	assert_line --index 5 --regexp '^=> 0x10001d <leaf\+0x1>:	ret'
	assert_line --index 6 'usage: set $REGISTER = VALUE, or set *ADDRESS = VALUE (an int; {TYPE} ADDRESS or *(TYPE *) ADDRESS for another size)'
	assert_line --index 7 'cannot set $xmm0: register xmm0 is wider than 64 bits'
	assert_line --index 8 "unknown register 'nosuch'"
}

@test "SIGTERM during a batch's cont stops the guest and ends the batch with status 130" {
	"$KVMDBG" -e cont -e cont -e 'print 1' "$(guest spin.elf)" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	sleep 1
	kill -TERM $pid
	timeout 10 tail --pid=$pid -f /dev/null || { kill -9 $pid; fail "kvmdbg went on after SIGTERM"; }
	status=0
	wait $pid || status=$?
	assert_equal "$status" 130
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --regexp '^Stopped at 0x10000[02] <_start(\+0x2)?>$'
	refute_line '0x1 (1)'
}

@test "after the guest's exit, cont and stepi say there is nothing left to run" {
	run kvmdbg -e cont -e cont -e stepi -e 'print 1' "$(guest hello64.elf)"
	assert_failure 1
	assert_line '[guest exited with status 0]'
	assert_equal "$(grep -c '^the guest has exited (status 0); there is nothing left to run (system_reset powers it on again)$' <<<"$output")" 2
	assert_line '0x1 (1)'
}
