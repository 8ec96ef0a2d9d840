/*
 * Checkpoints of the whole machine (checkpoint.c keeps the machine's part)
 * with the debugger's own part beside each: the count, the exit state, the
 * last stop. The user's are numbered; history's (reverse.c) are among them,
 * unnumbered.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

#include "../arch.h"
#include "../err.h"

int debug_ckpt_take(struct debug *d, uint64_t budget, int id)
{
	int i;

	/* A checkpoint keeps one vCPU's state (checkpoint.h). */
	if (d->ncpus > 1)
		return err_set(ENOTSUP, "checkpoints keep one CPU: not yet with --smp %u",
			       d->ncpus);
	i = checkpoint_take(&d->ckpt, budget);
	if (i < 0)
		return i;
	if (d->ckpt_debug_cap < d->ckpt.cap) {
		struct debug_checkpoint *v = realloc(d->ckpt_debug, d->ckpt.cap * sizeof(*v));

		if (!v) {
			checkpoint_drop(&d->ckpt, (unsigned)i);
			return err_set(ENOMEM, "out of memory");
		}
		d->ckpt_debug = v;
		d->ckpt_debug_cap = d->ckpt.cap;
	}
	d->ckpt_debug[i] = (struct debug_checkpoint){ .id = id, .icount = d->icount, .sub = d->sub,
						      .pc = arch_pc(d->vcpu), .exited = d->exited,
						      .exit_status = d->exit_status, .last = d->last };
	return i;
}

int debug_ckpt_restore(struct debug *d, unsigned i)
{
	const struct debug_checkpoint *k = &d->ckpt_debug[i];
	int r = checkpoint_restore(&d->ckpt, i);

	if (r < 0)
		return r;
	d->icount = k->icount;
	d->sub = k->sub;
	d->exited = k->exited;
	d->exit_status = k->exit_status;
	d->last = k->last;
	debug_state_known(d);
	return 0;
}

/* The slot of the user's checkpoint id, or -1. */
static int debug_ckpt_slot(const struct debug *d, int id)
{
	for (unsigned i = 0; id > 0 && i < d->ckpt.n; i++)
		if (checkpoint_live(&d->ckpt, i) && d->ckpt_debug[i].id == id)
			return (int)i;
	return -1;
}

/* The user's checkpoint at slot i or the nearest above it (0: none). */
static int debug_ckpt_user_above(const struct debug *d, int i)
{
	for (; i >= 0; i = d->ckpt.v[i].parent)
		if (d->ckpt_debug[i].id)
			return d->ckpt_debug[i].id;
	return 0;
}

int debug_checkpoint(struct debug *d)
{
	uint64_t left;
	int i;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (d->user_ckpts == DEBUG_MAX_CHECKPOINTS)
		return err_set(ENOSPC, "all %d checkpoints are taken", DEBUG_MAX_CHECKPOINTS);
	left = d->ckpt.bytes < DEBUG_MAX_CHECKPOINT_BYTES ? DEBUG_MAX_CHECKPOINT_BYTES - d->ckpt.bytes
							 : 0;
	i = debug_ckpt_take(d, left, d->next_ckpt_id + 1);
	if (i == -E2BIG)
		return err_set(ENOSPC, "checkpoints may keep %llu MiB together, and %llu MiB are "
			       "left: not enough for this one",
			       DEBUG_MAX_CHECKPOINT_BYTES >> 20,
			       (unsigned long long)(left >> 20));
	if (i < 0)
		return i;
	d->user_ckpts++;
	return ++d->next_ckpt_id;
}

int debug_restart(struct debug *d, int id)
{
	int i = debug_ckpt_slot(d, id), r;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (i < 0)
		return err_set(ENOENT, "no checkpoint %d", id);
	r = debug_ckpt_restore(d, (unsigned)i);
	if (r < 0)
		return r;
	/* icount stops already passed are behind the guest again: they stay. */
	if (d->hops)
		d->hops->restarted(d);
	return 0;
}

int debug_reset(struct debug *d)
{
	int r;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (!d->reset)
		return err_set(ENOTSUP, "this machine cannot be reset");
	r = d->reset(d->reset_opaque);
	if (r < 0)
		return r;
	d->icount = 0;
	d->sub = 0;
	d->exited = false;
	d->exit_status = 0;
	d->last = (struct vcpu_stop){ .reason = STOP_NONE };
	d->vcpu = d->cpus[0];
	for (unsigned i = 0; i < d->ncpus; i++)
		d->pending[i] = d->lend[i] = d->bp_held[i] = false;
	debug_kernel_reset(d);
	debug_state_known(d);
	/* Like a checkpoint put back: icount stops already passed stay passed. */
	if (d->hops)
		d->hops->restarted(d);
	return 0;
}

bool debug_checkpoint_get(const struct debug *d, int id, struct debug_checkpoint_info *info)
{
	int i = debug_ckpt_slot(d, id);

	if (i < 0)
		return false;
	*info = (struct debug_checkpoint_info){
		.icount = d->ckpt_debug[i].icount, .pc = d->ckpt_debug[i].pc,
		.parent = debug_ckpt_user_above(d, d->ckpt.v[i].parent),
		.pages = d->ckpt.v[i].npages, .bytes = checkpoint_bytes(&d->ckpt, (unsigned)i) };
	return true;
}

int debug_checkpoint_base(const struct debug *d)
{
	return debug_ckpt_user_above(d, d->ckpt.base);
}
