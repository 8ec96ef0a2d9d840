/*
 * Counted runs (README "Instruction counts"): single steps that count every
 * instruction retired, seeing exception and interrupt entries by int3s (or
 * pages) at the handlers; the perf backend that runs the guest up to a
 * margin short of a count; the user's icount stops. Where a run stops is
 * run.c's (struct debug_target): this file stops at target.at.
 */
#include "internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "../arch.h"
#include "../err.h"
#include "../vm.h"

static int debug_entry_at(const struct debug *d, uint64_t pc)
{
	return debug_entry_find(d, pc, false);
}

static void debug_entry_unplant(struct debug *d, struct entry_bp *e)
{
	debug_int3_unplant(d, &e->int3);
	e->by_page = false;
}

static void debug_entries_unplant(struct debug *d)
{
	for (unsigned i = 0; i < d->nentries; i++)
		debug_entry_unplant(d, &d->entry[i]);
	debug_entry_unplant(d, &d->after);
	d->entry_lifted = -1;
}

/* An int3, or its page where int3 does not stop the guest. A handler that
 * starts with the guest's own int3 keeps it as the guest's. */
static void debug_entry_plant(struct debug *d, struct entry_bp *e)
{
	if (debug_int3_by_page(d)) {
		e->by_page = true;
		return;
	}
	if (debug_int3_plant(d, e->addr, &e->int3) && e->int3.saved == INT3)
		e->int3.planted = false;
}

/* Plants int3 at every interrupt handler, again whenever the table changed;
 * not on the CPU's own tables. */
static int debug_entries_refresh(struct debug *d)
{
	uint8_t idt[DEBUG_MAX_IDT];
	uint64_t base, targets[DEBUG_MAX_ENTRIES];
	unsigned size, n;
	bool had = d->nentries > 0;

	if (arch_idt(d->vcpu, &base, &size) < 0)
		return 0;
	if (size > DEBUG_MAX_IDT)
		size = DEBUG_MAX_IDT;
	if (debug_read_virt(d, base, idt, size) < 0)
		size = 0;
	if (base == d->idt_base && size == d->idt_size && !memcmp(idt, d->idt, size))
		return 0;
	debug_entries_unplant(d);
	debug_catch_plan(d);
	memcpy(d->idt, idt, size);
	d->idt_size = size;
	d->idt_base = base;
	n = arch_idt_targets(d->vcpu, idt, size, targets, DEBUG_MAX_ENTRIES);
	d->nentries = 0;
	uint64_t *sys = malloc(DEBUG_MAX_SYSTEM_PAGES * sizeof(*sys));
	unsigned nsys = sys ? arch_system_pages(d->vcpu, sys, DEBUG_MAX_SYSTEM_PAGES, NULL) : 0;

	for (unsigned i = 0; i < n; i++) {
		bool dup = false;

		for (unsigned k = 0; k < d->nentries && !dup; k++)
			dup = d->entry[k].addr == targets[i];
		if (dup || debug_entry_on_table(d, targets[i], sys, nsys))
			continue;
		d->entry[d->nentries] = (struct entry_bp){ .addr = targets[i] };
		debug_entry_plant(d, &d->entry[d->nentries++]);
	}
	free(sys);
	/* The guest loaded its first IDT (or its last handler went) during a
	 * counted run: its int3s must stop the guest, not reach it (a host
	 * where int3 exits: VMX; the guest's #BP gate would take them). */
	if (had != (d->nentries > 0) &&
	    arch_set_guest_debug(d->vcpu, ARCH_STEP_IRQS, d->nentries > 0, NULL, 0) < 0)
		return -EIO;
	return debug_exec_apply(d, true);
}

/* Before a counted step: where it starts and what is there (with kvmdbg's
 * int3 lifted if pc is at a handler entry: the instruction under it runs). */
