/*
 * Entry of the C guests, for every mode: kvmdbg (or a multiboot loader) has
 * set up a stack; call main() and hand its result to the exit port.
 */
#define MULTIBOOT_MAGIC 0x1badb002
#define MULTIBOOT_FLAGS 0x00000003 /* align modules, want memory info */

	.section .text.entry, "ax"
#if defined(GUEST_32)
	/* A multiboot header, so that other loaders (QEMU -kernel) run us too. */
	.balign 4
multiboot_header:
	.long MULTIBOOT_MAGIC
	.long MULTIBOOT_FLAGS
	.long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
#endif
	.globl _start
_start:
#if defined(GUEST_16)
	.code16gcc
	/* Real mode: kvmdbg sets ds = es = ss = cs; keep them, clear direction. */
	cld
	calll main
	pushl %eax
	calll guest_exit
#elif defined(GUEST_32)
	.code32
	/* The multiboot hand-over: magic in eax, information block in ebx. */
	movl %eax, multiboot_magic
	movl %ebx, multiboot_info
	cld
	call main
	pushl %eax
	call guest_exit
#else
	.code64
	cld
	call main
	movl %eax, %edi
	call guest_exit
#endif
#if defined(GUEST_32)
	.section .bss
	.balign 4
	.globl multiboot_magic
	.globl multiboot_info
multiboot_magic:
	.long 0
multiboot_info:
	.long 0
#endif
	.section .note.GNU-stack, "", @progbits
