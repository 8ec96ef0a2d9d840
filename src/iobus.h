/*
 * Port I/O and MMIO ranges mapped to device handlers. Both spaces share one
 * registration call and one handler signature (as in kvmtool).
 */
#ifndef KVMDBG_IOBUS_H
#define KVMDBG_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

struct stats;

enum io_space {
	IO_PIO,  /* x86 port I/O */
	IO_MMIO, /* guest-physical addresses not backed by RAM */
};

/* One access, as seen by a device. */
struct io_access {
	enum io_space space; /* which bus */
	uint64_t addr;       /* port number or guest-physical address */
	uint64_t offset;     /* addr minus the start of the device's range */
	unsigned size;       /* 1, 2, 4 or 8 bytes */
	bool is_write;       /* true for out / store */
	uint64_t value;      /* written value, or the value a read returns */
};

/* What a handler asks of the vCPU after the access. */
enum io_result {
	IO_DONE, /* carry on running the guest */
	IO_EXIT, /* end the run: the guest asked to exit with status value & 0xff */
};

typedef enum io_result (*io_handler)(void *opaque, struct io_access *acc);

struct io_range {
	enum io_space space; /* which bus */
	uint64_t base, len;  /* [base, base + len) */
	const char *name;    /* device name for messages and logs */
	io_handler handler;  /* called for every access in the range */
	void *opaque;        /* the device's own state */
};

struct iobus {
	struct io_range *ranges; /* unordered; a handful of devices */
	unsigned nr;             /* ranges in use */
	struct stats *stats;     /* access counters to bump */
};

void iobus_init(struct iobus *bus, struct stats *stats);
void iobus_free(struct iobus *bus);
/* -EBUSY when the range overlaps one already registered in the same space. */
int iobus_register(struct iobus *bus, enum io_space space, uint64_t base, uint64_t len,
		   const char *name, io_handler handler, void *opaque);
/* Routes acc (space, addr, size, is_write, value for writes) to its device.
 * Unclaimed reads return all-ones, unclaimed writes are dropped; both are counted. */
enum io_result iobus_access(struct iobus *bus, struct io_access *acc);
const struct io_range *iobus_find(const struct iobus *bus, enum io_space space, uint64_t addr);

#endif
