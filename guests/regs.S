/*
 * Known register values for console and debugger tests: after three steps
 * rax, rcx and the flags (PF ZF from the xor) are set; then a call and a ret,
 * and an exit with status 7.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	movabs $0x1122334455667788, %rax
	mov $5, %ecx
	xor %edx, %edx
	.globl after_xor
after_xor:
	call leaf
	mov $7, %al
	out %al, $0xf4
	ud2
	.globl leaf
leaf:
	nop
	ret
	.section .rodata
	.globl message
message:
	.asciz "kvmdbg\tregs"
	.section .note.GNU-stack, "", @progbits
