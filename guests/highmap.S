/*
 * Maps itself a second time at 0xffff800000000000 (a PML4 entry of its own
 * in kvmdbg's page tables, a 2 MiB page at physical 0) and jumps to
 * high_alias there: code at an address that is not mapped when the guest
 * starts, as a kernel's is before its page tables exist. Exits 7 from there.
 */
#define HIGH 0xffff800000000000
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	mov %cr3, %rax
	and $~0xfff, %rax
	lea pdpt(%rip), %rbx
	or $3, %rbx
	mov %rbx, 256 * 8(%rax)		/* PML4[256]: HIGH */
	lea pd(%rip), %rbx
	or $3, %rbx
	mov %rbx, pdpt(%rip)
	movq $0x83, pd(%rip)		/* present, writable, 2 MiB at 0 */
	mov %cr3, %rax
	mov %rax, %cr3
	movabs $high_alias, %rax
	jmp *%rax

	.globl high_code
high_code:
	mov $7, %al
	out %al, $0xf4
	.globl high_alias
	.set high_alias, high_code + HIGH

	.bss
	.balign 4096
pdpt:	.skip 4096
pd:	.skip 4096
	.section .note.GNU-stack, "", @progbits
