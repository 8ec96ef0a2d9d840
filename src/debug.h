/*
 * Run control: the all-stop debug target both front ends drive (console and
 * gdb stub): resume, single-step, stop, breakpoints, watchpoints, counted
 * runs, checkpoints, time travel, guest memory. The front ends use this
 * header only (with arch.h for registers); the state behind it is private
 * to src/debug/ (README "Layers").
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

#include "iobus.h"
#include "iolog.h"
#include "watch.h"

struct vm;
struct vcpu;
struct symtab;
struct devices_output;
struct debug;

#define DEBUG_MAX_BREAKPOINTS 256
#define DEBUG_MAX_WATCHES 256              /* memory watchpoints at once */
#define DEBUG_MAX_WATCH_BYTES (16 << 20)   /* bytes they may cover together */
#define DEBUG_MAX_CHECKPOINTS 256
#define DEBUG_MAX_SUBSTEPS 64  /* steps that retire nothing, looking for a pc */

/* Why the guest stopped, as the front ends are told. */
enum debug_stop_reason {
	DEBUG_STOP_REQUESTED,  /* debug_interrupt() */
	DEBUG_STOP_EXITED,     /* the guest wrote the exit port (or reset the machine) */
	DEBUG_STOP_HALTED,     /* hlt with nothing that could wake the vCPU */
	DEBUG_STOP_SHUTDOWN,   /* shutdown (triple fault) */
	DEBUG_STOP_ERROR,      /* KVM or kvmdbg could not go on (detail says why) */
	DEBUG_STOP_STEPPED,    /* a step completed */
	DEBUG_STOP_BREAKPOINT, /* at a breakpoint */
	DEBUG_STOP_ICOUNT,     /* at an instruction count asked for */
	DEBUG_STOP_WATCHPOINT, /* a memory watchpoint caught an access (debug_watch_hit()) */
	DEBUG_STOP_EXCEPTION,  /* a caught exception, before delivery (debug_catch()) */
};

/* A stop report. */
struct debug_stop {
	enum debug_stop_reason reason;
	int status;          /* EXITED: exit status (value & 0xff) */
	bool reset;          /* EXITED: the guest reset the machine instead */
	bool poweroff;       /* EXITED: the guest powered it off (ACPI S5; status 0) */
	char detail[256];    /* one line for the user ("" if the reason says it all) */
	int breakpoint;      /* BREAKPOINT, WATCHPOINT: its number */
	bool replayed;       /* history: below the furthest point reached */
	signed char history; /* history: -1 its start reached going back, 1 its end
				(the guest's exit) */
	uint64_t icount;     /* instructions retired at the stop (when counting) */
	unsigned cpu;        /* the vCPU that stopped (index from 0) */
	unsigned vector;     /* EXCEPTION: its vector; detail describes it in one line */
	int signal;          /* EXCEPTION: the signal a process would get (enum arch_signal) */
};

enum bp_kind {
	BP_SW, /* int3 planted in guest memory */
	BP_HW, /* debug register (at most ARCH_MAX_HW_BREAKPOINTS) */
};

/* Who asked for a breakpoint: a gdb stop reply names only gdb's own. */
#define BP_OWNER_CONSOLE 1u
#define BP_OWNER_GDB 2u
#define BP_OWNER_TEMP 4u /* the console's nexti and finish: released at the next stop */
#define BP_OWNER_CATCH 8u /* debug_catch()'s, at handlers: not the user's, not listed */

/* A breakpoint, as listed. */
struct debug_break_info {
	int id;            /* its number */
	enum bp_kind kind;
	uint64_t addr;     /* guest-virtual (linear) address */
	unsigned owners;   /* BP_OWNER_* bits */
	unsigned hits;     /* times the guest stopped there */
};

/* A kernel's own mapping, before its page tables have it: va..va+size at pa;
 * KASLR may move the image within it by a multiple of align (0: it stays). */
struct debug_early_map {
	uint64_t va, pa, size; /* size 0: none */
	uint64_t align;
};

/*
 * The debugger and what it runs on.
 */
/* Attaches a new debugger to the ncpus vCPUs at vcpus (vCPU 0 the boot CPU):
 * its hooks observe every run from now on. NULL with err_msg() on failure. */
struct debug *debug_create(struct vm *vm, struct vcpu *vcpus, unsigned ncpus,
			   struct symtab *syms);
