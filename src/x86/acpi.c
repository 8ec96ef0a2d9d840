/*
 * ACPI tables, written in the BIOS area after the MP table, where kernels
 * look for the RSDP (0xe0000-0xfffff, on a 16-byte boundary): the RSDP
 * (revision 2) points at an RSDT and an XSDT, which list the FADT and the
 * MADT; the FADT points at the FACS and the DSDT. The FADT describes the
 * fixed hardware of devices/acpi.c (PM1a event and control blocks, PM timer,
 * reset register, SCI on IRQ 9); the MADT (with the interrupt controllers
 * only: there are no APICs without them) every CPU's local APIC, the
 * IOAPIC, and the interrupt routing as KVM does it (ISA line n on IOAPIC
 * pin n, as the MP table says: no override for IRQ 0, which QEMU routes to
 * pin 2 instead); the DSDT holds \_S5 (sleep type 0: power off).
 */
#include "../arch.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "../devices/layout.h"
#include "../err.h"
#include "../mem.h"
#include "x86.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_revision;
	char creator[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* of the first 20 bytes */
	char oem[6];
	uint8_t revision;  /* 2: ACPI 2.0 and later, with the XSDT */
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum; /* of all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* A Generic Address Structure: a register in I/O space. */
struct acpi_gas {
	uint8_t space;      /* 1: system I/O */
	uint8_t bit_width, bit_offset;
	uint8_t access;     /* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

/* The FADT as ACPI 2.0 has it (revision 3, 244 bytes). */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t facs, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr, gpe0, gpe1;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_len, gpe1_len,
		gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alarm, month_alarm, century;
	uint16_t boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value, reserved2[3];
	uint64_t x_facs, x_dsdt;
	struct acpi_gas x_pm1a_evt, x_pm1b_evt, x_pm1a_cnt, x_pm1b_cnt, x_pm2_cnt, x_pm_tmr,
		x_gpe0, x_gpe1;
} __attribute__((packed));

struct acpi_facs {
	char signature[4]; /* "FACS" (no checksum) */
	uint32_t length;
	uint32_t hw_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version, reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

struct acpi_madt_lapic {
	uint8_t type, length, processor, apic_id;
	uint32_t flags; /* 1: enabled */
} __attribute__((packed));

struct acpi_madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct acpi_madt_override {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags; /* bits 0-1 polarity, 2-3 trigger */
} __attribute__((packed));

struct acpi_madt_nmi {
	uint8_t type, length, processor; /* 0xff: every one */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

/* FADT flags: WBINVD works, C1 on every CPU, no fixed power or sleep button,
 * a 32-bit PM timer, the reset register. IA-PC boot architecture: legacy
 * devices and an 8042. */
#define FADT_FLAGS ((1U << 0) | (1U << 2) | (1U << 4) | (1U << 5) | (1U << 8) | (1U << 10))
#define FADT_BOOT_ARCH 3

/* The DSDT's AML: Name (_S5, Package (4) { 0, 0, 0, 0 }). */
static const uint8_t acpi_dsdt_aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
					 0x00, 0x00, 0x00, 0x00 };

/* Where each table goes, in order, within [ACPI_START, ACPI_END). */
#define ACPI_START 0xf1000ULL
#define ACPI_END 0xf2000ULL
#define ACPI_RSDP ACPI_START
#define ACPI_RSDT (ACPI_START + 0x40)
#define ACPI_XSDT (ACPI_START + 0x80)
#define ACPI_FACS (ACPI_START + 0xc0) /* 64-byte aligned */
#define ACPI_FADT (ACPI_START + 0x100)
#define ACPI_MADT (ACPI_START + 0x200)
#define ACPI_DSDT (ACPI_START + 0x400)

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 244, "FADT revision 3");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

uint8_t x86_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static void acpi_header(struct acpi_header *h, const char *sig, size_t len, uint8_t revision)
{
	memcpy(h->signature, sig, 4);
	h->length = (uint32_t)len;
	h->revision = revision;
	memcpy(h->oem, "KVMDBG", 6);
	memcpy(h->oem_table, "KVMDBG  ", 8);
	h->oem_revision = 1;
	memcpy(h->creator, "KVMD", 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = x86_checksum(h, len);
}

static struct acpi_gas acpi_io(uint64_t port, unsigned bytes)
{
	return (struct acpi_gas){ .space = 1, .bit_width = (uint8_t)(8 * bytes),
				  .access = (uint8_t)(bytes == 4 ? 3 : bytes == 2 ? 2 : 1),
				  .address = port };
}

uint64_t x86_acpi_end(void)
{
	return ACPI_END;
}

int x86_acpi_write(struct mem *mem, unsigned ncpus, bool apics)
{
	uint8_t buf[ACPI_END - ACPI_START] = { 0 };
	const uint64_t pm = LAYOUT_ACPI_PM_PORT;
	size_t madt_len;

	if (ncpus > 255)
		return err_set(EINVAL, "the MADT lists at most 255 CPUs");
	/* DSDT */
	struct acpi_header *dsdt = (void *)(buf + (ACPI_DSDT - ACPI_START));

	memcpy(dsdt + 1, acpi_dsdt_aml, sizeof(acpi_dsdt_aml));
	acpi_header(dsdt, "DSDT", sizeof(*dsdt) + sizeof(acpi_dsdt_aml), 2);
	/* FACS */
	struct acpi_facs *facs = (void *)(buf + (ACPI_FACS - ACPI_START));

	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;
	/* FADT */
	struct acpi_fadt *f = (void *)(buf + (ACPI_FADT - ACPI_START));

	f->facs = (uint32_t)ACPI_FACS;
	f->dsdt = (uint32_t)ACPI_DSDT;
	f->sci_int = ACPI_SCI_IRQ;
	f->pm1a_evt = (uint32_t)(pm + ACPI_PM1_STS);
	f->pm1a_cnt = (uint32_t)(pm + ACPI_PM1_CNT);
	f->pm_tmr = (uint32_t)(pm + ACPI_PM_TMR);
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->pm_tmr_len = 4;
	f->p_lvl2_lat = 0xfff; /* no C2 */
	f->p_lvl3_lat = 0xfff; /* no C3 */
	f->century = 0x32;
	f->boot_arch = FADT_BOOT_ARCH;
	f->flags = FADT_FLAGS;
	f->reset_reg = acpi_io(LAYOUT_ACPI_RESET_PORT, 1);
	f->reset_value = ACPI_RESET_VALUE;
	f->x_facs = ACPI_FACS;
	f->x_dsdt = ACPI_DSDT;
	f->x_pm1a_evt = acpi_io(pm + ACPI_PM1_STS, 4);
	f->x_pm1a_cnt = acpi_io(pm + ACPI_PM1_CNT, 2);
	f->x_pm_tmr = acpi_io(pm + ACPI_PM_TMR, 4);
	acpi_header(&f->h, "FACP", sizeof(*f), 3);
	/* MADT: the local APICs' address and PC/AT-compatible PICs, then the
	 * entries (processor ids = APIC ids = vCPU indexes; the IOAPIC's id
	 * after them, as in the MP table). */
	uint8_t *m = buf + (ACPI_MADT - ACPI_START);
	size_t at = sizeof(struct acpi_header) + 8;
	const uint32_t lapic = 0xfee00000U, pcat = 1;

	memcpy(m + sizeof(struct acpi_header), &lapic, 4);
	memcpy(m + sizeof(struct acpi_header) + 4, &pcat, 4);
	for (unsigned i = 0; i < ncpus; i++) {
		struct acpi_madt_lapic e = { .type = 0, .length = sizeof(e), .processor = (uint8_t)i,
					     .apic_id = (uint8_t)i, .flags = 1 };

		memcpy(m + at, &e, sizeof(e));
		at += sizeof(e);
	}
	struct acpi_madt_ioapic io = { .type = 1, .length = sizeof(io), .id = (uint8_t)ncpus,
				       .address = 0xfec00000U };
	/* The SCI: level-triggered, active high (PIIX4's). */
	struct acpi_madt_override sci = { .type = 2, .length = sizeof(sci), .source = ACPI_SCI_IRQ,
					  .gsi = ACPI_SCI_IRQ, .flags = 0xd };
	struct acpi_madt_nmi nmi = { .type = 4, .length = sizeof(nmi), .processor = 0xff, .lint = 1 };

	memcpy(m + at, &io, sizeof(io));
	at += sizeof(io);
	memcpy(m + at, &sci, sizeof(sci));
	at += sizeof(sci);
	memcpy(m + at, &nmi, sizeof(nmi));
	at += sizeof(nmi);
	madt_len = at;
	acpi_header((struct acpi_header *)m, "APIC", madt_len, 3);
	/* RSDT and XSDT: the FADT, and the MADT where there are APICs (without
	 * one, a kernel takes the PICs alone). */
	uint8_t *rsdt = buf + (ACPI_RSDT - ACPI_START), *xsdt = buf + (ACPI_XSDT - ACPI_START);
	const uint32_t r32[2] = { (uint32_t)ACPI_FADT, (uint32_t)ACPI_MADT };
	const uint64_t r64[2] = { ACPI_FADT, ACPI_MADT };
	const unsigned tables = apics ? 2 : 1;

	if (!apics)
		memset(m, 0, madt_len);
	memcpy(rsdt + sizeof(struct acpi_header), r32, tables * sizeof(r32[0]));
	acpi_header((struct acpi_header *)rsdt, "RSDT",
		    sizeof(struct acpi_header) + tables * sizeof(r32[0]), 1);
	memcpy(xsdt + sizeof(struct acpi_header), r64, tables * sizeof(r64[0]));
	acpi_header((struct acpi_header *)xsdt, "XSDT",
		    sizeof(struct acpi_header) + tables * sizeof(r64[0]), 1);
	/* RSDP */
	struct acpi_rsdp *p = (void *)(buf + (ACPI_RSDP - ACPI_START));

	memcpy(p->signature, "RSD PTR ", 8);
	memcpy(p->oem, "KVMDBG", 6);
	p->revision = 2;
	p->rsdt = (uint32_t)ACPI_RSDT;
	p->length = sizeof(*p);
	p->xsdt = ACPI_XSDT;
	p->checksum = x86_checksum(p, 20);
	p->ext_checksum = x86_checksum(p, sizeof(*p));
	if (mem_write(mem, ACPI_START, buf, sizeof(buf)) < 0)
		return err_set(ENOSPC, "no RAM at %#llx for the ACPI tables",
			       (unsigned long long)ACPI_START);
	return 0;
}
