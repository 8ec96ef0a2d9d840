/*
 * Working #PF, #GP and #UD handlers (tests/faults.bats, catching): a load
 * from an unmapped address (#PF), ud2 (#UD) and a load from a non-canonical
 * address (#GP). Each handler checks the frame the CPU gave it (the error
 * code, the return address, CR2 for the #PF), exits with status 99 if it is
 * wrong, else notes that it ran and lets the instruction go on: the #PF and
 * #GP handlers point the faulting register at mapped data (the load then
 * reads 0x1234), the #UD handler skips the ud2. The exit status says which
 * handler did not run: 1 #PF, 2 #GP, 4 #UD (0: all three ran once).
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi
	lea pf_handler(%rip), %rax
	mov $14, %ecx
	call set_gate
	lea gp_handler(%rip), %rax
	mov $13, %ecx
	call set_gate
	lea ud_handler(%rip), %rax
	mov $6, %ecx
	call set_gate
	lidt idtr(%rip)
	/* A line on the debug console, as a guest would print once set up. */
	lea hello(%rip), %rsi
1:	lodsb
	test %al, %al
	jz 2f
	out %al, $0xe9
	jmp 1b
2:
	movabs $0x7f0000000040, %rcx
	.globl pf_load
pf_load:
	mov (%rcx), %rax
	cmp $0x1234, %rax
	jne bad
	.globl ud_insn
ud_insn:
	ud2
	movabs $0x8000000000000000, %rdx
	.globl gp_load
gp_load:
	mov (%rdx), %rax
	cmp $0x1234, %rax
	jne bad
	mov ran(%rip), %eax
	xor $7, %eax
	out %al, $0xf4
bad:
	mov $99, %al
	out %al, $0xf4

	/* The handlers on a page of their own, as a kernel's entry code is
	 * (where breakpoints go by page, nested SVM, a handler on the faulting
	 * code's page is entered unseen: README, KVM hosts). */
	.balign 4096
	.globl pf_handler
pf_handler:
	cmpq $0, (%rsp)
	jne bad
	lea pf_load(%rip), %rax
	cmp %rax, 8(%rsp)
	jne bad
	mov %cr2, %rax
	movabs $0x7f0000000040, %rbx
	cmp %rbx, %rax
	jne bad
	lea ok_data(%rip), %rcx
	addl $1, ran(%rip)
	add $8, %rsp
	iretq

	.globl gp_handler
gp_handler:
	cmpq $0, (%rsp)
	jne bad
	lea gp_load(%rip), %rax
	cmp %rax, 8(%rsp)
	jne bad
	lea ok_data(%rip), %rdx
	addl $2, ran(%rip)
	add $8, %rsp
	iretq

	.globl ud_handler
ud_handler:
	lea ud_insn(%rip), %rax
	cmp %rax, (%rsp)
	jne bad
	addq $2, (%rsp)
	addl $4, ran(%rip)
	iretq

	.section .rodata
	.balign 8
idtr:	.word 16 * 256 - 1
	.quad idt
hello:	.asciz "catch: handlers set\n"

	.data
	.balign 8
	.globl ok_data
ok_data: .quad 0x1234
	.globl ran
ran:	.long 0

	/* (On a page of its own, as kernels have it: kvmdbg plants no int3 on
	 * a page the CPU reads as a table.) */
	.bss
	.balign 4096
idt:	.skip 16 * 256

	.section .note.GNU-stack, "", @progbits
