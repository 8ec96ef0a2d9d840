/*
 * pc-testdev, QEMU's device for kvm-unit-tests (layout.h says where each
 * part is). The flush-page port takes its write and does nothing more:
 * QEMU toggles the page's protection in its own mapping so that KVM drops
 * its translation; kvmdbg does not touch the protection of guest RAM it may
 * be reading at that moment on another thread.
 */
#include "devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

/* Ports 0xe0-0xe3 and 0xe8-0xeb: the data register (at 0xe0 whole at any
 * width from its start; at 0xe8 byte by byte). */
static enum io_result pc_testdev_data(void *opaque, struct io_access *acc)
{
	struct pc_testdev *t = opaque;
	unsigned shift = 8 * (unsigned)acc->offset;
	uint64_t mask = acc->size >= 4 ? 0xffffffffULL : (1ULL << (8 * acc->size)) - 1;

	if (shift >= 32)
		return IO_DONE;
	if (!acc->is_write) {
		acc->value = (t->data >> shift) & mask;
		return IO_DONE;
	}
	t->data = (uint32_t)((t->data & ~(uint32_t)(mask << shift)) |
			     (uint32_t)((acc->value & mask) << shift));
	return IO_DONE;
}

static enum io_result pc_testdev_flush(void *opaque, struct io_access *acc)
{
	(void)opaque;
	if (!acc->is_write)
		acc->value = 0;
	return IO_DONE;
}

/* Ports 0x2000-0x2017: line N's level. */
static enum io_result pc_testdev_irq(void *opaque, struct io_access *acc)
{
	struct pc_testdev *t = opaque;
	unsigned line = (unsigned)acc->offset;

	if (!acc->is_write) {
		acc->value = t->lines >> line & 1;
		return IO_DONE;
	}
	bool level = acc->value != 0;

	t->lines = (t->lines & ~(1U << line)) | (uint32_t)level << line;
	if (t->irq && t->irq->set)
		t->irq->set(t->irq->opaque, line, level);
	return IO_DONE;
}

/* 0xff000000: plain memory, byte by byte as the access covers it. */
static enum io_result pc_testdev_mem(void *opaque, struct io_access *acc)
{
	struct pc_testdev *t = opaque;
	uint64_t off = acc->offset;

	if (off >= PC_TESTDEV_MEM_SIZE || acc->size > PC_TESTDEV_MEM_SIZE - off) {
		if (!acc->is_write)
			acc->value = ~0ULL;
		return IO_DONE;
	}
	if (acc->is_write) {
		for (unsigned i = 0; i < acc->size; i++)
			t->mem[off + i] = (uint8_t)(acc->value >> (8 * i));
		return IO_DONE;
	}
	acc->value = 0;
	for (unsigned i = 0; i < acc->size; i++)
		acc->value |= (uint64_t)t->mem[off + i] << (8 * i);
	return IO_DONE;
}

static const char *pc_testdev_reg_name(const void *opaque, uint64_t offset,
				       const struct io_access *acc)
{
	(void)opaque;
	(void)offset;
	if (acc->addr >= LAYOUT_TESTDEV_IRQ_PORT && acc->addr < LAYOUT_TESTDEV_IRQ_PORT + PC_TESTDEV_IRQS)
		return "irq";
	if (acc->addr == LAYOUT_TESTDEV_FLUSH_PORT)
		return "flush";
	return acc->space == IO_MMIO ? "mem" : "data";
}

int pc_testdev_create(struct devices *devs, struct iobus *bus)
{
	struct pc_testdev *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	devs->pc_testdev = t;
	t->irq = &devs->irq;
	r = iobus_register(bus, IO_PIO, LAYOUT_TESTDEV_PORT, 4, "pc-testdev", pc_testdev_data,
			   pc_testdev_reg_name, t);
	if (r == 0)
		r = iobus_register(bus, IO_PIO, LAYOUT_TESTDEV_FLUSH_PORT, 4, "pc-testdev",
				   pc_testdev_flush, pc_testdev_reg_name, t);
	if (r == 0)
		r = iobus_register(bus, IO_PIO, LAYOUT_TESTDEV_BYTE_PORT, 4, "pc-testdev",
				   pc_testdev_data, pc_testdev_reg_name, t);
	if (r == 0)
		r = iobus_register(bus, IO_PIO, LAYOUT_TESTDEV_IRQ_PORT, PC_TESTDEV_IRQS, "pc-testdev",
				   pc_testdev_irq, pc_testdev_reg_name, t);
	if (r == 0)
		r = iobus_register(bus, IO_MMIO, LAYOUT_PC_TESTDEV_MEM, PC_TESTDEV_MEM_SIZE,
				   "pc-testdev", pc_testdev_mem, pc_testdev_reg_name, t);
	if (r == 0)
		iobus_keep_state(bus, t, offsetof(struct pc_testdev, irq));
	return r;
}