/* Detaches it and frees it, the watch state and the access log (closing the log). */
void debug_destroy(struct debug *d);
/* Where guest text goes (muted while history replays), the guest's serial
 * input (-1: none), and a kernel's mapping its page tables will have
 * (breakpoints set before it exists stop there). */
void debug_set_output(struct debug *d, struct devices_output *output);
/* The bytes the guest has written to its output (any thread). */
uint64_t debug_output_bytes(const struct debug *d);
/* Shows text as a status line on stderr (a terminal), erased before the
 * guest's next output byte (not shown after an unfinished line of the
 * guest's); NULL erases it. */
void debug_status_line(struct debug *d, const char *text);
/* Before kvmdbg prints: ends the guest's unfinished output line, so that
 * kvmdbg's words do not run on from the guest's ("total" then "icount 9"). */
void debug_fresh_line(struct debug *d);
void debug_set_input(struct debug *d, int fd);
void debug_set_early_map(struct debug *d, const struct debug_early_map *map);
/* Whether reading the serial input gave end-of-file (any thread). */
bool debug_input_ended(const struct debug *d);
/* The vCPU the front ends read and write registers of (arch.h), while
 * stopped: the selected one, which steps and counted runs use. A stop selects
 * the vCPU that stopped. */
struct vcpu *debug_vcpu(const struct debug *d);
/* CPUID as the selected vCPU's guest sees it, entry by entry (false past the
 * last, or if KVM cannot say: err_msg). */
struct debug_cpuid {
	uint32_t leaf, index;
	uint32_t eax, ebx, ecx, edx;
	char features[256]; /* the features --cpu knows that this entry turns on */
};
bool debug_cpuid_nth(struct debug *d, unsigned n, struct debug_cpuid *c);
/*
 * Several vCPUs (--smp), all-stop: a continue runs them all (counted runs
 * only the selected one) and any stop stops every one before it is
 * reported; a stop another vCPU made meanwhile (a breakpoint, say) is kept
 * and reported by the next continue, without running anything.
 */
/* How many vCPUs; the selected one's index. */
unsigned debug_cpus(const struct debug *d);
unsigned debug_cpu(const struct debug *d);
/* Selects vCPU i (while stopped); -errno with a message. */
int debug_select_cpu(struct debug *d, unsigned i);
/* vCPU i (NULL if there is none), for its registers while stopped. */
struct vcpu *debug_cpu_vcpu(const struct debug *d, unsigned i);
/* What vCPU i does, in a word or two: "running", "halted", "waiting for SIPI". */
const char *debug_cpu_state(const struct debug *d, unsigned i);

/*
 * The state, as the front ends may read it.
 */
/* Whether the guest runs now (between a start and the stop collected). */
bool debug_running(const struct debug *d);
/* Whether the guest has exited (wrote the exit port); *status its status. */
bool debug_exited(const struct debug *d, int *status);
/* The last stop reported. */
void debug_last_stop(const struct debug *d, struct debug_stop *stop);
/* Whether instructions are counted; the count (any thread: a progress line
 * reads it while the guest runs); the count the run in progress stops at
 * (UINT64_MAX: none). */
bool debug_counting(const struct debug *d);
uint64_t debug_icount(const struct debug *d);
uint64_t debug_target(const struct debug *d);

/*
 * Run control. Each start returns 1 with *stop filled when done at once (a
 * step off a breakpoint stopped it, say), 0 when the guest runs (then wait
 * for the stop: debug_wait_stop(), or debug_stop_fd() and debug_collect()),
 * or -errno.
 */
/* Starts the guest running (stepping off a breakpoint at pc first). */
int debug_continue(struct debug *d, struct debug_stop *stop);
/* Likewise, but only the selected vCPU runs; the others stay stopped. */
int debug_continue_cpu(struct debug *d, struct debug_stop *stop);
/* Asks a running guest to stop. */
void debug_interrupt(struct debug *d);
/* After stop_fd became readable: why the guest stopped (breakpoints resolved).
 * false: it has not stopped for good (a perf run goes on to land by single
 * steps); wait for stop_fd again. */
