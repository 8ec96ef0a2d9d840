/* Halts with interrupts disabled: kvmdbg reports "guest halted", status 0. */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	hlt
	.section .note.GNU-stack, "", @progbits
