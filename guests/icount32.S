/*
 * Known instruction counts in 32-bit protected mode (a multiboot kernel):
 * after the instruction marked "N", exactly N instructions have retired.
 */
#define MULTIBOOT_MAGIC 0x1badb002
#define MULTIBOOT_FLAGS 0x00000003
	.section .text.entry, "ax"
	.code32
	.balign 4
	.long MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
	.globl _start
_start:
	mov $50, %ecx			/* 1 */
loop32:	dec %ecx			/* 50 times: dec and jnz, 2 .. 101 */
	jnz loop32
	.globl after_loop32
after_loop32:
	mov $buf, %edi			/* 102 */
	mov $1000, %ecx			/* 103 */
	cld				/* 104 */
	.globl stos32
stos32:	rep stosb			/* 105 */
	call leaf32			/* 106; leaf32: nop 107, ret 108 */
	.globl last32
last32:	xor %eax, %eax			/* 109 */
	out %al, $0xf4			/* 110: the exit */
	.globl leaf32
leaf32:	nop
	ret
	.section .bss
buf:	.skip 1000
	.section .note.GNU-stack, "", @progbits
