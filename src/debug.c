#include "debug.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "arch.h"
#include "err.h"
#include "vm.h"

#define INT3 0xcc

/* Called on the vCPU thread while the guest runs: planted breakpoints do not change then. */
static bool debug_own_breakpoint(void *opaque, uint64_t pc)
{
	struct debug *d = opaque;
	const struct breakpoint *bp = debug_break_find(d, BP_SW, pc);

	return bp && bp->planted;
}

void debug_init(struct debug *d, struct vm *vm, struct vcpu *vcpu, const struct symtab *syms)
{
	*d = (struct debug){ .vm = vm, .vcpu = vcpu, .syms = syms, .next_id = 1 };
	vcpu->own_breakpoint = debug_own_breakpoint;
	vcpu->own_opaque = d;
}

/* Calls fn for each page-sized piece of [va, va + len) with its physical address. */
static int debug_access_virt(struct debug *d, uint64_t va, uint8_t *buf, size_t len, bool write)
{
	while (len) {
		uint64_t pa, chunk = 0x1000 - (va & 0xfff);
		int r;

		if (chunk > len)
			chunk = len;
		r = arch_virt_to_phys(d->vcpu, va, &pa);
		if (r < 0)
			return r;
		r = write ? vm_write_phys(d->vm, pa, buf, chunk) : vm_read_phys(d->vm, pa, buf, chunk);
		if (r < 0)
			return err_set(EFAULT, "cannot access memory at address %#llx (physical "
				       "%#llx is not RAM)", (unsigned long long)va,
				       (unsigned long long)pa);
		va += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int debug_read_virt(struct debug *d, uint64_t va, void *buf, size_t len)
{
	return debug_access_virt(d, va, buf, len, false);
}

int debug_write_virt(struct debug *d, uint64_t va, const void *buf, size_t len)
{
	return debug_access_virt(d, va, (uint8_t *)buf, len, true);
}

struct breakpoint *debug_break_find(struct debug *d, enum bp_kind kind, uint64_t addr)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id && d->bp[i].kind == kind && d->bp[i].addr == addr)
			return &d->bp[i];
	return NULL;
}

/* Hardware breakpoints in debug-register order (skip's left out); ids optional. */
static unsigned debug_hw_addrs(const struct debug *d, const struct breakpoint *skip, uint64_t *hw,
			       int *ids)
{
	unsigned n = 0;

	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		if (d->bp[i].id && d->bp[i].kind == BP_HW && &d->bp[i] != skip &&
		    n < ARCH_MAX_HW_BREAKPOINTS) {
			if (ids)
				ids[n] = d->bp[i].id;
			hw[n++] = d->bp[i].addr;
		}
	}
	return n;
}

int debug_break_insert(struct debug *d, enum bp_kind kind, uint64_t addr, unsigned owner)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS], pa;
	struct breakpoint *free_slot = NULL, *bp = debug_break_find(d, kind, addr);

	if (bp && (bp->owners & owner))
		return err_set(EEXIST, "there is already a %s breakpoint at %#llx",
			       kind == BP_HW ? "hardware" : "software", (unsigned long long)addr);
	if (bp) {
		bp->owners |= owner;
		return bp->id;
	}
	if (kind == BP_HW && debug_hw_addrs(d, NULL, hw, NULL) >= ARCH_MAX_HW_BREAKPOINTS)
		return err_set(ENOSPC, "all %d hardware breakpoints are in use (delete one, or "
			       "use a software breakpoint)", ARCH_MAX_HW_BREAKPOINTS);
	if (kind == BP_SW && arch_virt_to_phys(d->vcpu, addr, &pa) == 0 &&
	    !vm_phys_ptr(d->vm, pa, 1))
		return err_set(EFAULT, "cannot insert a breakpoint at %#llx: not RAM",
			       (unsigned long long)addr);
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS && !free_slot; i++)
		if (!d->bp[i].id)
			free_slot = &d->bp[i];
	if (!free_slot)
		return err_set(ENOSPC, "too many breakpoints (%d)", DEBUG_MAX_BREAKPOINTS);
	*free_slot = (struct breakpoint){ .id = d->next_id++, .owners = owner, .kind = kind,
					  .addr = addr };
	return free_slot->id;
}

void debug_break_release(struct debug *d, struct breakpoint *bp, unsigned owner)
{
	bp->owners &= ~owner;
	if (!bp->owners)
		debug_break_remove(d, bp->id);
}

int debug_break_remove(struct debug *d, int id)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		if (d->bp[i].id == id) {
			d->bp[i].id = 0;
			return 0;
		}
	}
	return err_set(ENOENT, "no breakpoint number %d", id);
}

/* Writes int3 at every software breakpoint but the one at skip (the pc being
 * stepped off, or none); one that cannot be planted is an error. */
static int debug_plant(struct debug *d, const struct breakpoint *skip)
{
	static const uint8_t int3 = INT3;

	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		struct breakpoint *bp = &d->bp[i];

		if (!bp->id || bp->kind != BP_SW || bp->planted || bp == skip)
			continue;
		if (arch_virt_to_phys(d->vcpu, bp->addr, &bp->phys) < 0 ||
		    vm_read_phys(d->vm, bp->phys, &bp->saved, 1) < 0 ||
		    vm_write_phys(d->vm, bp->phys, &int3, 1) < 0)
			return err_set(EFAULT, "cannot insert breakpoint %d at %#llx: %s", bp->id,
				       (unsigned long long)bp->addr, err_msg());
		bp->planted = true;
	}
	return 0;
}

