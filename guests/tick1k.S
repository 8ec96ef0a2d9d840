/*
 * tests/bench/trace.sh's guest: a 1 kHz timer (the PIT through the PIC,
 * vector 0x20) and a #UD every 65536 turns of a loop of WORK turns, each
 * handled (the #UD handler skips the ud2); the guest prints a line once set
 * up, then runs the loop and exits with the ticks it took (mod 256). Fixed
 * work, so that its run time shows what tracing costs.
 */
#include "lib/pic.h"

#ifndef WORK
#define WORK (1 << 20)
#endif

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi
	lea tick_isr(%rip), %rax
	mov $0x20, %ecx
	call set_gate
	lea ud_isr(%rip), %rax
	mov $6, %ecx
	call set_gate
	lidt idtr(%rip)
	pic_init_irq0
	/* PIT channel 0: mode 2, 1193 counts: 1 kHz. */
	mov $0x34, %al
	out %al, $0x43
	mov $(1193 & 0xff), %al
	out %al, $0x40
	mov $(1193 >> 8), %al
	out %al, $0x40
	lea hello(%rip), %rsi
1:	lodsb
	test %al, %al
	jz 2f
	out %al, $0xe9
	jmp 1b
2:	sti
	mov $WORK, %ecx
	.globl work
work:
	test $0xffff, %ecx
	jnz 3f
	.globl ud_insn
ud_insn:
	ud2
3:	dec %ecx
	jnz work
	cli
	mov ticks(%rip), %eax
	out %al, $0xf4

	/* Each handler on a page of its own: where breakpoints go by page
	 * (nested SVM), a traced #UD's page is taken out of the map and run
	 * by steps, which the timer's handler must not share (README: KVM hosts). */
	.section .text.handlers, "ax"
	.balign 4096
	.globl tick_isr
tick_isr:
	pic_count_isr ticks
	.balign 4096
	.globl ud_isr
ud_isr:
	addq $2, (%rsp)
	iretq
	.balign 4096

	.section .rodata
	.balign 8
idtr:	.word 16 * 256 - 1
	.quad idt
hello:	.asciz "tick1k: set up\n"

	.data
	.balign 4
	.globl ticks
ticks:	.long 0

	.bss
	.balign 4096
idt:	.skip 16 * 256

	.section .note.GNU-stack, "", @progbits
