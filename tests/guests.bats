#!/usr/bin/env bats
# Guests in every CPU mode run under a real KVM VM and print what they should.

load helper

@test "64-bit ELF hello prints its greeting from long mode and exits 0" {
	run kvmdbg "$(guest hello64.elf)"
	assert_success
	assert_output "Hello from 64-bit long mode!"
}

@test "32-bit ELF hello prints its greeting from protected mode and exits 0" {
	run kvmdbg "$(guest hello32.elf)"
	assert_success
	assert_output "Hello from 32-bit protected mode!"
}

@test "raw real-mode hello loaded at 0x7c00 prints its greeting and exits 0" {
	run kvmdbg --raw "$(guest hello16.bin)@0x7c00"
	assert_success
	assert_output "Hello from 16-bit real mode!"
}

@test "raw real-mode image above 64 KiB starts at segment:offset and runs" {
	# hello16.bin is linked for 0x7c00; at 0x17c00 cs becomes 0x1000 and ip 0x7c00.
	run kvmdbg --raw "$(guest hello16.bin)@0x17c00"
	assert_success
	assert_output "Hello from 16-bit real mode!"
}

@test "multiboot ELF linked at 1 MiB gets the multiboot hand-over in 32-bit mode" {
	run kvmdbg "$(guest multiboot.elf)"
	assert_success
	assert_line --index 0 --regexp '^multiboot magic 0x2badb002, cr0 0x(1|3)[0-9a-f], loaded at 0x10[0-9a-f]{4}$'
	assert_line "mem_lower 640 KiB, mem_upper 130048 KiB"
	assert_line "boot loader: kvmdbg"
}

@test "multiboot mem_upper follows -m" {
	run kvmdbg -m 64M "$(guest multiboot.elf)"
	assert_success
	assert_line "mem_lower 640 KiB, mem_upper 64512 KiB"
}

@test "without a guest the built-in demo prints its banner and exits 0" {
	run kvmdbg
	assert_success
	assert_line --index 0 "kvmdbg demo guest: hello from 64-bit long mode under KVM"
	assert_line "  test device id: 0x444d564b"
}

@test "demo guest file is the same guest as the built-in one" {
	run kvmdbg "$(guest demo.elf)"
	assert_success
	assert_line --index 0 "kvmdbg demo guest: hello from 64-bit long mode under KVM"
}

@test "MMIO guest reads back every access size from the test device" {
	run kvmdbg "$(guest mmio.elf)"
	assert_success
	assert_line "scratch = 0xcafef00dbeefaa88"
	assert_line "counter = 0x2a"
	assert_line "unclaimed mmio = 0xffffffff"
	assert_line "unclaimed port = 0xff"
	assert_line "debugcon id = 0xe9"
	assert_line "ok"
	assert_line "accesses = 0xe"
	assert_line "mmio: all checks passed"
}

@test "guest linked at 128 MiB runs once -m gives it the RAM" {
	run kvmdbg -m 256M "$(guest far64.elf)"
	assert_success
	assert_output "Hello from 64-bit long mode!"
}

@test "guest RAM above the 3 GiB MMIO hole continues at 4 GiB" {
	run kvmdbg -m 4G --stats "$(guest mmio.elf)"
	assert_success
	assert_line "mmio: all checks passed"
}

@test "--serial FILE sends guest output to the file" {
	run kvmdbg --serial "$BATS_TEST_TMPDIR/out.txt" "$(guest hello64.elf)"
	assert_success
	assert_output ""
	run cat "$BATS_TEST_TMPDIR/out.txt"
	assert_output "Hello from 64-bit long mode!"
}

@test "--serial none drops guest output" {
	run kvmdbg --serial none "$(guest hello32.elf)"
	assert_success
	assert_output ""
}

