/*
 * Waits with interrupts enabled for a tick that comes once: the PIT in mode 0
 * (one-shot, 10 ms) through the PIC at vector 0x20. After it nothing can
 * interrupt the guest any more, and kvmdbg reports it halted for good (with
 * --irqchip off, at the first hlt: no device raises interrupts there).
 */
#include "lib/pic.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi
	lea tick_isr(%rip), %rax
	mov $0x20, %ecx
	call set_gate
	lidt idtr(%rip)
	pic_init_irq0
	/* PIT channel 0, mode 0: one interrupt after 11932 counts (10 ms). */
	mov $0x30, %al
	out %al, $0x43
	mov $(11932 & 0xff), %al
	out %al, $0x40
	mov $(11932 >> 8), %al
	out %al, $0x40
	sti
	.globl idle
idle:	hlt
	jmp idle

	.section .text.handlers, "ax"
	.balign 4096
	.globl tick_isr
tick_isr:
	pic_count_isr ticks
	.balign 4096

	.data
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.globl ticks
ticks:	.long 0
	.bss
	.balign 4096
idt:	.skip 256 * 16

	.section .note.GNU-stack, "", @progbits
