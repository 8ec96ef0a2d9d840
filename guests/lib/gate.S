/*
 * set_gate: a 64-bit interrupt gate for vector ecx to the handler at rax, in
 * kvmdbg's code segment 0x18, in the interrupt table at rdi. Ten
 * instructions with the ret (guests that count instructions rely on it).
 */
	.text
	.code64
	.globl set_gate
set_gate:
	shl $4, %ecx
	add %rdi, %rcx
	mov %ax, (%rcx)
	movw $0x18, 2(%rcx)
	movw $0x8e00, 4(%rcx)
	shr $16, %rax
	mov %ax, 6(%rcx)
	shr $16, %rax
	mov %eax, 8(%rcx)
	ret

	.section .note.GNU-stack, "", @progbits
