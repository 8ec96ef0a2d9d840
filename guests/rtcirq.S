/*
 * The RTC's interrupts on instruction-count time (--clock icount): the
 * MC146818's periodic interrupt at 8192 Hz (rate 3: 122070.3 ns, so a tick
 * per 122,070 instructions, most of them skipped in hlt), then its
 * update-ended interrupt once a second, through the slave PIC as IRQ 8 at
 * vector 0x28. The handler reads register C (which clears it) and counts
 * periodic flags in ticks, update flags in updates. The guest waits in hlt
 * for TICKS ticks, turns the periodic interrupt off and the update-ended one
 * on, waits for UPDATES of those, and exits with ticks + 32 * updates (80).
 * The seconds register, read before and after the updates, is in start_sec
 * and end_sec.
 */
#define TICKS 16
#define UPDATES 2

#include "lib/pic.h"

	.macro cmos_write reg, value
	mov $\reg, %al
	out %al, $0x70
	mov $\value, %al
	out %al, $0x71
	.endm

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	lea idt(%rip), %rdi
	lea rtc_isr(%rip), %rax
	mov $0x28, %ecx
	call set_gate
	lidt idtr(%rip)
	/* The PICs as a BIOS sets them up; only IRQ 8 and the cascade (the
	 * master's input 2) unmasked. */
	pic_init 0xfb, 0xfe
	/* Register A: rate 3; B: the periodic interrupt, 24 hours, BCD. */
	cmos_write 0x0a, 0x23
	cmos_write 0x0b, 0x42
	sti
	.globl wait_ticks
wait_ticks:
	hlt
	cmpl $TICKS, ticks(%rip)
	jb wait_ticks
	cli
	/* Rate 0 (no periodic flag at all), then the update-ended interrupt. */
	cmos_write 0x0a, 0x20
	cmos_write 0x0b, 0x12
	mov $0x00, %al
	out %al, $0x70
	in $0x71, %al
	mov %al, start_sec(%rip)
	sti
	.globl wait_updates
wait_updates:
	hlt
	cmpl $UPDATES, updates(%rip)
	jb wait_updates
	cli
	mov $0x00, %al
	out %al, $0x70
	in $0x71, %al
	mov %al, end_sec(%rip)
	mov updates(%rip), %eax
	shl $5, %eax
	add ticks(%rip), %eax
	.globl done
done:	out %al, $0xf4			/* the exit */

	/* The handler on a page of its own (hosts where int3 does not stop
	 * the guest see a handler entered by its page). */
	.section .text.handlers, "ax"
	.balign 4096
	.globl rtc_isr
rtc_isr:
	push %rax
	mov $0x0c, %al
	out %al, $0x70
	in $0x71, %al
	test $0x40, %al
	jz 1f
	incl ticks(%rip)
1:	test $0x10, %al
	jz 2f
	incl updates(%rip)
2:	mov $0x20, %al
	out %al, $0xa0
	out %al, $0x20
	pop %rax
	iretq
	.balign 4096

	.data
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.globl ticks, updates, start_sec, end_sec
ticks:	.long 0
updates: .long 0
start_sec: .byte 0
end_sec: .byte 0
	.bss
	.balign 4096
idt:	.skip 256 * 16

	.section .note.GNU-stack, "", @progbits
