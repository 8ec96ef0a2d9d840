/*
 * Timer interrupts on instruction-count time (--clock icount): the PIT
 * (channel 0, mode 2, a count of 2: 1676 ns, so one tick per 1676
 * instructions) through the PIC as IRQ 0 at vector 0x20 ticks TICKS times;
 * the exit status is the number of ticks taken. Half of them the guest
 * spins, half it waits in hlt (time jumps to the next tick). Every
 * instruction is counted by construction: at the exit,
 *
 *   icount = 45 + 3 * rbx + 4 * r12 + 6 * ticks
 *
 * (rbx: turns of the spin loop, r12: turns of the hlt loop; the handler is
 * 6 instructions; the interrupt deliveries themselves are not counted).
 */
#define TICKS 8
#define COUNT 2

#include "lib/pic.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi		/* 1 */
	lea pit_isr(%rip), %rax		/* 2 */
	mov $0x20, %ecx			/* 3 */
	call set_gate			/* 4; set_gate: 10, 5 .. 14 */
	lidt idtr(%rip)			/* 15 */
	pic_init_irq0			/* 16 .. 33 */
	/* PIT channel 0: mode 2 (rate generator), COUNT counts. */
	mov $0x34, %al			/* 34 */
	out %al, $0x43			/* 35 */
	mov $COUNT, %al			/* 36 */
	out %al, $0x40			/* 37 */
	xor %eax, %eax			/* 38 */
	out %al, $0x40			/* 39 */
	xor %ebx, %ebx			/* 40 */
	xor %r12d, %r12d		/* 41 */
	sti				/* 42 */
	.globl spin
spin:
	inc %rbx			/* 3 per turn */
	cmpl $(TICKS / 2), ticks(%rip)
	jb spin
	.globl wait, halt
wait:
	inc %r12			/* 4 per turn */
halt:
	hlt
	cmpl $TICKS, ticks(%rip)
	jb wait
	cli				/* 43: then 44, 45 */
	mov ticks(%rip), %eax
	.globl done
done:	out %al, $0xf4			/* the exit */

	/* The handler on a page of its own, as in icount.S (hosts where int3
	 * does not stop the guest see a handler entered by its page). */
	.section .text.handlers, "ax"
	.balign 4096
	.globl pit_isr
pit_isr:
	pic_count_isr ticks
	.balign 4096

	.data
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.globl ticks
ticks:
	.long 0
	.bss
	.balign 4096
idt:	.skip 256 * 16

	.section .note.GNU-stack, "", @progbits
