/*
 * The UART by interrupts: IRQ 4 through the PIC (vector 0x24). The guest
 * waits in hlt; its handler takes received bytes and counts THR-empty
 * interrupts. Prints "ready", then, for a line, "irq echo: LINE" and how
 * many THR-empty interrupts came; exits 0. Without interrupt controllers (or
 * without input) it waits for good.
 */
#include "lib/guest.h"

#define COM1 LAYOUT_SERIAL_PORT
#define IER 1
#define IIR 2
#define MCR 4
#define LSR 5
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_ID 0x0e
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define MCR_OUT2 0x08
#define LSR_DR 0x01
#define PIC1 0x20
#define PIC2 0xa0
#define VECTOR 0x24

static char line[128];
static volatile unsigned n, thre, done;
static uint8_t idt[256 * 16] __attribute__((aligned(16)));

/* The handler's body: every pending source, then EOI. */
void uart_interrupt(void);
void uart_interrupt(void)
{
	uint8_t id;

	while (!((id = inb(COM1 + IIR)) & IIR_NONE)) {
		if ((id & IIR_ID) == IIR_THRI) {
			thre++;
			outb(COM1 + IER, IER_RDI); /* one is enough */
			continue;
		}
		while (inb(COM1 + LSR) & LSR_DR) {
			char c = (char)inb(COM1);

			if (c == '\n' || n == sizeof(line) - 1)
				done = 1;
			else if (!done)
				line[n++] = c;
		}
	}
	outb(PIC1, 0x20);
}

/* The entry: caller-saved registers (and rbx, used here) kept, the stack 16-byte aligned for C. */
__asm__(".text\n"
	"uart_entry:\n"
	"	push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi\n"
	"	push %r8; push %r9; push %r10; push %r11\n"
	"	mov %rsp, %rbx\n"
	"	and $-16, %rsp\n"
	"	call uart_interrupt\n"
	"	mov %rbx, %rsp\n"
	"	pop %r11; pop %r10; pop %r9; pop %r8\n"
	"	pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rbx; pop %rax\n"
	"	iretq\n");
void uart_entry(void);

static void pic_init(void)
{
	static const uint8_t icw[][2] = { { 0x11, 0x11 }, { 0x20, 0x28 }, { 4, 2 }, { 1, 1 } };

	for (unsigned i = 0; i < 4; i++) {
		outb(PIC1 + (i ? 1 : 0), icw[i][0]);
		outb(PIC2 + (i ? 1 : 0), icw[i][1]);
	}
	outb(PIC1 + 1, (uint8_t)~(1 << 4)); /* IRQ 4 only */
	outb(PIC2 + 1, 0xff);
}

int main(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	serial_init();
	uint64_t handler = (uint64_t)(uintptr_t)uart_entry, vector = VECTOR;

	__asm__ volatile("call set_gate"
			 : "+a"(handler), "+c"(vector) : "D"(idt) : "memory", "cc");
	__asm__ volatile("lidt %0" : : "m"(idtr));
	pic_init();
	serial_puts("ready\n");
	outb(COM1 + MCR, MCR_OUT2);
	outb(COM1 + IER, IER_RDI | IER_THRI);
	while (!done)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	line[n] = '\0';
	serial_puts("irq echo: ");
	serial_puts(line);
	serial_puts("\nthre interrupts ");
	serial_put_dec(thre);
	serial_puts("\n");
	return 0;
}
