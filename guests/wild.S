/* Jumps into the test device's MMIO range: there is no RAM to execute there. */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	movabs $0xd0000000, %rax
	jmp *%rax
	.section .note.GNU-stack, "", @progbits