@test "--exit-code qemu: a write of V to port 0xf4 ends kvmdbg with (V << 1) | 1, as QEMU's isa-debug-exit" {
	run kvmdbg "$(guest exit8.elf)"
	assert_failure 42
	run kvmdbg --exit-code qemu "$(guest exit8.elf)"
	assert_failure 85
	run kvmdbg --exit-code qemu --icount step "$(guest exit8.elf)"
	assert_failure 85
	assert_line '[guest exited with status 42]'
	run kvmdbg --exit-code kvmdbg "$(guest exit8.elf)"
	assert_failure 42
	run kvmdbg --exit-code bogus "$(guest exit8.elf)"
	assert_failure 2
	assert_line "kvmdbg: --exit-code wants kvmdbg or qemu, not 'bogus'"
}

@test "multiboot: --append is the command line after the image's name, --initrd files are modules" {
	printf 'abcdefgh' >"$BATS_TEST_TMPDIR/mod1"
	printf 'XYZ' >"$BATS_TEST_TMPDIR/mod2"
	run kvmdbg --append 'console=ttyS0 foo' \
		--initrd "$BATS_TEST_TMPDIR/mod1 arg1 arg2,$BATS_TEST_TMPDIR/mod2" "$(guest multiboot.elf)"
	assert_success
	assert_line "cmdline: $(guest multiboot.elf) console=ttyS0 foo"
	assert_line --regexp "^module 0: 8 bytes at 0x[0-9a-f]+000 '$BATS_TEST_TMPDIR/mod1 arg1 arg2' begins 'abcd'$"
	assert_line --regexp "^module 1: 3 bytes at 0x[0-9a-f]+000 '$BATS_TEST_TMPDIR/mod2' begins 'XYZ'$"
	# Without them, neither is handed over.
	run kvmdbg "$(guest multiboot.elf)"
	refute_line --partial 'cmdline:'
}

@test "multiboot modules go around the image and the PC's reserved range below 1 MiB (EBDA, VGA, BIOS area with the MP table)" {
	printf 'small' >"$BATS_TEST_TMPDIR/small"
	{ printf 'BIG!'; head -c $((1024 * 1024 - 8)) /dev/zero; printf 'END!'; } >"$BATS_TEST_TMPDIR/big"
	# The guest is linked at 128 KiB: its modules start right above it.
	run kvmdbg -m 64M --initrd "$BATS_TEST_TMPDIR/small,$BATS_TEST_TMPDIR/big" \
		-e cont -e 'xp/4xb 0xf0000' -e 'xp/4xb 0x1ffffc' "$(guest multiboot-low.elf)"
	assert_success
	assert_line --regexp '^multiboot magic 0x2badb002, cr0 0x(1|3)[0-9a-f], loaded at 0x2[0-9a-f]{4}$'
	# The small one fits below the EBDA; the big one would cross it: it goes
	# to 1 MiB, whole.
	assert_line --regexp "^module 0: 5 bytes at 0x2[0-9a-f]000 '$BATS_TEST_TMPDIR/small' begins 'smal'$"
	assert_line --regexp "^module 1: 1048576 bytes at 0x100000 '$BATS_TEST_TMPDIR/big' begins 'BIG!'$"
	# The MP table is whole where a PC has it, and so is the module's end.
	assert_line --regexp '^0xf0000:	0x5f	0x4d	0x50	0x5f$'
	assert_line --regexp '^0x1ffffc:	0x45	0x4e	0x44	0x21$'
}

@test "multiboot extras refuse what cannot be: a 64-bit ELF, missing or oversized files, empty modules" {
	run kvmdbg --append x "$(guest hello64.elf)"
	assert_failure 2
	assert_line --partial '--append and --initrd are for multiboot kernels (an i386 ELF)'
	run kvmdbg --initrd /nonexistent "$(guest multiboot.elf)"
	assert_failure 2
	assert_line 'kvmdbg: --initrd: cannot open /nonexistent: No such file or directory'
	run kvmdbg --initrd "a,,b" "$(guest multiboot.elf)"
	assert_failure 2
	assert_line --partial 'an empty module'
	head -c 3000000 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run kvmdbg -m 2M --initrd "$BATS_TEST_TMPDIR/big" "$(guest multiboot.elf)"
	assert_failure 2
	assert_line --partial 'does not fit in guest RAM'
	run kvmdbg --initrd "$BATS_TEST_TMPDIR" "$(guest multiboot.elf)"
	assert_failure 2
	assert_line --partial 'is not a regular file'
}