bool debug_collect(struct debug *d, struct debug_stop *stop);
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
void debug_wait_stop(struct debug *d, struct debug_stop *stop, struct debug_waiter *w);
/* Executes one instruction and waits; *stop is STEPPED or why not; -errno. */
int debug_step(struct debug *d, struct debug_stop *stop);
/* The same while the other vCPUs run (gdb's vCont;s:N;c): a stop one of them
 * makes meanwhile (or made before) is reported at once if the step has not
 * happened, else at the next resume. One vCPU, counting, or memory
 * watchpoints set: debug_step. */
int debug_step_shared(struct debug *d, struct debug_stop *stop);
/* Runs (counted) until exactly at instructions have retired, and waits. */
int debug_run_to(struct debug *d, uint64_t at, struct debug_stop *stop);

/*
 * Breakpoints.
 */
/* Inserts a breakpoint for owner (or adds owner to the one already there);
 * returns its number, or -errno (-EEXIST if owner already has it). */
int debug_break_insert(struct debug *d, enum bp_kind kind, uint64_t addr, unsigned owner);
/* Removes breakpoint or watchpoint id whoever asked for it; -ENOENT if there is none. */
int debug_break_remove(struct debug *d, int id);
/* Drops owner's claim on breakpoint id; it goes when nobody wants it. */
void debug_break_release(struct debug *d, int id, unsigned owner);
/* The number of the breakpoint of a kind at addr, or 0. */
int debug_break_find_id(struct debug *d, enum bp_kind kind, uint64_t addr);
/* Breakpoint id, or the n-th in the table (for listing; BP_OWNER_CATCH's
 * alone are not listed); false if there is none. */
bool debug_break_info(const struct debug *d, int id, struct debug_break_info *info);
bool debug_break_nth(const struct debug *d, unsigned i, struct debug_break_info *info);
/* Whether a breakpoint of kind stops the guest by taking its code page out of
 * the map (this host's int3 or DR0-DR3 do not stop it in the CPU's mode now);
 * if so, and buf is not NULL, a sentence saying why and what it costs. */
bool debug_break_by_page(struct debug *d, enum bp_kind kind, char *buf, size_t len);

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
/* What the last WATCHPOINT stop caught. */
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
/* Where watched accesses go while no log is open (stderr by default). */
void debug_io_output(struct debug *d, FILE *out);
/* Accesses per device and register; exit and I/O counters. */
void debug_io_stats(const struct debug *d, FILE *out);
void debug_stats(const struct debug *d, FILE *out);
/* The device at addr, or NULL. */
const struct io_range *debug_io_device(const struct debug *d, enum io_space space, uint64_t addr);
/* The debugger's own port or MMIO access (size 1, 2, 4 or 8; the guest
 * stopped), as an in/out instruction would make it, to kvmdbg's device there
 * (all ones, a write dropped, where none is), not logged or counted: 0, 1 if
 * the device asked to end the run (the exit port, a reset: not done), or
 * -errno where KVM's own devices have the address. */
int debug_io_access(struct debug *d, enum io_space space, uint64_t addr, unsigned size,
		    bool write, uint64_t *value);
/* Queues an NMI on every CPU (QEMU's monitor `nmi`), taken when they run. */
int debug_nmi(struct debug *d);
/* "r", "w" or "rw"; and back (a for rw too; NULL: rw). */
const char *debug_dirs_name(unsigned dirs);
int debug_parse_dirs(const char *text, unsigned *dirs);

/*
 * Instruction counts.
 */
/* Chooses the counting backend (backend: "auto", "step" or "perf"; margin: the
 * perf backend's, 0 for its default) and starts counting with it; 1: perf,
 * 0: single steps, -errno (perf asked for but not offered); why says what
 * decided. */
int debug_icount_choose(struct debug *d, const char *backend, uint64_t margin, char *why,
			size_t len, uint64_t *margin_used);
/* A stop at absolute count at; returns its number, or -errno (a count passed). */
int debug_icount_break(struct debug *d, uint64_t at);
/* Deletes icount stop id (all of them for 0); -ENOENT if there is none. */
int debug_icount_delete(struct debug *d, int id);
/* The i-th icount stop in the order of their counts; false past the last. */
bool debug_icount_event(const struct debug *d, unsigned i, int *id, uint64_t *at);

