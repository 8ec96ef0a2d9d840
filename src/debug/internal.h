/*
 * Run control's own room: the debugger's state and what its files share.
 * Only src/debug/ includes this; the front ends see debug.h, whose
 * functions are defined here as follows:
 *
 *   state.c        what the front ends may read of the state, settings, guest
 *                  memory, serial input, stop reports in their form
 *   breakpoints.c  breakpoints: int3, DR0-DR3 or by page, armed per run and
 *                  resolved from what the vCPU reported
 *   watchlog.c     memory watchpoints and the access log (observers' glue)
 *   count.c        counted runs: single steps that count every instruction,
 *                  the perf backend, the user's icount stops
 *   run.c          run, stop and step: the debugger made and attached to the
 *                  vCPU, the target a run stops at, the one place a run is
 *                  started, the one wait for a stop
 *   checkpoints.c  the user's checkpoints of the whole machine
 *   reverse.c      time travel: history, going back, goto (hooks below)
 *
 * Inside the debug layer the order is (tests/layercheck, GNUmakefile):
 * state; breakpoints, watchlog, checkpoints (and history.c, the timeline
 * store); count; run; reverse; machine.c. None calls one above it.
 */
#ifndef KVMDBG_DEBUG_INTERNAL_H
#define KVMDBG_DEBUG_INTERNAL_H

#include "../debug.h"

#include "../arch.h"
#include "../checkpoint.h"
#include "../icount.h"
#include "../iolog.h"
#include "../symbols.h"
#include "../vcpu.h"
#include "../vm.h"
#include "../watch.h"

#define DEBUG_MAX_EVENTS 64    /* pending icount stops */
#define DEBUG_MAX_ENTRIES 256  /* interrupt-table entries watched while counting */
#define DEBUG_MAX_IDT 4096     /* bytes of interrupt table compared after each step */
#define DEBUG_MAX_SYSTEM_PAGES 4096 /* the CPU's table pages no entry int3 goes on */
#define DEBUG_MAX_CHECKPOINT_BYTES (1ULL << 30) /* what they may keep together */

#define INT3 0xcc

/* A stop at an instruction count (after gem5's instruction-event queue). */
struct icount_event {
	int id;      /* number shown to the user */
	uint64_t at; /* absolute instruction count */
};

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

/*
 * Where the run in progress must stop, as an instruction count: the one
 * owner of it. Three parties have a say, each in its own field, and only
 * debug_target_merge() (run.c) combines them:
 *   - the front end's count (debug_run_to(), a counted step): run_to;
 *   - time travel's own stops (a checkpoint to lay, a replay window's end, a
 *     seek's target), which its arm hook returns before each run: history;
 *   - the user's icount stops: the first of events[] after the count now.
 * The merge goes to the vCPU thread in one place, debug_launch() (run.c), as
 * at; the counted-step hook and the perf backend stop at at and nowhere else.
 */
struct debug_target {
	uint64_t run_to;  /* the front end's count (UINT64_MAX: none) */
	uint64_t history; /* history's (UINT64_MAX: none) */
	uint64_t at;      /* the merge, for the run in progress (UINT64_MAX: none) */
};

struct debug;

/*
 * How time travel (reverse.c) plugs into run control: NULL until history or
 * goto is first used. Run control calls these at fixed points and knows
 * nothing else of it; without reverse.o linked, runs go forward only.
 */
struct debug_history_ops {
	/* An operation the user asked for starts (continue, step, run to a count). */
	void (*op_begin)(struct debug *d);
	/* Before each run: the count history wants it stopped at (UINT64_MAX: none). */
	uint64_t (*arm)(struct debug *d);
	/* The guest starts running; its run ended and the stop was collected. */
	void (*run_begin)(struct debug *d);
	void (*run_end)(struct debug *d);
	/* After a stop: true if it is the one to report (*stop may be rewritten);
	 * false if the operation goes on (run control starts the guest again). */
	bool (*stopped)(struct debug *d, struct vcpu_stop *stop);
	/* The operation failed to start the guest again: it is over. */
	void (*cancel)(struct debug *d);
	/* Whether history replays towards a point of its own (icount stops reached
	 * on the way are not used up). */
	bool (*seeking)(const struct debug *d);
	/* Whether history is on, and whether count at (before now) is in it;
	 * whether the guest replays now (below the furthest count reached). */
	bool (*on)(const struct debug *d);
	bool (*replaying)(const struct debug *d);
	bool (*holds)(const struct debug *d, uint64_t at);
	/* An instruction whose result differs run to run retired at count at
	 * (vCPU thread): recorded live, given again when replayed. */
	void (*nondet)(struct debug *d, uint64_t at);
	/* Serial input at the device's look seq: 1 with *byte replayed, 0 nothing
	 * replayed then, -1 live; then record() keeps what was read (byte < 0:
	 * nothing, and what was recorded from seq on is forgotten). */
	int (*input_replay)(struct debug *d, uint64_t seq, uint8_t *byte);
	void (*input_record)(struct debug *d, uint64_t seq, int byte);
	/* The clock's interrupt controller had vector delivered before the
	 * instruction at pc, at count at (vCPU thread). */
	void (*irq_taken)(struct debug *d, uint64_t at, uint64_t pc, uint8_t vector);
	/* The user put a checkpoint back: history starts again there. */
	void (*restarted)(struct debug *d);
	/* The debugger goes away. */
	void (*free)(struct debug *d);
};

