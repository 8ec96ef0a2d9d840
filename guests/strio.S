/*
 * String port I/O: rep outsb prints a line on the debug console in one exit,
 * rep insb reads 4 bytes from a port with no device (all-ones), and the exit
 * status is their sum & 0xff: 4 * 0xff = 0x3fc, so status 0xfc (252).
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cld
	lea msg(%rip), %rsi
	mov $msg_len, %ecx
	mov $0xe9, %dx
	rep outsb
	lea buf(%rip), %rdi
	mov $4, %ecx
	mov $0x2f8, %dx
	rep insb
	xor %eax, %eax
	movzbl buf(%rip), %ebx
	add %ebx, %eax
	movzbl buf+1(%rip), %ebx
	add %ebx, %eax
	movzbl buf+2(%rip), %ebx
	add %ebx, %eax
	movzbl buf+3(%rip), %ebx
	add %ebx, %eax
	outl %eax, $0xf4
	ud2
msg:
	.ascii "rep outsb ok\n"
	.set msg_len, . - msg
	.section .bss
buf:
	.skip 4
	.section .note.GNU-stack, "", @progbits
