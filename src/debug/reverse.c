/*
 * Time travel (README "Time travel"): history laid as the guest runs
 * forward (checkpoints by instruction count, history.c), and the operations
 * that go back or to a count: reverse step, reverse continue (a scan of
 * replay windows, last stop found wins), goto (a seek). It plugs into run
 * control through struct debug_history_ops, installed the first time one of
 * its functions is used; run control never names anything here.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

#include "../arch.h"
#include "../devices/output.h"
#include "../err.h"
#include "../history.h"
#include "../vm.h"

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

struct debug_history {
	struct history hist;            /* the checkpoints along the timeline */
	enum rev_op op;                 /* the operation in progress */
	bool replaying;                 /* its run started below the furthest point */
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
	bool shutdown_replay;           /* SEEK: to the state a shutdown reset */
};

static const struct debug_history_ops reverse_ops;

/* Plugs time travel in: 0, or -ENOMEM. */
static int reverse_attach(struct debug *d)
{
	if (d->history)
		return 0;
	d->history = calloc(1, sizeof(*d->history));
	if (!d->history)
		return err_set(ENOMEM, "out of memory");
	history_init(&d->history->hist);
	d->hops = &reverse_ops;
	return 0;
}

/* Takes a checkpoint for the history here. */
static int reverse_mark(struct debug *d)
{
	struct history *h = &d->history->hist;
	int i = debug_ckpt_take(d, h->budget, 0), r;

	if (i == -E2BIG)
		return err_set(ENOSPC, "a checkpoint here needs more than the history's %llu KiB "
			       "(--history-mem)", (unsigned long long)(h->budget >> 10));
	if (i < 0)
		return i;
	r = history_add(h, &d->ckpt, (unsigned)i, d->icount, d->sub);
	if (r < 0) {
		checkpoint_drop(&d->ckpt, (unsigned)i);
		return r;
	}
	history_thin(h, &d->ckpt);
	return 0;
}

/* History ends here (what it held from here on is not what runs now): a
 * checkpoint of the machine as it is now is the last. */
static void reverse_here(struct debug *d)
{
	struct history *h = &d->history->hist;

	history_truncate(h, &d->ckpt, d->icount);
	h->furthest = d->icount;
	if (reverse_mark(d) < 0)
		snprintf(d->notice, sizeof(d->notice), "history: %s", err_msg());
}

/* An operation starts. If the user changed registers or memory since the
 * last stop, the history after this point is not what would happen now. */
static void reverse_op_begin(struct debug *d, enum rev_op op)
{
	struct history *h = &d->history->hist;

	d->history->op = h->on || op == REV_SEEK ? op : REV_NONE;
	if (op != REV_FORWARD)
		debug_catch_drop(d);
	d->run_from = d->icount;
	if (!h->on || (!d->wrote && arch_state_changes(d->vcpu) == d->arch_changes))
		return;
	if (h->furthest > d->icount)
		snprintf(d->notice, sizeof(d->notice), "registers or memory changed at icount "
			 "%llu: the history after it (up to %llu) is discarded",
			 (unsigned long long)d->icount, (unsigned long long)h->furthest);
	reverse_here(d);
	debug_state_known(d);
}

static void reverse_forward(struct debug *d)
{
	reverse_op_begin(d, REV_FORWARD);
}

/* Where the ladder of a long replay has its next rung: target - 2^k, the
 * first after the count now (0: none). */
static uint64_t reverse_ladder_next(const struct debug *d)
{
	uint64_t top = d->history->ladder_top, gap, p = 1;

	if (!top || top <= d->icount + 1)
		return 0;
	gap = top - d->icount;
	while (p * 2 < gap)
		p *= 2;
	return top - p;
}

/* Before each run: where history wants it to stop, and silence below the
 * furthest point reached. */
