/*
 * Exceptions and software interrupts with the guest's own handlers: ud2 into
 * a #UD handler that skips it, int $0x40 into a handler; each prints a line on
 * the debug console, and the guest exits 0. On PVM, KVM's emulator cannot run
 * int n at CPL0, so kvmdbg delivers it.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi
	lea ud_handler(%rip), %rax
	mov $6, %ecx
	call set_gate
	lea int_handler(%rip), %rax
	mov $0x40, %ecx
	call set_gate
	lidt idtr(%rip)
	.globl fault
fault:
	ud2
	.globl swint
swint:
	int $0x40
	.globl after_int
after_int:
	xor %eax, %eax
	out %al, $0xf4

	.globl ud_handler
ud_handler:
	mov $'U', %al
	out %al, $0xe9
	mov $'\n', %al
	out %al, $0xe9
	addq $2, (%rsp)
	iretq

	.globl int_handler
int_handler:
	mov $'I', %al
	out %al, $0xe9
	mov $'\n', %al
	out %al, $0xe9
	iretq

	.section .rodata
	.balign 8
idtr:	.word 16*256 - 1
	.quad idt
	.section .bss
	.balign 16
idt:	.skip 16*256
	.section .note.GNU-stack, "", @progbits
