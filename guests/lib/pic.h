/*
 * For assembly guests: pic_init sets up a PC's 8259A pair as every BIOS and
 * Linux do (ICW1-4: vectors 0x20 and 0x28, the slave on input 2, 8086
 * mode), then writes the masks given (OCW1: a set bit masks its line).
 * pic_init_irq0 masks every line but IRQ 0. 18 instructions (guests that
 * count their instructions rely on it); clobbers al.
 */
	.macro pic_init master_mask, slave_mask
	mov $0x11, %al
	out %al, $0x20
	out %al, $0xa0
	mov $0x20, %al
	out %al, $0x21
	mov $0x28, %al
	out %al, $0xa1
	mov $4, %al
	out %al, $0x21
	mov $2, %al
	out %al, $0xa1
	mov $1, %al
	out %al, $0x21
	out %al, $0xa1
	mov $\master_mask, %al
	out %al, $0x21
	mov $\slave_mask, %al
	out %al, $0xa1
	.endm

	.macro pic_init_irq0
	pic_init 0xfe, 0xff
	.endm

/* The body of an IRQ handler that counts in the 32-bit counter at label
 * counter: adds 1, EOI to the master PIC, iretq. 6 instructions. */
	.macro pic_count_isr counter
	incl \counter(%rip)
	push %rax
	mov $0x20, %al
	out %al, $0x20
	pop %rax
	iretq
	.endm
