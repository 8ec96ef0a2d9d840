/*
 * A bzImage that is not Linux: the setup header of Linux's boot protocol
 * (2.15, a 64-bit entry point), and at the 64-bit entry code that prints what
 * the loader handed over in the zero page (rsi): the loader type, the
 * command line, the e820 map, the initrd's size and first bytes, the
 * segments and where it runs; then what fw_cfg's loader items say (the
 * setup part's size and boot flag, the kernel's place and size and whether
 * its first bytes are those in RAM, the command line's size, the initrd's).
 * Position-independent: it runs where the
 * header's pref_address puts it (16 MiB). Exits 0 through port 0xf4.
 */
	.section .text.entry, "ax"
	.code64
setup:
	.org 0x1f1
	.byte 1				/* setup_sects: the kernel starts at 0x400 */
	.word 0				/* root_flags */
	.long 0				/* syssize */
	.word 0				/* ram_size */
	.word 0xffff			/* vid_mode */
	.word 0				/* root_dev */
	.word 0xaa55			/* boot_flag */
	.byte 0xeb, 0x66		/* jump: the header ends at 0x268 */
	.ascii "HdrS"			/* 0x202 */
	.word 0x020f			/* version 2.15 */
	.long 0, 0			/* realmode_swtch, start_sys_seg + kernel_version */
	.byte 0				/* type_of_loader (the loader's) */
	.byte 1				/* loadflags: LOADED_HIGH */
	.word 0				/* setup_move_size */
	.long 0x100000			/* code32_start */
	.long 0, 0			/* ramdisk_image, ramdisk_size (the loader's) */
	.long 0				/* bootsect_kludge */
	.word 0				/* heap_end_ptr */
	.byte 0, 0			/* ext_loader_ver, ext_loader_type */
	.long 0				/* cmd_line_ptr (the loader's) */
	.long 0x7fffffff		/* initrd_addr_max */
	.long 0x200000			/* kernel_alignment */
	.byte 1, 21			/* relocatable_kernel, min_alignment */
	.word 1				/* xloadflags: XLF_KERNEL_64 */
	.long 255			/* cmdline_size */
	.long 0				/* hardware_subarch */
	.quad 0				/* hardware_subarch_data */
	.long 0, 0			/* payload_offset, payload_length */
	.quad 0				/* setup_data */
	.quad 0x1000000			/* pref_address: 16 MiB */
	.long 0x100000			/* init_size */
	.long 0, 0			/* handover_offset, kernel_info_offset */

	.org 0x400			/* the protected-mode kernel: loaded at pref_address */
startup_32:
	hlt				/* not entered: kvmdbg uses the 64-bit entry */
	.org 0x600			/* startup_64, at +0x200 */
startup_64:
	mov %rsi, %r15			/* the zero page */
	lea msg_loader(%rip), %rdi
	call puts
	movzbl 0x210(%r15), %eax	/* type_of_loader */
	call puthex
	lea msg_cmdline(%rip), %rdi
	call puts
	mov 0x228(%r15), %edi		/* cmd_line_ptr, and ext_cmd_line_ptr above it */
	mov 0xc8(%r15), %eax
	shl $32, %rax
	or %rax, %rdi
	call puts
	lea msg_e820(%rip), %rdi
	call puts
	movzbl 0x1e8(%r15), %ebx	/* e820_entries */
	mov %rbx, %rax
	call puthex
	lea 0x2d0(%r15), %r12		/* e820_table */
1:	test %rbx, %rbx
	jz 2f
	lea msg_space(%rip), %rdi
	call puts
	mov (%r12), %rax
	call puthex
	lea msg_plus(%rip), %rdi
	call puts
	mov 8(%r12), %rax
	call puthex
	add $20, %r12
	dec %rbx
	jmp 1b
2:	lea msg_initrd(%rip), %rdi
	call puts
	mov 0x21c(%r15), %eax		/* ramdisk_size */
	call puthex
	cmpl $0, 0x21c(%r15)
	je 3f
	lea msg_space(%rip), %rdi
	call puts
	mov 0x218(%r15), %edi		/* ramdisk_image: its first 4 bytes */
	mov (%rdi), %eax
	mov %eax, word(%rip)
	lea word(%rip), %rdi
	call puts
