#!/usr/bin/env bats
# The fuzzing corpus (tests/fuzz/corpus: seeds, and the reproducer of every
# crash make fuzz found) replayed through each harness, built with gcc (and
# ASan/UBSan with SANITIZE=1): each input must run through without a crash,
# an abort from the harness's own checks, or a sanitizer's report.

load helper

replay() {
	local h=$1 n
	shift
	n=$(find "$ROOT/tests/fuzz/corpus/$h" -type f | wc -l)
	[ "$n" -gt 0 ] || fail "no corpus for $h"
	run timeout 600 "$ROOT/tests/fuzz/replay-$h" "$ROOT/tests/fuzz/corpus/$h" "$@"
	assert_success
	refute_output --partial 'Sanitizer'
	refute_output --partial 'runtime error'
	assert_line --regexp "^$ROOT/tests/fuzz/replay-$h: [0-9]+ inputs replayed\$"
	replayed=$(sed -n 's/.* \([0-9]*\) inputs replayed$/\1/p' <<<"$output")
	[ "$replayed" -ge "$n" ] || fail "$replayed of $n inputs replayed"
}

@test "fuzz corpus: RSP framing and decoding" {
	replay rsp
}

@test "fuzz corpus: the loader (and every built guest as an ELF and as a raw image)" {
	replay loader "$ROOT"/guests/*.elf "$ROOT"/guests/*.bin
}

@test "fuzz corpus: the gdb stub's packets over a real connection to a real engine" {
	replay packets
}

@test "fuzz corpus: console command lines" {
	replay console
}

@test "fuzz corpus: address expressions" {
	replay expr
}

@test "fuzz corpus: exits through the bus to every device (PIO, string PIO, MMIO, the coalesced ring)" {
	replay devices
}

@test "fuzz corpus: bzImages through the loader, the command line, the initrd and the zero page" {
	replay bzimage
}

@test "fuzz corpus: System.map and kallsyms files, looked up and moved" {
	replay sysmap
}

@test "fuzz corpus: a shutdown explained from registers and RAM a guest chose" {
	replay explain
}

@test "every libFuzzer harness built with clang (make check builds them) runs its seeds clean" {
	for h in rsp loader packets console expr devices bzimage sysmap explain; do
		bin=$ROOT/tests/fuzz/build/fuzz-$h
		[ -x "$bin" ] || fail "$bin is not built (make fuzz-build; make check builds it)"
		run timeout 300 "$bin" -runs=0 -detect_leaks=0 "$ROOT/tests/fuzz/corpus/$h"
		[ "$status" -eq 0 ] || fail "fuzz-$h on its seeds: status $status: $output"
		assert_line --regexp '^#[0-9]+[[:space:]]+DONE '
		refute_output --partial 'ERROR: '
	done
}