static void debug_count_look(struct debug *d, struct arch_step_info *info)
{
	int e;

	d->prev_pc = arch_pc(d->vcpu);
	e = debug_entry_at(d, d->prev_pc);
	if (e >= 0) {
		debug_int3_unplant(d, &d->entry[e].int3);
		d->entry_lifted = e;
	}
	arch_step_info(d->vcpu, info);
}

static int debug_count_prepare(struct debug *d, const struct arch_step_info *info)
{
	d->prev_nondet = info->nondet;
	d->prev_rep = info->rep_string;
	d->prev_delayed = info->delayed;
	d->prev_next = info->next;
	/* The trap would come one instruction late: an int3 there stops it in time. */
	if (d->prev_delayed && debug_entry_at(d, d->prev_next) < 0) {
		d->after = (struct entry_bp){ .addr = d->prev_next };
		debug_entry_plant(d, &d->after);
		if (d->after.by_page)
			return debug_exec_apply(d, true);
	}
	return 0;
}

/* The memory map for the next counted step could not be set up: stop, saying why. */
static bool debug_count_fail(struct vcpu_stop *stop)
{
	debug_stop_error(stop);
	return true;
}

/* The devices of a machine on instruction-count time catch up with the
 * count: at every boundary (a step retires at most two instructions, and no
 * timer output holds a level for less than a PIT tick, 838 of them). */
static void debug_clock_tick(struct debug *d)
{
	if (d->clock)
		d->clock->update(d->clock->opaque);
}

/* At an instruction boundary: the interrupt its controller asks for, if the
 * CPU takes one here, goes in before the instruction at pc. 1 delivered, 0
 * not, -errno. (The step then stops at the handler's entry, and counts none.) */
static int debug_clock_inject(struct debug *d)
{
	const struct debug_clock *c = d->clock;
	uint64_t pc;
	unsigned vector;

	if (!c || c->pending(c->opaque) < 0 || !arch_irq_ready(d->vcpu))
		return 0;
	pc = arch_pc(d->vcpu);
	vector = c->ack(c->opaque);
	if (arch_irq_inject(d->vcpu, vector) < 0)
		return -EIO;
	if (d->hops)
		d->hops->irq_taken(d, d->icount, pc, (uint8_t)vector);
	return 1;
}

/* Most timer changes a halt waits through for an interrupt (a periodic one
 * that stays masked, say): then it is halted for good. */
#define DEBUG_HALT_MAX_CHANGES 4096

/* A machine on instruction-count time, halted with interrupts enabled: time
 * jumps to the timers' next change until the interrupt controller asks for
 * an interrupt, which goes in now. Whether it did (else halted for good). */
static bool debug_clock_wake(struct debug *d, struct arch_step_info *info)
{
	const struct debug_clock *c = d->clock;

	for (unsigned i = 0; c->pending(c->opaque) < 0; i++) {
		if (i == DEBUG_HALT_MAX_CHANGES)
			return false;
		/* No timer left: the UART's input, if it interrupts for it (the
		 * wait for it came before: debug_clock_await). Nothing: it ended. */
		if (c->next(c->opaque) == UINT64_MAX) {
			if (!c->input_waits(c->opaque) || !c->input_look(c->opaque))
				return false;
			continue;
		}
		c->skip(c->opaque);
		c->update(c->opaque);
	}
	debug_count_look(d, info);
	return debug_clock_inject(d) > 0;
}

/*
 * A halt with interrupts enabled on instruction-count time, before it
 * retires: if nothing but input can wake the CPU (no interrupt asked for,
 * no timer left, the UART interrupting for input that has not come), the
 * run waits for the input in host time, as a machine waits for a key;
 * a replay has it recorded and does not wait. Whether to go on (false: a
 * stop was asked for meanwhile, and the hlt stays to run again).
 */
static bool debug_clock_await(struct debug *d)
{
	const struct debug_clock *c = d->clock;

	if (c->pending(c->opaque) >= 0 || c->next(c->opaque) != UINT64_MAX ||
	    !c->input_waits(c->opaque) || (d->hops && d->hops->replaying(d)) || d->input_fd < 0)
		return true;
	return vcpu_wait_fd(d->vcpu, d->input_fd) != 0;
}

