/*
 * Asks the platform what firmware and kernels ask it: the RTC's date and time
 * and the CMOS memory sizes, then probes the i8042 (self-test, interface
 * test, configuration byte, a keyboard reset and ID), and last resets the
 * machine through the i8042 (kvmdbg ends the run with status 5).
 */
#include "lib/guest.h"

static uint8_t cmos(uint8_t index)
{
	outb(LAYOUT_RTC_PORT, index);
	return inb(LAYOUT_RTC_PORT + 1);
}

static void put_bcd(uint8_t v)
{
	serial_putc((char)('0' + (v >> 4)));
	serial_putc((char)('0' + (v & 15)));
}

/* Waits for a byte from the i8042 (a bounded while), or returns 0xee. */
static uint8_t kbc_read(void)
{
	for (int i = 0; i < 1000; i++)
		if (inb(LAYOUT_I8042_COMMAND) & 1)
			return inb(LAYOUT_I8042_PORT);
	return 0xee;
}

static void kbc_answer(const char *what, uint8_t cmd, int bytes, int to_keyboard)
{
	outb(to_keyboard ? LAYOUT_I8042_PORT : LAYOUT_I8042_COMMAND, cmd);
	serial_puts(what);
	for (int i = 0; i < bytes; i++) {
		serial_puts(" ");
		serial_put_hex(kbc_read());
	}
	serial_puts("\n");
}

int main(void)
{
	serial_init();
	serial_puts("rtc ");
	put_bcd(cmos(0x32));
	put_bcd(cmos(0x09));
	serial_putc('-');
	put_bcd(cmos(0x08));
	serial_putc('-');
	put_bcd(cmos(0x07));
	serial_putc(' ');
	put_bcd(cmos(0x04));
	serial_putc(':');
	put_bcd(cmos(0x02));
	serial_puts(" status b ");
	serial_put_hex(cmos(0x0b));
	serial_puts(" d ");
	serial_put_hex(cmos(0x0d));
	serial_puts("\ncmos base ");
	serial_put_dec(cmos(0x15) | cmos(0x16) << 8);
	serial_puts(" ext ");
	serial_put_dec(cmos(0x17) | cmos(0x18) << 8);
	serial_puts(" above16m ");
	serial_put_dec(cmos(0x34) | cmos(0x35) << 8);
	serial_puts("\n");
	kbc_answer("selftest", 0xaa, 1, 0);
	kbc_answer("kbdtest", 0xab, 1, 0);
	kbc_answer("ctr", 0x20, 1, 0);
	kbc_answer("kbd reset", 0xff, 2, 1);
	kbc_answer("kbd id", 0xf2, 3, 1);
	serial_puts("resetting\n");
	outb(LAYOUT_I8042_COMMAND, LAYOUT_I8042_RESET);
	serial_puts("still here\n");
	return 1;
}
