/*
 * The guest's own int3: an IDT whose #BP handler prints "#BP" on the debug
 * console and returns; the code around it prints "before" and "after", then
 * exits 0. A debugger must deliver this int3 to the guest, not take it.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	/* IDT entry 3: a 64-bit interrupt gate to bp_handler in code segment 0x18. */
	lea bp_handler(%rip), %rax
	lea idt(%rip), %rdi
	mov %ax, 3*16(%rdi)
	movw $0x18, 3*16+2(%rdi)
	movw $0x8e00, 3*16+4(%rdi)
	shr $16, %rax
	mov %ax, 3*16+6(%rdi)
	shr $16, %rax
	mov %eax, 3*16+8(%rdi)
	lidt idtr(%rip)
	lea before(%rip), %rsi
	call puts
	.globl guest_int3
guest_int3:
	int3
	.globl after_int3
after_int3:
	lea after(%rip), %rsi
	call puts
	xor %eax, %eax
	out %al, $0xf4
	ud2

	.globl bp_handler
bp_handler:
	push %rsi
	lea caught(%rip), %rsi
	call puts
	pop %rsi
	iretq

/* Prints the NUL-terminated string at rsi on port 0xe9. */
puts:
	push %rax
	push %rdx
	mov $0xe9, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	pop %rdx
	pop %rax
	ret

	.section .rodata
before:	.asciz "before\n"
caught:	.asciz "#BP\n"
after:	.asciz "after\n"
	.balign 8
idtr:	.word 16*256 - 1
	.quad idt
	.section .bss
	.balign 16
idt:	.skip 16*256
	.section .note.GNU-stack, "", @progbits
