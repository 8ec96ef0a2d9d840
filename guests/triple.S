/* Raises #UD with no IDT: the CPU triple-faults and shuts down (status 3). */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	ud2
	.section .note.GNU-stack, "", @progbits
