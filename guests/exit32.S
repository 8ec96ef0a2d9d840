/* Writes 0x12345678 to the exit port with outl: exit status 0x78 (120). */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	movl $0x12345678, %eax
	outl %eax, $0xf4
	ud2 /* not reached */
	.section .note.GNU-stack, "", @progbits