static uint64_t reverse_arm(struct debug *d)
{
	struct debug_history *t = d->history;
	struct history *h = &t->hist;
	uint64_t at = UINT64_MAX, x;
	bool replay = h->on && d->icount < h->furthest;

	if (h->on && t->op != REV_NONE) {
		if (replay) {
			int m = history_after(h, d->icount);

			at = h->furthest;
			if (m >= 0 && h->v[m].icount < at)
				at = h->v[m].icount;
		} else {
			if (h->next_at <= d->icount)
				h->next_at = d->icount + h->interval;
			at = h->next_at;
		}
	}
	if (t->op == REV_SEEK) {
		if (t->target.icount < at)
			at = t->target.icount;
		x = reverse_ladder_next(d);
		if (x && x < at)
			at = x;
	}
	if (t->op == REV_SCAN && t->end < at)
		at = t->end;
	t->replaying = replay;
	replay = replay && t->op != REV_NONE;
	if (d->output)
		d->output->muted = replay;
	d->vcpu->on_access = replay ? NULL : iolog_record;
	return at;
}

/* Whether the stop is a shutdown whose state this host reset (SVM) and
 * no replay has given back. */
static bool reverse_shutdown_lost(struct debug *d, const struct vcpu_stop *stop)
{
	return stop->reason == STOP_SHUTDOWN && !d->history->shutdown_replay &&
	       debug_shutdown_regs_lost(d);
}

/* The stop an operation ends with. */
static bool reverse_final(struct debug *d, struct vcpu_stop *stop)
{
	struct history *h = &d->history->hist;

	if (d->history->shutdown_replay && stop->reason == STOP_SHUTDOWN) {
		snprintf(stop->detail, sizeof(stop->detail), "shutdown (triple fault) at pc %#llx "
			 "(this host resets the vCPU at a shutdown: the registers are the ones a "
			 "replay gives at icount %llu)", (unsigned long long)arch_pc(d->vcpu),
			 (unsigned long long)d->icount);
		d->shutdown_known = true;
	}
	d->history->shutdown_replay = false;
	d->history->op = REV_NONE;
	d->history->ladder_top = 0;
	if (h->on) {
		stop->replayed = d->icount < h->furthest;
		if (stop->reason == STOP_EXITED)
			stop->history = 1;
		/* What a replay must find here (not a state a shutdown reset). */
		if (d->icount == h->furthest && !d->sub && !reverse_shutdown_lost(d, stop))
			h->end_valid = arch_result_get(d->vcpu, h->end_regs) > 0;
	}
	d->last = *stop;
	debug_state_known(d);
	return true;
}

/* The history diverged: what replays is not what ran. The marks from here
 * on are dropped (they recorded the other run). */
static bool reverse_diverged(struct debug *d, struct vcpu_stop *stop, const char *what)
{
	*stop = (struct vcpu_stop){ .reason = STOP_ERROR };
	snprintf(stop->detail, sizeof(stop->detail), "history diverged at icount %llu: %s",
		 (unsigned long long)d->icount, what);
	reverse_here(d);
	return reverse_final(d, stop);
}

/* A stop history asked for: compare with the checkpoint there, or take one
 * (automatic, or a rung of a ladder). true: the stop became the final one. */
static bool reverse_internal(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;
	struct history *h = &t->hist;
	int m = history_exact(h, d->icount);
	char what[160];

	if (m >= 0) {
		if (!arch_snapshot_same(d->vcpu, d->ckpt.v[h->v[m].slot].cpu, what, sizeof(what)))
			return reverse_diverged(d, stop, what);
		return false;
	}
	if (!h->on)
		return false;
	bool live = d->icount >= h->furthest && d->icount >= h->next_at;
	uint64_t gap = t->ladder_top > d->icount ? t->ladder_top - d->icount : 0;
	bool ladder = t->op == REV_SEEK && gap && !(gap & (gap - 1));

	if (live || ladder) {
		uint64_t start = history_clock();

		if (reverse_mark(d) < 0)
			snprintf(d->notice, sizeof(d->notice), "history: no checkpoint at icount "
				 "%llu: %s", (unsigned long long)d->icount, err_msg());
		if (live)
			history_paced(h, d->icount, history_clock() - start);
	}
	return false;
}