/* Stops as halted, saying why nothing will wake the CPU; true. */
static bool debug_halted(struct debug *d, bool irqs, struct vcpu_stop *stop)
{
	*stop = (struct vcpu_stop){ .reason = STOP_HALTED, .exit_reason = KVM_EXIT_HLT };
	snprintf(stop->detail, sizeof(stop->detail), "%s%s",
		 !irqs	    ? "interrupts disabled"
		 : d->clock ? "interrupts enabled, but no timer will raise one the guest takes"
			    : "interrupts enabled, but no device raises interrupts",
		 irqs && d->clock && d->clock->input_waits(d->clock->opaque)
			 ? ", and the UART's input has ended" : "");
	return true;
}

/*
 * A HLT about to run: single steps would step over it as if it did nothing
 * (PVM and KVM both), so kvmdbg retires it itself. Without interrupt
 * controllers the guest then stops as halted, as an uncounted run would.
 * With KVM's, the vCPU is left waiting for an interrupt as hlt would leave
 * it: the next step begins when one comes, in its handler (or the halt
 * watch finds that none can come, and it stops as halted there). With
 * kvmdbg's own on instruction-count time, time moves to the interrupt.
 */
static bool debug_count_halt(struct debug *d, struct arch_step_info *info,
			     struct vcpu_stop *stop)
{
	bool irqs = arch_irqs_enabled(d->vcpu);

	if (!info->halt || (d->clock && irqs && !debug_clock_await(d)) ||
	    arch_skip_halt(d->vcpu) < 0)
		return false;
	__atomic_add_fetch(&d->icount, 1, __ATOMIC_RELAXED);
	if (d->vm->irqchip) {
		if (arch_halt(d->vcpu) < 0)
			return debug_count_fail(stop);
		if (irqs) {
			debug_count_look(d, info);
			return false;
		}
	}
	if (d->clock && irqs) {
		if (arch_shadow_end(d->vcpu) < 0)
			return debug_count_fail(stop);
		if (debug_clock_wake(d, info))
			return false;
	}
	return debug_halted(d, irqs, stop);
}

/*
 * A counted step that ran on into a hlt and exited with it (a host that
 * delivers the step's trap late, after sti on nested SVM, when kvmdbg could
 * not stop it at the hlt: the same page): both retired. On instruction-count
 * time the hlt waits for the timer as debug_count_halt() would have it wait;
 * whether the run goes on.
 */
static bool debug_count_ran_into_halt(struct debug *d, struct vcpu_stop *stop)
{
	struct arch_step_info info;
	bool irqs = arch_irqs_enabled(d->vcpu);

	/* Waiting for input as debug_count_halt() would; a stop asked for
	 * meanwhile leaves the guest at its hlt, the sti alone retired. */
	if (d->clock && irqs && !debug_clock_await(d)) {
		__atomic_add_fetch(&d->icount, 1, __ATOMIC_RELAXED);
		d->sub = 0;
		if (arch_halt_again(d->vcpu) < 0)
			return !debug_count_fail(stop);
		*stop = (struct vcpu_stop){ .reason = STOP_REQUESTED };
		return false;
	}
	__atomic_add_fetch(&d->icount, 2, __ATOMIC_RELAXED);
	d->sub = 0;
	debug_clock_tick(d);
	if (!d->clock || !irqs || arch_shadow_end(d->vcpu) < 0 || !debug_clock_wake(d, &info))
		return !debug_halted(d, irqs, stop);
	*stop = (struct vcpu_stop){ .reason = STOP_NONE };
	return !(debug_count_prepare(d, &info) < 0 && debug_count_fail(stop));
}

/*
 * After each counted step, on the vCPU thread. A step normally retires one
 * instruction; it retires none while a REP string instruction is still at
 * pc (hosts step those per iteration, or all at once and once more to move
 * on: README, KVM hosts), and none when the instruction faulted into a
 * handler (the handler's int3, or its page out of the map, stops the step at
 * its entry on every host, and the pushed return address tells a fault from
 * int n or a trap).
 */