3:	lea msg_fwcfg(%rip), %rdi
	mov $0x17, %ax			/* FWCFG_SETUP_SIZE */
	call fwshow
	lea msg_space(%rip), %rdi
	call puts
	mov $0x18, %ax			/* FWCFG_SETUP_DATA: bytes 0x1fe-0x201 */
	call fwsel
	mov $0x1fe, %ecx
4:	in %dx, %al
	dec %ecx
	jnz 4b
	call fwread32
	call puthex
	lea msg_kernel(%rip), %rdi
	mov $0x07, %ax			/* FWCFG_KERNEL_ADDR */
	call fwshow
	mov %ebx, %r14d
	lea msg_plus(%rip), %rdi
	mov $0x08, %ax			/* FWCFG_KERNEL_SIZE */
	call fwshow
	mov $0x11, %ax			/* FWCFG_KERNEL_DATA: its first 4 bytes */
	call fwsel
	call fwread32
	lea msg_same(%rip), %rdi
	cmp (%r14), %eax
	je 5f
	lea msg_differs(%rip), %rdi
5:	call puts
	lea msg_fwcmdline(%rip), %rdi
	mov $0x14, %ax			/* FWCFG_CMDLINE_SIZE */
	call fwshow
	lea msg_fwinitrd(%rip), %rdi
	mov $0x0b, %ax			/* FWCFG_INITRD_SIZE */
	call fwshow
	lea msg_cs(%rip), %rdi
	call puts
	mov %cs, %eax
	call puthex
	lea msg_ds(%rip), %rdi
	call puts
	mov %ds, %eax
	call puthex
	lea msg_at(%rip), %rdi
	call puts
	lea startup_64(%rip), %rax
	call puthex
	lea msg_nl(%rip), %rdi
	call puts
	xor %eax, %eax
	out %al, $0xf4
	ud2

/* Selects fw_cfg's item ax; dx is left at its data port. */
fwsel:	mov $0x510, %dx
	out %ax, %dx
	inc %dx
	ret

/* Prints the string at rdi, then fw_cfg item ax's first 4 bytes in hex
 * (little-endian), which are left in ebx. */
fwshow:	mov %ax, %bx
	call puts
	mov %bx, %ax
	call fwsel
	call fwread32
	mov %eax, %ebx
	jmp puthex

/* Reads the selected item's next 4 bytes (little-endian) into eax. */
fwread32:
	mov $0x511, %dx
	mov $4, %ecx
	xor %r10d, %r10d
1:	in %dx, %al
	shr $8, %r10d
	movzbl %al, %eax
	shl $24, %eax
	or %eax, %r10d
	dec %ecx
	jnz 1b
	mov %r10d, %eax
	ret

/* Prints the NUL-terminated string at rdi (the UART's transmitter is always ready). */
puts:	movzbl (%rdi), %eax
	test %al, %al
	jz 1f
	mov $0x3f8, %dx
	out %al, %dx
	inc %rdi
	jmp puts
1:	ret

/* Prints rax in hex, "0x" first. */
puthex:	mov %rax, %r8
	mov $0x3f8, %dx
	mov $'0', %al
	out %al, %dx
	mov $'x', %al
	out %al, %dx
	mov $60, %ecx
	xor %r9d, %r9d			/* a digit printed yet */
1:	mov %r8, %rax
	shr %cl, %rax
	and $15, %eax
	or %eax, %r9d
	jnz 2f
	test %ecx, %ecx
	jnz 3f
2:	lea digits(%rip), %rsi
	movzbl (%rsi,%rax), %eax
	out %al, %dx
3:	sub $4, %ecx
	jns 1b
	ret

digits:	.ascii "0123456789abcdef"
msg_loader: .asciz "bzImage: loader "
msg_cmdline: .asciz "\ncmdline: "
msg_e820: .asciz "\ne820: "
msg_space: .asciz " "
msg_plus: .asciz "+"
msg_initrd: .asciz "\ninitrd: "
msg_fwcfg: .asciz "\nfw_cfg: setup "
msg_kernel: .asciz " kernel "
msg_same: .asciz " same as RAM"
msg_differs: .asciz " differs from RAM"
msg_fwcmdline: .asciz " cmdline "
msg_fwinitrd: .asciz " initrd "
msg_cs: .asciz "\ncs "
msg_ds: .asciz " ds "
msg_at: .asciz " at "
msg_nl: .asciz "\n"
	.balign 4
word:	.long 0
	.byte 0
	.section .note.GNU-stack, "", @progbits
