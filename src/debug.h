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
#include <stdio.h>

#include "checkpoint.h"
#include "history.h"
#include "icount.h"
#include "iolog.h"
#include "vcpu.h"
#include "watch.h"

struct vm;
struct symtab;
struct devices_output;

#define DEBUG_MAX_BREAKPOINTS 256
#define DEBUG_MAX_EVENTS 64      /* pending icount stops */
#define DEBUG_MAX_ENTRIES 256    /* interrupt-table entries watched while counting */
#define DEBUG_MAX_IDT 4096       /* bytes of interrupt table compared after each step */
#define DEBUG_MAX_WATCHES 256              /* memory watchpoints at once */
#define DEBUG_MAX_WATCH_BYTES (16 << 20)   /* bytes they may cover together */
#define DEBUG_MAX_CHECKPOINTS 256
#define DEBUG_MAX_CHECKPOINT_BYTES (1ULL << 30) /* what they may keep together */
#define DEBUG_MAX_SUBSTEPS 64  /* steps that retire nothing, looking for a pc */

/* A stop at an instruction count (after gem5's instruction-event queue). */
struct icount_event {
	int id;      /* number shown to the user */
	uint64_t at; /* absolute instruction count */
};


enum bp_kind {
	BP_SW, /* int3 planted in guest memory */
	BP_HW, /* debug register (at most ARCH_MAX_HW_BREAKPOINTS) */
};

/* Who asked for a breakpoint: a gdb stop reply names only gdb's own. */
#define BP_OWNER_CONSOLE 1u
#define BP_OWNER_GDB 2u

/* An int3 kvmdbg has written into guest memory, and the byte it replaced. */
struct int3_site {
	uint64_t phys; /* where it went */
	uint8_t saved; /* the byte it replaced */
	bool planted;  /* it is in memory now */
};

struct breakpoint {
	int id;                /* number shown to the user; 0: slot unused */
	unsigned owners;       /* BP_OWNER_* bits */
	enum bp_kind kind;     /* software or hardware */
	uint64_t addr;         /* guest-virtual (linear) address */
	struct int3_site int3; /* BP_SW: its int3 while the guest runs */
	bool by_page;          /* armed by taking its page out of the map instead:
				  this host cannot stop at int3 (or DR0-DR3) here */
	bool by_dr;            /* BP_SW armed in a debug register instead: its address
				  was not mapped when the guest last started (a
				  kernel's, before its page tables exist) */
	unsigned hits;         /* times the guest stopped here */
};

/* A stop kvmdbg sets by itself while counting: at an interrupt handler, to
 * see exception and interrupt entries on every host, or after an instruction
 * that delays the step trap. An int3, or its page out of the map where int3
 * does not stop the guest. */
struct entry_bp {
	uint64_t addr;         /* where (linear) */
	struct int3_site int3; /* the int3 there */
	bool by_page;          /* trapped by its page instead */
};

/* What the debugger itself keeps of a checkpoint. */
struct debug_checkpoint {
	int id;                         /* the user's number; 0: one of the history's */
	uint64_t icount;                /* instructions retired then */
	unsigned sub;                   /* steps since the last one retired */
	uint64_t pc;                    /* where the guest was */
	bool exited;                    /* it had written the exit port */
	int exit_status;
	struct vcpu_stop last;          /* the stop then */
};

/* A point in the guest's execution: instructions retired, and (at_pc) the
 * pc reached by steps that retire nothing after them (an exception
 * delivered into a handler with a breakpoint at its entry, say). */
struct hist_pos {
	uint64_t icount;
	uint64_t pc;
	bool at_pc;
};

/* What a run with history on is for (several runs and restores make one). */
enum rev_op {
	REV_NONE,    /* history off, or nothing in progress */
	REV_FORWARD, /* running forward as asked: replay up to the furthest point, then on */
	REV_SEEK,    /* to target, breakpoints ignored; then report result */
	REV_SCAN,    /* back: replays windows between checkpoints for the last stop in them */
};

struct reverse {
	enum rev_op op;
	uint64_t at;                    /* internal stop for the run in progress */
	bool replaying;                 /* ... which started below the furthest point */
	struct hist_pos target;         /* SEEK: where */
	struct vcpu_stop result;        /* SEEK: the stop it reports there */
	bool has_hit;                   /* ... with this watchpoint hit */
	struct watch_hit hit;
	unsigned pc_steps;              /* SEEK: steps taken looking for target.pc */
	uint64_t ladder_top;            /* SEEK: lay checkpoints at target - 2^k; 0: none */
	struct hist_pos start;          /* SCAN: where it started (Ctrl-C goes back) */
	int mark;                       /* SCAN: the window's first checkpoint (hist.v) */
	uint64_t end;                   /* SCAN: ... and its end */
	bool found;                     /* SCAN: the last stop in the window so far */
	struct hist_pos found_pos;
	struct vcpu_stop found_stop;
	struct watch_hit found_hit;
};

