/*
 * Run, stop and step: the debugger attached to the vCPU (its hooks), whether the guest may run, where the run stops (the
 * target's one owner, struct debug_target), the one place a run is handed
 * to the vCPU thread (debug_launch), stepping off a breakpoint, the one wait
 * for a stop, and what a stop means once collected. Time travel comes in
 * through d->hops only; without it an operation is one run.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <stdlib.h>

#include "../arch.h"
#include "../err.h"
#include "../vm.h"

/* One stop notification for all the vCPUs: an epoll set of their stop_fds. */
static int debug_stop_set(struct debug *d)
{
	d->stop_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (d->stop_epoll < 0)
		return err_set(errno, "epoll_create1: %s", strerror(errno));
	for (unsigned i = 0; i < d->ncpus; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(d->stop_epoll, EPOLL_CTL_ADD, d->cpus[i]->stop_fd, &ev) < 0)
			return err_set(errno, "epoll_ctl: %s", strerror(errno));
	}
	return 0;
}

struct debug *debug_create(struct vm *vm, struct vcpu *vcpus, unsigned ncpus,
			   struct symtab *syms)
{
	struct debug *d = calloc(1, sizeof(*d));

	if (!d) {
		err_set(ENOMEM, "out of memory");
		return NULL;
	}
	*d = (struct debug){ .vm = vm, .vcpu = vcpus, .ncpus = ncpus, .syms = syms,
			     .next_id = 1, .entry_lifted = -1, .next_event_id = 1,
			     .input_fd = -1, .stop_epoll = -1,
			     .target = { .run_to = UINT64_MAX, .history = UINT64_MAX,
					 .at = UINT64_MAX } };
	d->perf.fd = -1;
	debug_set_history_limit(d, 0);
	watch_init(&d->watch, vm);
	iolog_init(&d->log);
	d->log.syms = syms;
	d->report_hook = debug_kernel_check;
	d->catch_hook = debug_catch_report;
	d->log.icount = debug_watch_icount;
	d->log.icount_opaque = d;
	for (unsigned i = 0; i < ncpus; i++) {
		struct vcpu *vcpu = d->cpus[i] = &vcpus[i];

		vcpu->own_breakpoint = debug_own_breakpoint;
		vcpu->fetch_stop = debug_fetch_stop;
		vcpu->count_hook = debug_count_hook;
		vcpu->exit_hook = debug_catch_exit;
		vcpu->own_opaque = d;
		vcpu->pages = &watch_page_ops;
		vcpu->pages_opaque = &d->watch;
		vcpu->on_access = iolog_record;
		vcpu->access_opaque = &d->log;
	}
	checkpoints_init(&d->ckpt, vm, d->vcpu);
	if (ncpus > 1 && debug_stop_set(d) < 0) {
		debug_destroy(d);
		return NULL;
	}
	return d;
}

void debug_destroy(struct debug *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->ncpus; i++) {
		struct vcpu *vcpu = d->cpus[i];

		vcpu->own_breakpoint = NULL;
		vcpu->fetch_stop = NULL;
		vcpu->count_hook = NULL;
		vcpu->exit_hook = NULL;
		vcpu->pages = NULL;
		vcpu->on_access = NULL;
	}
	if (d->stop_epoll >= 0)
		close(d->stop_epoll);
	debug_catch_free(d);
	if (d->hops)
		d->hops->free(d);
	watch_free(&d->watch);
	iolog_free(&d->log);
	checkpoints_free(&d->ckpt);
	free(d->ckpt_debug);
	free(d);
}

void debug_target_merge(struct debug *d)
{
	struct debug_target *t = &d->target;
	uint64_t event = debug_next_event(d);

	t->at = t->run_to < t->history ? t->run_to : t->history;
	if (event < t->at)
		t->at = event;
}

bool debug_target_reached(const struct debug *d)
{
	return d->icount == d->target.run_to || d->icount == d->target.history;
}

/* The one place a run starts: the target is merged and handed to the vCPU
 * thread with the run (a counted run's hook, or the perf counter's period,
 * stop at target.at). 0 running, -errno. */