/* Guest-virtual memory through the guest's page tables; -EFAULT unmapped. */
int debug_read_virt(struct debug *d, uint64_t va, void *buf, size_t len);
int debug_write_virt(struct debug *d, uint64_t va, const void *buf, size_t len);
/* Guest-physical memory (RAM only); -EFAULT elsewhere. */
int debug_read_phys(struct debug *d, uint64_t pa, void *buf, size_t len);
int debug_write_phys(struct debug *d, uint64_t pa, const void *buf, size_t len);
/* Reads up to len bytes at addr (guest-virtual, or physical), page by page;
 * returns how many could be read before memory that is not mapped or not RAM. */
size_t debug_read_upto(struct debug *d, uint64_t addr, void *buf, size_t len, bool phys);

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
/*
 * Reset (QEMU's system_reset), while the guest is stopped: the machine as it
 * was at power-on (RAM cleared and the guest loaded again from its files,
 * which must not have changed; devices, interrupt controllers and every vCPU
 * as they were before the first instruction), icount 0, the exit forgotten,
 * history started again. Breakpoints, watchpoints, icount stops still ahead,
 * checkpoints and the access log stay. -errno with a message.
 */
int debug_reset(struct debug *d);
/* How the machine does its part (machine.c): fn(opaque), -errno with a message. */
void debug_set_reset(struct debug *d, int (*fn)(void *opaque), void *opaque);

/*
 * A machine on instruction-count time (--clock icount): its devices' time
 * is the count, so counted runs act on them at exact counts, the same in a
 * run and in every replay. All on the vCPU thread, between two steps.
 */
struct debug_clock {
	/* The count at which a device's output changes next (UINT64_MAX: none). */
	uint64_t (*next)(void *opaque);
	/* The devices catch up with the count now (raising their lines); called
	 * at every instruction boundary of a counted run. */
	void (*update)(void *opaque);
	/* Time jumps to next() (a halt with interrupts enabled waits for it). */
	void (*skip)(void *opaque);
	/* The interrupt controller: the vector it asks for (-1: none), and
	 * its acknowledge, which gives the vector to deliver. */
	int (*pending)(void *opaque);
	unsigned (*ack)(void *opaque);
	/* Their state, for info irq. */
	void (*print)(void *opaque, FILE *out);
	/* Whether the UART would interrupt for input still to come (a halt
	 * with no timer left then waits for the input, in host time), and
	 * its look at it: time jumps to the UART's next look, which it makes;
	 * whether a byte came. */
	bool (*input_waits)(void *opaque);
	bool (*input_look)(void *opaque);
	void *opaque;
};
/* Gives the counted runs that machine's clock (before the guest runs). */
void debug_set_clock(struct debug *d, const struct debug_clock *clock);
struct debug_checkpoint_info {
	uint64_t icount;  /* instructions retired then */
	uint64_t pc;      /* where the guest was */
	int parent;       /* the user's checkpoint it descends from (0: none) */
	size_t pages;     /* pages it keeps */
	size_t bytes;     /* ... in bytes */
};
/* Checkpoint id: false if there is none. */
bool debug_checkpoint_get(const struct debug *d, int id, struct debug_checkpoint_info *info);
/* The checkpoint the machine descends from now (0: none). */
int debug_checkpoint_base(const struct debug *d);

/*
 * Execution history (README "Time travel"; src/debug/reverse.c): with it on,
 * checkpoints are laid as the guest runs forward, and the guest can go back
 * to any count since. Below the furthest count reached the guest replays:
 * its output and the access log stay silent. Needs instruction counting.
 */
/* Turns history on (budget: bytes its checkpoints may keep, 0: as before) or off.
 * A budget above the ceiling is refused (-EPERM, with a message). */
int debug_history(struct debug *d, bool on, uint64_t budget);
/* The ceiling of history's budget (0: the default, 256 MiB): the command
 * line's --history-mem; what clients ask for may only stay below it. */
void debug_set_history_limit(struct debug *d, uint64_t bytes);
struct debug_history_info {
	bool on;
	uint64_t first, furthest;  /* counts history spans */
	unsigned checkpoints;
	uint64_t pages, bytes, budget;
	uint64_t interval;         /* instructions between automatic checkpoints now */
	uint64_t taken, thinned;
	uint64_t copied;           /* bytes all the checkpoints took when taken */
	uint64_t irqs;             /* interrupts it holds (debug_history_irqs) */
};
void debug_history_info(const struct debug *d, struct debug_history_info *info);
/* An interrupt the guest took on instruction-count time (--clock icount):
 * delivered at icount, before the instruction at pc. */
