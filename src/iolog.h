/*
 * The MMIO and port-I/O access log: what each access was, which instruction
 * made it, which device took it; and access statistics per device, register
 * and address. An observer of the run: the vCPU calls iolog_record() through
 * its access hook (vcpu.h), never this file by name.
 */
#ifndef KVMDBG_IOLOG_H
#define KVMDBG_IOLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "iobus.h"

struct vcpu;
struct stats;
struct symtab;

#define IOLOG_MAX_SITES 262144 /* addresses the statistics tell apart */

/* What the debugger knows of an access's instruction count. */
enum iolog_count {
	IOLOG_UNCOUNTED,     /* instructions are not counted: log the exit number */
	IOLOG_COUNTED,       /* *count is the accessing instruction's icount */
	IOLOG_COUNT_UNKNOWN, /* counted, but not known for this one (a queued write) */
};

/* Accesses to [base, base + len) are logged. */
struct io_watch {
	int id;              /* number shown to the user */
	enum io_space space; /* MMIO or ports */
	uint64_t base, len;  /* the range */
	unsigned dirs;       /* WATCH_READ and/or WATCH_WRITE */
	char what[64];       /* how the user named it: a device or a range */
};

/* Accesses to one address, for statistics. */
struct io_site {
	enum io_space space;        /* MMIO or ports */
	uint64_t addr;              /* the address or port */
	const struct io_range *dev; /* the device, or NULL */
	uint64_t reads, writes;     /* how many */
	bool used;                  /* the hash slot is taken */
};

struct iolog {
	const struct symtab *syms; /* names instructions in records, or NULL */
	/* The icount of the instruction making an access (the debugger's; NULL:
	 * records carry the exit number), and its address if known (*pc_known).
	 * Called on the vCPU thread. */
	enum iolog_count (*icount)(void *opaque, bool queued, uint64_t *count, uint64_t *pc,
				   bool *pc_known);
	void *icount_opaque;
	struct timespec start;     /* time 0 of the records */

	struct io_watch *io;       /* what is watched; none: a log takes everything */
	unsigned nio;
	int next_io_id;
	FILE *log;                 /* --mmio-log / mmio log FILE, or NULL */
	bool log_json;             /* JSON Lines (the file name ends in .jsonl) */
	char *log_path;
	FILE *out;                 /* watched accesses go here while no log is open */
	uint64_t records;          /* records written so far */
	bool header;               /* the text header is still to be written */

	/* Statistics: an open-addressed hash of addresses. */
	struct io_site *sites;
	size_t site_cap, nsites;
	uint64_t sites_full;       /* accesses not counted there: the table was full */
};

void iolog_init(struct iolog *l);
void iolog_free(struct iolog *l);

/* Watches accesses to a range; returns the watch's number. */
int iolog_watch_add(struct iolog *l, enum io_space space, uint64_t base, uint64_t len,
		    unsigned dirs, const char *what);
int iolog_watch_remove(struct iolog *l, int id);
void iolog_list(const struct iolog *l, FILE *out);
/* Opens the log (JSON Lines if path ends in .jsonl); NULL closes it. careful:
 * a regular file only, reached without symlinks (a remote client named it). */
int iolog_open(struct iolog *l, const char *path, bool careful);
void iolog_flush(struct iolog *l);
/* The vCPU's access hook (opaque: the iolog), on the vCPU thread, for every
 * PIO/MMIO access after its device handled it: counts it, and logs it if it
 * is watched. */
void iolog_record(void *opaque, struct vcpu *vcpu, const struct io_access *acc);
/* Accesses per device and register, and the busiest addresses. */
void iolog_stats(const struct iolog *l, FILE *out);

#endif
