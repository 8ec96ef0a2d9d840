#include "iobus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
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

enum io_result iobus_route(const struct iobus *bus, struct io_access *acc)
{
	const struct io_range *r = iobus_find(bus, acc->space, acc->addr);

	acc->dev = r;
	if (!r) {
		if (!acc->is_write)
			acc->value = acc->size >= 8 ? ~0ULL : (1ULL << (acc->size * 8)) - 1;
		return IO_DONE;
	}
	acc->offset = acc->addr - r->base;
	return r->handler(r->opaque, acc);
}

enum io_result iobus_access(struct iobus *bus, struct io_access *acc)
{
	struct stats *st = bus->stats;
	bool pio = acc->space == IO_PIO;
	enum io_result res;

	if (pio)
		acc->is_write ? st->pio_writes++ : st->pio_reads++;
	else
		acc->is_write ? st->mmio_writes++ : st->mmio_reads++;
	res = iobus_route(bus, acc);
	if (!acc->dev) {
		if (pio)
			acc->is_write ? st->pio_unclaimed_writes++ : st->pio_unclaimed_reads++;
		else
			acc->is_write ? st->mmio_unclaimed_writes++ : st->mmio_unclaimed_reads++;
	}
	return res;
}

void iobus_keep_state(struct iobus *bus, void *opaque, size_t size)
{
	for (unsigned i = 0; i < bus->nr; i++)
		if (bus->ranges[i].opaque == opaque)
			bus->ranges[i].state_size = size;
}

size_t iobus_state(struct iobus *bus, uint8_t *buf, bool put)
{
	size_t n = 0;

	for (unsigned i = 0; i < bus->nr; i++) {
		const struct io_range *r = &bus->ranges[i];
		bool seen = false;

		/* A device on several ranges is kept once. */
		for (unsigned j = 0; j < i && !seen; j++)
			seen = bus->ranges[j].opaque == r->opaque && bus->ranges[j].state_size;
		if (!r->state_size || seen)
			continue;
		if (put)
			memcpy(r->opaque, buf + n, r->state_size);
		else if (buf)
			memcpy(buf + n, r->opaque, r->state_size);
		n += r->state_size;
	}
	return n;
}

/* ---- parsing -------------------------------------------------------------- */

static int iobus_number(const char *text, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(text, &end, 0);
	if (errno || end == text || *end || *text == '-')
		return -EINVAL;
	return 0;
}

int iobus_parse_range(const struct iobus *bus, enum io_space space, const char *text, uint64_t *base,
		      uint64_t *len)
{
	const struct io_range *dev = iobus_find_name(bus, space, text);
	char first[64];
	const char *sep = strpbrk(text, "+-");
	uint64_t a, b;

	if (dev) {
		*base = dev->base;
		*len = dev->len;
		return 0;
	}
	if (!sep) {
		if (iobus_number(text, base) < 0)
			goto bad;
		*len = 1;
		goto check;
	}
	if ((size_t)(sep - text) >= sizeof(first))
		goto bad;
	memcpy(first, text, (size_t)(sep - text));
	first[sep - text] = '\0';
	if (iobus_number(first, &a) < 0 || iobus_number(sep + 1, &b) < 0)
		goto bad;
	if (*sep == '+') {
		if (!span_ok(a, b, UINT64_MAX))
			goto bad;
		*base = a;
		*len = b;
	} else {
		if (b < a || b - a == UINT64_MAX)
			goto bad;
		*base = a;
		*len = b - a + 1;
	}
check:
	if (space == IO_PIO && (*base > 0xffff || *len > 0x10000 - *base))
		return err_set(EINVAL, "ports go from 0 to 0xffff: %s", text);
	return 0;
bad:
	return err_set(EINVAL, "not a %s range: '%s' (ADDR, ADDR-END, ADDR+LEN or a device name)",
		       space == IO_PIO ? "port" : "MMIO", text);
}

int iobus_parse_dirs(const char *text, unsigned *dirs)
{
	if (!text || !strcmp(text, "rw") || !strcmp(text, "a"))
		*dirs = WATCH_ACCESS;
	else if (!strcmp(text, "r"))
		*dirs = WATCH_READ;
	else if (!strcmp(text, "w"))
		*dirs = WATCH_WRITE;
	else
		return err_set(EINVAL, "not a direction: '%s' (r, w or rw)", text);
	return 0;
}

/* ---- the access log ------------------------------------------------------- */

const char *iobus_dirs_name(unsigned dirs)
{
	return dirs == WATCH_ACCESS ? "rw" : dirs == WATCH_READ ? "r" : "w";
}
