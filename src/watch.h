/*
 * Watching the guest: the MMIO and port-I/O access log (what each access
 * was, which instruction made it, which device took it), access statistics,
 * and memory watchpoints built from memslot protection, any number of any
 * length: a write watchpoint makes its pages read-only, a read or access
 * watchpoint takes its pages out of the guest's memory map, and kvmdbg itself
 * performs the accesses that then exit.
 */
#ifndef KVMDBG_WATCH_H
#define KVMDBG_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "iobus.h"

struct vm;
struct vcpu;
struct symtab;
struct mem_page_prot;

/* Directions an I/O watch or a memory watchpoint cares about (bits). */
#define WATCH_READ 1u
#define WATCH_WRITE 2u
#define WATCH_ACCESS (WATCH_READ | WATCH_WRITE)
#define WATCH_MAX_SYSTEM_PAGES 16384 /* page-table pages and such checked per resume */
#define WATCH_MAX_SITES 262144      /* addresses the statistics tell apart */
#define WATCH_MAX_DELIVERY_PAGES 512 /* table pages checked when lifting for a delivery */

/* What the debugger knows of an access's instruction count. */
enum watch_count {
	WATCH_UNCOUNTED,     /* instructions are not counted: log the exit number */
	WATCH_COUNTED,       /* *count is the accessing instruction's icount */
	WATCH_COUNT_UNKNOWN, /* counted, but not known for this one (a queued write) */
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

/* The part of a memory watchpoint inside one guest page. */
struct watch_piece {
	uint64_t pa;  /* guest-physical start */
	uint64_t len; /* bytes, all in one page */
	uint64_t va;  /* the watchpoint's own address for pa */
	bool device;  /* not RAM but device (MMIO) space: every access exits anyway */
};

struct mem_watch {
	int id;                     /* number shown to the user (shared with breakpoints) */
	unsigned owners;            /* who asked for it (debug.h's BP_OWNER_*) */
	unsigned kind;              /* WATCH_WRITE, WATCH_READ or WATCH_ACCESS */
	uint64_t addr, len;         /* as given: guest-virtual, or physical */
	bool phys;                  /* addr is guest-physical */
	struct watch_piece *pieces; /* page by page */
	unsigned npieces;
	unsigned hits;              /* times it stopped the guest */
	bool warned;                /* told that it watches only writes somewhere */
};

/* What stopped the guest at a memory watchpoint. */
struct watch_hit {
	int id;        /* the watchpoint */
	unsigned kind; /* its kind */
	bool is_write; /* what the access did */
	uint64_t addr; /* first byte of the access inside the watchpoint, in its terms */
	uint64_t pa;   /* guest-physical address of the access */
	unsigned size; /* bytes accessed */
	uint64_t value; /* value written or read */
	uint64_t old;  /* a write to RAM: what memory held before */
	bool device;   /* an MMIO access (no old value) */
};

struct watch {
	struct vm *vm;
	const struct symtab *syms; /* names instructions in records, or NULL */
	/* The icount of the instruction making an access (the debugger's; NULL:
	 * records carry the exit number), and its address if known (*pc_known).
	 * Called on the vCPU thread. */
	enum watch_count (*icount)(void *opaque, bool queued, uint64_t *count, uint64_t *pc,
				   bool *pc_known);
	void *icount_opaque;
	struct timespec start;     /* time 0 of the records */

	/* The access log. */
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