struct debug {
	struct vm *vm;                  /* the VM */
	struct vcpu *vcpu;              /* the (only) vCPU */
	const struct symtab *syms;      /* guest symbols */
	struct watch watch;             /* memory watchpoints and pages taken away */
	struct iolog log;               /* the MMIO and port-I/O access log */
	struct checkpoints ckpt;        /* checkpoints of the machine */
	struct debug_checkpoint *ckpt_debug; /* ... and the debugger's own, by slot */
	unsigned ckpt_debug_cap;
	unsigned user_ckpts;            /* the user's checkpoints kept */
	int next_ckpt_id;               /* number of the user's next one */
	struct history hist;            /* execution history (time travel) */
	struct reverse rev;             /* the history operation in progress */
	struct devices_output *output;  /* guest text, muted while replaying (NULL: none) */
	unsigned long arch_changes;     /* arch_state_changes() at the last stop */
	bool wrote;                     /* guest memory written by the user since */
	int input_fd;                   /* the guest's serial input (-1: none) */
	struct debug_early_map {        /* a kernel's own mapping, before its page tables
					   have it: va..va+size at pa (size 0: none) */
		uint64_t va, pa, size;
	} early_map;
	bool input_ended;               /* reading it gave end-of-file (atomic) */
	char notice[256];               /* for the user, once (debug_notice()) */
	char notice_out[256];           /* ... as debug_notice() hands it out */
	struct breakpoint bp[DEBUG_MAX_BREAKPOINTS];
	int next_id;                    /* number of the next breakpoint */
	bool running;                   /* the vCPU thread runs the guest */
	bool exited;                    /* the guest wrote the exit port */
	int exit_status;                /* its status */
	struct vcpu_stop last;          /* the last stop */
	const struct breakpoint *armed_skip; /* left unarmed for the step in progress */

	/* Instruction counting (the step backend; README "Instruction counts"). */
	bool icount_on;                 /* counting since power-on */
	bool use_perf;                  /* the perf backend runs the guest between stops */
	struct icount_perf perf;        /* its counter */
	uint64_t perf_base;             /* icount when the counter started */
	uint64_t perf_io;               /* I/O exits then: instructions the counter misses */
	uint64_t icount;                /* instructions retired so far */
	uint64_t count_target;          /* a counted run stops at this count */
	uint64_t run_at;                /* debug_run_to()'s count (UINT64_MAX: none) */
	uint64_t run_from;              /* the count when the run (operation) began */
	unsigned count_steps;           /* a counted run stops after this many steps (0: any) */
	unsigned sub;                   /* steps since the last instruction retired */
	bool event_hit;                 /* the last stop was at an icount stop of the user's */
	bool watch_mid_rep;             /* ... a watchpoint's, in a REP string instruction's
					   iterations (the instruction did not retire) */
	bool nested;                    /* a step inside a run in progress */
	bool started;                   /* the guest has run (a step or more) */
	struct icount_event events[DEBUG_MAX_EVENTS]; /* sorted by count */
	unsigned nevents;
	int next_event_id;
	/* The counted run in progress (used on the vCPU thread while it runs). */
	uint64_t prev_pc;               /* pc before the step */
	bool prev_rep;                  /* a REP string instruction was there */
	bool prev_nondet;               /* one whose result differs run to run */
	bool prev_delayed;              /* it delays the step trap by an instruction */
	uint64_t prev_next;             /* where it alone would have left pc */
	struct entry_bp after;          /* int3 at prev_next, so the step stops there */
	struct entry_bp entry[DEBUG_MAX_ENTRIES];
	unsigned nentries;
	int entry_lifted;               /* entry unplanted for the step off it, or -1 */
	uint8_t idt[DEBUG_MAX_IDT];     /* the table the entries came from */
	unsigned idt_size;
	uint64_t idt_base;
};

/* Attaches the debugger to a vCPU: its hooks observe every run from now on. */
void debug_init(struct debug *d, struct vm *vm, struct vcpu *vcpu, const struct symtab *syms);
/* Detaches it and frees the watch state and the access log (closing the log). */
void debug_free(struct debug *d);

/* Starts the guest running (stepping off a breakpoint at pc first). When it
 * stops, vcpu->stop_fd is readable: call debug_collect(). If the step off the
 * breakpoint already stopped it, returns 1 with *stop filled and nothing running. */
