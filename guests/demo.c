/* The built-in demo guest: a banner on the serial port, then exit status 0. */
#include "lib/guest.h"

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

int main(void)
{
	uint32_t a, vendor[4] = { 0 };

	serial_init();
	serial_puts("kvmdbg demo guest: hello from 64-bit long mode under KVM\n");
	cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]);
	serial_puts("  cpu vendor: ");
	serial_puts((const char *)vendor);
	serial_puts("\n  test device id: ");
	serial_put_hex(*(volatile uint64_t *)(LAYOUT_TESTDEV_BASE + TESTDEV_ID));
	serial_puts("\n  exiting through port 0xf4 with status 0\n");
	return 0;
}