bool debug_count_hook(void *opaque, struct vcpu_stop *stop)
{
	struct debug *d = opaque;
	unsigned slot = 0;
	bool stepped = stop->reason == STOP_STEPPED, entered = false;
	uint64_t pc;

	if (d->entry_lifted >= 0) {
		debug_entry_plant(d, &d->entry[d->entry_lifted]);
		d->entry_lifted = -1;
	}
	pc = arch_pc(d->vcpu);
	bool at_after = debug_entry_armed(&d->after, pc, false), after_page = d->after.by_page;

	debug_entry_unplant(d, &d->after);
	if (after_page && debug_exec_apply(d, true) < 0)
		return debug_count_fail(stop);
	if (stop->reason == STOP_DEBUG) {
		int kind = arch_debug_kind(d->vcpu, &slot);

		stepped = kind == 1 || (kind == ARCH_BREAKPOINT_VECTOR && at_after);
		entered = kind == ARCH_BREAKPOINT_VECTOR && debug_entry_at(d, pc) >= 0;
	} else if (stop->reason == STOP_FETCH ||
		   (stop->reason == STOP_ERROR && stop->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    d->vcpu->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)) {
		/* PVM: kvmdbg's int3 failed to emulate, rip at it; or its page was
		 * fetched from, where int3 does not stop the guest. */
		stepped = at_after;
		entered = debug_entry_at(d, pc) >= 0;
	}
	/*
	 * After iret or popf setting TF, and after mov/pop ss, the trap comes one
	 * instruction late: the step also ran the instruction at prev_next.
	 */
	uint64_t retired = 0;

	if (stepped) {
		retired = !(d->prev_rep && pc == d->prev_pc);
		if (d->prev_delayed && pc != d->prev_next)
			retired++;
	} else if (entered) {
		arch_frame_untrace(d->vcpu);
		if (arch_fault_frame(d->vcpu, d->prev_pc))
			retired = 0;
		else if (!d->prev_delayed)
			retired = 1;
		else
			retired = arch_fault_frame(d->vcpu, d->prev_next) ? 1 : 2;
	} else {
		/* A real stop. The exit port's out did retire, and so did an
		 * access a watchpoint caught, unless a REP string instruction is
		 * still iterating. */
		d->watch_mid_rep = d->prev_rep && pc == d->prev_pc;
		if (stop->reason == STOP_HALTED && stop->exit_reason == KVM_EXIT_HLT &&
		    d->prev_delayed && pc == d->prev_next + 1)
			return !debug_count_ran_into_halt(d, stop);
		if (stop->reason == STOP_EXITED ||
		    (stop->reason == STOP_WATCHPOINT && !d->watch_mid_rep)) {
			__atomic_add_fetch(&d->icount, 1, __ATOMIC_RELAXED);
			d->sub = 0;
		}
		return true;
	}
	/* An instruction whose result differs run to run (rdtsc...): history
	 * records it, or gives it again when it replays. (Under the perf backend
	 * only the landing steps see it; the divergence this leaves is caught
	 * at the next checkpoint.) */
	if (retired && d->prev_nondet && d->hops)
		d->hops->nondet(d, d->icount);
	/* Atomic: a progress line reads it from the control thread meanwhile. */
	__atomic_add_fetch(&d->icount, retired, __ATOMIC_RELAXED);
	d->sub = retired ? 0 : d->sub + 1;
	debug_clock_tick(d);
	*stop = (struct vcpu_stop){ .reason = STOP_NONE };
	if (atomic_load(&d->vcpu->stop_req)) {
		stop->reason = STOP_REQUESTED;
		return true;
	}
	if (d->icount >= d->target.at || (d->count_steps && --d->count_steps == 0)) {
		stop->reason = STOP_ICOUNT;
		return true;
	}
	if (debug_stop_at_breakpoint(d, stop))
		return true;
	struct arch_step_info info;

	if (debug_entries_refresh(d) < 0)
		return debug_count_fail(stop);
	debug_count_look(d, &info);
	int in = debug_clock_inject(d);

	if (in < 0)
		return debug_count_fail(stop);
	if (!in && debug_count_halt(d, &info, stop))
		return true;
	return debug_count_prepare(d, &info) < 0 && debug_count_fail(stop);
}

