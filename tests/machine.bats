#!/usr/bin/env bats
# The platform pieces firmware and kernels ask the machine about: fw_cfg, the
# RTC and CMOS, the i8042 and its reset line.

load helper

teardown() {
	stop_stub
}

@test "fw_cfg: signature, interface, RAM size, CPUs and the e820 map through the file directory" {
	# (-m 64: a bare number is MiB, as QEMU takes it.)
	run kvmdbg -m 64 "$(guest fwcfg.elf)"
	assert_success
	assert_line 'signature QEMU then 0x0 unknown 0x0 id 1'
	assert_line 'ram 0x4000000'
	assert_line 'cpus 1'
	assert_line 'file etc/e820'
	# A PC's low memory: the EBDA's KiB and the BIOS area reserved (Linux
	# takes a map of one entry for none).
	assert_line 'e820 0x0 0x9fc00 1'
	assert_line 'e820 0x9fc00 0x400 2'
	assert_line 'e820 0xf0000 0x10000 2'
	assert_line 'e820 0x100000 0x3f00000 1'
	# The loader's items: the kernel is the guest itself.
	assert_line 'entry 0x100000 (_start)'
	assert_line --regexp '^kernel 0x100000 0x[0-9a-f]+ same as RAM$'
	refute_line --partial 'cmdline'
	refute_line --partial 'initrd'
	# Past the MMIO hole, RAM goes on at 4 GiB: two ranges.
	run kvmdbg -m 5G "$(guest fwcfg.elf)"
	assert_success
	assert_line 'ram 0x140000000'
	assert_line 'e820 0x100000 0xbff00000 1'
	assert_line 'e820 0x100000000 0x80000000 1'
}