/* Puts the original bytes back, unless the guest has overwritten the int3. */
static void debug_unplant(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		struct breakpoint *bp = &d->bp[i];
		uint8_t now;

		if (!bp->planted)
			continue;
		if (vm_read_phys(d->vm, bp->phys, &now, 1) == 0 && now == INT3)
			vm_write_phys(d->vm, bp->phys, &bp->saved, 1);
		bp->planted = false;
	}
}

static bool debug_has_planted(const struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].planted)
			return true;
	return false;
}

/* Plants breakpoints (all but skip) and sets guest debug for a run or a step. */
static int debug_arm(struct debug *d, const struct breakpoint *skip, bool step)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS];
	unsigned nhw = debug_hw_addrs(d, skip, hw, NULL);
	int r = debug_plant(d, skip);

	if (!r)
		r = arch_set_guest_debug(d->vcpu, step, debug_has_planted(d), hw, nhw);
	if (r < 0)
		debug_unplant(d);
	return r;
}

/* Turns what the vCPU reported into what the debugger means. */
static void debug_resolve(struct debug *d, struct vcpu_stop *stop, bool stepping)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS];
	int ids[ARCH_MAX_HW_BREAKPOINTS];
	struct breakpoint *bp = NULL;
	unsigned slot = 0;
	uint64_t pc;

	*stop = d->vcpu->stop;
	if (stop->reason == STOP_DEBUG) {
		switch (arch_debug_kind(d->vcpu, &slot)) {
		case 1:
			if (stepping)
				stop->reason = STOP_STEPPED;
			break;
		case 2:
			if (slot < debug_hw_addrs(d, d->armed_skip, hw, ids)) {
				stop->reason = STOP_BREAKPOINT;
				stop->breakpoint = ids[slot];
				bp = debug_break_find(d, BP_HW, hw[slot]);
			}
			break;
		case 3:
			bp = debug_break_find(d, BP_SW, arch_pc(d->vcpu));
			break;
		}
	} else if (stop->reason == STOP_ERROR && stop->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		   d->vcpu->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		/* PVM: KVM's emulator cannot run int3 at CPL0 and fails with rip at it. */
		bp = debug_break_find(d, BP_SW, arch_pc(d->vcpu));
	}
	if (bp && bp->kind == BP_SW) {
		pc = arch_pc(d->vcpu);
		if (bp->addr == pc) {
			stop->reason = STOP_BREAKPOINT;
			stop->breakpoint = bp->id;
		}
	}
	if (bp && stop->reason == STOP_BREAKPOINT)
		bp->hits++;
	if (stop->reason == STOP_EXITED) {
		d->exited = true;
		d->exit_status = stop->status;
	}
	d->last = *stop;
}

static struct breakpoint *debug_at_breakpoint(struct debug *d);

int debug_step(struct debug *d, struct vcpu_stop *stop)
{
	/* Other breakpoints stay armed: the step may run into one (an exception
	 * handler entered on the way, say). */
	struct breakpoint *here;
	int r;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	here = debug_at_breakpoint(d);
	r = debug_arm(d, here, true);
	if (r < 0)
		return r;
	d->armed_skip = here;
	vcpu_resume(d->vcpu, VCPU_STEP);
	vcpu_wait(d->vcpu);
	vcpu_collect_stop(d->vcpu);
	debug_resolve(d, stop, true);
	debug_unplant(d);
	d->armed_skip = NULL;
	return 0;
}

/* The breakpoint at pc, if any: the guest must step off it before running. */
static struct breakpoint *debug_at_breakpoint(struct debug *d)
{
	uint64_t pc = arch_pc(d->vcpu);
	struct breakpoint *bp = debug_break_find(d, BP_SW, pc);

	return bp ? bp : debug_break_find(d, BP_HW, pc);
}

int debug_continue(struct debug *d, struct vcpu_stop *stop)
{
	int r;

	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	/* Resuming on a breakpoint would hit it again at once (PLATFORM.md). */
	if (debug_at_breakpoint(d)) {
		r = debug_step(d, stop);
		if (r < 0)
			return r;
		if (stop->reason != STOP_STEPPED)
			return 1;
		/* The step landed on another breakpoint (say, in an exception handler). */
		struct breakpoint *bp = debug_at_breakpoint(d);

		if (bp) {
			stop->reason = STOP_BREAKPOINT;
			stop->breakpoint = bp->id;
			bp->hits++;
			d->last = *stop;
			return 1;
		}
	}
	r = debug_arm(d, NULL, false);
	if (r < 0)
		return r;
	d->running = true;
	vcpu_resume(d->vcpu, VCPU_CONTINUE);
	return 0;
}

void debug_interrupt(struct debug *d)
{
	if (d->running)
		vcpu_request_stop(d->vcpu);
}

void debug_collect(struct debug *d, struct vcpu_stop *stop)
{
	vcpu_collect_stop(d->vcpu);
	d->running = false;
	debug_resolve(d, stop, false);
	debug_unplant(d);
}
