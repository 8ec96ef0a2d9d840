#include "iobus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"
#include "stats.h"

void iobus_init(struct iobus *bus, struct stats *stats)
{
	*bus = (struct iobus){ .stats = stats };
}

void iobus_free(struct iobus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = 0;
}

int iobus_register(struct iobus *bus, enum io_space space, uint64_t base, uint64_t len,
		   const char *name, io_handler handler, io_reg_namer reg_name, void *opaque)
{
	struct io_range *r;

	if (!span_ok(base, len, UINT64_MAX))
		return -EINVAL;
	for (unsigned i = 0; i < bus->nr; i++) {
		r = &bus->ranges[i];
		if (r->space == space && base <= span_last(r->base, r->len) &&
		    r->base <= span_last(base, len))
			return -EBUSY;
	}
	r = realloc(bus->ranges, (bus->nr + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	bus->ranges = r;
	bus->ranges[bus->nr++] = (struct io_range){
		.space = space, .base = base, .len = len,
		.name = name, .handler = handler, .reg_name = reg_name, .opaque = opaque,
	};
	return 0;
}

const struct io_range *iobus_find(const struct iobus *bus, enum io_space space, uint64_t addr)
{
	for (unsigned i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (r->space == space && addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

const struct io_range *iobus_find_name(const struct iobus *bus, enum io_space space,
				       const char *name)
{
	for (unsigned i = 0; i < bus->nr; i++)
		if (bus->ranges[i].space == space && !strcmp(bus->ranges[i].name, name))
			return &bus->ranges[i];
	return NULL;
}

int iobus_coalesce(struct iobus *bus, enum io_space space, uint64_t base, uint64_t len)
{
	if (!bus->coalesce)
		return -ENOTSUP;
	return bus->coalesce(bus->coalesce_opaque, space, base, len);
}

enum io_result iobus_access(struct iobus *bus, struct io_access *acc)
{
	const struct io_range *r = iobus_find(bus, acc->space, acc->addr);
	struct stats *st = bus->stats;
	bool pio = acc->space == IO_PIO;

	if (pio)
		acc->is_write ? st->pio_writes++ : st->pio_reads++;
	else
		acc->is_write ? st->mmio_writes++ : st->mmio_reads++;

	acc->dev = r;
	if (!r) {
		if (pio)
			acc->is_write ? st->pio_unclaimed_writes++ : st->pio_unclaimed_reads++;
		else
			acc->is_write ? st->mmio_unclaimed_writes++ : st->mmio_unclaimed_reads++;
		if (!acc->is_write)
			acc->value = acc->size >= 8 ? ~0ULL : (1ULL << (acc->size * 8)) - 1;
		return IO_DONE;
	}
	acc->offset = acc->addr - r->base;
	return r->handler(r->opaque, acc);
}