static int debug_launch(struct debug *d, enum vcpu_run_mode mode)
{
	int r = 0;

	debug_target_merge(d);
	if (mode == VCPU_COUNT)
		r = debug_count_prepare_run(d);
	else if (mode == VCPU_CONTINUE && d->icount_on && debug_perf_arm(d) < 0)
		r = -EIO;
	if (r < 0)
		return r;
	d->running = true;
	d->started = true;
	d->shutdown_known = false;
	/* A plain continue runs every vCPU; steps and counted runs the selected one. */
	d->others = debug_others_run(d, mode != VCPU_CONTINUE);
	/* Shared vCPUs lend no pages: one that needs them stops (STOP_LEND). */
	for (unsigned i = 0; i < d->ncpus; i++) {
		d->cpus[i]->shared = d->others;
		if (d->others || d->cpus[i] == d->vcpu)
			d->bp_held[i] = false;
	}
	vcpu_resume(d->vcpu, mode);
	for (unsigned i = 0; d->others && i < d->ncpus; i++)
		if (d->cpus[i] != d->vcpu)
			vcpu_resume(d->cpus[i], VCPU_CONTINUE);
	return 0;
}

/* Whether vCPU v has stopped (its stop not collected yet). */
static bool debug_vcpu_stopped(const struct vcpu *v)
{
	struct pollfd pfd = { .fd = v->stop_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

/* Waits until a vCPU of the run in progress has stopped. */
static void debug_wait_any(struct debug *d)
{
	struct pollfd pfd = { .fd = d->stop_epoll, .events = POLLIN };

	if (!d->others) {
		vcpu_wait(d->vcpu);
		return;
	}
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

/* Whether a vCPU's stop says something of its own (not just that it was stopped). */
static bool debug_stop_worth_keeping(const struct vcpu_stop *stop)
{
	/* (One that wanted pages lent runs that instruction again when resumed.) */
	return stop->reason != STOP_REQUESTED && stop->reason != STOP_NONE &&
	       stop->reason != STOP_LEND;
}

/*
 * All-stop: a vCPU of a run that runs them all stopped. It becomes the
 * selected one (its stop is the one collected next); every other is stopped
 * too, and one that had a stop of its own keeps it for the next continue.
 */
static void debug_stop_others(struct debug *d)
{
	struct vcpu *first = NULL;
	/* What the others' stops note (an exit) is noted when they are reported. */
	bool exited = d->exited;
	int exit_status = d->exit_status;
	struct vcpu_stop last = d->last;

	/* (A step's end comes first: it is what was asked for.) */
	if (d->stepper && debug_vcpu_stopped(d->stepper))
		first = d->stepper;
	for (unsigned i = 0; i < d->ncpus && !first; i++)
		if (debug_vcpu_stopped(d->cpus[i]))
			first = d->cpus[i];
	if (!first)
		first = d->vcpu;
	for (unsigned i = 0; i < d->ncpus; i++) {
		if (d->cpus[i] == first)
			continue;
		/* A step lets the others run: one still on its way into the guest
		 * (a step is over in microseconds, a thread's wake-up can take
		 * longer) gets there before it is stopped. */
		if (d->stepper)
			vcpu_wait_entered(d->cpus[i]);
		vcpu_request_stop(d->cpus[i]);
	}
	for (unsigned i = 0; i < d->ncpus; i++) {
		struct vcpu_stop stop;

		if (d->cpus[i] == first)
			continue;
		vcpu_wait(d->cpus[i]);
		vcpu_collect_stop(d->cpus[i]);
		d->vcpu = d->cpus[i];
		debug_resolve(d, &stop, d->cpus[i] == d->stepper);
		/* Stopped before it ran at a breakpoint it has not reported: its
		 * next fetch is that breakpoint's hit (else a vCPU slower to start
		 * than another would never get there). */
		if (stop.reason == STOP_REQUESTED && !d->bp_held[i] &&
		    debug_stop_at_breakpoint(d, &stop))
			debug_note_stop(d, &stop);
		d->lend[i] = stop.reason == STOP_LEND || stop.reason == STOP_REQUESTED;
		if (debug_stop_worth_keeping(&stop)) {
			d->pending[i] = true;
			d->pending_stop[i] = stop;
		}
	}
	d->vcpu = first;
	d->others = false;
	d->exited = exited;
	d->exit_status = exit_status;
	d->last = last;
}

/* A stop a vCPU made in an earlier run, not reported yet (of the selected
 * vCPU only, when only it runs): selects it and gives it (true), as if the
 * continue now had run into it. A breakpoint's hit whose breakpoint has gone
 * since is dropped (gdbserver does so too); one at the same address again
 * (gdb takes its breakpoints out at each stop) is reported under its id now. */
static bool debug_pending_stop(struct debug *d, struct vcpu_stop *stop)
{
	struct vcpu *sel = d->vcpu;

	for (unsigned i = 0; i < d->ncpus; i++) {
		struct breakpoint *bp;

		if (!d->pending[i] || (d->solo && d->cpus[i] != sel))
			continue;
		d->pending[i] = false;
		d->vcpu = d->cpus[i];
		*stop = d->pending_stop[i];
		if (stop->reason == STOP_BREAKPOINT) {
			bp = debug_at_breakpoint(d);
			d->vcpu = bp ? d->vcpu : sel;
			if (!bp)
				continue;
			stop->breakpoint = bp->id;
		}
		debug_note_stop(d, stop);
		return true;
	}
	return false;
}

/* Whether the guest may be started: not while it runs, and not after it
 * wrote the exit port (like a process that exited, it has nothing left to
 * run). With history on, that is the end of history: 1, *stop the stop there. */
static int debug_may_run(struct debug *d, struct vcpu_stop *stop)
{
	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	if (d->exited && d->hops && d->hops->on(d)) {
		*stop = d->last;
		stop->history = 1;
		return 1;
	}
	if (d->exited && d->last.reset)
		return err_set(ECHILD, "the guest reset the machine; there is nothing left to run "
				       "(system_reset powers it on again)");
	if (d->exited)
		return err_set(ECHILD, "the guest has exited (status %d); there is nothing left "
			       "to run (system_reset powers it on again)", d->exit_status);
	d->user_stop = false;
	d->catch_replan = false;
	return debug_catch_apply(d);
}

/* An operation the user asked for starts. */
static void debug_op_begin(struct debug *d)
{
	d->run_from = d->icount;
	d->run_pc = arch_pc(d->vcpu);
	if (d->hops)
		d->hops->op_begin(d);
}

/* One step without counting (breakpoints but skip's armed). */
static int debug_step_raw(struct debug *d, struct vcpu_stop *stop)
{
	struct breakpoint *here;
	int r;

	debug_catch_plan(d);
	here = debug_at_breakpoint(d);
	r = debug_arm(d, here, true);

	if (r == 0) {
		d->armed_skip = here;
		r = debug_launch(d, VCPU_STEP);
	}
	if (r < 0) {
		debug_unplant(d);
		return r;
	}
	vcpu_wait(d->vcpu);
	vcpu_collect_stop(d->vcpu);
	d->running = false;
	debug_resolve(d, stop, true);
	debug_unplant(d);
	d->armed_skip = NULL;
	return 0;
}

/*
 * One step of the selected vCPU while the others run (gdb's vCont;s:N;c),
 * not at a breakpoint. The step's end is the stop; one that another vCPU
 * makes meanwhile waits for the next resume (gdbserver too prefers the
 * stepping thread), or is the stop when the step had not happened yet. A
 * step that could not happen while the others ran (code lent from a page
 * taken out of the map, or stopped first) is made alone.
 */
static int debug_step_together(struct debug *d, struct vcpu_stop *stop)
{
	struct vcpu *sel = d->vcpu;
	unsigned si = sel->id;
	int r;

	d->stepper = sel;
	r = debug_arm(d, NULL, true);
	if (r == 0)
		r = debug_launch(d, VCPU_STEP);
	if (r < 0) {
		d->stepper = NULL;
		debug_unplant(d);
		return r;
	}
	debug_wait_any(d);
	debug_stop_others(d);
	vcpu_collect_stop(d->vcpu);
	d->running = false;
	debug_resolve(d, stop, d->vcpu == sel);
	debug_unplant(d);
	d->stepper = NULL;
	if (d->vcpu != sel) {
		unsigned fi = d->vcpu->id;
		bool keep = debug_stop_worth_keeping(stop);

		if (d->pending[si]) {
			/* It stepped (or stopped of itself) too: that first. */
			d->pending[fi] = keep;
			d->pending_stop[fi] = *stop;
			d->lend[fi] = !keep;
			d->pending[si] = false;
			d->vcpu = sel;
			*stop = d->pending_stop[si];
			debug_note_stop(d, stop);
			return 0;
		}
		if (keep)
			return 0;
		d->lend[fi] = true;
		d->vcpu = sel;
	} else if (stop->reason != STOP_LEND) {
		return 0;
	}
	d->lend[si] = false;
	return debug_step_raw(d, stop);
}

/* Steps off the breakpoint at pc before a run that would hit it again at once
 * (DR0-DR3 on every host; README, KVM hosts): 0 done, 1 stopped with *stop. */
static int debug_step_off(struct debug *d, struct vcpu_stop *stop)
{
	int r;

	if (!d->icount_on) {
		r = debug_step_raw(d, stop);
		if (r < 0)
			return r;
		if (stop->reason != STOP_STEPPED)
			return 1;
	} else {
		uint64_t run_to = d->target.run_to;

		d->target.run_to = d->icount + 1;
		d->nested = true;
		r = debug_launch(d, VCPU_COUNT);
		if (r == 0)
			debug_wait(d, stop, NULL);
		d->nested = false;
		d->target.run_to = run_to;
		if (r < 0)
			return r;
		/* A stop that means something (not just this step's end) is the run's. */
		if (stop->reason != STOP_ICOUNT || d->event_hit || debug_target_reached(d))
			return 1;
	}
	/* The step landed on another breakpoint (say, in an exception handler). */
	if (debug_stop_at_breakpoint(d, stop)) {
		debug_note_stop(d, stop);
		return 1;
	}
	return 0;
}

/* Whether vCPU i is to step while the one that wanted pages lent does: it
 * wanted them too, or it was stopped (perhaps before it had run at all), so
 * that every vCPU goes on (not at a breakpoint: it stops there when it runs;
 * not halted or waiting for SIPI: a step would wait for an interrupt). */
static bool debug_wants_lend(struct debug *d, unsigned i)
{
	struct vcpu *v = d->cpus[i];
	struct arch_wake w;

	if (!d->lend[i])
		return false;
	d->vcpu = v;
	return !debug_at_breakpoint(d) && arch_wake_sources(v, &w) == 0 && !w.halted && !w.sipi;
}

/*
 * All-stop, STOP_LEND: the selected vCPU (and maybe others) needs code lent
 * from pages taken out of the map (breakpoints by page), which only a vCPU
 * running alone may have. A stop another vCPU made is reported first; else
 * it steps alone, and so does each other vCPU that was stopped (so that the
 * first to ask does not starve the others, which may have had no time to
 * run), and every vCPU runs on. false: running again; true: *stop is the one
 * to report.
 */
static bool debug_lend_alone(struct debug *d, struct vcpu_stop *stop)
{
	struct vcpu *first = d->vcpu;
	bool want[VM_MAX_CPUS];
	int r = 0;

	if (debug_pending_stop(d, stop))
		return true;
	for (unsigned i = 0; i < d->ncpus; i++) {
		want[i] = d->cpus[i] == first || debug_wants_lend(d, i);
		d->lend[i] = false;
	}
	/* Each steps; one that stops for good (at a breakpoint, say) keeps its
	 * stop, and the first of those is reported once all have stepped. */
	for (unsigned i = 0; i < d->ncpus && r >= 0; i++) {
		if (!want[i])
			continue;
		/* (Its step is a step off: it may land on a breakpoint.) */
		d->vcpu = d->cpus[i];
		r = debug_step_off(d, stop);
		if (r > 0) {
			d->pending[i] = true;
			d->pending_stop[i] = *stop;
		}
	}
	if (r >= 0 && debug_pending_stop(d, stop))
		return true;
	d->vcpu = first;
	if (r == 0 && (r = debug_arm(d, NULL, false)) == 0 &&
	    (r = debug_launch(d, VCPU_CONTINUE)) == 0)
		return false;
	debug_unplant(d);
	debug_stop_error(stop);
	debug_note_stop(d, stop);
	return true;
}

/* Before all vCPUs run: each other vCPU still at the breakpoint whose stop
 * it reported (or kept) steps off it alone, as the selected one does, so
 * that the same hit is not reported twice. 0 done, 1 stopped with *stop. */
static int debug_step_off_others(struct debug *d, struct vcpu_stop *stop)
{
	struct vcpu *sel = d->vcpu;
	int r = 0;

	for (unsigned i = 0; i < d->ncpus && r == 0; i++) {
		if (d->cpus[i] == sel || !d->bp_held[i] || d->pending[i] ||
		    arch_pc(d->cpus[i]) != d->bp_pc[i])
			continue;
		d->vcpu = d->cpus[i];
		if (debug_at_breakpoint(d))
			r = debug_step_off(d, stop);
	}
	if (r == 0)
		d->vcpu = sel;
	return r;
}

/* Starts the guest towards its target: 0 running, 1 stopped already with
 * *stop, -errno. */
static int debug_go(struct debug *d, struct vcpu_stop *stop)
{
	int r;

	if (d->exited) {
		*stop = d->last;
		return 1;
	}
	if (debug_count_halt_here(d, stop))
		return 1;
	if (!d->icount_on && debug_pending_stop(d, stop))
		return 1;
	debug_target_merge(d);
	if (debug_count_by_steps(d))
		return debug_launch(d, VCPU_COUNT);
	debug_catch_plan(d);
	if (debug_at_breakpoint(d)) {
		r = debug_step_off(d, stop);
		if (r != 0)
			return r;
	}
	if (debug_others_run(d, false)) {
		r = debug_step_off_others(d, stop);
		if (r != 0)
			return r;
	}
	r = debug_arm(d, NULL, false);
	if (r == 0)
		r = debug_launch(d, VCPU_CONTINUE);
	if (r < 0)
		debug_unplant(d);
	return r;
}

int debug_start(struct debug *d, struct vcpu_stop *stop)
{
	for (;;) {
		int r;

		d->target.history = d->hops ? d->hops->arm(d) : UINT64_MAX;
		r = debug_go(d, stop);
		if (r == 0 && d->hops)
			d->hops->run_begin(d);
		if (r <= 0)
			return r;
		if (!d->hops || d->hops->stopped(d, stop))
			return 1;
	}
}

/* After a stop was collected: true if it is the one to report, false if the
 * operation in progress has the guest running again. */
static bool debug_settle(struct debug *d, struct vcpu_stop *stop)
{
	bool go_on;
	int r;

	if (d->nested)
		return true;
	/* Stopped because the caught vectors' handlers changed (the guest
	 * loaded its IDT, say), or at a traced exception's handler: it goes on
	 * (with the handlers planned anew). */
	go_on = (stop->reason == STOP_REQUESTED && d->catch_replan && !d->user_stop) ||
		debug_catch_trace(d, stop);
	d->catch_replan = false;
	if (!d->hops && !go_on)
		return true;
	if (d->hops)
		d->hops->run_end(d);
	if (!go_on && d->hops->stopped(d, stop))
		return true;
	r = debug_start(d, stop);
	if (r == 0)
		return false;
	if (r < 0) {
		debug_stop_error(stop);
		if (d->hops)
			d->hops->cancel(d);
		d->last = *stop;
	}
	return true;
}

/* After the vCPU stopped: false if the run goes on (wait again). */
static bool debug_collect_stop(struct debug *d, struct vcpu_stop *stop)
{
	if (d->others)
		debug_stop_others(d);
	vcpu_collect_stop(d->vcpu);
	d->running = false;
	if (d->perf.fd >= 0) {
		debug_resolve(d, stop, false);
		debug_unplant(d);
		if (!debug_perf_end(d, stop)) {
			/* Short of the target by the margin or less: land by single steps. */
			if (debug_launch(d, VCPU_COUNT) == 0)
				return false;
			debug_stop_error(stop);
			debug_note_stop(d, stop);
		}
		return debug_settle(d, stop);
	}
	if (d->icount_on) {
		debug_count_end(d, stop);
	} else {
		debug_resolve(d, stop, false);
		debug_unplant(d);
		if (stop->reason == STOP_LEND && !debug_lend_alone(d, stop))
			return false;
	}
	return debug_settle(d, stop);
}

void debug_wait(struct debug *d, struct vcpu_stop *stop, struct debug_waiter *w)
{
	do {
		if (!w) {
			debug_wait_any(d);
			continue;
		}
		for (;;) {
			struct pollfd pfd[2] = {
				{ .fd = debug_stop_fd(d), .events = POLLIN },
				{ .fd = w->fd, .events = POLLIN },
			};
			int n = poll(pfd, w->fd >= 0 ? 2 : 1, w->tick_ms);

			if (n < 0 && errno != EINTR) {
				debug_wait_any(d); /* it cannot fail */
				break;
			}
			if (n > 0 && pfd[0].revents)
				break;
			if (n == 0 || (n > 0 && pfd[1].revents))
				w->event(w->opaque, n > 0);
		}
	} while (!debug_collect_stop(d, stop));
}

/* ---- what the front ends call ------------------------------------------------------ */

int debug_run_to(struct debug *d, uint64_t at, struct debug_stop *out)
{
	struct vcpu_stop stop;
	int r = debug_may_run(d, &stop);

	if (r < 0)
		return r;
	if (r > 0) {
		debug_report(d, &stop, out);
		return 0;
	}
	d->target.run_to = at;
	debug_op_begin(d);
	r = debug_start(d, &stop);
	if (r == 0)
		debug_wait(d, &stop, NULL);
	d->target.run_to = UINT64_MAX;
	if (r < 0)
		return r;
	debug_report(d, &stop, out);
	return 0;
}

int debug_step(struct debug *d, struct debug_stop *out)
{
	struct vcpu_stop stop;
	int r;

	if (d->icount_on) {
		uint64_t at = d->icount + 1;

		r = debug_run_to(d, at, out);
		if (r == 0 && out->reason == DEBUG_STOP_ICOUNT && d->icount >= at)
			out->reason = DEBUG_STOP_STEPPED;
		return r;
	}
	/* Other breakpoints stay armed: the step may run into one (an exception
	 * handler entered on the way, say). */
	r = debug_may_run(d, &stop);
	d->run_pc = arch_pc(d->vcpu);
	if (r == 0)
		r = debug_step_raw(d, &stop);
	if (r < 0)
		return r;
	debug_report(d, &stop, out);
	return 0;
}

int debug_step_shared(struct debug *d, struct debug_stop *out)
{
	struct vcpu_stop stop;
	int r;

	/* (Memory watchpoints see one vCPU at a time: then it steps alone.) */
	if (d->ncpus < 2 || d->icount_on || d->watch.nmem)
		return debug_step(d, out);
	r = debug_may_run(d, &stop);
	/* The others are resumed: a stop one of them made is reported now. */
	d->solo = false;
	if (r == 0 && !debug_pending_stop(d, &stop))
		r = debug_at_breakpoint(d) ? debug_step_raw(d, &stop) : debug_step_together(d, &stop);
	if (r < 0)
		return r;
	debug_report(d, &stop, out);
	return 0;
}

/* A continue of every vCPU, or (solo) of the selected one. */
static int debug_continue_as(struct debug *d, bool solo, struct debug_stop *out)
{
	struct vcpu_stop stop;
	int r = debug_may_run(d, &stop);

	if (r)
		return debug_started(d, r, &stop, out);
	d->solo = solo;
	debug_op_begin(d);
	return debug_started(d, debug_start(d, &stop), &stop, out);
}

int debug_continue(struct debug *d, struct debug_stop *out)
{
	return debug_continue_as(d, false, out);
}

int debug_continue_cpu(struct debug *d, struct debug_stop *out)
{
	return debug_continue_as(d, true, out);
}

int debug_stop_fd(const struct debug *d)
{
	return d->stop_epoll >= 0 ? d->stop_epoll : d->vcpu->stop_fd;
}

void debug_wait_stop(struct debug *d, struct debug_stop *out, struct debug_waiter *w)
{
	struct vcpu_stop stop;

	debug_wait(d, &stop, w);
	debug_report(d, &stop, out);
}

void debug_interrupt(struct debug *d)
{
	if (!d->running)
		return;
	d->user_stop = true;
	vcpu_request_stop(d->vcpu);
	for (unsigned i = 0; d->others && i < d->ncpus; i++)
		vcpu_request_stop(d->cpus[i]);
}

bool debug_collect(struct debug *d, struct debug_stop *out)
{
	struct vcpu_stop stop;

	if (!debug_collect_stop(d, &stop))
		return false;
	debug_report(d, &stop, out);
	return true;
}
