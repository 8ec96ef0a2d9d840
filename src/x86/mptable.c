/*
 * The Intel MultiProcessor Specification 1.4 table: how kernels without ACPI
 * (Linux with acpi=off or none, hobby kernels) learn the CPUs (the boot CPU
 * first, local APIC id = vCPU index), the IOAPIC
 * and how ISA interrupts reach it. Written at the start of the BIOS area,
 * where the specification has them look. It says what KVM's default routing
 * does: ISA line n to IOAPIC pin n (and PIC input n, through LINT0 as
 * ExtINT); NMI on LINT1.
 */
#include "../arch.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "../err.h"
#include "../mem.h"
#include "../vm.h"
#include "x86.h"

#define MPTABLE_START 0xf0000ULL
#define MPTABLE_END 0x100000ULL
#define MP_LAPIC_BASE 0xfee00000U
#define MP_IOAPIC_BASE 0xfec00000U
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

/* The most it takes: the floating pointer, then the configuration table. */
#define MP_TABLE_MAX                                                                      \
	(sizeof(struct mp_floating) + sizeof(struct mp_header) +                           \
	 VM_MAX_CPUS * sizeof(struct mp_processor) + sizeof(struct mp_bus) +                \
	 sizeof(struct mp_ioapic) + (MP_ISA_LINES + 2) * sizeof(struct mp_irq))

/* The configuration table's entries, appended in order. */
struct mp_builder {
	uint8_t buf[MP_TABLE_MAX];
	size_t len;
	uint16_t entries;
};

static void mp_add(struct mp_builder *b, const void *entry, size_t size)
{
	memcpy(b->buf + b->len, entry, size);
	b->len += size;
	b->entries++;
}

void arch_tables_range(uint64_t *start, uint64_t *end)
{
	*start = MPTABLE_START;
	*end = x86_acpi_end(); /* the ACPI tables follow (acpi.c) */
}

int x86_mptable_write(struct mem *mem, unsigned ncpus)
{
	struct mp_builder b = { .len = sizeof(struct mp_floating) + sizeof(struct mp_header) };
	struct mp_floating fp = { .signature = "_MP_", .length = 1, .revision = 4 };
	struct mp_header h = { .signature = "PCMP", .revision = 4, .oem = "KVMDBG  ",
			       .product = "KVMDBG 1.0  ", .lapic = MP_LAPIC_BASE };
	const uint8_t ioapic_id = (uint8_t)ncpus; /* after the CPUs' APIC ids */

	for (unsigned i = 0; i < ncpus; i++) {
		struct mp_processor cpu = { .type = MP_PROCESSOR, .apic_id = (uint8_t)i,
					    .apic_version = 0x14, .flags = i == 0 ? 3 : 1,
					    .signature = 0x600, .features = 0x201 /* FPU, APIC */ };

		mp_add(&b, &cpu, sizeof(cpu));
	}
	mp_add(&b, &(struct mp_bus){ .type = MP_BUS, .name = "ISA   " }, sizeof(struct mp_bus));
	mp_add(&b, &(struct mp_ioapic){ .type = MP_IOAPIC, .id = ioapic_id, .version = 0x11,
					 .flags = 1, .address = MP_IOAPIC_BASE },
	       sizeof(struct mp_ioapic));
	for (unsigned line = 0; line < MP_ISA_LINES; line++) {
		if (line == 2) /* the slave PIC's cascade: nothing comes on it */
			continue;
		mp_add(&b, &(struct mp_irq){ .type = MP_IOINT, .kind = MP_INT, .bus_irq = line,
					     .dest = ioapic_id, .pin = line },
		       sizeof(struct mp_irq));
	}
	mp_add(&b, &(struct mp_irq){ .type = MP_LINT, .kind = MP_EXTINT, .dest = 0xff, .pin = 0 },
	       sizeof(struct mp_irq));
	mp_add(&b, &(struct mp_irq){ .type = MP_LINT, .kind = MP_NMI, .dest = 0xff, .pin = 1 },
	       sizeof(struct mp_irq));
	h.length = (uint16_t)(b.len - sizeof(fp));
	h.entries = b.entries;
	memcpy(b.buf + sizeof(fp), &h, sizeof(h));
	b.buf[sizeof(fp) + offsetof(struct mp_header, checksum)] =
		x86_checksum(b.buf + sizeof(fp), h.length);
	fp.config = (uint32_t)(MPTABLE_START + sizeof(fp));
	fp.checksum = x86_checksum(&fp, sizeof(fp));
	memcpy(b.buf, &fp, sizeof(fp));
	if (mem_write(mem, MPTABLE_START, b.buf, b.len) < 0)
		return err_set(ENOSPC, "no RAM at %#llx for the MP table",
			       (unsigned long long)MPTABLE_START);
	return 0;
}