int debug_continue(struct debug *d, struct vcpu_stop *stop);
/* Asks a running guest to stop. */
void debug_interrupt(struct debug *d);
/* After stop_fd became readable: why the guest stopped (breakpoints resolved).
 * false: it has not stopped for good (a perf run goes on to land by single
 * steps); wait for stop_fd again. */
bool debug_collect(struct debug *d, struct vcpu_stop *stop);
/* Readable when the running guest has stopped (for a poll loop; then
 * debug_collect()). */
int debug_stop_fd(const struct debug *d);
/*
 * Blocks until the running guest has stopped for good and fills *stop: the
 * one wait for a stop. With w, while it runs, w->event() is called when w->fd
 * (a signalfd, say; -1: none) is readable or each time w->tick_ms pass (-1:
 * never); it may call debug_interrupt() and change w->tick_ms.
 */
struct debug_waiter {
	int fd;
	int tick_ms;
	void (*event)(void *opaque, bool fd_readable);
	void *opaque;
};
void debug_wait_stop(struct debug *d, struct vcpu_stop *stop, struct debug_waiter *w);
/* Executes one instruction and waits; *stop is STOP_STEPPED or why not. */
int debug_step(struct debug *d, struct vcpu_stop *stop);

/* Inserts a breakpoint for owner (or adds owner to the one already there);
 * returns its number, or -errno (-EEXIST if owner already has it). */
int debug_break_insert(struct debug *d, enum bp_kind kind, uint64_t addr, unsigned owner);
/* Removes breakpoint or watchpoint id whoever asked for it; -ENOENT if there is none. */
int debug_break_remove(struct debug *d, int id);
/* Drops owner's claim on bp; the breakpoint goes when nobody wants it. */
void debug_break_release(struct debug *d, struct breakpoint *bp, unsigned owner);
/* Whether a breakpoint of kind stops the guest by taking its code page out of
 * the map (this host's int3 or DR0-DR3 do not stop it in the CPU's mode now);
 * if so, and buf is not NULL, a sentence saying why and what it costs. */
bool debug_break_by_page(struct debug *d, enum bp_kind kind, char *buf, size_t len);
/* The breakpoint of a kind at addr, or NULL. */
struct breakpoint *debug_break_find(struct debug *d, enum bp_kind kind, uint64_t addr);

/* Inserts a memory watchpoint (kind: WATCH_WRITE, WATCH_READ, WATCH_ACCESS)
 * on [addr, addr + len), guest-virtual unless phys, for owner; returns its
 * number (shared with breakpoints) or -errno. The pages are translated now. */
int debug_watch_insert(struct debug *d, unsigned kind, uint64_t addr, uint64_t len, bool phys,
		       unsigned owner);
/* Drops owner's claim on m; the watchpoint goes when nobody wants it. */
void debug_watch_release(struct debug *d, struct mem_watch *m, unsigned owner);
/* The watchpoint of that kind and range, the one numbered id, or the i-th
 * (for listing); NULL if there is none. */
struct mem_watch *debug_watch_find(struct debug *d, unsigned kind, uint64_t addr, uint64_t len,
				   bool phys);
struct mem_watch *debug_watch_get(struct debug *d, int id);
struct mem_watch *debug_watch_at(struct debug *d, unsigned i);
/* What the last STOP_WATCHPOINT caught. */
const struct watch_hit *debug_watch_hit(const struct debug *d);

/*
 * The access log (iolog.h) and the machine's devices.
 */
/* Logs accesses to a RANGE (ADDR, ADDR-END, ADDR+LEN or a device name) in
 * directions DIRS (r, w, rw; NULL: rw); the new watch, or NULL (err_msg). */
const struct io_watch *debug_io_watch(struct debug *d, enum io_space space, const char *range,
				      const char *dirs);
int debug_io_unwatch(struct debug *d, int id);
void debug_io_list(const struct debug *d, FILE *out);
/* Logs to path (JSON Lines if it ends in .jsonl; careful: a regular file
 * only, reached without symlinks); NULL closes the log. */
int debug_io_log(struct debug *d, const char *path, bool careful);
/* Accesses per device and register; exit and I/O counters. */
void debug_io_stats(const struct debug *d, FILE *out);
void debug_stats(const struct debug *d, FILE *out);
/* The device at addr, or NULL. */
const struct io_range *debug_io_device(const struct debug *d, enum io_space space, uint64_t addr);
/* "r", "w" or "rw"; and back (a for rw too; NULL: rw). */
const char *debug_dirs_name(unsigned dirs);
int debug_parse_dirs(const char *text, unsigned *dirs);

/* Chooses the counting backend (backend: "auto", "step" or "perf"; margin: the
 * perf backend's, 0 for its default) and starts counting with it; 1: perf,
 * 0: single steps, -errno (perf asked for but not offered); why says what
 * decided. */
