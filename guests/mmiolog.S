/*
 * A known sequence of MMIO and port accesses for the access log: every size
 * (1, 2, 4, 8 bytes) both ways on the test device, 1/2/4-byte port writes
 * and reads on a port nobody claims, an unclaimed MMIO read, then a burst of
 * 400 coalesced byte writes to the data window (more than the ring holds),
 * one read back, and the exit. The instruction marked N is the N-th to
 * retire, so its access is logged at icount N - 1.
 */
#include "../src/devices/layout.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	movabs $LAYOUT_TESTDEV_BASE, %rbx	/* 1 */
	.globl a_id
a_id:	mov TESTDEV_ID(%rbx), %rax		/* 2 */
	movabs $0x1122334455667788, %rax	/* 3 */
	.globl a_wq
a_wq:	mov %rax, TESTDEV_SCRATCH(%rbx)		/* 4 */
	.globl a_wb
a_wb:	movb $0xaa, TESTDEV_SCRATCH+1(%rbx)	/* 5 */
	.globl a_ww
a_ww:	movw $0xbeef, TESTDEV_SCRATCH+2(%rbx)	/* 6 */
	.globl a_wl
a_wl:	movl $0xcafef00d, TESTDEV_SCRATCH+4(%rbx) /* 7 */
	.globl a_rb
a_rb:	movb TESTDEV_SCRATCH(%rbx), %al		/* 8 */
	.globl a_rw
a_rw:	movw TESTDEV_SCRATCH+2(%rbx), %ax	/* 9 */
	.globl a_rl
a_rl:	movl TESTDEV_SCRATCH+4(%rbx), %eax	/* 10 */
	.globl a_rq
a_rq:	mov TESTDEV_SCRATCH(%rbx), %rax		/* 11 */
	mov $0x2f8, %edx			/* 12: COM2, no device */
	mov $0x12345678, %eax			/* 13 */
	.globl p_ob
p_ob:	outb %al, %dx				/* 14 */
	.globl p_ow
p_ow:	outw %ax, %dx				/* 15 */
	.globl p_ol
p_ol:	outl %eax, %dx				/* 16 */
	.globl p_ib
p_ib:	inb %dx, %al				/* 17 */
	.globl p_iw
p_iw:	inw %dx, %ax				/* 18 */
	.globl p_il
p_il:	inl %dx, %eax				/* 19 */
	movabs $0xd0100000, %rcx		/* 20: no device */
	.globl u_r
u_r:	mov (%rcx), %eax			/* 21 */
	lea TESTDEV_DATA(%rbx), %rdi		/* 22 */
	xor %ecx, %ecx				/* 23 */
	/* Iteration i (0..399): its store is instruction 24 + 4i. */
	.globl c_w
c_w:	mov %cl, (%rdi,%rcx)
	inc %ecx
	cmp $400, %ecx
	jne c_w					/* last: 1623 */
	.globl c_r
c_r:	mov TESTDEV_DATA+399(%rbx), %al		/* 1624: 399 & 0xff */
	mov $0, %al				/* 1625 */
	.globl done
done:	out %al, $LAYOUT_EXIT_PORT		/* 1626 */
