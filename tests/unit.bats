#!/usr/bin/env bats
# The unit tests (tests/unit/, C, no KVM): each links only the layers it tests
# and those below them (GNUmakefile), and the layering itself (make layercheck).

load helper

unit() {
	run "$ROOT/tests/unit/$1_test" "${@:2}"
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

@test "operand decoder: the memory an instruction reads, in 64-, 32- and 16-bit code; prefixes" {
	unit operand
}

@test "rip trace-back after a write exit: the instruction that ends at rip" {
	unit exitpc
}

@test "a shutdown explained: the first fault, each failed delivery (IDT limit, gate type and presence, GDT, stack, IST), #DF and shutdown" {
	unit explain
}

@test "caught exceptions in words: vector names as --catch takes them, each one's signal, error codes decoded" {
	unit catch
}

@test "I/O range parsing: addresses, ranges, device names, directions, and what is refused" {
	unit range
}

@test "the 8259A pair and the 8254 on a set clock: ICWs, priorities, EOIs, cascade, ELCR, poll; modes 0, 2, 3, gate, latch, read-back, BCD" {
	unit timer
}

@test "the loader reads a guest through a read-write descriptor read-only: no descriptor, no memory left behind, load after load" {
	unit loader "$(guest ticker.elf)"
}

# The layers and objects as make knows them (make layers), one per line.
layer_args() {
	mapfile -t args < <(make -s --no-print-directory -C "$ROOT" layers)
	[ "${#args[@]}" -gt 40 ] || fail "make layers gave ${#args[@]} arguments"
}

# Compiles a copy of SOURCE (under $ROOT) with C appended into the test's own
# directory, and puts that object in place of SOURCE's in args.
plant() {
	local src=$1 code=$2 dir=$BATS_TEST_TMPDIR/planted
	local obj=$dir/${src%.c}.o

	mkdir -p "$(dirname "$dir/$src")"
	{ cat "$ROOT/$src"; printf '\n%s\n' "$code"; } >"$dir/$src"
	gcc -std=c11 -D_GNU_SOURCE -iquote "$ROOT/$(dirname "$src")" -c -o "$obj" "$dir/$src" ||
		fail "the planted copy of $src does not compile"
	args=("${args[@]//${src%.c}.o/$obj}")
}

@test "thread hand-off: no lost wake-up in 40,000 round trips; a waiter spins microseconds at most" {
	unit handoff
}

@test "history: recorded values and serial input count against the budget, half of it at most" {
	unit history
}

@test "run control links without time travel (src/debug/reverse.o, src/history.o)" {
	unit forward
}

@test "layering: no object uses a higher layer or needs another that needs it" {
	layer_args
	cd "$ROOT"
	run tests/layercheck "${args[@]}"
	assert_success
	assert_output --regexp '^layercheck: [0-9]+ objects in 14 layers, [0-9]+ dependencies, no upward use and no cycle$'
}

@test "layering: the gdb stub calling into the console's command table fails the check" {
	layer_args
	plant stub/packets.c 'int stub_planted(void); int stub_planted(void) { return commands_execute(0, "", 0); }'
	cd "$ROOT"
	run tests/layercheck "${args[@]}"
	assert_failure
	assert_output --partial "uses commands_execute of cli/commands.o (front/cli): a higher layer"
}

@test "layering: a front end reaching run control's internals fails the check" {
	layer_args
	plant cli/run.c '#include "../src/debug/internal.h"
int run_planted(struct debug *d); int run_planted(struct debug *d) { return debug_target_reached(d); }'
	cd "$ROOT"
	run tests/layercheck "${args[@]}"
	assert_failure
	assert_output --partial "uses debug_target_reached of src/debug/run.o (debug/run): the engine other than through src/debug.h"
}

@test "layering: run control calling time travel fails the check" {
	layer_args
	plant src/debug/run.c 'int run_planted(struct debug *d); int run_planted(struct debug *d) { return debug_history(d, false, 0); }'
	cd "$ROOT"
	run tests/layercheck "${args[@]}"
	assert_failure
	assert_output --partial "uses debug_history of src/debug/reverse.o (debug/reverse): a higher layer"
}

@test "no file of the front ends includes run control's internal header" {
	cd "$ROOT"
	run grep -rlE '#include "[./]*(src/)?debug/internal\.h"' cli stub
	assert_failure
	assert_output ""
}

@test "no file of src/debug/ is over 900 lines" {
	cd "$ROOT"
	run awk 'FNR == 1 && NR > 1 && n > 900 { print prev, n } { prev = FILENAME; n = FNR }
		 END { if (n > 900) print prev, n }' src/debug/*.c src/debug/*.h
	assert_success
	assert_output ""
}
