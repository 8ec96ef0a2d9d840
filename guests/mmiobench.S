/*
 * For tests/bench/mmio.sh: 100,000 MMIO writes to the test device's SCRATCH
 * register (each one an exit), then the exit port.
 */
#include "../src/devices/layout.h"

#define WRITES 100000

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	movabs $LAYOUT_TESTDEV_BASE, %rbx
	mov $WRITES, %ecx
	.globl store
store:	mov %rcx, TESTDEV_SCRATCH(%rbx)
	dec %ecx
	jnz store
	xor %eax, %eax
	out %al, $LAYOUT_EXIT_PORT
	.section .note.GNU-stack, "", @progbits