struct debug_irq_taken {
	uint64_t icount, pc;
	unsigned vector;
};
/* The interrupts history holds, in order, from the first-th: up to n into v;
 * how many. (Taken again by replays, not twice; forgotten with the history
 * after a point that is discarded.) */
size_t debug_history_irqs(const struct debug *d, size_t first, struct debug_irq_taken *v,
			  size_t n);
/* Whether the guest replays now (it is below the furthest count reached). */
bool debug_replaying(const struct debug *d);
/*
 * Going back (and to a given count), started as run control's starts are;
 * a stop with history < 0 is the start of history.
 */
/* One instruction back. */
int debug_reverse_step(struct debug *d, struct debug_stop *stop);
/* Back to the last breakpoint, watchpoint or icount stop before now. */
int debug_reverse_continue(struct debug *d, struct debug_stop *stop);
/* Exactly to count at, forwards or backwards, breakpoints ignored. */
int debug_goto(struct debug *d, uint64_t at, struct debug_stop *stop);
/*
 * A Linux guest's kernel and its symbols (src/debug/kernel.c): the version
 * string its bzImage gives (checked against the symbols' at once: a
 * mismatch is a notice), and at the first stop in the kernel's own mapping,
 * its banner in memory (the symbols' kernel or not, and moved by KASLR: then
 * the symbols move too, with a notice).
 */
void debug_set_boot_version(struct debug *d, const char *version);
/* What KASLR did, for the user and gdb (a line or two into buf); -errno with
 * a message when that cannot be told (no symbols, the kernel not running yet). */
int debug_kaslr(struct debug *d, char *buf, size_t len);

/* A message for the user the debugger left since (history discarded, say),
 * or NULL; cleared by the call. */
const char *debug_notice(struct debug *d);

/*
 * Catching exceptions (README "When the guest faults"): a caught vector's
 * handler gets a breakpoint of kvmdbg's own (BP_OWNER_CATCH); the guest
 * stops there and the frame the CPU pushed is taken back, so the stop
 * (DEBUG_STOP_EXCEPTION) is at the instruction that faulted, registers as
 * before delivery. The next run delivers it (the state at the handler's
 * entry back) unless debug_catch_resume() says not to: then the faulting
 * instruction runs again. The handlers are found in the IDT at each run and
 * whenever the guest exits to kvmdbg while running (port I/O, MMIO).
 */
/* Catches (on) or stops catching the vectors of list: names (de db nmi bp of
 * br ud nm df ts np ss gp pf mf ac mc xm ve cp, with or without '#'),
 * numbers, "all" (the exceptions, 0-31), "irq" (32-255), separated by
 * commas or spaces; an empty list uncatches all. -EINVAL with a message. */
int debug_catch(struct debug *d, const char *list, bool on);
/* Traces every exception delivered (irqs: and interrupt), the guest running
 * on: a line (a JSON object if path ends in .jsonl) each, with the count
 * when counting, the vector, error code, CR2 for #PF, cs:rip with its
 * symbol and the handler; to path (NULL: stderr). -errno with a message. */
int debug_trace_exceptions(struct debug *d, const char *path, bool irqs);
/* What is caught, as a list debug_catch() takes ("none" for nothing). */
void debug_catch_list(const struct debug *d, char *buf, size_t len);
/* Whether the next run delivers the exception the guest stopped at (it
 * does unless told; a stop not at a caught exception ignores this). */
void debug_catch_resume(struct debug *d, bool deliver);

/* Why the guest shut down (a triple fault), in words, from the registers and
 * RAM the shutdown left: its length; 0 when there is nothing to go on (this
 * host resets the vCPU at a shutdown). Call it at a shutdown's stop. */
#define DEBUG_EXPLAIN_MAX 1024
size_t debug_explain_shutdown(struct debug *d, char *buf, size_t len);

/* A hash of all guest RAM (64-bit FNV-1a over its words), and its size:
 * two states with the same hash have the same RAM, for all practical ends. */
uint64_t debug_ram_hash(const struct debug *d, uint64_t *size);
/* The interrupt controllers and timers, as the console shows them. */
int debug_print_irq(struct debug *d, FILE *out);

/* The serial port's input (devices_input's poll, opaque the debugger): a
 * byte from the input as the guest looks; replaying, the byte it got then. */
bool debug_input_poll(void *opaque, uint64_t seq, uint8_t *byte);

#endif