static bool reverse_seek_stopped(struct debug *d, struct vcpu_stop *stop);
static bool reverse_scan_stopped(struct debug *d, struct vcpu_stop *stop);
static int reverse_seek_to(struct debug *d, const struct hist_pos *pos,
			   const struct vcpu_stop *result, const struct watch_hit *hit);
static bool reverse_seek_final(struct debug *d, struct vcpu_stop *stop);

/*
 * A shutdown on a host that resets the vCPU there (SVM): the state it
 * faulted in is the one at the shutdown's count, which the history replays
 * from its last checkpoint (true: the stop is final; false: run on to it).
 */
static bool reverse_shutdown_replay(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;
	struct history *h = &t->hist;
	struct hist_pos pos = { .icount = d->icount };
	int m = history_find(h, d->icount, 0), r;

	if (m < 0 || debug_ckpt_restore(d, h->v[m].slot) < 0)
		return reverse_final(d, stop);
	r = reverse_seek_to(d, &pos, stop, NULL);
	if (r < 0)
		return reverse_final(d, stop);
	t->shutdown_replay = true;
	return r == 1 ? reverse_seek_final(d, stop) : false;
}

/* Whether (and how) the operation in progress goes on after a stop. */
static bool reverse_stopped(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;
	struct history *h = &t->hist;
	bool internal = stop->reason == STOP_ICOUNT && !d->event_hit &&
			d->icount != d->target.run_to;

	if (t->op == REV_NONE)
		return true;
	if (internal && reverse_internal(d, stop))
		return true;
	if (h->on && reverse_shutdown_lost(d, stop))
		return reverse_shutdown_replay(d, stop);
	/* A replay that reached the furthest point must find what was there. */
	if (t->replaying && h->on && h->end_valid && d->icount == h->furthest && !d->sub &&
	    stop->reason != STOP_ERROR) {
		char what[160];

		if (!arch_result_same(d->vcpu, h->end_regs, what, sizeof(what)))
			return reverse_diverged(d, stop, what);
	}
	if (h->on && d->icount > h->furthest)
		h->furthest = d->icount;
	switch (t->op) {
	case REV_SEEK:
		return reverse_seek_stopped(d, stop);
	case REV_SCAN:
		return reverse_scan_stopped(d, stop);
	default:
		return !internal && reverse_final(d, stop);
	}
}

/* Compares positions: <0, 0, >0 as a is before, at or after the guest now. */
static int reverse_cmp_now(const struct debug *d, const struct hist_pos *a)
{
	if (a->icount != d->icount)
		return a->icount < d->icount ? -1 : 1;
	if (d->sub == 0 || (a->at_pc && a->pc == arch_pc(d->vcpu)))
		return 0;
	return -1;
}

/* Sets up a seek to pos, reporting result there (with hit, if any): restores
 * the nearest checkpoint before it when that is nearer than where the guest
 * is. 1: there already; 0: run (debug_start); -errno. */
static int reverse_seek_to(struct debug *d, const struct hist_pos *pos,
			   const struct vcpu_stop *result, const struct watch_hit *hit)
{
	struct debug_history *t = d->history;
	struct history *h = &t->hist;
	int c = reverse_cmp_now(d, pos), m;

	t->op = REV_SEEK;
	t->target = *pos;
	t->result = *result;
	t->has_hit = hit != NULL;
	if (hit)
		t->hit = *hit;
	t->pc_steps = 0;
	t->ladder_top = 0;
	m = h->on ? history_find(h, pos->icount, 0) : -1;
	if (c < 0 || (m >= 0 && h->v[m].icount > d->icount)) {
		if (m < 0)
			return err_set(ERANGE, "icount %llu is before the start of history",
				       (unsigned long long)pos->icount);
		int r = debug_ckpt_restore(d, h->v[m].slot);

		if (r < 0)
			return r;
		if (pos->icount - d->icount > HISTORY_LADDER_MIN)
			t->ladder_top = pos->icount;
		c = reverse_cmp_now(d, pos);
	}
	if (c == 0 && (!pos->at_pc || pos->pc == arch_pc(d->vcpu)))
		return 1;
	return 0;
}

