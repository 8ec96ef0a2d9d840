/*
 * Port I/O and MMIO ranges mapped to device handlers. Both spaces share one
 * registration call and one handler signature (as in kvmtool).
 */
#ifndef KVMDBG_IOBUS_H
#define KVMDBG_IOBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats;
struct io_range;

enum io_space {
	IO_PIO,  /* x86 port I/O */
	IO_MMIO, /* guest-physical addresses not backed by RAM */
};

/* Directions an access log watch or a memory watchpoint cares about (bits). */
#define WATCH_READ 1u
#define WATCH_WRITE 2u
#define WATCH_ACCESS (WATCH_READ | WATCH_WRITE)

/* One access, as seen by a device. */
struct io_access {
	enum io_space space; /* which bus */
	uint64_t addr;       /* port number or guest-physical address */
	uint64_t offset;     /* addr minus the start of the device's range */
	unsigned size;       /* 1, 2, 4 or 8 bytes */
	bool is_write;       /* true for out / store */
	uint64_t value;      /* written value, or the value a read returns */
	bool coalesced;      /* a write KVM queued in the coalesced MMIO ring */
	const struct io_range *dev; /* the device that claimed it (set by
				       iobus_access), or NULL: unclaimed */
};

/* What a handler asks of the vCPU after the access. */
enum io_result {
	IO_DONE, /* carry on running the guest */
	IO_EXIT, /* end the run: the guest asked to exit with status value & 0xff */
	IO_RESET, /* end the run: the guest reset the machine */
	IO_POWEROFF, /* end the run: the guest powered the machine off (status 0) */
};

typedef enum io_result (*io_handler)(void *opaque, struct io_access *acc);
/* The name of the register at offset in a device's range ("SCRATCH"), or NULL:
 * for the access acc as the device is now (a UART's DLAB, a read or a write),
 * or for any access when acc is NULL ("RBR/THR/DLL"). */
typedef const char *(*io_reg_namer)(const void *opaque, uint64_t offset,
				    const struct io_access *acc);

struct io_range {
	enum io_space space; /* which bus */
	uint64_t base, len;  /* [base, base + len) */
	const char *name;    /* device name for messages and logs */
	io_handler handler;  /* called for every access in the range */
	io_reg_namer reg_name; /* names its registers for logs, or NULL */
	void *opaque;        /* the device's own state */
	size_t state_size;   /* bytes of plain data at opaque a checkpoint keeps (0: none) */
};

struct iobus {
	struct io_range *ranges; /* unordered; a handful of devices */
	unsigned nr;             /* ranges in use */
	struct stats *stats;     /* access counters to bump */
	/* Asks the VM to queue writes to [base, base + len) in the coalesced
	 * ring instead of exiting for each (set by the VM; NULL: not offered). */
	int (*coalesce)(void *opaque, enum io_space space, uint64_t base, uint64_t len);
	void *coalesce_opaque;
};

void iobus_init(struct iobus *bus, struct stats *stats);
void iobus_free(struct iobus *bus);
/* -EBUSY when the range overlaps one already registered in the same space. */
int iobus_register(struct iobus *bus, enum io_space space, uint64_t base, uint64_t len,
		   const char *name, io_handler handler, io_reg_namer reg_name, void *opaque);
/* Lets KVM queue writes to [base, base + len) (inside a registered range) and
 * deliver them at the next exit; -ENOTSUP if the VM cannot. */
int iobus_coalesce(struct iobus *bus, enum io_space space, uint64_t base, uint64_t len);
/* Routes acc (space, addr, size, is_write, value for writes) to its device
 * and sets acc->dev.
 * Unclaimed reads return all-ones, unclaimed writes are dropped; both are counted. */
enum io_result iobus_access(struct iobus *bus, struct io_access *acc);
/* The same, uncounted (the debugger's own accesses). */
enum io_result iobus_route(const struct iobus *bus, struct io_access *acc);
const struct io_range *iobus_find(const struct iobus *bus, enum io_space space, uint64_t addr);
/* The first range of that name in space, or NULL. */
const struct io_range *iobus_find_name(const struct iobus *bus, enum io_space space,
				       const char *name);

/* The device whose state is opaque keeps size bytes of plain data there,
 * which checkpoints save and put back. */
void iobus_keep_state(struct iobus *bus, void *opaque, size_t size);
/* The kept state of every device, back to back in bus order: copied out to
 * buf (NULL: only counted), or with put, copied back from it; the bytes. */
size_t iobus_state(struct iobus *bus, uint8_t *buf, bool put);

/* Parses an I/O RANGE: ADDR, ADDR-END (inclusive), ADDR+LEN, or the name of a
 * device on bus; -EINVAL with a message. */
int iobus_parse_range(const struct iobus *bus, enum io_space space, const char *text,
		      uint64_t *base, uint64_t *len);
/* Parses r, w or rw (a for rw too) into WATCH_* bits; NULL means rw. */
int iobus_parse_dirs(const char *text, unsigned *dirs);
/* "r", "w" or "rw". */
const char *iobus_dirs_name(unsigned dirs);

#endif
