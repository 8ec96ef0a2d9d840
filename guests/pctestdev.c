/*
 * Round trips through pc-testdev (--device pc-testdev), as kvm-unit-tests
 * use it: the 32-bit data register at port 0xe0 and byte by byte at 0xe8,
 * the 64 KiB MMIO memory at 0xff000000 at every width, and an interrupt
 * line's level at 0x2000 + N. Prints one line per part; exits 0 if each
 * read gave what was written, else 1.
 */
#include "lib/guest.h"

static int bad;

static void check(const char *what, uint64_t got, uint64_t want)
{
	serial_puts(what);
	serial_puts(got == want ? " ok " : " BAD ");
	serial_put_hex(got);
	serial_puts("\n");
	bad |= got != want;
}

int main(void)
{
	volatile uint8_t *m8 = (volatile uint8_t *)0xff000000UL;
	volatile uint16_t *m16 = (volatile uint16_t *)0xff000000UL;
	volatile uint32_t *m32 = (volatile uint32_t *)0xff000000UL;
	volatile uint64_t *m64 = (volatile uint64_t *)0xff000000UL;

	serial_init();
	outl(0xe0, 0x12345678);
	check("port 0xe0 dword", inl(0xe0), 0x12345678);
	check("port 0xe8 byte 1", inb(0xe9), 0x56);
	outb(0xeb, 0xab);
	check("port 0xe0 after a byte at 0xeb", inl(0xe0), 0xab345678);
	outw(0xe0, 0xbeef);
	check("port 0xe0 word", inw(0xe0), 0xbeef);
	m64[0] = 0x0123456789abcdefULL;
	check("mem qword", m64[0], 0x0123456789abcdefULL);
	check("mem dword 1", m32[1], 0x01234567);
	check("mem word 1", m16[1], 0x89ab);
	check("mem byte 7", m8[7], 0x01);
	m8[0x10000 - 1] = 0x5a;
	check("mem last byte", m8[0x10000 - 1], 0x5a);
	outl(0x2000 + 11, 1);
	check("irq 11 raised", inl(0x2000 + 11), 1);
	outl(0x2000 + 11, 0);
	check("irq 11 lowered", inl(0x2000 + 11), 0);
	return bad;
}