/* The seek arrived: report what it was for. */
static bool reverse_seek_final(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;

	if (d->icount == t->target.icount || stop->reason == STOP_ICOUNT ||
	    stop->reason == STOP_STEPPED) {
		*stop = t->result;
		if (t->has_hit)
			d->watch.hit = t->hit;
		if (d->icount != t->target.icount)
			snprintf(stop->detail, sizeof(stop->detail), "landed at icount %llu, not %llu "
				 "(an instruction that delays the step trap ran with the one before)",
				 (unsigned long long)d->icount, (unsigned long long)t->target.icount);
	}
	return reverse_final(d, stop);
}

static bool reverse_seek_stopped(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;
	bool passing = stop->reason == STOP_ICOUNT || stop->reason == STOP_BREAKPOINT ||
		       stop->reason == STOP_WATCHPOINT || stop->reason == STOP_HALTED ||
		       stop->reason == STOP_STEPPED;

	if (!passing)
		return reverse_final(d, stop);
	if (d->icount < t->target.icount)
		return false;
	/* At the count: steps that retire nothing up to the pc it had. */
	if (d->icount == t->target.icount && t->target.at_pc && arch_pc(d->vcpu) != t->target.pc &&
	    t->pc_steps < DEBUG_MAX_SUBSTEPS) {
		t->pc_steps++;
		d->count_steps = 1;
		return false;
	}
	return reverse_seek_final(d, stop);
}

/* Puts the machine at the start of the scan's window: 1 when the window is
 * empty (nothing to run). */
static int reverse_scan_window(struct debug *d)
{
	struct debug_history *t = d->history;
	int r = debug_ckpt_restore(d, t->hist.v[t->mark].slot);
	struct breakpoint *bp;

	if (r < 0)
		return r;
	if (d->icount >= t->end)
		return 1;
	/* A breakpoint right at the checkpoint: no step stops there. */
	bp = debug_at_breakpoint(d);
	if (bp) {
		t->found = true;
		t->found_pos = (struct hist_pos){ .icount = d->icount, .pc = arch_pc(d->vcpu),
						  .at_pc = d->sub > 0 };
		t->found_stop = (struct vcpu_stop){ .reason = STOP_BREAKPOINT, .breakpoint = bp->id };
	}
	return 0;
}

/* The scan reached the end of its window: seek to the last stop found in it,
 * or scan the window before, or stop at the start of history. */
static bool reverse_scan_next(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;
	int r;

	for (;;) {
		if (t->found) {
			r = reverse_seek_to(d, &t->found_pos, &t->found_stop,
					    t->found_stop.reason == STOP_WATCHPOINT ? &t->found_hit
										    : NULL);
			if (r < 0)
				break;
			return r == 1 ? reverse_seek_final(d, stop) : false;
		}
		if (t->mark == 0) {
			r = debug_ckpt_restore(d, t->hist.v[0].slot);
			if (r < 0)
				break;
			*stop = (struct vcpu_stop){ .reason = STOP_STEPPED, .history = -1 };
			return reverse_final(d, stop);
		}
		t->end = t->hist.v[t->mark].icount;
		t->mark--;
		r = reverse_scan_window(d);
		if (r < 0)
			break;
		if (r == 0)
			return false;
	}
	debug_stop_error(stop);
	return reverse_final(d, stop);
}

