/*
 * Reads the TSC 512 times (and, where the CPU has it, rdrand as often), keeps
 * the last 64 values of each in tsc_buf and rand_buf, and takes a branch on
 * each TSC value's low bit, counting in rbx: a guest whose path differs run
 * to run, for replaying what such instructions yielded (README "Time travel").
 * First it keeps the hypervisor's CPUID signature in kvm_sig ("KVMKVMKVM").
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	mov $0x40000000, %eax		/* the hypervisor's signature, if it offers one */
	cpuid
	mov %ebx, kvm_sig
	mov %ecx, kvm_sig + 4
	mov %edx, kvm_sig + 8
	mov $1, %eax
	cpuid
	mov %ecx, %r12d			/* bit 30: rdrand */
	xor %ebx, %ebx
	xor %edi, %edi
1:	rdtsc
	mov %edi, %esi
	and $63, %esi
	mov %eax, tsc_buf(,%rsi,4)
	test $1, %al
	jz 2f
	inc %ebx			/* a path that depends on the TSC */
2:	bt $30, %r12d
	jnc 3f
	rdrand %eax
	mov %eax, rand_buf(,%rsi,4)
3:	inc %edi
	cmp $512, %edi
	jne 1b
	mov %ebx, %eax
	outb %al, $0xf4
	ud2 /* not reached */
	.section .bss
	.balign 16
	.globl tsc_buf, rand_buf, kvm_sig
tsc_buf:	.skip 256
kvm_sig:	.skip 16
rand_buf:	.skip 256
	.section .note.GNU-stack, "", @progbits
