#!/usr/bin/env bats
# --symbols FILE: symbols for a guest image that has none (a stripped kernel),
# from an ELF's symbol table or a System.map.

load helper

setup() {
	objcopy --strip-all "$(guest regs.elf)" "$BATS_TEST_TMPDIR/regs.stripped"
}

@test "a stripped guest gets its symbols from a System.map: break, print, info symbol, disassembly" {
	run kvmdbg -e 'print leaf' "$BATS_TEST_TMPDIR/regs.stripped"
	assert_line --partial "no symbol 'leaf' in the guest"
	nm "$(guest regs.elf)" >"$BATS_TEST_TMPDIR/regs.map"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/regs.map" -e 'break leaf' -e cont \
		-e 'info symbol $pc+1' -e 'print leaf' "$BATS_TEST_TMPDIR/regs.stripped"
	assert_success
	assert_line 'Breakpoint 1, 0x10001c <leaf>'
	assert_line --regexp '^=> 0x10001c <leaf>:\s+nop$'
	assert_line '0x10001d = leaf+0x1'
	assert_line '0x10001c (1048604) <leaf>'
	# /proc/kallsyms's form: a module name after some names.
	sed 's/$/\t[guest]/' "$BATS_TEST_TMPDIR/regs.map" >"$BATS_TEST_TMPDIR/kallsyms"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/kallsyms" -e 'print leaf' "$BATS_TEST_TMPDIR/regs.stripped"
	assert_line '0x10001c (1048604) <leaf>'
}

@test "--symbols takes an ELF's symbol table too" {
	run kvmdbg --symbols "$(guest regs.elf)" -e 'info symbol leaf' -e 'addr leaf' \
		"$BATS_TEST_TMPDIR/regs.stripped"
	assert_success
	assert_line '0x10001c = leaf'
	assert_line 'leaf = 0x10001c'
}

@test "print VAR: sizes come with an ELF's symbols; a System.map's data symbol says it has none" {
	objcopy --strip-all "$(guest gdbtest.elf)" "$BATS_TEST_TMPDIR/gdbtest.stripped"
	run kvmdbg --symbols "$(guest gdbtest.elf)" -e 'break guest_exit' -e cont -e 'print total' \
		"$BATS_TEST_TMPDIR/gdbtest.stripped"
	assert_success
	assert_line 'total = 0xf (15)'
	nm "$(guest gdbtest.elf)" >"$BATS_TEST_TMPDIR/gdbtest.map"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/gdbtest.map" -e 'print total' \
		"$BATS_TEST_TMPDIR/gdbtest.stripped"
	assert_success
	assert_line --regexp '^total = 0x[0-9a-f]+ <total>$'
	assert_line --partial 'the symbols give no size, as a System.map does not; x/8xb total reads its bytes'
}

@test "--symbols refuses what is not a symbol table, with the file and line" {
	printf 'ffffffff81000000 T _text\nnot a symbol line\n' >"$BATS_TEST_TMPDIR/bad"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/bad" "$(guest regs.elf)"
	assert_failure 2
	assert_output --partial "bad:2: not a symbol table line (want 'ADDRESS TYPE NAME'"
	: >"$BATS_TEST_TMPDIR/empty"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/empty" "$(guest regs.elf)"
	assert_failure 2
	assert_output --partial 'empty: no symbols in it'
	run kvmdbg --symbols "$BATS_TEST_TMPDIR" "$(guest regs.elf)"
	assert_output --partial 'is not a regular file'
	run kvmdbg --symbols /nonexistent "$(guest regs.elf)"
	assert_output --partial 'cannot open /nonexistent'
	head -c 5000 /dev/zero | tr '\0' 'f' >"$BATS_TEST_TMPDIR/long"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/long" "$(guest regs.elf)"
	assert_output --partial 'long:1: line longer than 4095 bytes'
	# Debian's /boot/System.map-* is a placeholder.
	echo 'ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package' \
		>"$BATS_TEST_TMPDIR/System.map"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/System.map" "$(guest regs.elf)"
	assert_failure 2
	assert_output --partial 'a placeholder, not a symbol table'
	run kvmdbg --symbols '' "$(guest regs.elf)"
	assert_failure 2
	# A NUL inside a line is named as such (not a "long line").
	printf 'ffffffff81000000 T _text\nffffffff81000010 T a\0b\n' >"$BATS_TEST_TMPDIR/nul"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/nul" "$(guest regs.elf)"
	assert_failure 2
	assert_output --partial 'nul:2: a NUL byte in the line (not a text file?)'
}

@test "symbol names reach the terminal escaped: a map's escape sequence prints as \\x1b" {
	printf '100000 T _start\n100010 T evil\033[2J\033]0;pwned\007\n' >"$BATS_TEST_TMPDIR/esc"
	run kvmdbg --symbols "$BATS_TEST_TMPDIR/esc" -e 'info symbol 0x100010' "$(guest regs.elf)"
	assert_success
	assert_line '0x100010 = evil\x1b[2J\x1b]0;pwned\x07'
	refute_output --partial $'\033'
}