@test "fw_cfg's loader items: a multiboot kernel's place and entry, its command line and first module, the same bytes as in RAM" {
	printf 'INITRD-DATA' >"$BATS_TEST_TMPDIR/initrd"
	g=$(guest fwcfg32.elf)
	run kvmdbg -m 64M --append 'hello there' --initrd "$BATS_TEST_TMPDIR/initrd" "$g"
	assert_success
	assert_line 'entry 0x10000c (_start)'
	assert_line --regexp '^kernel 0x100000 0x[0-9a-f]+ same as RAM$'
	printf -v size '%#x' $((${#g} + 13))
	assert_line --regexp "^cmdline 0x[0-9a-f]+ $size same as RAM: $g hello there\$"
	assert_line --regexp '^initrd 0x[0-9a-f]+ 0xb same as RAM$'
}

@test "fw_cfg's ports are named in the access log" {
	run kvmdbg -m 64M --watch-pio fw_cfg,w "$(guest fwcfg.elf)"
	assert_success
	assert_line --regexp 'pio +w +0x510 +2 +0x0019 +fw_cfg\.SELECTOR$'
}

@test "fw_cfg's position is part of a checkpoint: back to one mid-item, the guest reads on from there" {
	# Where the guest selects the file directory; a hundred instructions on
	# it is reading it.
	kvmdbg --icount step -m 64M --serial none --mmio-log "$BATS_TEST_TMPDIR/log" \
		"$(guest fwcfg.elf)" || true
	at=$(awk '$10 == "0x0019" && $11 == "fw_cfg.SELECTOR" { print $1 + 100; exit }' \
		"$BATS_TEST_TMPDIR/log")
	[ -n "$at" ]
	run kvmdbg --icount step -m 64M -e "goto icount $at" -e checkpoint -e cont -e 'restart 1' \
		-e cont "$(guest fwcfg.elf)"
	assert_equal "$(grep -c '^file etc/e820$' <<<"$output")" 2
	assert_equal "$(grep -c '^\[guest exited with status 0\]$' <<<"$output")" 2
}

@test "RTC and CMOS: today's date (UTC, BCD, 24-hour), memory sizes; the i8042 answers a probe" {
	before=$(date -u +%Y-%m-%d)
	run kvmdbg -m 64M "$(guest platform.elf)"
	after=$(date -u +%Y-%m-%d)
	assert_line --regexp "^rtc ($before|$after) [0-2][0-9]:[0-5][0-9] status b 0x2 d 0x80$"
	# 640 KiB base, 63 MiB from 1 MiB on (KiB), 48 MiB above 16 MiB (64 KiB units).
	assert_line 'cmos base 640 ext 64512 above16m 768'
	assert_line 'selftest 0x55'
	assert_line 'kbdtest 0x0'
	assert_line 'kbd reset 0xfa 0xaa'
	assert_line 'kbd id 0xfa 0xab 0x83'
}

@test "the guest finds the power-on values of MXCSR (0x1f80), the x87 words, DR6/DR7, XCR0, PAT and MTRRs; gdb reads the same MXCSR" {
	run kvmdbg -m 64M "$(guest reset.elf)"
	assert_success
	assert_line --regexp '^reset fcw 0x37f fsw 0x0 ftw 0xffff mxcsr 0x1f80 dr6 0xffff0ff0 dr7 0x400 xcr0 (0x1|none) pat 0x7040600070406 mtrrdef 0x0$'
	start_stub -m 64M "$(guest reset.elf)"
	run gdb_batch -ex 'info registers mxcsr fctrl fstat ftag' "$(guest reset.elf)"
	stop_stub
	assert_success
	assert_line --regexp '^mxcsr +0x1f80 +\[ IM DM ZM OM UM PM \]$'
	assert_line --regexp '^fctrl +0x37f +895$'
	assert_line --regexp '^fstat +0x0 +0$'
	assert_line --regexp '^ftag +0xffff +65535$'
}

@test "MXCSR as the guest has it: read after the guest ran (KVM_GET_FPU leaves it out), and what gdb writes is what the guest finds" {
	start_stub -m 64M "$(guest reset.elf)"
	run gdb_batch -ex stepi -ex 'p/x $mxcsr' -ex 'set $mxcsr = 0x1f00' -ex 'p/x $mxcsr' \
		-ex continue "$(guest reset.elf)"
	assert_success
	assert_line '$1 = 0x1f80'
	assert_line '$2 = 0x1f00'
	wait_file "$BATS_TEST_TMPDIR/stub.out"
	run cat "$BATS_TEST_TMPDIR/stub.out"
	assert_line --regexp '^reset fcw 0x37f fsw 0x0 ftw 0xffff mxcsr 0x1f00 '
}

@test "an MP table in the BIOS area describes the CPU, the IOAPIC and the ISA lines; CPUID offers the local APIC and its TSC-deadline timer only with interrupt controllers" {
	run kvmdbg -m 64M "$(guest platform.elf)"
	assert_line 'mp table 1.4 checksum ok cpu apic 0 ioapic 1 at 0xfec00000 isa lines on their pins 15'
	assert_line 'cpuid apic 1 x2apic 1 tsc-deadline 1'
	run kvmdbg -m 64M --irqchip off "$(guest platform.elf)"
	assert_line 'mp table none'
	assert_line 'cpuid apic 0 x2apic 0 tsc-deadline 0'
}

@test "CPUID as QEMU's -cpu host gives it: the hypervisor bit, KVM's signature and timing leaf (the TSC's kHz, KVM_GET_TSC_KHZ), the host's brand string; --history hides KVM's leaves" {
	brand=$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n1)
	run kvmdbg -m 64M "$(guest platform.elf)"
	assert_line --regexp '^cpuid hypervisor 1 signature KVMKVMKVM max 0x40000010 tsc khz [1-9][0-9]{5,} apic bus khz 1000000$'
	assert_line "cpuid brand $brand"
	run kvmdbg -m 64M --history "$(guest platform.elf)"
	assert_line --regexp '^cpuid hypervisor 1 signature  max 0x[0-9a-f]+$'
	refute_line --partial KVMKVMKVM
	assert_line "cpuid brand $brand"
}

@test "--cpu host with features off and on, as QEMU spells them (-cpu too): -x2apic and -tsc-deadline clear their bits, kvm=off hides KVM's leaves; unknown names and what the host lacks are refused" {
	run kvmdbg -m 64M -cpu host,-x2apic,tsc-deadline=off "$(guest platform.elf)"
	assert_line 'cpuid apic 1 x2apic 0 tsc-deadline 0'
	assert_line --partial 'signature KVMKVMKVM'
	run kvmdbg -m 64M --cpu host,kvm=off,-hypervisor "$(guest platform.elf)"
	assert_line --regexp '^cpuid hypervisor 0 signature  max 0x[0-9a-f]+$'
	# The console shows what the guest reads, with the features it knows by name.
	run kvmdbg -m 64M -cpu host,-x2apic -e 'info cpuid 1' -e 'info cpuid 0x40000000' "$(guest platform.elf)"
	assert_line --regexp '^0x00000001\.0  eax 0x[0-9a-f]{8} ebx 0x[0-9a-f]{8} ecx 0x[0-9a-f]{8} edx 0x[0-9a-f]{8}  .*hypervisor$'
	refute_line --partial x2apic
	ecx=$(sed -n 's/^0x00000001\.0 .* ecx 0x\([0-9a-f]*\) .*/\1/p' <<<"$output")
	[ $((0x$ecx >> 21 & 1)) -eq 0 ] && [ $((0x$ecx >> 31 & 1)) -eq 1 ]
	assert_line --regexp '^0x40000000\.0  eax 0x40000010 ebx 0x4b4d564b ecx 0x564b4d56 edx 0x0000004d$'
	run kvmdbg -m 64M --cpu host,+bogus "$(guest platform.elf)"
	assert_failure
	assert_line --regexp "^kvmdbg: --cpu: no feature 'bogus' \(kvmdbg knows vmx, .*x2apic, tsc-deadline, .*, and kvm=off\)$"
	run kvmdbg --cpu qemu64 "$(guest platform.elf)"
	assert_failure
	assert_line --partial "--cpu: the model is host"
	# A CPU has VMX or SVM, not both: one of them is refused.
	refused=0
	for f in vmx svm; do
		run kvmdbg -m 64M --cpu host,+$f "$(guest platform.elf)"
		if [ "$status" -ne 5 ]; then
			assert_line --regexp "^kvmdbg: --cpu: \+$f: not offered here: .*\(CPUID 0x[0-9a-f]+\.0 ecx bit [0-9]+\)$"
			refused=$((refused + 1))
		fi
	done
	[ "$refused" -ge 1 ]
}

@test "ACPI tables: RSDP (revision 2) in the BIOS area, RSDT, XSDT, FADT, FACS, MADT, DSDT with right checksums; the PM timer runs; S5 through PM1a control powers off with status 0; --acpi off and -no-acpi leave the MP table alone" {
	run kvmdbg -m 64M "$(guest acpi.elf)"
	assert_success
	assert_line --regexp '^acpi: RSDP at 0xf[0-9a-f]{4} revision 2 oem KVMDBG$'
	for t in RSDT XSDT FACP APIC DSDT; do
		assert_line --regexp "^acpi: $t at 0x[0-9a-f]+ length [0-9]+ revision [0-9] checksum ok\$"
	done
	assert_line --regexp '^acpi: FACP at 0x[0-9a-f]+ length 244 revision 3 checksum ok$'
	assert_line 'acpi: sci 9 pm1a_evt 0x600 pm1a_cnt 0x604 pm_tmr 0x608 flags 0x535 reset 0xcf9 value 0x6'
	assert_line 'acpi: lapic at 0xfee00000 cpu 0 ioapic 1 at 0xfec00000 irq 9->gsi 9 nmi lint1'
	assert_line 'acpi: pm timer runs'
	assert_line 'kvmdbg: guest powered off (ACPI S5)'
	refute_line 'acpi: still here'
	run kvmdbg -m 64M --smp 3 "$(guest acpi.elf)"
	assert_line 'acpi: lapic at 0xfee00000 cpu 0 cpu 1 cpu 2 ioapic 3 at 0xfec00000 irq 9->gsi 9 nmi lint1'
	# On instruction-count time the PM timer runs on that clock; no APICs,
	# no MADT. With no timer at all it stands still.
	run kvmdbg -m 64M --clock icount "$(guest acpi.elf)"
	assert_success
	assert_line 'acpi: no MADT (no APICs)'
	assert_line 'acpi: pm timer runs'
	assert_line '[guest powered off (ACPI S5)]'
	run kvmdbg -m 64M --irqchip off "$(guest acpi.elf)"
	assert_line 'acpi: pm timer stands still'
	assert_line 'kvmdbg: guest powered off (ACPI S5)'
	for off in "--acpi off" -no-acpi; do
		run kvmdbg -m 64M $off "$(guest acpi.elf)"
		assert_failure 1
		assert_line 'acpi: bad RSDP: none in 0xe0000-0xfffff'
		run kvmdbg -m 64M $off "$(guest platform.elf)"
		assert_line 'mp table 1.4 checksum ok cpu apic 0 ioapic 1 at 0xfec00000 isa lines on their pins 15'
	done
	run kvmdbg --acpi maybe "$(guest acpi.elf)"
	assert_failure 2
	assert_output --partial "--acpi wants on or off, not 'maybe'"
	# gdb sees the guest's end as an exit with status 0.
	start_stub -m 64M "$(guest acpi.elf)"
	run gdb_batch -ex continue "$(guest acpi.elf)"
	assert_line '[Inferior 1 (Remote target) exited normally]'
}

@test "pc-testdev (--device, QEMU's -device too): the data register by ports 0xe0 and 0xe8, its MMIO memory at every width, an interrupt line's level; its parts named in the access log; the debug console keeps 0x402" {
	run kvmdbg -m 64M --device pc-testdev "$(guest pctestdev.elf)"
	assert_success
	assert_line 'kvmdbg: pc-testdev has ports 0xe8-0xeb: the debug console is on port 0x402 only'
	assert_line 'port 0xe0 after a byte at 0xeb ok 0xab345678'
	assert_line 'mem qword ok 0x123456789abcdef'
	assert_line 'mem last byte ok 0x5a'
	assert_line 'irq 11 raised ok 0x1'
	refute_line --partial ' BAD '
	run kvmdbg -m 64M -device pc-testdev --watch-mmio pc-testdev "$(guest pctestdev.elf)"
	assert_success
	assert_line --regexp '^ +[0-9]+ +[0-9.]+ +0 +0x[0-9a-f]+ <main\+0x[0-9a-f]+> +mmio w +0xff000000 +8 +0x0123456789abcdef +pc-testdev\.mem$'
	# Without it the memory is not there (all-ones) and the ports neither.
	run kvmdbg -m 64M "$(guest pctestdev.elf)"
	assert_failure 1
	assert_line 'mem qword BAD 0xffffffffffffffff'
	run kvmdbg --device virtio "$(guest pctestdev.elf)"
	assert_failure 2
	assert_output --partial "--device: kvmdbg has pc-testdev (QEMU's, for kvm-unit-tests), not 'virtio'"
}

@test "a reset through the i8042 ends the run with status 5 and says so; gdb sees the end too" {
	run kvmdbg -m 64M "$(guest platform.elf)"
	assert_failure 5
	assert_line 'resetting'
	refute_line 'still here'
	assert_line --regexp '^kvmdbg: the guest reset the machine \(i8042 reset line\) at pc 0x[0-9a-f]+ <main\+0x[0-9a-f]+>$'
	run kvmdbg --exit-code qemu -m 64M "$(guest platform.elf)"
	assert_failure 5
	run kvmdbg -m 64M -e cont -e cont "$(guest platform.elf)"
	assert_line '[the guest reset the machine (i8042 reset line)]'
	assert_line 'the guest reset the machine; there is nothing left to run (system_reset powers it on again)'
	start_stub "$(guest platform.elf)" -m 64M
	run gdb_batch -ex continue "$(guest platform.elf)"
	assert_line 'kvmdbg: the guest reset the machine (i8042 reset line)'
	assert_line --partial 'exited with code 05]'
	stop_stub
}

@test "the UART receives what stdin gives (polled): a guest reads a line and echoes it" {
	run bash -c "printf 'hello there\n' | '$KVMDBG' '$(guest echo.elf)'"
	assert_success
	assert_line 'ready'
	assert_line 'echo: hello there'
	# Nothing on stdin: the guest gives up.
	run kvmdbg "$(guest echo.elf)" </dev/null
	assert_failure 2
	assert_line 'nothing came'
	# The console reads stdin itself: the guest gets none of it.
	run bash -c "printf 'cont\n' | '$KVMDBG' --console '$(guest echo.elf)'"
	assert_line 'nothing came'
}

@test "with history, received bytes are recorded: replaying to the end needs no input and matches" {
	run bash -c "printf 'hello there\n' | '$KVMDBG' --history --icount step -e cont \
		-e 'goto icount 200' -e cont '$(guest echo.elf)'"
	assert_success
	assert_equal "$(grep -c '^echo: hello there$' <<<"$output")" 1
	assert_equal "$(grep -c '^\[guest exited with status 0: the end of its history' <<<"$output")" 2
	refute_line --partial 'diverged'
}

@test "Linux boot protocol: a bzImage gets its zero page (command line, initrd, e820) in long mode with the protocol's selectors" {
	printf 'INITRD-DATA' >"$BATS_TEST_TMPDIR/initrd"
	run kvmdbg -m 128M --append 'console=ttyS0 nokaslr' --initrd "$BATS_TEST_TMPDIR/initrd" \
		"$(guest bzimage.bin)"
	assert_success
	assert_line 'bzImage: loader 0xff'
	assert_line 'cmdline: console=ttyS0 nokaslr'
	assert_line 'e820: 0x4 0x0+0x9fc00 0x9fc00+0x400 0xf0000+0x10000 0x100000+0x7f00000'
	assert_line 'initrd: 0xb INIT'
	# fw_cfg: the setup part (2 sectors, its boot flag 0xaa55 at 0x1fe), the
	# protected-mode part at 16 MiB, the command line with its NUL.
	size=$(($(stat -c %s "$(guest bzimage.bin)") - 0x400))
	assert_line "fw_cfg: setup 0x400 0x66ebaa55 kernel 0x1000000+$(printf '%#x' $size) same as RAM cmdline 0x16 initrd 0xb"
	assert_line 'cs 0x10 ds 0x18 at 0x1000200'
	# No command line given: an empty one; no initrd: size 0.
	run kvmdbg "$(guest bzimage.bin)"
	assert_success
	assert_line 'cmdline: '
	assert_line 'initrd: 0x0'
	# An empty initrd is a mistake, said as such.
	: >"$BATS_TEST_TMPDIR/empty"
	run kvmdbg --initrd "$BATS_TEST_TMPDIR/empty" "$(guest bzimage.bin)"
	assert_failure 2
	assert_line "kvmdbg: --initrd: $BATS_TEST_TMPDIR/empty is empty: Linux would boot without an initramfs"
}

@test "fw_cfg serves a bzImage's kernel and its initrd from their files: a 256 MiB initrd is not kept twice" {
	head -c $((256 << 20)) /dev/zero | tr '\0' 'i' >"$BATS_TEST_TMPDIR/big"
	start_stub -m 512M --initrd "$BATS_TEST_TMPDIR/big" "$(guest bzimage.bin)"
	hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$STUB_PID/status)
	# The initrd in guest RAM is 256 MiB; a copy for fw_cfg would be as much again.
	[ "$hwm" -gt $((256 * 1024)) ] && [ "$hwm" -lt $((380 * 1024)) ] ||
		fail "peak RSS $hwm KiB"
	# What fw_cfg serves is still the same bytes as in RAM.
	run gdb_batch -ex continue "$(guest bzimage.bin)"
	stop_stub
	wait_file "$BATS_TEST_TMPDIR/stub.out"
	run cat "$BATS_TEST_TMPDIR/stub.out"
	assert_line --regexp '^fw_cfg: setup 0x400 0x66ebaa55 kernel 0x1000000\+0x[0-9a-f]+ same as RAM cmdline 0x1 initrd 0x10000000$'
}

@test "bzImages the loader cannot start are refused with the reason" {
	g=$(guest bzimage.bin)
	# Boot protocol 2.11: no xloadflags, no 64-bit entry known.
	cp "$g" "$BATS_TEST_TMPDIR/old"
	printf '\x0b\x02' | dd of="$BATS_TEST_TMPDIR/old" bs=1 seek=$((0x206)) conv=notrunc 2>/dev/null
	run kvmdbg "$BATS_TEST_TMPDIR/old"
	assert_failure 2
	assert_line --partial 'a Linux kernel without a 64-bit entry point (boot protocol 2.11'
	# Too little RAM for its preferred address.
	run kvmdbg -m 8M "$g"
	assert_failure 2
	assert_line --partial 'the kernel wants RAM at 0x1000000-0x1100000'
	# Cut short.
	head -c 1100 "$g" >"$BATS_TEST_TMPDIR/short"
	run kvmdbg "$BATS_TEST_TMPDIR/short"
	assert_failure 2
	assert_line --partial 'the file is 1100 bytes'
	# Two initrds, or a command line longer than the kernel takes (255 bytes).
	printf x >"$BATS_TEST_TMPDIR/i"
	run kvmdbg --initrd "$BATS_TEST_TMPDIR/i,$BATS_TEST_TMPDIR/i" "$g"
	assert_failure 2
	assert_line --partial 'a Linux kernel takes one initrd, not 2'
	run kvmdbg --append "$(head -c 300 /dev/zero | tr '\0' a)" "$g"
	assert_failure 2
	assert_line --partial '300 bytes, and this kernel takes 255 at most'
}