bool debug_count_halt_here(struct debug *d, struct vcpu_stop *stop)
{
	struct arch_step_info info;

	if (!d->icount_on)
		return false;
	arch_step_info(d->vcpu, &info);
	/* An interrupt due here comes before the hlt. */
	debug_clock_tick(d);
	if (debug_clock_inject(d) != 0 || !debug_count_halt(d, &info, stop))
		return false;
	debug_note_stop(d, stop);
	return true;
}

int debug_count_prepare_run(struct debug *d)
{
	struct arch_step_info info;
	int r;

	debug_catch_plan(d);
	r = debug_entries_refresh(d);

	debug_clock_tick(d);
	debug_count_look(d, &info);
	if (r == 0 && debug_clock_inject(d) < 0)
		r = -EIO;
	if (r == 0)
		r = debug_count_prepare(d, &info);
	if (r == 0)
		r = debug_exec_apply(d, true);
	if (r == 0)
		r = arch_set_guest_debug(d->vcpu, ARCH_STEP_IRQS, d->nentries > 0, NULL, 0);
	if (r < 0)
		debug_entries_unplant(d);
	return r;
}

bool debug_count_by_steps(const struct debug *d)
{
	uint64_t at = d->target.at;

	return d->icount_on && (!d->use_perf || d->count_steps ||
				(at != UINT64_MAX && at - d->icount <= d->perf.margin));
}

/*
 * Notes whether the count reached is one of the user's icount stops, and
 * removes those passed: a stop is used up once reached going forward (not
 * when history replays towards something else).
 */
static void debug_events_due(struct debug *d)
{
	bool keep = d->hops && d->hops->seeking(d);

	d->event_hit = false;
	for (unsigned i = 0; i < d->nevents && d->events[i].at <= d->icount;) {
		d->event_hit |= d->events[i].at == d->icount;
		/* (Stops set in the past, with history, wait for the guest to go back.) */
		if (keep || d->events[i].at <= d->run_from) {
			i++;
			continue;
		}
		memmove(&d->events[i], &d->events[i + 1], (d->nevents - i - 1) * sizeof(d->events[0]));
		d->nevents--;
	}
}

uint64_t debug_next_event(const struct debug *d)
{
	for (unsigned i = 0; i < d->nevents; i++)
		if (d->events[i].at > d->icount)
			return d->events[i].at;
	return UINT64_MAX;
}

void debug_count_end(struct debug *d, struct vcpu_stop *stop)
{
	*stop = d->vcpu->stop;
	debug_entries_unplant(d);
	d->idt_size = 0; /* plant afresh next time */
	d->count_steps = 0;
	debug_events_due(d);
	debug_note_stop(d, stop);
}

/* Starts counting: with perf NULL, the guest only runs in counted single
 * steps; else runs use the perf counter, and single steps land. */
static void debug_icount_start(struct debug *d, const struct icount_perf *perf)
{
	d->icount_on = true;
	d->use_perf = perf != NULL;
	if (perf)
		d->perf = *perf;
	d->perf.fd = -1;
}

int debug_icount_choose(struct debug *d, const char *backend, uint64_t margin, char *why,
			size_t len, uint64_t *margin_used)
{
	struct icount_perf perf;
	int r = icount_perf_probe(&perf, why, len);

	perf.margin = margin ? margin : icount_perf_default_margin();
	*margin_used = perf.margin;
	if (!strcmp(backend, "step")) {
		snprintf(why, len, "--icount step");
		debug_icount_start(d, NULL);
		return 0;
	}
	if (r < 0 && !strcmp(backend, "perf"))
		return err_set(ENOTSUP, "--icount perf: %s; use --icount step", why);
	debug_icount_start(d, r < 0 ? NULL : &perf);
	return r < 0 ? 0 : 1;
}

