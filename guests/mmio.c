/*
 * Touches the test MMIO device with every access size and a few ports, checks
 * what comes back, and exits 0 only if everything matched.
 */
#include "lib/guest.h"

#define REG(off) (LAYOUT_TESTDEV_BASE + (off))
#define UNCLAIMED_PORT 0x2f8 /* COM2: no device */
#define UNCLAIMED_MMIO 0xd0100000ULL

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
	serial_puts(what);
	serial_puts(" = ");
	serial_put_hex(got);
	if (got != want) {
		serial_puts(" (expected ");
		serial_put_hex(want);
		serial_puts(")");
		failures++;
	}
	serial_putc('\n');
}

int main(void)
{
	volatile uint8_t *b = (volatile uint8_t *)REG(TESTDEV_SCRATCH);
	volatile uint16_t *w = (volatile uint16_t *)REG(TESTDEV_SCRATCH);
	volatile uint32_t *l = (volatile uint32_t *)REG(TESTDEV_SCRATCH);
	volatile uint64_t *q = (volatile uint64_t *)REG(TESTDEV_SCRATCH);
	volatile uint64_t *counter = (volatile uint64_t *)REG(TESTDEV_COUNTER);

	serial_init();
	check("id", *(volatile uint64_t *)REG(TESTDEV_ID), TESTDEV_ID_VALUE);
	*q = 0x1122334455667788ULL;
	check("scratch", *q, 0x1122334455667788ULL);
	b[1] = 0xaa;
	check("scratch.b1", b[1], 0xaa);
	w[1] = 0xbeef;
	check("scratch.w1", w[1], 0xbeef);
	l[1] = 0xcafef00d;
	check("scratch.l1", l[1], 0xcafef00d);
	check("scratch", *q, 0xcafef00dbeefaa88ULL);
	*counter = 40;
	check("counter", *counter, 40);
	check("counter", *counter, 41);
	check("counter", *counter, 42);
	check("unclaimed mmio", *(volatile uint32_t *)UNCLAIMED_MMIO, 0xffffffff);
	check("unclaimed port", inb(UNCLAIMED_PORT), 0xff);
	outb(UNCLAIMED_PORT, 0x55);
	check("debugcon id", inb(LAYOUT_DEBUGCON_PORT), LAYOUT_DEBUGCON_ID);
	outb(LAYOUT_DEBUGCON_PORT, 'o');
	outb(LAYOUT_DEBUGCON_PORT_FW, 'k');
	outb(LAYOUT_DEBUGCON_PORT, '\n');
	/* 14 device accesses precede this one (the unclaimed MMIO read is not the device's). */
	check("accesses", *(volatile uint64_t *)REG(TESTDEV_ACCESSES), 14);
	serial_puts(failures ? "mmio: FAILED\n" : "mmio: all checks passed\n");
	return failures ? 1 : 0;
}
