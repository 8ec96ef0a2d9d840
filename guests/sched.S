/*
 * A scheduler on the timer's tick, for time travel through interrupts
 * (--clock icount --history): two tasks, each on a stack of its own, count
 * in counter_a and counter_b; the PIT (mode 2, a count of 3: one tick per
 * 2514 instructions) interrupts through the PIC at vector 0x20, and the
 * handler saves the running task's registers on its stack, keeps its stack
 * pointer in its task record, and switches `current` to the other one. After
 * tick_limit ticks (10; a debugger may set it before the run) the handler
 * ends the run with the number of switches made (the exit status, & 0xff).
 */
#include "lib/pic.h"

#define COUNT 3
#define TASK_RSP 0	/* struct task: the saved stack pointer */

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi
	lea tick(%rip), %rax
	mov $0x20, %ecx
	call set_gate
	lidt idtr(%rip)
	pic_init_irq0
	/* Task B's stack as if the timer had interrupted it at its start:
	 * an iretq frame, then the 15 registers the handler pops. */
	lea stack_b_top(%rip), %rsp
	push $0x10			/* ss */
	lea stack_b_top(%rip), %rax
	push %rax			/* rsp */
	push $0x202			/* rflags: IF */
	push $0x18			/* cs */
	lea task_b(%rip), %rax
	push %rax			/* rip */
	xor %eax, %eax
	mov $15, %ecx
1:	push %rax
	loop 1b
	mov %rsp, task_b_rec + TASK_RSP(%rip)
	lea task_a_rec(%rip), %rax
	mov %rax, current(%rip)
	lea stack_a_top(%rip), %rsp
	/* PIT channel 0: mode 2 (rate generator), COUNT counts. */
	mov $0x34, %al
	out %al, $0x43
	mov $COUNT, %al
	out %al, $0x40
	xor %eax, %eax
	out %al, $0x40
	sti
	.globl task_a
task_a:
	incq counter_a(%rip)
	jmp task_a

	.globl task_b
task_b:
	incq counter_b(%rip)
	jmp task_b

	.section .text.handlers, "ax"
	.balign 4096
	.globl tick, switch_to
tick:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	incl ticks(%rip)
	mov $0x20, %al			/* EOI to the master PIC */
	out %al, $0x20
	mov tick_limit(%rip), %ecx
	cmp %ecx, ticks(%rip)
	jae finish
	mov current(%rip), %rax
	mov %rsp, TASK_RSP(%rax)
	lea task_a_rec(%rip), %rbx
	lea task_b_rec(%rip), %rcx
	cmp %rax, %rbx
	cmove %rcx, %rbx		/* the other task */
switch_to:
	mov %rbx, current(%rip)
	incl switches(%rip)
	mov TASK_RSP(%rbx), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	iretq
finish:
	mov switches(%rip), %eax
	out %al, $0xf4
	.balign 4096

	.data
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.globl current, ticks, tick_limit, switches, counter_a, counter_b, task_a_rec, task_b_rec
tick_limit:
	.long 10
current:
	.quad 0
ticks:	.long 0
switches:
	.long 0
counter_a:
	.quad 0
counter_b:
	.quad 0
task_a_rec:
	.quad 0
task_b_rec:
	.quad 0
	.bss
	.balign 4096
idt:	.skip 256 * 16
	.balign 16
	.skip 4096
stack_a_top:
	.skip 4096
stack_b_top:

	.section .note.GNU-stack, "", @progbits
