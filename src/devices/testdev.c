/* Test MMIO device: a few 64-bit registers for MMIO tests (layout.h: TESTDEV_*). */
#include "devices.h"

#include "layout.h"

static uint64_t *testdev_reg(struct testdev *t, uint64_t reg)
{
	switch (reg) {
	case TESTDEV_SCRATCH: return &t->scratch;
	case TESTDEV_COUNTER: return &t->counter;
	default: return NULL;
	}
}

static uint64_t testdev_read(struct testdev *t, uint64_t reg)
{
	switch (reg) {
	case TESTDEV_ID: return TESTDEV_ID_VALUE;
	case TESTDEV_SCRATCH: return t->scratch;
	case TESTDEV_COUNTER: return t->counter++;
	case TESTDEV_ACCESSES: return t->accesses;
	default: return ~0ULL;
	}
}

const char *testdev_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	static const char *const names[] = { "ID", "SCRATCH", "COUNTER", "ACCESSES" };

	if (offset >= TESTDEV_DATA)
		return "DATA";
	return offset / 8 < sizeof(names) / sizeof(names[0]) ? names[offset / 8] : NULL;
}

/* The data window: bytes beyond its end read as all-ones and are not written. */
static void testdev_data(struct testdev *t, struct io_access *acc)
{
	uint64_t off = acc->offset - TESTDEV_DATA;

	if (!acc->is_write)
		acc->value = ~0ULL;
	for (unsigned i = 0; i < acc->size && off + i < TESTDEV_DATA_SIZE; i++) {
		if (acc->is_write)
			t->data[off + i] = (uint8_t)(acc->value >> (8 * i));
		else
			acc->value = (acc->value & ~(0xffULL << (8 * i))) |
				     (uint64_t)t->data[off + i] << (8 * i);
	}
	if (!acc->is_write && acc->size < 8)
		acc->value &= (1ULL << (acc->size * 8)) - 1;
}

enum io_result testdev_access(void *opaque, struct io_access *acc)
{
	struct testdev *t = opaque;
	uint64_t reg = acc->offset & ~7ULL, shift = (acc->offset & 7) * 8;
	uint64_t mask = acc->size >= 8 ? ~0ULL : (1ULL << (acc->size * 8)) - 1;
	uint64_t *p;

	/* An access that straddles two registers reads as all-ones and writes nothing. */
	if (acc->offset >= TESTDEV_DATA) {
		testdev_data(t, acc);
	} else if ((acc->offset & 7) + acc->size > 8) {
		if (!acc->is_write)
			acc->value = mask;
	} else if (!acc->is_write) {
		acc->value = (testdev_read(t, reg) >> shift) & mask;
	} else {
		p = testdev_reg(t, reg);
		if (p)
			*p = (*p & ~(mask << shift)) | ((acc->value & mask) << shift);
	}
	t->accesses++;
	return IO_DONE;
}
