/*
 * A load from an unmapped address (0x7f0000000040: PML4 entry 254 is not
 * present) whose #PF cannot be delivered, in the way the including file
 * picks (FAULTS_CASE), so that the CPU shuts down (tests/faults.bats reads
 * kvmdbg's explanation of each):
 *   1 the IDT's limit (0, as kvmdbg's loader leaves it) holds no vector;
 *   2 gates 14 and 8 are interrupt gates marked not present;
 *   3 gates 14 and 8 name a selector beyond the GDT's limit;
 *   4 gates 14 and 8 are good but the stack is not mapped;
 *   5 gate 14 names a bad selector, and gate 8 is a call gate.
 * If the #PF were delivered after all, its handler exits with status 7.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
#if FAULTS_CASE != 1
	lea idt(%rip), %rdi
#if FAULTS_CASE >= 2
	lea handler(%rip), %rax
	mov $14, %ecx
	call set_gate
	lea handler(%rip), %rax
	mov $8, %ecx
	call set_gate
#endif
#if FAULTS_CASE == 2
	movb $0x0e, idt + 16 * 14 + 5(%rip)
	movb $0x0e, idt + 16 * 8 + 5(%rip)
#elif FAULTS_CASE == 3
	movw $0xfff8, idt + 16 * 14 + 2(%rip)
	movw $0xfff8, idt + 16 * 8 + 2(%rip)
#elif FAULTS_CASE == 4
	movabs $0x7f0000100000, %rsp
#elif FAULTS_CASE == 5
	movw $0xfff8, idt + 16 * 14 + 2(%rip)
	movb $0x8c, idt + 16 * 8 + 5(%rip)
#endif
	lidt idtr(%rip)
#endif
	movabs $0x7f0000000040, %rcx
	.globl bad_load
bad_load:
	mov (%rcx), %rax
	xor %eax, %eax
	out %al, $0xf4

	.globl handler
handler:
	mov $7, %al
	out %al, $0xf4

	.section .rodata
	.balign 8
idtr:	.word 16 * 256 - 1
	.quad idt

	.bss
	.balign 16
idt:	.skip 16 * 256

	.section .note.GNU-stack, "", @progbits