struct debug_history;

/* What src/debug/kernel.c found of a Linux guest's kernel. */
enum debug_kernel_state {
	KERNEL_UNCHECKED, /* not looked at yet: the kernel has not run in its mapping */
	KERNEL_NO_SYMBOL, /* the symbols have no linux_banner */
	KERNEL_NO_BANNER, /* no banner where they say, nor at any KASLR offset */
	KERNEL_FOUND,     /* the banner found, slide from where it was linked */
};

struct debug_kernel {
	enum debug_kernel_state state;
	char boot[SYMBOLS_VERSION_MAX];    /* the bzImage's version string ("": none) */
	char running[SYMBOLS_VERSION_MAX]; /* FOUND: the banner in memory */
	uint64_t linked, slide;            /* linux_banner as linked; KASLR's offset */
	bool warned;                       /* the symbols were said not to match, at start */
};

struct debug {
	struct vm *vm;                  /* the VM */
	struct vcpu *vcpu;              /* the selected vCPU (debug_vcpu()) */
	struct vcpu *cpus[VM_MAX_CPUS]; /* every vCPU, by index */
	unsigned ncpus;
	int stop_epoll;                 /* readable when any vCPU stopped (ncpus > 1), or -1 */
	bool others;                    /* the run in progress runs the other vCPUs too */
	bool solo;                      /* the operation in progress runs the selected one only */
	struct vcpu *stepper;           /* steps while the others run (debug_step_shared) */
	bool pending[VM_MAX_CPUS];      /* vCPU i made a stop not reported yet */
	bool lend[VM_MAX_CPUS];         /* vCPU i stopped wanting pages lent (STOP_LEND) */
	bool bp_held[VM_MAX_CPUS];      /* vCPU i stopped at a breakpoint at bp_pc[i] (its stop
					   reported or kept) and has not run since */
	uint64_t bp_pc[VM_MAX_CPUS];
	struct vcpu_stop pending_stop[VM_MAX_CPUS]; /* ... this one */
	struct symtab *syms;            /* guest symbols (KASLR moves a kernel's) */
	bool shutdown_known;            /* the last stop, a shutdown on a host that resets
					   the vCPU there, has its registers from a replay */
	struct debug_kernel kernel;     /* the Linux kernel behind them (kernel.c) */
	void (*report_hook)(struct debug *d); /* at each stop reported (kernel.c's) */
	/* ... and before it, what the stop means to caught exceptions (catch.c's) */
	void (*catch_hook)(struct debug *d, const struct vcpu_stop *in, struct debug_stop *out);
	int (*reset)(void *opaque);     /* the machine's part of debug_reset() */
	void *reset_opaque;
	struct watch watch;             /* memory watchpoints and pages taken away */
	struct iolog log;               /* the MMIO and port-I/O access log */
	struct devices_output *output;  /* guest text, muted while replaying (NULL: none) */
	int input_fd;                   /* the guest's serial input (-1: none) */
	bool input_ended;               /* reading it gave end-of-file (atomic) */
	struct debug_early_map early_map; /* a kernel's own mapping (debug_set_early_map) */
	char notice[1024];              /* for the user, once (debug_notice()) */
	char notice_out[1024];          /* ... as debug_notice() hands it out */

	/* Run state. */
	bool running;                   /* the vCPU thread runs the guest */
	bool exited;                    /* the guest wrote the exit port */
	int exit_status;                /* its status */
	struct vcpu_stop last;          /* the last stop */
	bool nested;                    /* a step inside a run in progress */
	bool started;                   /* the guest has run (a step or more) */
	struct debug_target target;     /* where the run in progress stops */
	uint64_t run_from;              /* the count when the operation began */
	uint64_t run_pc;                /* ... and the selected vCPU's pc then */
	unsigned long arch_changes;     /* arch_state_changes() at the last stop */
	bool wrote;                     /* guest memory written by the user since */

	/* Breakpoints (breakpoints.c). */
	struct breakpoint bp[DEBUG_MAX_BREAKPOINTS];
	int next_id;                    /* number of the next breakpoint or watchpoint */
	const struct breakpoint *armed_skip; /* left unarmed for the step in progress */

