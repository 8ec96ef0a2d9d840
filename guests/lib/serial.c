#include "guest.h"

#define COM1 LAYOUT_SERIAL_PORT
#define UART_LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on */
	outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
}

void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & UART_LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_put_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	serial_puts("0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		serial_putc(digits[(v >> shift) & 0xf]);
}

void serial_put_dec(unsigned long v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	serial_puts(&buf[i]);
}

void guest_exit(uint32_t status)
{
	outl(LAYOUT_EXIT_PORT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}
