/*
 * An interrupt table whose gates point at the CPU's own tables: vector 0x80
 * at the page-table root (CR3), 0x81 at the interrupt table itself. Nothing
 * raises them; the guest loads the table, runs on a little, checks that its
 * top-level page-table entry is what it was and exits 43 (1 if it changed).
 * A debugger that plants int3 at every gate's target while counting writes
 * 0xcc into PML4[0]: the guest then triple-faults.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	mov %cr3, %rax
	and $~0xfff, %rax
	mov (%rax), %rbx
	lea idt(%rip), %rdi
	mov $0x80, %ecx
	call set_gate
	lea idt(%rip), %rax
	lea idt(%rip), %rdi
	mov $0x81, %ecx
	call set_gate
	lidt idtr(%rip)
	mov $100, %ecx
1:	dec %ecx
	jnz 1b
	mov %cr3, %rax
	and $~0xfff, %rax
	cmp (%rax), %rbx
	jne 2f
	mov $43, %al
	out %al, $0xf4
	ud2
2:	mov $1, %al
	out %al, $0xf4
	ud2

	.data
	.balign 16
idt:	.fill 256 * 16, 1, 0
idtr:	.word 256 * 16 - 1
	.quad idt

	.section .note.GNU-stack, "", @progbits