	/* Checkpoints (checkpoints.c; history's are among them). */
	struct checkpoints ckpt;        /* checkpoints of the machine */
	struct debug_checkpoint *ckpt_debug; /* ... and the debugger's own, by slot */
	unsigned ckpt_debug_cap;
	unsigned user_ckpts;            /* the user's checkpoints kept */
	int next_ckpt_id;               /* number of the user's next one */

	/* Time travel (reverse.c), plugged in through hooks. */
	const struct debug_history_ops *hops; /* NULL: none */
	const struct debug_clock *clock; /* devices on instruction-count time (NULL: none) */
	struct debug_history *history;  /* its state */
	uint64_t history_limit;         /* the most its budget may be (debug_set_history_limit) */

	/* Instruction counting (count.c; README "Instruction counts"). */
	bool icount_on;                 /* counting since power-on */
	bool use_perf;                  /* the perf backend runs the guest between stops */
	struct icount_perf perf;        /* its counter */
	uint64_t perf_base;             /* icount when the counter started */
	uint64_t perf_io;               /* I/O exits then: instructions the counter misses */
	uint64_t icount;                /* instructions retired so far (atomic) */
	unsigned count_steps;           /* a counted run stops after this many steps (0: any) */
	unsigned sub;                   /* steps since the last instruction retired */
	bool event_hit;                 /* the last stop was at an icount stop of the user's */
	bool watch_mid_rep;             /* ... a watchpoint's, in a REP string instruction's
					   iterations (the instruction did not retire) */
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

	/* Caught exceptions (catch.c). */
	uint64_t catch_set[ARCH_MAX_VECTORS / 64]; /* the vectors caught */
	uint64_t trace_set[ARCH_MAX_VECTORS / 64]; /* the vectors traced */
	uint64_t catch_at[ARCH_MAX_VECTORS]; /* each one's handler when planned (0: none) */
	FILE *trace;                    /* where the trace goes (debug_trace_exceptions) */
	bool trace_json, trace_close;   /* ... as JSON Lines; a file of its own */
	char catch_last[400];           /* the last exception caught or traced, in words */
	bool catch_replan;              /* the run stopped because the table changed */
	bool user_stop;                 /* debug_interrupt() was called in this run */
	bool caught_held;               /* stopped at caught, not delivered yet */
	bool caught_deliver;            /* the next run delivers it */
	struct arch_caught caught;
	unsigned caught_sub;            /* d->sub at the handler's entry */
};

/* ---- state.c ---- */
/* Whether a run (a step: step) of the operation in progress runs every vCPU:
 * a plain continue does; steps, counted runs and debug_continue_cpu() run
 * the selected one. */
bool debug_others_run(const struct debug *d, bool step);
/* Whether the last stop's registers are a shutdown's reset state (a host
 * that resets the vCPU there; neither kept before a step nor replayed). */
bool debug_shutdown_regs_lost(struct debug *d);
/* Remembers a stop, and the guest's exit status if it exited. */
void debug_note_stop(struct debug *d, const struct vcpu_stop *stop);
/* The user's state changes from here on are theirs (history looks). */
void debug_state_known(struct debug *d);
/* A stop as the front ends see it. */
/* kernel.c's report hook: checks the symbols against a Linux kernel. */
void debug_kernel_check(struct debug *d);
/* The machine was reset: the symbols as linked, the kernel not yet checked. */
void debug_kernel_reset(struct debug *d);
void debug_report(struct debug *d, const struct vcpu_stop *in, struct debug_stop *out);
/* A start's result (0 running, 1 stopped with *stop, -errno) for the front
 * end: *out filled when it stopped at once. */
int debug_started(struct debug *d, int r, const struct vcpu_stop *stop,
		  struct debug_stop *out);
/* A stop that says err_msg(). */
void debug_stop_error(struct vcpu_stop *stop);

/* ---- catch.c ---- */
/* Breakpoints (BP_OWNER_CATCH) at the handlers of the caught vectors in the
 * IDT now; before each run. */
void debug_catch_plan(struct debug *d);
/* On the vCPU thread after an exit it handled in a plain run: whether the
 * caught vectors' handlers changed (then the run stops to plan anew). */
bool debug_catch_exit(void *opaque, struct vcpu *vcpu);
/* At a stop reported: a caught exception's stop made of a breakpoint's at its handler. */
void debug_catch_report(struct debug *d, const struct vcpu_stop *in, struct debug_stop *out);
/* Before a run: delivers the caught exception held, or drops it. */
int debug_catch_apply(struct debug *d);
/* A stop at a traced vector's handler only: writes its record and puts the
 * handler's entry back; true if the run is to go on from there. */
bool debug_catch_trace(struct debug *d, const struct vcpu_stop *stop);
void debug_catch_free(struct debug *d);
/* History moves the guest elsewhere: the caught exception held is gone. */
void debug_catch_drop(struct debug *d);

