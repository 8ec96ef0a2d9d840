/*
 * Known instruction counts in real mode (a flat image for --raw FILE@0x7c00):
 * after the instruction marked "N", exactly N instructions have retired.
 */
	.section .text.entry, "ax"
	.code16
	.globl _start
_start:
	mov $30, %cx			/* 1 */
loop16:	dec %cx				/* 30 times: dec and jnz, 2 .. 61 */
	jnz loop16
	.globl after_loop16
after_loop16:
	xor %ax, %ax			/* 62 */
	mov %ax, %es			/* 63 */
	mov $0x8000, %di		/* 64 */
	mov $500, %cx			/* 65 */
	cld				/* 66 */
	rep stosb			/* 67 */
	call leaf16			/* 68; leaf16: nop 69, ret 70 */
	.globl last16
last16:	out %al, $0xf4			/* 71: the exit (status 0) */
	.globl leaf16
leaf16:	nop
	ret
	.section .note.GNU-stack, "", @progbits
