/*
 * A guest whose instruction counts are known by construction: after the
 * instruction marked "N", exactly N instructions have retired. Loops, rep
 * string instructions of thousands of bytes, port and MMIO accesses, cpuid,
 * call/ret, a fault into an IDT handler and iretq, int $0x40.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	mov $100, %ecx			/* 1 */
loop:	dec %ecx			/* 100 times: 2 .. 200 (dec), jnz below */
	jnz loop			/* after the loop: 201 */
	.globl after_loop
after_loop:
	lea buf(%rip), %rdi		/* 202 */
	mov $4096, %ecx			/* 203 */
	xor %eax, %eax			/* 204 */
	.globl stos
stos:	rep stosb			/* 205: 4096 bytes, one instruction */
	lea buf(%rip), %rsi		/* 206 */
	lea buf2(%rip), %rdi		/* 207 */
	mov $3000, %ecx			/* 208 */
	.globl movs
movs:	rep movsb			/* 209 */
	.globl port
port:	out %al, $0x80			/* 210: a port nobody claims */
	movabs $0xd0000008, %rbx	/* 211: the test device's SCRATCH */
	movq $5, (%rbx)			/* 212: MMIO store */
	.globl mmio_load
mmio_load:
	mov (%rbx), %rax		/* 213: MMIO load */
	xor %eax, %eax			/* 214 */
	.globl cpuid_insn
cpuid_insn:
	cpuid				/* 215 */
	.globl call_insn
call_insn:
	call leaf			/* 216; leaf: nop 217, ret 218 */
	/* IDT gate 6 (#UD) and 0x40, 64-bit interrupt gates in segment 0x18. */
	lea idt(%rip), %rdi		/* 219 */
	lea ud_handler(%rip), %rax	/* 220 */
	mov $6, %ecx			/* 221 */
	call set_gate			/* 222; set_gate: 10 instructions, 223 .. 232 */
	lea int_handler(%rip), %rax	/* 233 */
	mov $0x40, %ecx			/* 234 */
	call set_gate			/* 235; 236 .. 245 */
	lidt idtr(%rip)			/* 246 */
	.globl fault
fault:	ud2				/* faults: not counted; ud_handler: 247, 248 */
	.globl swint
swint:	int $0x40			/* 249; int_handler: iretq 250 */
	.globl last
last:	mov $0, %al			/* 251 */
	out %al, $0xf4			/* 252: the exit */

	.globl leaf
leaf:	nop
	ret

	/*
	 * The handlers have a page of their own: on hosts where neither int3
	 * nor DR0-DR3 stop the guest (nested SVM under QEMU's emulation),
	 * kvmdbg sees a handler entered only by taking its page out of the
	 * map, which it cannot do while stepping the faulting code on the
	 * same page, nor while the CPU reads the interrupt table from it to
	 * deliver the exception (README, KVM hosts).
	 */
	.section .text.handlers, "ax"
	.balign 4096
	.globl ud_handler
ud_handler:
	addq $2, (%rsp)
	iretq

	.globl int_handler
int_handler:
	iretq
	.balign 4096

	.section .rodata
	.balign 8
idtr:	.word 16*256 - 1
	.quad idt
	.section .bss
	.balign 16
idt:	.skip 16*256
buf:	.skip 4096
buf2:	.skip 4096
	.section .note.GNU-stack, "", @progbits
