/*
 * Walks the ACPI tables as a kernel does: finds the RSDP in the BIOS area
 * (0xe0000-0xfffff, 16-byte steps), checks every signature and checksum on
 * the way RSDP -> XSDT -> FADT (-> FACS, DSDT) and MADT, prints what it
 * found, reads the PM timer twice, and powers off through the FADT's PM1a
 * control block with the DSDT's \_S5 sleep type (0 here), as Linux's
 * poweroff does. Any mismatch: exit 1 with a line saying which.
 */
#include "lib/guest.h"

struct header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

static int sum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

static void put_sig(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		serial_putc(s[i]);
}

static int fail(const char *what)
{
	serial_puts("acpi: bad ");
	serial_puts(what);
	serial_puts("\n");
	return 1;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A table at addr with signature sig and a right checksum, else NULL. */
static const struct header *table(uint64_t addr, const char *sig)
{
	const struct header *h = (const void *)addr;

	for (int i = 0; i < 4; i++)
		if (h->sig[i] != sig[i])
			return 0;
	if (h->length < sizeof(*h) || sum(h, h->length))
		return 0;
	serial_puts("acpi: ");
	put_sig(sig, 4);
	serial_puts(" at ");
	serial_put_hex(addr);
	serial_puts(" length ");
	serial_put_dec(h->length);
	serial_puts(" revision ");
	serial_put_dec(h->revision);
	serial_puts(" checksum ok\n");
	return h;
}

int main(void)
{
	const uint8_t *rsdp = 0, *fadt = 0, *madt = 0, *xsdt;

	serial_init();
	for (uint64_t a = 0xe0000; a < 0x100000 && !rsdp; a += 16) {
		const char *p = (const char *)a;

		if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' &&
		    p[5] == 'T' && p[6] == 'R' && p[7] == ' ')
			rsdp = (const uint8_t *)a;
	}
	if (!rsdp)
		return fail("RSDP: none in 0xe0000-0xfffff");
	if (sum(rsdp, 20) || rsdp[15] < 2 || get32(rsdp + 20) != 36 || sum(rsdp, 36))
		return fail("RSDP checksum or revision");
	serial_puts("acpi: RSDP at ");
	serial_put_hex((uint64_t)rsdp);
	serial_puts(" revision ");
	serial_put_dec(rsdp[15]);
	serial_puts(" oem ");
	put_sig((const char *)rsdp + 9, 6);
	serial_puts("\n");
	if (!table(get32(rsdp + 16), "RSDT"))
		return fail("RSDT");
	xsdt = (const uint8_t *)table(get64(rsdp + 24), "XSDT");
	if (!xsdt)
		return fail("XSDT");
	for (uint32_t at = 36; at + 8 <= ((const struct header *)xsdt)->length; at += 8) {
		const struct header *h = (const void *)get64(xsdt + at);

		if (h->sig[0] == 'F' && h->sig[1] == 'A' && h->sig[2] == 'C' && h->sig[3] == 'P')
			fadt = (const uint8_t *)table((uint64_t)h, "FACP");
		else if (h->sig[0] == 'A' && h->sig[1] == 'P' && h->sig[2] == 'I' && h->sig[3] == 'C')
			madt = (const uint8_t *)table((uint64_t)h, "APIC");
	}
	if (!fadt)
		return fail("XSDT entries: no FACP with a right checksum");
	/* FADT: the FACS and the DSDT (64-bit fields), SCI, blocks, reset. */
	const uint8_t *facs = (const uint8_t *)get64(fadt + 132);
	const uint8_t *dsdt = (const uint8_t *)table(get64(fadt + 140), "DSDT");

	if (facs[0] != 'F' || facs[1] != 'A' || facs[2] != 'C' || facs[3] != 'S' ||
	    get32(facs + 4) != 64 || ((uint64_t)facs & 63))
		return fail("FACS");
	if (!dsdt)
		return fail("DSDT");
	serial_puts("acpi: FACS at ");
	serial_put_hex((uint64_t)facs);
	serial_puts("\nacpi: sci ");
	serial_put_dec(fadt[46] | fadt[47] << 8);
	serial_puts(" pm1a_evt ");
	serial_put_hex(get32(fadt + 56));
	serial_puts(" pm1a_cnt ");
	serial_put_hex(get32(fadt + 64));
	serial_puts(" pm_tmr ");
	serial_put_hex(get32(fadt + 76));
	serial_puts(" flags ");
	serial_put_hex(get32(fadt + 112));
	serial_puts(" reset ");
	serial_put_hex(get64(fadt + 120));
	serial_puts(" value ");
	serial_put_hex(fadt[128]);
	serial_puts("\n");
	/* MADT: the local APICs and the IOAPIC, the overrides. */
	if (madt) {
		serial_puts("acpi: lapic at ");
		serial_put_hex(get32(madt + 36));
	} else {
		serial_puts("acpi: no MADT (no APICs)");
	}
	for (uint32_t at = 44; madt && at + 2 <= get32(madt + 4) && madt[at + 1]; at += madt[at + 1]) {
		const uint8_t *e = madt + at;

		if (e[0] == 0) {
			serial_puts(" cpu ");
			serial_put_dec(e[3]);
		} else if (e[0] == 1) {
			serial_puts(" ioapic ");
			serial_put_dec(e[2]);
			serial_puts(" at ");
			serial_put_hex(get32(e + 4));
		} else if (e[0] == 2) {
			serial_puts(" irq ");
			serial_put_dec(e[3]);
			serial_puts("->gsi ");
			serial_put_dec(get32(e + 4));
		} else if (e[0] == 4) {
			serial_puts(" nmi lint");
			serial_put_dec(e[5]);
		}
	}
	serial_puts("\n");
	/* The PM timer runs (3.579545 MHz): a later read is larger. */
	uint16_t tmr = (uint16_t)get32(fadt + 76);
	uint32_t t0 = inl(tmr), t1;

	for (volatile int i = 0; i < 1000; i++)
		;
	t1 = inl(tmr);
	serial_puts(t1 != t0 ? "acpi: pm timer runs\n" : "acpi: pm timer stands still\n");
	/* Power off: SLP_TYP 0 (\_S5: the DSDT's package starts 0) and SLP_EN. */
	serial_puts("acpi: powering off\n");
	outw((uint16_t)get32(fadt + 64), 0 << 10 | 1 << 13);
	serial_puts("acpi: still here\n");
	return 1;
}
