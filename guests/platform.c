/*
 * Asks the platform what firmware and kernels ask it: the RTC's date and time
 * and the CMOS memory sizes, then probes the i8042 (self-test, interface
 * test, configuration byte, a keyboard reset and ID), looks for the MP
 * table as a kernel would (the BIOS area, 16-byte steps) and checks it, and
 * last resets the machine through the i8042 (kvmdbg ends the run with
 * status 5).
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

static uint8_t sum(const uint8_t *p, unsigned len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* "mp table ..." with what it describes, or "mp table none". */
static void mp_table(void)
{
	for (uintptr_t at = 0xf0000; at < 0x100000; at += 16) {
		const uint8_t *fp = (const uint8_t *)at;

		if (fp[0] != '_' || fp[1] != 'M' || fp[2] != 'P' || fp[3] != '_' || sum(fp, 16))
			continue;
		const uint8_t *h = (const uint8_t *)(uintptr_t)(fp[4] | fp[5] << 8 | fp[6] << 16 |
							      (uint32_t)fp[7] << 24);
		unsigned len = h[4] | h[5] << 8, entries = h[34] | h[35] << 8, ints = 0;
		const uint8_t *e = h + 44;

		serial_puts("mp table 1.");
		serial_put_dec(fp[9]);
		serial_puts(sum(h, len) ? " bad checksum" : " checksum ok");
		for (unsigned i = 0; i < entries && e < h + len; i++) {
			if (e[0] == 0) {
				serial_puts(" cpu apic ");
				serial_put_dec(e[1]);
			} else if (e[0] == 2) {
				serial_puts(" ioapic ");
				serial_put_dec(e[1]);
				serial_puts(" at ");
				serial_put_hex(e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24);
			} else if (e[0] == 3) {
				ints += e[7] == e[5]; /* ISA line n on pin n */
			}
			e += e[0] == 0 ? 20 : 8;
		}
		serial_puts(" isa lines on their pins ");
		serial_put_dec(ints);
		serial_puts("\n");
		return;
	}
	serial_puts("mp table none\n");
}

/* What CPUID says of the local APIC. */
static void cpuid_apic(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	serial_puts("cpuid apic ");
	serial_put_dec(d >> 9 & 1);
	serial_puts(" x2apic ");
	serial_put_dec(c >> 21 & 1);
	serial_puts(" tsc-deadline ");
	serial_put_dec(c >> 24 & 1);
	serial_puts("\n");
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	r[0] = leaf;
	r[2] = 0;
	__asm__ volatile("cpuid" : "+a"(r[0]), "=b"(r[1]), "+c"(r[2]), "=d"(r[3]));
}

static void put_regs_text(const uint32_t *r, int n)
{
	for (int i = 0; i < 4 * n; i++) {
		char ch = (char)(r[i / 4] >> (8 * (i % 4)));

		if (ch)
			serial_putc(ch >= ' ' && ch < 127 ? ch : '?');
	}
}

/* The brand string as Linux shows it (model name): without the spaces
 * around it (Intel's are right-justified). */
static void put_brand(const uint32_t *r)
{
	char text[49];
	int n = 0, first = 0;

	for (int i = 0; i < 48; i++)
		text[i] = (char)(r[i / 4] >> (8 * (i % 4)));
	text[48] = '\0';
	while (text[first] == ' ')
		first++;
	for (int i = first; text[i]; i++) {
		if (text[i] != ' ')
			n = i + 1;
	}
	for (int i = first; i < n; i++)
		serial_putc(text[i] >= ' ' && text[i] < 127 ? text[i] : '?');
}

/* What CPUID says of the machine, where a kernel looks to know it is a
 * guest: the hypervisor bit, the hypervisor's leaves (signature, maximum,
 * timing: TSC and APIC bus kHz) and the CPU's brand string. */
static void cpuid_machine(void)
{
	uint32_t r[4], sig[3], brand[12];

	cpuid(1, r);
	serial_puts("cpuid hypervisor ");
	serial_put_dec(r[2] >> 31 & 1);
	cpuid(0x40000000, r);
	sig[0] = r[1], sig[1] = r[2], sig[2] = r[3];
	serial_puts(" signature ");
	put_regs_text(sig, 3);
	serial_puts(" max ");
	serial_put_hex(r[0]);
	if (r[0] >= 0x40000010) {
		cpuid(0x40000010, r);
		serial_puts(" tsc khz ");
		serial_put_dec(r[0]);
		serial_puts(" apic bus khz ");
		serial_put_dec(r[1]);
	}
	cpuid(0x80000000, r);
	if (r[0] >= 0x80000004) {
		for (int i = 0; i < 3; i++)
			cpuid(0x80000002 + i, brand + 4 * i);
		serial_puts("\ncpuid brand ");
		put_brand(brand);
	}
	serial_puts("\n");
}

int main(void)
{
	serial_init();
	mp_table();
	cpuid_apic();
	cpuid_machine();
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