static bool reverse_scan_stopped(struct debug *d, struct vcpu_stop *stop)
{
	struct debug_history *t = d->history;
	struct hist_pos here = { .icount = d->icount, .pc = arch_pc(d->vcpu), .at_pc = d->sub > 0 };

	switch (stop->reason) {
	case STOP_ICOUNT:
		if (d->event_hit && d->icount < t->end)
			here = (struct hist_pos){ .icount = d->icount };
		else
			break;
		/* fall through */
	case STOP_BREAKPOINT:
		if (d->icount < t->end) {
			t->found = true;
			t->found_pos = here;
			t->found_stop = *stop;
		}
		break;
	case STOP_WATCHPOINT:
		/* Before the access: at the instruction that made it (which may
		 * have been the last before the window's end). */
		here = (struct hist_pos){ .icount = d->icount - (d->watch_mid_rep ? 0 : 1) };
		if (here.icount < t->end) {
			t->found = true;
			t->found_pos = here;
			t->found_stop = *stop;
			t->found_hit = *debug_watch_hit(d);
		}
		break;
	case STOP_HALTED:
	case STOP_STEPPED:
	case STOP_EXITED:
		break;
	case STOP_REQUESTED: {
		/* Interrupted: back where it started. */
		struct vcpu_stop req = { .reason = STOP_REQUESTED };
		int r = reverse_seek_to(d, &t->start, &req, NULL);

		if (r < 0)
			return reverse_final(d, stop);
		return r == 1 ? reverse_seek_final(d, stop) : false;
	}
	default:
		return reverse_final(d, stop);
	}
	/* The window ends where the scan started, or at the next checkpoint:
	 * whatever stops the guest there (the exit, a halt) ends it too. */
	return d->icount >= t->end ? reverse_scan_next(d, stop) : false;
}

/* ---- the hooks run control calls ------------------------------------------------- */

static void reverse_run_begin(struct debug *d)
{
	history_run_begin(&d->history->hist);
}

static void reverse_run_end(struct debug *d)
{
	history_run_end(&d->history->hist);
}

static void reverse_cancel(struct debug *d)
{
	d->history->op = REV_NONE;
}

static bool reverse_seeking(const struct debug *d)
{
	return d->history->op == REV_SEEK || d->history->op == REV_SCAN;
}

static bool reverse_on(const struct debug *d)
{
	return d->history->hist.on;
}

static bool reverse_holds(const struct debug *d, uint64_t at)
{
	const struct history *h = &d->history->hist;

	return h->on && h->n && at >= h->v[0].icount;
}

static void reverse_nondet(struct debug *d, uint64_t at)
{
	struct history *h = &d->history->hist;
	uint8_t buf[ARCH_RESULT_SIZE];
	size_t n;

	if (!h->on)
		return;
	if (at < h->furthest) {
		const struct hist_value *v = history_value_at(h, at);

		if (v)
			arch_result_put(d->vcpu, v->result);
		return;
	}
	n = arch_result_get(d->vcpu, buf);
	if (n)
		history_value_add(h, at, buf, n);
}

static int reverse_input_replay(struct debug *d, uint64_t seq, uint8_t *byte)
{
	struct history *h = &d->history->hist;
	int b;

	if (!h->on || !d->history->replaying)
		return -1;
	b = history_input_at(h, seq);
	if (b >= 0)
		*byte = (uint8_t)b;
	return b >= 0;
}

static void reverse_input_record(struct debug *d, uint64_t seq, int byte)
{
	struct history *h = &d->history->hist;

	if (!h->on)
		return;
	/* Live: what was recorded from here on belonged to a discarded future. */
	history_inputs_truncate(h, seq);
	if (byte >= 0)
		history_input_add(h, seq, (uint8_t)byte);
}

static void reverse_irq_taken(struct debug *d, uint64_t at, uint64_t pc, uint8_t vector)
{
	struct history *h = &d->history->hist;

	if (h->on)
		history_irq_add(h, at, pc, vector);
}

static void reverse_restarted(struct debug *d)
{
	struct history *h = &d->history->hist;

	if (!h->on)
		return;
	/* The history was of another run: it starts again from here. */
	history_clear(h, &d->ckpt);
	h->on = true;
	h->furthest = d->icount;
	if (reverse_mark(d) < 0) {
		h->on = false;
		snprintf(d->notice, sizeof(d->notice), "history is off: %s", err_msg());
	} else {
		snprintf(d->notice, sizeof(d->notice), "history starts again here, at icount %llu",
			 (unsigned long long)d->icount);
	}
}

static void reverse_free(struct debug *d)
{
	history_clear(&d->history->hist, &d->ckpt);
	free(d->history);
	d->history = NULL;
	d->hops = NULL;
}

