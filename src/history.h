/*
 * Execution history for going back in time: checkpoints laid along the one
 * timeline the guest ran (marks, by instruction count), the furthest point
 * reached, and how densely to keep them. Kept near the present, thinned out
 * with age (after rr) so they fit a memory budget; the debugger (debug.c)
 * takes them, puts them back and replays between them.
 */
#ifndef KVMDBG_HISTORY_H
#define KVMDBG_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

struct checkpoints;

#define HISTORY_MAX_MARKS 4096               /* checkpoints kept at once */
#define HISTORY_DEFAULT_BUDGET (256ULL << 20) /* --history-mem's default */
#define HISTORY_PACE_NS 20000000ULL          /* aim: a checkpoint per 20 ms of running */
#define HISTORY_COST_SHARE 50ULL             /* ... costing at most 2% of the time */
#define HISTORY_MIN_INTERVAL 1024ULL         /* instructions between checkpoints, at least */
#define HISTORY_LADDER_MIN 128ULL            /* replays longer than this lay a ladder */

/* A checkpoint of the history: its slot in the checkpoint store, and where it
 * was taken (instructions retired, and steps since the last one retired). */
struct hist_mark {
	unsigned slot;
	uint64_t icount;
	unsigned sub;
};

/* What an instruction whose result differs run to run yielded the first
 * time (rdtsc, say), to be given again when it replays. */
struct hist_value {
	uint64_t icount; /* the instruction's position */
	uint8_t result[ARCH_RESULT_SIZE];
};

/* An interrupt delivered at a count: where, and which vector. */
struct hist_irq {
	uint64_t icount; /* instructions retired when it went in */
	uint64_t pc;     /* the instruction it came before (the return address) */
	uint8_t vector;
};

struct history {
	bool on;
	uint64_t budget;        /* bytes its checkpoints may keep */
	uint64_t furthest;      /* the furthest count reached: below it is replay */
	struct hist_mark *v;    /* by position */
	unsigned n, cap;
	uint64_t interval;      /* instructions between automatic checkpoints */
	uint64_t next_at;       /* the next one is due at this count */
	uint64_t run_ns;        /* time run since the last one (CLOCK_MONOTONIC) */
	uint64_t go_ns;         /* when the run in progress started, 0: none */
	uint64_t taken, thinned; /* counters for history info */
	uint64_t copied;        /* bytes the checkpoints took when taken, together */
	struct hist_value *vals; /* by position */
	size_t nvals, capvals;
	/* Bytes the guest received (serial), by the device's look number. */
	struct hist_input {
		uint64_t seq;
		uint8_t byte;
	} *inputs;
	size_t ninputs, capinputs;
	/* The interrupts the guest took (a machine on instruction-count time). */
	struct hist_irq *irqs;  /* by position */
	size_t nirqs, capirqs;
	bool records_full;      /* no more room for values or input: they take half the
				   budget at most (replays may then diverge) */
	uint8_t end_regs[ARCH_RESULT_SIZE]; /* the registers at the furthest point */
	bool end_valid;
};

void history_init(struct history *h);
/* Drops every mark's checkpoint and turns history off. */
void history_clear(struct history *h, struct checkpoints *c);
/* Records checkpoint slot as taken at (icount, sub); -ENOMEM. */
int history_add(struct history *h, struct checkpoints *c, unsigned slot, uint64_t icount,
		unsigned sub);
/* The last mark at or before (icount, sub), or -1. */
int history_find(const struct history *h, uint64_t icount, unsigned sub);
/* The mark taken exactly at (icount, 0), or -1. */
int history_exact(const struct history *h, uint64_t icount);
/* The first mark after icount, or -1. */
int history_after(const struct history *h, uint64_t icount);
/* Forgets the marks at icount and after (their checkpoints dropped), and
 * the values and interrupts recorded there. */
void history_truncate(struct history *h, struct checkpoints *c, uint64_t icount);
/* Records what the instruction at icount yielded (after the last recorded). */
void history_value_add(struct history *h, uint64_t icount, const void *result, size_t len);
/* What the instruction at icount yielded, or NULL. */
const struct hist_value *history_value_at(const struct history *h, uint64_t icount);
/* Forgets the values of instructions at icount and after. */
void history_values_truncate(struct history *h, uint64_t icount);
/* A byte the guest received at its device's look seq: recorded (after
 * history_inputs_truncate(h, seq)), and looked up (-1: none). */
void history_input_add(struct history *h, uint64_t seq, uint8_t byte);
int history_input_at(const struct history *h, uint64_t seq);
/* Forgets the bytes of looks seq and after. */
void history_inputs_truncate(struct history *h, uint64_t seq);
/* An interrupt taken at icount (recorded after the last one only: a replay
 * takes the same ones again); the index of the first one recorded at icount
 * or later. */
void history_irq_add(struct history *h, uint64_t icount, uint64_t pc, uint8_t vector);
size_t history_irqs_from(const struct history *h, uint64_t icount);
/* Bytes the marks' checkpoints, the values, the input and the interrupts keep. */
uint64_t history_bytes(const struct history *h, const struct checkpoints *c);
/* Drops marks, oldest-densest first, until the rest fit the budget (the
 * first and the newest always stay). */
void history_thin(struct history *h, struct checkpoints *c);
/* The guest starts and stops running (the pace counts only its running time). */
void history_run_begin(struct history *h);
void history_run_end(struct history *h);
/* An automatic checkpoint was taken at icount, in cost_ns: when the next is
 * due, paced so one falls every HISTORY_PACE_NS of running, or less often
 * when they take more than 1/HISTORY_COST_SHARE of the time. */
void history_paced(struct history *h, uint64_t icount, uint64_t cost_ns);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t history_clock(void);

#endif
