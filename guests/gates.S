/*
 * Interrupt gates the way kernels set them up, for kvmdbg's delivery of
 * software interrupts (src/x86/deliver.c): the guest loads its own GDT (two
 * 64-bit code segments, 0x18 as kvmdbg's loader has it and 0x28) and a TSS
 * whose IST1 is a stack of its own; int $0x40 goes through an interrupt gate
 * to 0x18, int $0x41 through a gate with IST 1 to the other code segment,
 * whose handler notes its stack pointer and CS. Each handler prints a line on
 * the debug console; the guest exits 0.
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	/* The TSS descriptor's base, then the GDT, the TSS and the gates. */
	lea tss(%rip), %rax
	mov %ax, gdt + 0x32(%rip)
	shr $16, %rax
	mov %al, gdt + 0x34(%rip)
	mov %ah, gdt + 0x37(%rip)
	shr $16, %rax
	mov %eax, gdt + 0x38(%rip)
	lgdt gdtr(%rip)
	mov $0x30, %ax
	ltr %ax
	lea ist_top(%rip), %rax
	mov %rax, tss + 0x24(%rip)
	lea idt(%rip), %rdi
	lea int_handler(%rip), %rax
	mov $0x40, %ecx
	call set_gate
	lea ist_handler(%rip), %rax
	mov $0x41, %ecx
	call set_gate
	movw $0x28, idt + 16 * 0x41 + 2(%rip)	/* the other code segment */
	movb $1, idt + 16 * 0x41 + 4(%rip)	/* IST 1 */
	lidt idtr(%rip)
	.globl swint
swint:
	int $0x40
	.globl swint_ist
swint_ist:
	int $0x41
	.globl after_ist
after_ist:
	xor %eax, %eax
	out %al, $0xf4

	.globl int_handler
int_handler:
	mov $'I', %al
	out %al, $0xe9
	mov $'\n', %al
	out %al, $0xe9
	iretq

	.globl ist_handler
ist_handler:
	mov %rsp, ist_seen(%rip)
	mov %cs, cs_seen(%rip)
	mov $'S', %al
	out %al, $0xe9
	mov $'\n', %al
	out %al, $0xe9
	iretq

	.section .rodata
	.balign 8
idtr:	.word 16*256 - 1
	.quad idt
gdtr:	.word gdt_end - gdt - 1
	.quad gdt

	.data
	.balign 16
gdt:	.quad 0
	.quad 0x00cf9b000000ffff	/* 0x08: 32-bit code (as kvmdbg's) */
	.quad 0x00cf93000000ffff	/* 0x10: data */
	.quad 0x00af9b000000ffff	/* 0x18: 64-bit code */
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x28: 64-bit code, the IST gate's */
	.quad 0x0000890000000067	/* 0x30: 64-bit TSS, base filled in */
	.quad 0
gdt_end:
	.globl ist_seen, cs_seen
ist_seen: .quad 0
cs_seen: .quad 0

	.section .bss
	.balign 16
idt:	.skip 16*256
tss:	.skip 0x68
	.balign 16
ist_stack: .skip 256
	.globl ist_top
ist_top:
	.section .note.GNU-stack, "", @progbits