static const struct debug_history_ops reverse_ops = {
	.op_begin = reverse_forward,
	.arm = reverse_arm,
	.run_begin = reverse_run_begin,
	.run_end = reverse_run_end,
	.stopped = reverse_stopped,
	.cancel = reverse_cancel,
	.seeking = reverse_seeking,
	.on = reverse_on,
	.replaying = debug_replaying,
	.holds = reverse_holds,
	.nondet = reverse_nondet,
	.input_replay = reverse_input_replay,
	.input_record = reverse_input_record,
	.irq_taken = reverse_irq_taken,
	.restarted = reverse_restarted,
	.free = reverse_free,
};

/* ---- what the front ends call ------------------------------------------------------ */

int debug_history(struct debug *d, bool on, uint64_t budget)
{
	struct history *h;
	int r;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (!on && !d->history)
		return 0;
	if (budget > d->history_limit)
		return err_set(EPERM, "history may keep %llu MiB at most: the command line sets that "
			       "(--history-mem); here it may only be lowered",
			       (unsigned long long)(d->history_limit >> 20));
	r = reverse_attach(d);
	if (r < 0)
		return r;
	h = &d->history->hist;
	if (!on) {
		history_clear(h, &d->ckpt);
		d->history->op = REV_NONE;
		reverse_arm(d);
		return 0;
	}
	if (!d->icount_on)
		return err_set(ENOTSUP, "history needs instruction counts: start kvmdbg with "
			       "--icount (or --history)");
	if (d->vm->irqchip)
		return err_set(ENOTSUP, "history needs a machine without KVM's interrupt "
			       "controllers: their interrupts come in host time, which a replay "
			       "could not repeat (start kvmdbg with --history, or --irqchip off)");
	if (budget)
		h->budget = budget;
	if (h->budget > d->history_limit)
		h->budget = d->history_limit;
	if (h->on) {
		history_thin(h, &d->ckpt);
		return 0;
	}
	/* Its clock would read differently on each replay. */
	if (!d->started && arch_hide_paravirt(d->vcpu) < 0)
		return -EIO;
	h->on = true;
	h->furthest = d->icount;
	r = reverse_mark(d);
	if (r < 0) {
		h->on = false;
		return r;
	}
	if (d->started)
		snprintf(d->notice, sizeof(d->notice), "the guest has run: it may use the KVM clock, "
			 "which replays cannot repeat (a divergence is reported)");
	h->next_at = d->icount + h->interval;
	debug_state_known(d);
	return 0;
}

void debug_history_info(const struct debug *d, struct debug_history_info *info)
{
	const struct history *h = d->history ? &d->history->hist : NULL;

	if (!h) {
		struct history off;

		history_init(&off);
		*info = (struct debug_history_info){ .budget = off.budget, .interval = off.interval };
		return;
	}
	*info = (struct debug_history_info){ .on = h->on, .budget = h->budget,
					     .furthest = h->furthest, .checkpoints = h->n,
					     .interval = h->interval, .taken = h->taken,
					     .thinned = h->thinned, .copied = h->copied };
	if (!h->on)
		return;
	info->first = h->n ? h->v[0].icount : h->furthest;
	info->irqs = h->nirqs;
	info->bytes = history_bytes(h, &d->ckpt);
	for (unsigned i = 0; i < h->n; i++)
		info->pages += d->ckpt.v[h->v[i].slot].npages;
}

size_t debug_history_irqs(const struct debug *d, size_t first, struct debug_irq_taken *v,
			  size_t n)
{
	const struct history *h = d->history ? &d->history->hist : NULL;
	size_t k = 0;

	for (; h && first < h->nirqs && k < n; first++, k++)
		v[k] = (struct debug_irq_taken){ .icount = h->irqs[first].icount,
						 .pc = h->irqs[first].pc,
						 .vector = h->irqs[first].vector };
	return k;
}

bool debug_replaying(const struct debug *d)
{
	return d->history && d->history->hist.on && d->icount < d->history->hist.furthest;
}