	/* Memory watchpoints. */
	struct mem_watch *mem;
	unsigned nmem, mem_cap;
	uint64_t *exec;            /* pages the debugger takes away so that code fetched
				      from them stops (breakpoints by page), sorted */
	unsigned nexec;
	struct mem_page_prot *pages; /* what vm_protect() was last given */
	unsigned npages;
	uint64_t fetch[2];         /* unbacked pages lent back for one step so code runs */
	unsigned nfetch;
	struct io_access fetch_read; /* what the lent instruction reads, if size > 0 */
	bool fetch_halt;           /* it halts: run it, do not step it (a step skips hlt) */
	bool lift_all;             /* every protected page is given back for one step */
	bool fetch_failed;         /* it failed to run even lent (an int3 on PVM, say): */
	uint64_t fetch_failed_pc;  /* ... here; do not lend for it again while its exit
				      is handled (the vCPU clears this before its next run) */
	struct watch_hit hit;      /* the last hit */
};

void watch_init(struct watch *w, struct vm *vm);
void watch_free(struct watch *w);

/* Parses an I/O RANGE: ADDR, ADDR-END (inclusive), ADDR+LEN, or a device name. */
int watch_parse_range(struct watch *w, enum io_space space, const char *text, uint64_t *base,
		      uint64_t *len);
/* Parses r, w or rw (a for rw too); NULL means rw. */
int watch_parse_dirs(const char *text, unsigned *dirs);
/* "r", "w" or "rw". */
const char *watch_dirs_name(unsigned dirs);
/* Watches accesses to a range; returns the watch's number. */
int watch_io_add(struct watch *w, enum io_space space, uint64_t base, uint64_t len,
		 unsigned dirs, const char *what);
int watch_io_remove(struct watch *w, int id);
void watch_io_list(const struct watch *w, FILE *out);
/* Opens the log (JSON Lines if path ends in .jsonl); NULL closes it. */
int watch_log_open(struct watch *w, const char *path, bool careful);
void watch_log_flush(struct watch *w);
/* On the vCPU thread, for every PIO/MMIO access after its device handled it:
 * counts it, and logs it if it is watched. */
void watch_io_record(struct watch *w, struct vcpu *vcpu, const struct io_access *acc);
/* Accesses per device and register, and the busiest addresses. */
void watch_io_stats(const struct watch *w, FILE *out);

/* Memory watchpoints; id and owners come from the debugger. pieces is taken over. */
int watch_mem_add(struct watch *w, int id, unsigned owner, unsigned kind, uint64_t addr,
		  uint64_t len, bool phys, struct watch_piece *pieces, unsigned npieces);
struct mem_watch *watch_mem_find(struct watch *w, unsigned kind, uint64_t addr, uint64_t len,
				 bool phys);
struct mem_watch *watch_mem_get(struct watch *w, int id);
void watch_mem_remove(struct watch *w, int id);
/* The pages code must not be fetched from unseen (vcpu->fetch_stop decides
 * what a fetch there means); applied by the next watch_mem_apply(). */
int watch_exec_set(struct watch *w, const uint64_t *pages, unsigned n);
/* Whether the page holding gpa is taken out of the map now. */
bool watch_page_trapped(const struct watch *w, uint64_t gpa);
/* Protects exactly the pages watchpoints need (before the guest runs). */
int watch_mem_apply(struct watch *w, struct vcpu *vcpu);
/* On the vCPU thread, for an MMIO exit: if it is an access to a protected RAM
 * page, performs it and returns true; *hit then tells whether a watchpoint caught it. */
bool watch_mem_access(struct watch *w, struct io_access *acc, bool *hit);
/* After a device handled an MMIO access: whether a watchpoint on device space
 * caught it (w->hit says what). */
bool watch_mem_device_hit(struct watch *w, const struct io_access *acc);
/*
 * Code on a page kvmdbg took away for a read watchpoint cannot be fetched.
 * After such a failure at pc, watch_fetch_begin() lends the page(s) back
 * read-only; the vCPU then runs them by single steps. After each step,
 * watch_fetch_hit() says whether the stepped instruction read watched
 * memory from them (w->hit says what: that read did not exit), and
 * watch_fetch_next() whether the next instruction is still on them (then it
 * may run lent too); watch_fetch_end() takes the pages away again.
 */
bool watch_fetch_begin(struct watch *w, struct vcpu *vcpu, uint64_t pc);
/* Likewise after a shutdown at pc while pages are protected: delivering an
 * exception (pushing its frame, reading the IDT) onto protected pages fails
 * on some hosts. Gives every page back, fully, for one step. */
bool watch_lift_begin(struct watch *w, struct vcpu *vcpu, uint64_t pc);
/* The same without a failure first (before kvmdbg itself delivers an event). */
void watch_lift(struct watch *w, struct vcpu *vcpu);
/* Whether pages are lent or given back now. */
bool watch_lending(const struct watch *w);
/* done: the lent instruction ran (a step trap or its own PIO/MMIO exit). */
bool watch_fetch_hit(struct watch *w, bool done);
bool watch_fetch_next(struct watch *w, struct vcpu *vcpu);
void watch_fetch_end(struct watch *w, struct vcpu *vcpu);

#endif