int debug_perf_arm(struct debug *d)
{
	uint64_t target = d->target.at, period = 0;

	if (target != UINT64_MAX)
		period = target - d->icount > d->perf.margin ? target - d->icount - d->perf.margin : 0;
	d->perf_base = d->icount;
	d->perf_io = debug_io_exits(d);
	if (icount_perf_start(&d->perf, d->vcpu->tid, VCPU_KICK_SIGNAL, period) < 0)
		return -EIO;
	d->vcpu->perf = &d->perf;
	d->vcpu->perf_period = period;
	return 0;
}

bool debug_perf_end(struct debug *d, struct vcpu_stop *stop)
{
	uint64_t n;

	icount_perf_finish(&d->perf, &n);
	d->vcpu->perf = NULL;
	d->vcpu->perf_period = 0;
	d->icount = d->perf_base + n + (debug_io_exits(d) - d->perf_io);
	d->sub = 0;
	if (stop->reason == STOP_WATCHPOINT) {
		/* Unknown under perf: a REP string instruction at pc is taken to be
		 * the one still iterating. */
		struct arch_step_info info;

		arch_step_info(d->vcpu, &info);
		d->watch_mid_rep = info.rep_string;
	}
	if (stop->reason != STOP_ICOUNT)
		return true;
	if (d->icount > d->target.at) {
		stop->reason = STOP_ERROR;
		snprintf(stop->detail, sizeof(stop->detail),
			 "icount overshoot: the perf counter stopped at %llu, past %llu; raise "
			 "--icount-margin (now %llu)", (unsigned long long)d->icount,
			 (unsigned long long)d->target.at, (unsigned long long)d->perf.margin);
		return true;
	}
	if (d->icount == d->target.at) {
		debug_events_due(d);
		return true;
	}
	/* Short of it by the margin or less: land by single steps. */
	if (debug_count_prepare_run(d) < 0) {
		debug_stop_error(stop);
		return true;
	}
	return false;
}

int debug_icount_break(struct debug *d, uint64_t at)
{
	bool history = d->hops && d->hops->on(d);
	unsigned i;

	if (!d->icount_on)
		return err_set(ENOTSUP, "instructions are not being counted (start kvmdbg with --icount)");
	/* With history, a stop in the past is one for going back to. */
	if (at == d->icount || (at < d->icount && !(d->hops && d->hops->holds(d, at))))
		return err_set(EINVAL, "icount %llu has passed (the count is %llu)%s",
			       (unsigned long long)at, (unsigned long long)d->icount,
			       at < d->icount && history ? ", before the start of history" : "");
	if (d->nevents == DEBUG_MAX_EVENTS)
		return err_set(ENOSPC, "too many icount stops (%d)", DEBUG_MAX_EVENTS);
	for (i = 0; i < d->nevents && d->events[i].at <= at; i++)
		;
	memmove(&d->events[i + 1], &d->events[i], (d->nevents - i) * sizeof(d->events[0]));
	d->events[i] = (struct icount_event){ .id = d->next_event_id++, .at = at };
	d->nevents++;
	return d->events[i].id;
}

int debug_icount_delete(struct debug *d, int id)
{
	if (!id) {
		d->nevents = 0;
		return 0;
	}
	for (unsigned i = 0; i < d->nevents; i++) {
		if (d->events[i].id == id) {
			memmove(&d->events[i], &d->events[i + 1],
				(d->nevents - i - 1) * sizeof(d->events[0]));
			d->nevents--;
			return 0;
		}
	}
	return err_set(ENOENT, "no icount stop number %d", id);
}

bool debug_icount_event(const struct debug *d, unsigned i, int *id, uint64_t *at)
{
	if (i >= d->nevents)
		return false;
	*id = d->events[i].id;
	*at = d->events[i].at;
	return true;
}
