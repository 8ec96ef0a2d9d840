/* kvmdbg's built-in devices; guest-visible addresses are in layout.h. */
#ifndef KVMDBG_DEVICES_H
#define KVMDBG_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../iobus.h"
#include "layout.h"
#include "output.h"


/*
 * Where received bytes come from: poll() returns true with the byte that
 * arrived by the seq-th look (seq counts the looks, and is part of the
 * device's state, so a machine put back looks again with the same numbers).
 */
struct devices_input {
	bool (*poll)(void *opaque, uint64_t seq, uint8_t *byte);
	void *opaque;
};

/* Raises and lowers an ISA interrupt line (the machine's; any thread). */
struct devices_irq {
	void (*set)(void *opaque, unsigned irq, bool level);
	void *opaque;
};

/* 16550 UART state: received bytes show in LSR; with an irq, IRQ 4 for
 * "received data available" and "transmitter holding register empty". */
struct serial {
	struct devices_output *output; /* where transmitted bytes go */
	const struct devices_input *input; /* where received ones come from (NULL: none) */
	const struct devices_irq *irq; /* its interrupt line's owner (NULL: none) */
	bool thre_pending;             /* the THR-empty interrupt is pending */
	bool line;                     /* the level IRQ 4 was last set to */
	uint64_t looks;                /* input->poll() calls so far */
	uint8_t rx;                    /* the byte received, if rx_full */
	bool rx_full;
	uint8_t ier, lcr, mcr, scr;    /* interrupt enable, line/modem control, scratch */
	uint8_t dll, dlm;              /* divisor latch */
	uint8_t fcr;                   /* last FIFO control written */
};

/* The test MMIO device's registers (layout.h: TESTDEV_*). */
struct testdev {
	uint64_t scratch;  /* TESTDEV_SCRATCH */
	uint64_t counter;  /* TESTDEV_COUNTER */
	uint64_t accesses; /* TESTDEV_ACCESSES */
	uint8_t data[TESTDEV_DATA_SIZE]; /* the data window (TESTDEV_DATA) */
};

/* fw_cfg (layout.h: FWCFG_*): what it is reading, kept with checkpoints
 * (first, so that the kept state is this alone), then its items. */
#define FWCFG_ITEMS_SIZE 4096
struct fwcfg {
	uint16_t key;      /* the item selected */
	uint32_t offset;   /* the next byte of it to read */
	struct fwcfg_item {
		uint16_t key;
		uint32_t size;
		uint32_t at;   /* in data, unless: */
		uint8_t *own;  /* a large item's own copy (malloc'd), or */
		int fd;        /* a file it is read from (its own; -1: none), at */
		uint64_t file_off;
	} items[32];
	unsigned nitems;
	uint8_t data[FWCFG_ITEMS_SIZE];
	uint32_t used;
	/* The piece of a file item read last (a cache, not state). */
	uint8_t chunk[4096];
	int chunk_item;    /* whose (-1: none) */
	uint32_t chunk_at, chunk_len;
};

/* The i8042 (reset line, probing). */
struct i8042 {
	uint8_t ctr;       /* configuration byte */
	uint8_t pending;   /* a command waiting for its data byte, 0: none */
	bool last_cmd;     /* the last write was to the command port */
	uint8_t out[8];    /* bytes for the guest to read at 0x60 */
	uint8_t nout;
};

/* The RTC and CMOS memory: 128 bytes and the index. */
struct rtc {
	uint8_t index;
	uint8_t cmos[128];
};

struct devices {
	struct devices_output output;
	struct devices_input input;
	struct devices_irq irq;
	struct serial serial;
	struct testdev testdev;
	struct fwcfg fwcfg;
	struct i8042 i8042;
	struct rtc rtc;
};

struct mem;

/* Registers every built-in device on bus, for a machine with mem's RAM;
 * out receives guest text (may be NULL). */
int devices_create(struct devices *devs, struct iobus *bus, FILE *out, const struct mem *mem,
		   unsigned ncpus);
/* Fills fw_cfg's items for that machine. */
void fwcfg_init(struct fwcfg *f, const struct mem *mem, unsigned ncpus);
/* What was loaded, for a boot loader in the guest (fw_cfg's kernel, command
 * line, initrd and setup items): guest-physical ranges, copied from RAM as
 * they are now; size 0: none. The kernel and the initrd are read from their
 * files instead where a descriptor is given (taken over: no second copy of a
 * large initrd). setup is a Linux kernel's real-mode part, which is not in
 * RAM. */
struct fwcfg_boot {
	uint64_t kernel, kernel_size, entry;
	int kernel_fd;                /* -1: copy RAM */
	uint64_t kernel_off;          /* where in it */
	uint64_t cmdline;             /* its NUL-terminated text, 0: none */
	uint64_t initrd, initrd_size;
	int initrd_fd;                /* -1: copy RAM; else the whole file */
	const void *setup;
	size_t setup_size;
};
/* Adds those items; -errno with a message. */
int fwcfg_add_boot(struct fwcfg *f, const struct mem *mem, const struct fwcfg_boot *b);
/* Frees what the items own (devices_create() again, or nothing, after). */
void devices_free(struct devices *devs);
enum io_result fwcfg_access(void *opaque, struct io_access *acc);
enum io_result i8042_data_access(void *opaque, struct io_access *acc);
enum io_result i8042_status_access(void *opaque, struct io_access *acc);
const char *i8042_data_name(const void *opaque, uint64_t offset, const struct io_access *acc);
const char *i8042_status_name(const void *opaque, uint64_t offset, const struct io_access *acc);
/* The clock at the host's time now, CMOS memory sizes for mem's RAM. */
void rtc_init(struct rtc *r, const struct mem *mem);
enum io_result rtc_access(void *opaque, struct io_access *acc);
const char *rtc_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);
const char *fwcfg_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);

enum io_result serial_access(void *opaque, struct io_access *acc);
/* From another thread, holding what serialises the vCPUs' accesses (the
 * VM's io_lock): input waits, which the guest asked to be interrupted for:
 * raises the line (the guest's next access sets it right). Whether so. */
bool serial_input_waits(struct serial *s);
enum io_result debugcon_access(void *opaque, struct io_access *acc);
enum io_result exitdev_access(void *opaque, struct io_access *acc);
enum io_result testdev_access(void *opaque, struct io_access *acc);
const char *serial_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);
const char *testdev_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);

#endif
