#!/usr/bin/env bats
# The unit tests (tests/unit/, C, no KVM): each links only the layers it tests
# and those below them (GNUmakefile), and the layering itself (make layercheck).

load helper

unit() {
	run "$ROOT/tests/unit/$1_test"
	assert_success
	assert_output --regexp '^all [0-9]+ checks passed$'
}

@test "RSP framing: checksums, escapes, run lengths, hex" {
	unit rsp
}

@test "guest memory: RAM around the MMIO hole, memslots around protected pages" {
	unit mem
}

@test "page-table walk: real mode, flat 32-bit, 32-bit paging with 4 MiB pages, PAE, 4- and 5-level" {
	unit mmu
}

@test "operand decoder: the memory an instruction reads, in 64-, 32- and 16-bit code" {
	unit operand
}

@test "rip trace-back after a write exit: the instruction that ends at rip" {
	unit exitpc
}

@test "I/O range parsing: addresses, ranges, device names, directions, and what is refused" {
	unit range
}

@test "layering: no object uses a higher layer or needs another that needs it" {
	mapfile -t args < <(make -s --no-print-directory -C "$ROOT" layers)
	[ "${#args[@]}" -gt 40 ]
	cd "$ROOT"
	run tests/layercheck "${args[@]}"
	assert_success
	assert_output --regexp '^layercheck: [0-9]+ objects in 7 layers, [0-9]+ dependencies, no upward use and no cycle$'
}
