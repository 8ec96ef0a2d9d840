/*
 * Memory watchpoints built from memslot protection, any number of any
 * length: a write watchpoint makes its pages read-only, a read or access
 * watchpoint takes its pages out of the guest's memory map, and kvmdbg itself
 * performs the accesses that then exit (watch.c); code on pages taken away is
 * lent back to run (lend.c). An observer of the run: the vCPU reaches both
 * through watch_page_ops (vcpu.h), never by name. The debugger owns the state.
 */
#ifndef KVMDBG_WATCH_H
#define KVMDBG_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "iobus.h"

struct vm;
struct vcpu;
struct symtab;
struct mem_page_prot;
struct vcpu_stop;
struct vcpu_page_ops;

#define WATCH_MAX_SYSTEM_PAGES 16384 /* page-table pages and such checked per resume */
#define WATCH_MAX_DELIVERY_PAGES 512 /* table pages checked when lifting for a delivery */

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
/* The vCPU's page hooks (opaque: the watch state). */
extern const struct vcpu_page_ops watch_page_ops;

/* Between watch.c and lend.c. */
int watch_page_cmp(const void *a, const void *b);
const struct mem_page_prot *watch_page(const struct watch *w, uint64_t gpa);
bool watch_lent_page(const struct watch *w, uint64_t gpa);
bool watch_mem_hit(struct watch *w, const struct io_access *acc);
bool watch_access(void *opaque, struct io_access *acc, bool *hit);
bool watch_device_hit(void *opaque, const struct io_access *acc);
void watch_hit_stop(void *opaque, struct vcpu_stop *stop);
bool watch_fetch_begin(void *opaque, struct vcpu *vcpu, uint64_t pc);
bool watch_lift_begin(void *opaque, struct vcpu *vcpu, uint64_t pc);
bool watch_would_lend(void *opaque, struct vcpu *vcpu, uint64_t pc, bool all);
void watch_lift(void *opaque, struct vcpu *vcpu);
bool watch_run_begin(void *opaque, bool *halt);
void watch_fetch_failed(void *opaque, uint64_t pc);
bool watch_fetch_hit(void *opaque, bool done);
bool watch_fetch_next(void *opaque, struct vcpu *vcpu);
void watch_fetch_end(void *opaque, struct vcpu *vcpu);

#endif
