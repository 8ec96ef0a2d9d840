/*
 * Unit test of I/O range parsing (src/iobus.c: iobus_parse_range and
 * iobus_parse_dirs), what --watch-mmio, --watch-pio and the console's
 * mmio/pio watch take: ADDR, ADDR-END, ADDR+LEN or a device name. No KVM.
 */
#include "../../src/iobus.h"
#include "../../src/stats.h"
#include "unit.h"

static struct iobus bus;

static enum io_result dev_access(void *opaque, struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	return IO_DONE;
}

/* The range text parses to [base, base + len). */
static bool range_is(enum io_space space, const char *text, uint64_t base, uint64_t len)
{
	uint64_t b = 0, l = 0;

	return iobus_parse_range(&bus, space, text, &b, &l) == 0 && b == base && l == len;
}

static bool refused(enum io_space space, const char *text)
{
	uint64_t b, l;

	return iobus_parse_range(&bus, space, text, &b, &l) < 0;
}

int main(void)
{
	struct stats st = { 0 };
	unsigned d = 0;

	iobus_init(&bus, &st);
	CHECK(iobus_register(&bus, IO_MMIO, 0xd0000000, 0x1000, "testdev", dev_access, NULL,
			     NULL) == 0);
	CHECK(iobus_register(&bus, IO_PIO, 0x3f8, 8, "serial", dev_access, NULL, NULL) == 0);

	CHECK(range_is(IO_MMIO, "0xd0000010", 0xd0000010, 1));
	CHECK(range_is(IO_MMIO, "0x1000-0x1fff", 0x1000, 0x1000));
	CHECK(range_is(IO_MMIO, "0x1000+0x10", 0x1000, 0x10));
	CHECK(range_is(IO_MMIO, "4096+16", 0x1000, 16));
	CHECK(range_is(IO_MMIO, "testdev", 0xd0000000, 0x1000));
	CHECK(range_is(IO_PIO, "serial", 0x3f8, 8));
	CHECK(range_is(IO_PIO, "0x3f8-0x3ff", 0x3f8, 8));
	CHECK(range_is(IO_PIO, "0xffff", 0xffff, 1));
	CHECK(range_is(IO_MMIO, "0-0xfffffffffffffffe", 0, 0xffffffffffffffffULL));
	/* Device names belong to their own space. */
	CHECK(refused(IO_PIO, "testdev"));
	CHECK(refused(IO_MMIO, "serial"));
	/* Bad numbers, empty, backwards, wrapping and overlong ranges. */
	CHECK(refused(IO_MMIO, ""));
	CHECK(refused(IO_MMIO, "0x"));
	CHECK(refused(IO_MMIO, "12z"));
	CHECK(refused(IO_MMIO, "-5"));
	CHECK(refused(IO_MMIO, "0x2000-0x1000"));
	CHECK(refused(IO_MMIO, "0x1000+0"));
	CHECK(refused(IO_MMIO, "0xffffffffffffff00+0x200"));
	CHECK(refused(IO_MMIO, "0-0xffffffffffffffff"));
	CHECK(refused(IO_MMIO, "0x1000+"));
	CHECK(refused(IO_MMIO, "99999999999999999999"));
	CHECK(refused(IO_PIO, "0x10000"));
	CHECK(refused(IO_PIO, "0xfff0+0x20"));
	CHECK(refused(IO_MMIO, "0x00000000000000000000000000000000000000000000000000000000000000001-2"));

	CHECK(iobus_parse_dirs(NULL, &d) == 0 && d == WATCH_ACCESS);
	CHECK(iobus_parse_dirs("r", &d) == 0 && d == WATCH_READ);
	CHECK(iobus_parse_dirs("w", &d) == 0 && d == WATCH_WRITE);
	CHECK(iobus_parse_dirs("rw", &d) == 0 && d == WATCH_ACCESS);
	CHECK(iobus_parse_dirs("a", &d) == 0 && d == WATCH_ACCESS);
	CHECK(iobus_parse_dirs("x", &d) < 0);
	CHECK(iobus_parse_dirs("", &d) < 0);
	for (unsigned dirs = 1; dirs <= 3; dirs++)
		CHECK(iobus_parse_dirs(iobus_dirs_name(dirs), &d) == 0 && d == dirs);
	iobus_free(&bus);
	return unit_done();
}
