/*
 * 32-bit protected mode (a multiboot kernel) with interrupt and trap gates,
 * for kvmdbg's delivery of software interrupts (src/x86/deliver.c): int
 * $0x40 through an interrupt gate (IF cleared), int $0x41 through a trap
 * gate (IF kept), both to kvmdbg's code segment 0x08, with interrupts on.
 * Each handler notes the flags it runs with and prints a line on the debug
 * console; the guest exits 0.
 */
#define MULTIBOOT_MAGIC 0x1badb002
#define MULTIBOOT_FLAGS 0x00000003
	.section .text.entry, "ax"
	.code32
	.balign 4
	.long MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
	.globl _start
_start:
	mov $stack_top, %esp
	mov $int_handler, %eax
	mov $0x40, %ecx
	mov $0x8e00, %edx
	call set_gate32
	mov $trap_handler, %eax
	mov $0x41, %ecx
	mov $0x8f00, %edx
	call set_gate32
	lidt idtr
	sti
	.globl swtrap32
swtrap32:
	int $0x41
	.globl swint32
swint32:
	int $0x40
	.globl after32
after32:
	cli
	xor %eax, %eax
	out %al, $0xf4

/* The handlers do not return with iret (KVM's emulator, which runs this on
 * PVM, has no protected-mode iret): each drops its frame and goes on. */
	.globl trap_handler
trap_handler:
	pushf
	popl flags_trap
	mov $'T', %al
	out %al, $0xe9
	mov $'\n', %al
	out %al, $0xe9
	add $12, %esp
	jmp swint32

	.globl int_handler
int_handler:
	pushf
	popl flags_int
	mov $'I', %al
	out %al, $0xe9
	mov $'\n', %al
	out %al, $0xe9
	add $12, %esp
	jmp after32

/* A gate for vector ecx to eax, its type word edx, code segment 0x08. */
set_gate32:
	lea idt(,%ecx,8), %ecx
	mov %ax, (%ecx)
	movw $0x08, 2(%ecx)
	mov %dx, 4(%ecx)
	shr $16, %eax
	mov %ax, 6(%ecx)
	ret

	.section .rodata
	.balign 4
idtr:	.word 8*256 - 1
	.long idt
	.data
	.globl flags_int, flags_trap
flags_int: .long 0
flags_trap: .long 0
	.section .bss
	.balign 8
idt:	.skip 8*256
stack:	.skip 1024
stack_top:
	.section .note.GNU-stack, "", @progbits