int debug_icount_choose(struct debug *d, const char *backend, uint64_t margin, char *why,
			size_t len, uint64_t *margin_used);
/* Starts counting: with perf NULL, the guest only runs in counted single
 * steps; else runs use the perf counter, and single steps land. */
void debug_icount_start(struct debug *d, const struct icount_perf *perf);
/* A stop at absolute count at; returns its number, or -errno (a count passed). */
int debug_icount_break(struct debug *d, uint64_t at);
/* Deletes icount stop id (all of them for 0); -ENOENT if there is none. */
int debug_icount_delete(struct debug *d, int id);
/* Runs (counted) until exactly at instructions have retired, and waits. */
int debug_run_to(struct debug *d, uint64_t at, struct vcpu_stop *stop);

/* Guest-virtual memory through the guest's page tables; -EFAULT unmapped. */
int debug_read_virt(struct debug *d, uint64_t va, void *buf, size_t len);
int debug_write_virt(struct debug *d, uint64_t va, const void *buf, size_t len);
/*
 * Checkpoints (gdb's checkpoint and restart, for the whole machine): the
 * vCPU, the devices, guest RAM, the instruction count and the exit state.
 * Breakpoints, watchpoints, icount stops and the access log are the
 * debugger's and stay as they are.
 */
/* Takes one while the guest is stopped; its number (from 1), or -errno. */
int debug_checkpoint(struct debug *d);
/* Puts the machine back as it was at checkpoint id; -errno. */
int debug_restart(struct debug *d, int id);
/* Checkpoint id (NULL if there is none): the debugger's part, and its parent
 * (0: none), pages and bytes kept. */
const struct debug_checkpoint *debug_checkpoint_get(const struct debug *d, int id, int *parent,
						    size_t *pages, size_t *bytes);
/* The checkpoint the machine descends from now (0: none). */
int debug_checkpoint_base(const struct debug *d);

/*
 * Execution history (README "Time travel"): with it on, checkpoints are laid
 * as the guest runs forward, and the guest can go back to any count since.
 * Below the furthest count reached the guest replays: its output and the
 * access log stay silent. Needs instruction counting.
 */
/* Turns history on (budget: bytes its checkpoints may keep, 0: as before) or off. */
int debug_history(struct debug *d, bool on, uint64_t budget);
struct debug_history_info {
	bool on;
	uint64_t first, furthest;  /* counts history spans */
	unsigned checkpoints;
	uint64_t pages, bytes, budget;
	uint64_t interval;         /* instructions between automatic checkpoints now */
	uint64_t taken, thinned;
	uint64_t copied;           /* bytes all the checkpoints took when taken */
};
void debug_history_info(const struct debug *d, struct debug_history_info *info);
/* Whether the guest replays now (it is below the furthest count reached). */
bool debug_replaying(const struct debug *d);
/*
 * Going back (and to a given count). Each returns 1 with *stop filled when
 * done at once, 0 when the guest runs (then wait as after debug_continue()),
 * or -errno. A stop with history < 0 is the start of history.
 */
/* One instruction back. */
int debug_reverse_step(struct debug *d, struct vcpu_stop *stop);
/* Back to the last breakpoint, watchpoint or icount stop before now. */
int debug_reverse_continue(struct debug *d, struct vcpu_stop *stop);
/* Exactly to count at, forwards or backwards, breakpoints ignored. */
int debug_goto(struct debug *d, uint64_t at, struct vcpu_stop *stop);
/* A message for the user the debugger left since (history discarded, say),
 * or NULL; cleared by the call. */
const char *debug_notice(struct debug *d);

/* A hash of all guest RAM (64-bit FNV-1a over its words), and its size:
 * two states with the same hash have the same RAM, for all practical ends. */
uint64_t debug_ram_hash(const struct debug *d, uint64_t *size);
/* The interrupt controllers and timers, as the console shows them. */
int debug_print_irq(struct debug *d, FILE *out);

/* The serial port's input (devices_input's poll, opaque the debugger): a
 * byte from input_fd as the guest looks; replaying, the byte it got then. */
bool debug_input_poll(void *opaque, uint64_t seq, uint8_t *byte);

/* Guest-physical memory (RAM only); -EFAULT elsewhere. */
int debug_read_phys(struct debug *d, uint64_t pa, void *buf, size_t len);
int debug_write_phys(struct debug *d, uint64_t pa, const void *buf, size_t len);
/* Reads up to len bytes at addr (guest-virtual, or physical), page by page;
 * returns how many could be read before memory that is not mapped or not RAM. */
size_t debug_read_upto(struct debug *d, uint64_t addr, void *buf, size_t len, bool phys);

#endif
