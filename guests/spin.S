/* Loops forever: only --timeout or a signal ends it. */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	pause
	jmp _start
	.section .note.GNU-stack, "", @progbits
