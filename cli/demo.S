/* The built-in demo guest, run when kvmdbg is given no guest. */
	.section .rodata
	.balign 16
	.globl demo_guest_start
	.globl demo_guest_end
demo_guest_start:
	.incbin DEMO_GUEST
demo_guest_end:
	.section .note.GNU-stack,"",@progbits