/* Checks before going back: 1 with *stop at the start of history (history
 * off counts as none), 0 to go, -errno. */
static int reverse_check(struct debug *d, struct vcpu_stop *stop)
{
	const struct history *h = d->history ? &d->history->hist : NULL;
	bool on = h && h->on;

	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	/* The advice that works from here: "history on" needs counting and no
	 * in-kernel interrupt controllers. */
	if (!on)
		snprintf(d->notice, sizeof(d->notice), "history is off: there is nothing to go back "
			 "to (%s)", d->icount_on && !d->vm->irqchip
			 ? "turn it on: history on; or start kvmdbg with --history"
			 : "start kvmdbg with --history");
	if (!on || !h->n || (d->icount == h->v[0].icount && d->sub <= h->v[0].sub)) {
		*stop = d->last;
		stop->reason = STOP_STEPPED;
		stop->history = -1;
		stop->detail[0] = 0;
		return 1;
	}
	return 0;
}

/* Starts a seek to pos that reports result there. */
static int reverse_seek_start(struct debug *d, const struct hist_pos *pos,
			      const struct vcpu_stop *result, struct vcpu_stop *stop)
{
	int r = reverse_attach(d);

	if (r < 0)
		return r;
	reverse_op_begin(d, REV_SEEK);
	r = reverse_seek_to(d, pos, result, NULL);
	if (r < 0) {
		d->history->op = REV_NONE;
		return r;
	}
	if (r == 1)
		return reverse_seek_final(d, stop);
	return debug_start(d, stop);
}

int debug_reverse_step(struct debug *d, struct debug_stop *out)
{
	struct vcpu_stop result = { .reason = STOP_STEPPED }, stop;
	struct hist_pos pos;
	int r = reverse_check(d, &stop);

	if (r)
		return debug_started(d, r, &stop, out);
	pos = (struct hist_pos){ .icount = d->sub ? d->icount : d->icount - 1 };
	return debug_started(d, reverse_seek_start(d, &pos, &result, &stop), &stop, out);
}

int debug_reverse_continue(struct debug *d, struct debug_stop *out)
{
	struct vcpu_stop stop;
	struct debug_history *t;
	int r = reverse_check(d, &stop), m;

	if (r)
		return debug_started(d, r, &stop, out);
	t = d->history;
	reverse_op_begin(d, REV_SCAN);
	t->start = (struct hist_pos){ .icount = d->icount, .pc = arch_pc(d->vcpu),
				      .at_pc = d->sub > 0 };
	t->found = false;
	t->end = d->icount;
	m = history_find(&t->hist, d->icount, d->sub);
	/* The window ends before the guest now: a mark right here starts none. */
	if (m > 0 && t->hist.v[m].icount == d->icount)
		m--;
	t->mark = m;
	r = reverse_scan_window(d);
	if (r < 0) {
		t->op = REV_NONE;
		return r;
	}
	if (r == 1 && reverse_scan_next(d, &stop))
		return debug_started(d, 1, &stop, out);
	return debug_started(d, debug_start(d, &stop), &stop, out);
}

int debug_goto(struct debug *d, uint64_t at, struct debug_stop *out)
{
	struct vcpu_stop result = { .reason = STOP_ICOUNT }, stop;
	struct hist_pos pos = { .icount = at };
	const struct history *h = d->history ? &d->history->hist : NULL;
	bool on = h && h->on;

	if (!d->icount_on)
		return err_set(ENOTSUP, "instructions are not being counted (start kvmdbg with --icount)");
	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	if (at < d->icount && !on)
		return err_set(ERANGE, "icount %llu has passed and history is off (start kvmdbg "
			       "with --history to go back)", (unsigned long long)at);
	if (on && h->n && at < h->v[0].icount)
		return err_set(ERANGE, "icount %llu is before the start of history (%llu)",
			       (unsigned long long)at, (unsigned long long)h->v[0].icount);
	return debug_started(d, reverse_seek_start(d, &pos, &result, &stop), &stop, out);
}
