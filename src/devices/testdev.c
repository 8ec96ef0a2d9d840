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

enum io_result testdev_access(void *opaque, struct io_access *acc)
{
	struct testdev *t = opaque;
	uint64_t reg = acc->offset & ~7ULL, shift = (acc->offset & 7) * 8;
	uint64_t mask = acc->size >= 8 ? ~0ULL : (1ULL << (acc->size * 8)) - 1;
	uint64_t *p;

	/* An access that straddles two registers reads as all-ones and writes nothing. */
	if ((acc->offset & 7) + acc->size > 8) {
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
