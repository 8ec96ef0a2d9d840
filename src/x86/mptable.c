/*
 * The Intel MultiProcessor Specification 1.4 table: how kernels without ACPI
 * (Linux with acpi=off or none, hobby kernels) learn the CPU, the IOAPIC
 * and how ISA interrupts reach it. Written at the start of the BIOS area,
 * where the specification has them look. It says what KVM's default routing
 * does: ISA line n to IOAPIC pin n (and PIC input n, through LINT0 as
 * ExtINT); NMI on LINT1.
 */
#include "../arch.h"

#include <errno.h>
#include <string.h>

#include "../err.h"
#include "../mem.h"
#include "x86.h"

#define MPTABLE_START 0xf0000ULL
#define MPTABLE_END 0x100000ULL
#define MP_LAPIC_BASE 0xfee00000U
#define MP_IOAPIC_BASE 0xfec00000U
#define MP_IOAPIC_ID 1 /* after the one CPU's APIC id 0 */
#define MP_ISA_LINES 16

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_IOINT, MP_LINT };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

struct mp_floating {
	char signature[4];   /* "_MP_" */
	uint32_t config;     /* the configuration table's address */
	uint8_t length;      /* in 16-byte units: 1 */
	uint8_t revision;    /* 4: version 1.4 */
	uint8_t checksum;
	uint8_t features[5]; /* 0: a configuration table follows */
} __attribute__((packed));

struct mp_header {
	char signature[4]; /* "PCMP" */
	uint16_t length;   /* of the base table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_size;
	uint16_t entries;
	uint32_t lapic;    /* the local APICs' address */
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type, apic_id, apic_version, flags; /* flags: 1 enabled, 2 boot CPU */
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type, id;
	char name[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, id, version, flags; /* flags: 1 usable */
	uint32_t address;
} __attribute__((packed));

struct mp_irq {
	uint8_t type, kind;
	uint16_t flags; /* 0: polarity and trigger as the bus has them */
	uint8_t bus, bus_irq, dest, pin; /* dest: an IOAPIC id, or 0xff every local APIC */
} __attribute__((packed));

struct mp_table {
	struct mp_floating fp;
	struct mp_header h;
	struct mp_processor cpu;
	struct mp_bus isa;
	struct mp_ioapic ioapic;
	struct mp_irq irq[MP_ISA_LINES + 2];
} __attribute__((packed));

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

void arch_tables_range(uint64_t *start, uint64_t *end)
{
	*start = MPTABLE_START;
	*end = MPTABLE_START + sizeof(struct mp_table);
}

int x86_mptable_write(struct mem *mem)
{
	struct mp_table t = { 0 };
	unsigned n = 0;

	memcpy(t.fp.signature, "_MP_", 4);
	t.fp.config = (uint32_t)(MPTABLE_START + offsetof(struct mp_table, h));
	t.fp.length = 1;
	t.fp.revision = 4;
	t.cpu = (struct mp_processor){ .type = MP_PROCESSOR, .apic_version = 0x14, .flags = 3,
				       .signature = 0x600, .features = 0x201 /* FPU, APIC */ };
	t.isa = (struct mp_bus){ .type = MP_BUS, .name = "ISA   " };
	t.ioapic = (struct mp_ioapic){ .type = MP_IOAPIC, .id = MP_IOAPIC_ID, .version = 0x11,
				       .flags = 1, .address = MP_IOAPIC_BASE };
	for (unsigned line = 0; line < MP_ISA_LINES; line++) {
		if (line == 2) /* the slave PIC's cascade: nothing comes on it */
			continue;
		t.irq[n++] = (struct mp_irq){ .type = MP_IOINT, .kind = MP_INT, .bus_irq = line,
					      .dest = MP_IOAPIC_ID, .pin = line };
	}
	t.irq[n++] = (struct mp_irq){ .type = MP_LINT, .kind = MP_EXTINT, .dest = 0xff, .pin = 0 };
	t.irq[n++] = (struct mp_irq){ .type = MP_LINT, .kind = MP_NMI, .dest = 0xff, .pin = 1 };
	memcpy(t.h.signature, "PCMP", 4);
	t.h.length = (uint16_t)(sizeof(t) - sizeof(t.fp) - (MP_ISA_LINES + 2 - n) * sizeof(t.irq[0]));
	t.h.revision = 4;
	memcpy(t.h.oem, "KVMDBG  ", 8);
	memcpy(t.h.product, "KVMDBG 1.0  ", 12);
	t.h.entries = (uint16_t)(3 + n);
	t.h.lapic = MP_LAPIC_BASE;
	t.h.checksum = mp_checksum(&t.h, t.h.length);
	t.fp.checksum = mp_checksum(&t.fp, sizeof(t.fp));
	if (mem_write(mem, MPTABLE_START, &t, sizeof(t.fp) + t.h.length) < 0)
		return err_set(ENOSPC, "no RAM at %#llx for the MP table",
			       (unsigned long long)MPTABLE_START);
	return 0;
}