/* ---- breakpoints.c ---- */
/* The breakpoint numbered id, or NULL. */
struct breakpoint *debug_break_get(struct debug *d, int id);
struct breakpoint *debug_break_find(struct debug *d, enum bp_kind kind, uint64_t addr);
/* The breakpoint at pc, if any: the guest must step off it before running. */
struct breakpoint *debug_at_breakpoint(struct debug *d);
/* Stops at the breakpoint at pc, if any: fills *stop and counts the hit. */
bool debug_stop_at_breakpoint(struct debug *d, struct vcpu_stop *stop);
/* Whether addr lies on one of the CPU's table pages sys[0..n) (page
 * tables, GDT, IDT, TSS): not code; an int3 there would corrupt it. */
bool debug_entry_on_table(struct debug *d, uint64_t addr, const uint64_t *sys, unsigned n);
/* Plants breakpoints (all but skip) and sets guest debug for a run or a step. */
int debug_arm(struct debug *d, const struct breakpoint *skip, bool step);
void debug_unplant(struct debug *d);
/* Turns what the vCPU reported into what the debugger means. */
void debug_resolve(struct debug *d, struct vcpu_stop *stop, bool stepping);
/* Writes int3 at addr; false if addr is not mapped RAM. Puts it back. */
bool debug_int3_plant(struct debug *d, uint64_t addr, struct int3_site *site);
void debug_int3_unplant(struct debug *d, struct int3_site *site);
/* Whether int3 stops the guest in the CPU's mode now (else: by page). */
bool debug_int3_by_page(struct debug *d);
/* Takes out of the map the pages whose code must not run unseen, and applies
 * the watchpoints' protection (counting: the counted run's own stops only). */
int debug_exec_apply(struct debug *d, bool counting);
/* Whether e stops the guest at pc (int3_only: by its int3), and the entry
 * that does (-1: none). */
bool debug_entry_armed(const struct entry_bp *e, uint64_t pc, bool int3_only);
int debug_entry_find(const struct debug *d, uint64_t pc, bool int3_only);
/* The vCPU's hooks for breakpoints (own_opaque: the debugger). */
bool debug_own_breakpoint(void *opaque, uint64_t pc);
bool debug_fetch_stop(void *opaque, struct vcpu *vcpu, uint64_t pc);

/* ---- watchlog.c ---- */
/* The icount of the instruction making an I/O access, for the log. */
enum iolog_count debug_watch_icount(void *opaque, bool queued, uint64_t *count, uint64_t *pc,
				    bool *pc_known);
/* Exits that completed an instruction in userspace: a guest counter never sees those. */
uint64_t debug_io_exits(const struct debug *d);

/* ---- count.c ---- */
/* After every counted step, on the vCPU thread (vcpu->count_hook). */
bool debug_count_hook(void *opaque, struct vcpu_stop *stop);
/* Counting and at a hlt: it retires now and the guest halts, without a run. */
bool debug_count_halt_here(struct debug *d, struct vcpu_stop *stop);
/* Sets up a counted run by single steps to d->target.at (then debug_launch()). */
int debug_count_prepare_run(struct debug *d);
/* A counted run stopped: memory back as the guest wrote it, events due removed. */
void debug_count_end(struct debug *d, struct vcpu_stop *stop);
/* Sets up a run under the perf counter towards d->target.at (then debug_launch()). */
int debug_perf_arm(struct debug *d);
/* A perf run stopped: true if for good, false if it goes on by single steps
 * (set up: debug_launch() it). */
bool debug_perf_end(struct debug *d, struct vcpu_stop *stop);
/* Whether a run to target.at goes by single steps (else the perf counter). */
bool debug_count_by_steps(const struct debug *d);
/* The user's next icount stop after the count now (UINT64_MAX: none). */
uint64_t debug_next_event(const struct debug *d);

/* ---- checkpoints.c ---- */
/* Takes a checkpoint with the debugger's part (id: the user's number, 0 for
 * history's) within budget bytes; its slot, or -errno. */
int debug_ckpt_take(struct debug *d, uint64_t budget, int id);
/* Puts the machine back as it was at checkpoint slot i. */
int debug_ckpt_restore(struct debug *d, unsigned i);

/* ---- run.c ---- */
/* Merges the target's parts into target.at (struct debug_target). */
void debug_target_merge(struct debug *d);
/* Whether the count now is a stop of the front end's or history's own (not
 * just the end of a step). */
bool debug_target_reached(const struct debug *d);
/* Runs the operation in progress until it is done or the guest runs:
 * 0 running, 1 done with *stop, -errno. */
int debug_start(struct debug *d, struct vcpu_stop *stop);
/* Waits for the stop of the run in progress (internal form). */
void debug_wait(struct debug *d, struct vcpu_stop *stop, struct debug_waiter *w);

#endif
