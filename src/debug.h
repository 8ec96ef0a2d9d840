/*
 * The all-stop debug target both front-ends drive (console and gdb stub):
 * resume, single-step, stop, breakpoints, guest-virtual memory.
 *
 * Software breakpoints are planted (int3) only while the guest runs and
 * removed at every stop, so memory read while stopped shows the original
 * bytes and a write over a breakpoint keeps it.
 */
#ifndef KVMDBG_DEBUG_H
#define KVMDBG_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcpu.h"

struct vm;
struct symtab;

#define DEBUG_MAX_BREAKPOINTS 256

enum bp_kind {
	BP_SW, /* int3 planted in guest memory */
	BP_HW, /* debug register (at most ARCH_MAX_HW_BREAKPOINTS) */
};

/* Who asked for a breakpoint: a gdb stop reply names only gdb's own. */
#define BP_OWNER_CONSOLE 1u
#define BP_OWNER_GDB 2u

struct breakpoint {
	int id;            /* number shown to the user; 0: slot unused */
	unsigned owners;   /* BP_OWNER_* bits */
	enum bp_kind kind; /* software or hardware */
	uint64_t addr;     /* guest-virtual (linear) address */
	uint64_t phys;     /* BP_SW while planted: where the int3 went */
	uint8_t saved;     /* BP_SW while planted: the byte it replaced */
	bool planted;      /* BP_SW: int3 is in memory now */
	unsigned hits;     /* times the guest stopped here */
};

struct debug {
	struct vm *vm;                  /* the VM */
	struct vcpu *vcpu;              /* the (only) vCPU */
	const struct symtab *syms;      /* guest symbols */
	struct breakpoint bp[DEBUG_MAX_BREAKPOINTS];
	int next_id;                    /* number of the next breakpoint */
	bool running;                   /* the vCPU thread runs the guest */
	bool exited;                    /* the guest wrote the exit port */
	int exit_status;                /* its status */
	struct vcpu_stop last;          /* the last stop */
	const struct breakpoint *armed_skip; /* left unarmed for the step in progress */
};

void debug_init(struct debug *d, struct vm *vm, struct vcpu *vcpu, const struct symtab *syms);

/* Starts the guest running (stepping off a breakpoint at pc first). When it
 * stops, vcpu->stop_fd is readable: call debug_collect(). If the step off the
 * breakpoint already stopped it, returns 1 with *stop filled and nothing running. */
int debug_continue(struct debug *d, struct vcpu_stop *stop);
/* Asks a running guest to stop. */
void debug_interrupt(struct debug *d);
/* After stop_fd became readable: why the guest stopped (breakpoints resolved). */
void debug_collect(struct debug *d, struct vcpu_stop *stop);
/* Executes one instruction and waits; *stop is STOP_STEPPED or why not. */
int debug_step(struct debug *d, struct vcpu_stop *stop);

/* Inserts a breakpoint for owner (or adds owner to the one already there);
 * returns its number, or -errno (-EEXIST if owner already has it). */
int debug_break_insert(struct debug *d, enum bp_kind kind, uint64_t addr, unsigned owner);
/* Removes breakpoint id whoever asked for it; -ENOENT if there is none. */
int debug_break_remove(struct debug *d, int id);
/* Drops owner's claim on bp; the breakpoint goes when nobody wants it. */
void debug_break_release(struct debug *d, struct breakpoint *bp, unsigned owner);
/* The breakpoint of a kind at addr, or NULL. */
struct breakpoint *debug_break_find(struct debug *d, enum bp_kind kind, uint64_t addr);

/* Guest-virtual memory through the guest's page tables; -EFAULT unmapped. */
int debug_read_virt(struct debug *d, uint64_t va, void *buf, size_t len);
int debug_write_virt(struct debug *d, uint64_t va, const void *buf, size_t len);

#endif
