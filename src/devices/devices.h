/* kvmdbg's built-in devices; guest-visible addresses are in layout.h. */
#ifndef KVMDBG_DEVICES_H
#define KVMDBG_DEVICES_H

#include <stdint.h>
#include <stdio.h>

#include "../iobus.h"
#include "layout.h"
#include "output.h"


/* 16550 UART state (transmit only; nothing is ever received). */
struct serial {
	struct devices_output *output; /* where transmitted bytes go */
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

struct devices {
	struct devices_output output;
	struct serial serial;
	struct testdev testdev;
};

/* Registers every built-in device on bus; out receives guest text (may be NULL). */
int devices_create(struct devices *devs, struct iobus *bus, FILE *out);

enum io_result serial_access(void *opaque, struct io_access *acc);
enum io_result debugcon_access(void *opaque, struct io_access *acc);
enum io_result exitdev_access(void *opaque, struct io_access *acc);
enum io_result testdev_access(void *opaque, struct io_access *acc);
const char *serial_reg_name(uint64_t offset);
const char *testdev_reg_name(uint64_t offset);

#endif
