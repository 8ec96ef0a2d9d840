/*
 * Timer interrupts, counted. The PIT (channel 0, 100 Hz, through the PIC as
 * IRQ 0 at vector 0x20) ticks TICKS times, then the local APIC timer
 * (periodic, 100 Hz, vector 0x40) ticks TICKS times; the exit status is the
 * number of ticks taken. Half of each phase the guest spins, half it waits
 * in hlt. Every instruction is counted by construction: at the exit,
 *
 *   icount = 69 + 3 * rbx + 4 * r12 + 6 * (pit_ticks + apic_ticks)
 *
 * (rbx: turns of the spin loops, r12: turns of the hlt loops; each handler
 * is 6 instructions; the interrupt deliveries themselves are not counted).
 */
#define TICKS 10
#define APIC 0xfee00000
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_TMICT 0x380
#define APIC_TDCR 0x3e0

#include "lib/pic.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi		/* 1 */
	lea pit_isr(%rip), %rax		/* 2 */
	mov $0x20, %ecx			/* 3 */
	call set_gate			/* 4; set_gate: 10, 5 .. 14 */
	lea apic_isr(%rip), %rax	/* 15 */
	mov $0x40, %ecx			/* 16 */
	call set_gate			/* 17; 18 .. 27 */
	lidt idtr(%rip)			/* 28 */
	pic_init_irq0			/* 29 .. 46 */
	/* PIT channel 0: mode 2 (rate generator), 11932 counts: 100 Hz. */
	mov $0x34, %al			/* 47 */
	out %al, $0x43			/* 48 */
	mov $(11932 & 0xff), %al	/* 49 */
	out %al, $0x40			/* 50 */
	mov $(11932 >> 8), %al		/* 51 */
	out %al, $0x40			/* 52 */
	xor %ebx, %ebx			/* 53 */
	xor %r12d, %r12d		/* 54 */
	sti				/* 55 */
	.globl pit_spin
pit_spin:
	inc %rbx			/* 3 per turn */
	cmpl $(TICKS / 2), pit_ticks(%rip)
	jb pit_spin
	.globl pit_wait, pit_hlt
pit_wait:
	inc %r12			/* 4 per turn */
pit_hlt:
	hlt
	cmpl $TICKS, pit_ticks(%rip)
	jb pit_wait
	cli				/* 56 */
	mov $0xff, %al			/* 57 */
	out %al, $0x21			/* 58: IRQ 0 masked */
	/* The local APIC timer: enabled, periodic at vector 0x40, divide by 16,
	 * 625000 counts of KVM's 1 GHz bus: 100 Hz. */
	mov $APIC, %esi			/* 59 */
	movl $0x1ff, APIC_SVR(%rsi)	/* 60 */
	movl $0x3, APIC_TDCR(%rsi)	/* 61 */
	movl $0x20040, APIC_LVT_TIMER(%rsi) /* 62 */
	movl $625000, APIC_TMICT(%rsi)	/* 63 */
	sti				/* 64 */
	.globl apic_spin
apic_spin:
	inc %rbx			/* 3 per turn */
	cmpl $(TICKS / 2), apic_ticks(%rip)
	jb apic_spin
	.globl apic_wait
apic_wait:
	inc %r12			/* 4 per turn */
	hlt
	cmpl $TICKS, apic_ticks(%rip)
	jb apic_wait
	cli				/* 65 */
	movl $0x10000, APIC_LVT_TIMER(%rsi) /* 66: masked */
	mov pit_ticks(%rip), %eax	/* 67 */
	add apic_ticks(%rip), %eax	/* 68 */
	.globl done
done:	out %al, $0xf4			/* 69: the exit */

	/* The handlers on a page of their own, as in icount.S (hosts where int3
	 * does not stop the guest see a handler entered by its page). */
	.section .text.handlers, "ax"
	.balign 4096
	.globl pit_isr
pit_isr:
	pic_count_isr pit_ticks

	.globl apic_isr
apic_isr:
	incl apic_ticks(%rip)
	push %rsi
	mov $APIC, %esi
	movl $0, APIC_EOI(%rsi)
	pop %rsi
	iretq
	.balign 4096

	.data
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.globl pit_ticks, apic_ticks
pit_ticks:
	.long 0
apic_ticks:
	.long 0
	.bss
	.balign 4096
idt:	.skip 256 * 16

	.section .note.GNU-stack, "", @progbits
