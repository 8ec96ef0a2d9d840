/*
 * Breakpoints: the table, how each stops the guest on this host (int3,
 * DR0-DR3, or its code page taken out of the map), arming them for a run or
 * a step, and reading a stop the vCPU reported as the breakpoint it was.
 * Also the int3s counted runs plant for themselves (count.c).
 */
#include "internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "../arch.h"
#include "../err.h"
#include "../host.h"
#include "../vm.h"

/* How this host stops the guest at a breakpoint of a kind, in the CPU's mode now. */
enum debug_mech {
	MECH_NONE,   /* it cannot */
	MECH_NATIVE, /* int3 or DR0-DR3 stop the guest (host.h) */
	MECH_PAGE,   /* they do not, but a fetch from a page out of the map exits */
};

struct breakpoint *debug_break_get(struct debug *d, int id)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id == id)
			return &d->bp[i];
	return NULL;
}

struct breakpoint *debug_break_find(struct debug *d, enum bp_kind kind, uint64_t addr)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id && d->bp[i].kind == kind && d->bp[i].addr == addr)
			return &d->bp[i];
	return NULL;
}

int debug_break_find_id(struct debug *d, enum bp_kind kind, uint64_t addr)
{
	const struct breakpoint *bp = debug_break_find(d, kind, addr);

	return bp ? bp->id : 0;
}

static void debug_break_view(const struct breakpoint *bp, struct debug_break_info *info)
{
	*info = (struct debug_break_info){ .id = bp->id, .kind = bp->kind, .addr = bp->addr,
					   .owners = bp->owners, .hits = bp->hits };
}

bool debug_break_info(const struct debug *d, int id, struct debug_break_info *info)
{
	for (int i = 0; id > 0 && i < DEBUG_MAX_BREAKPOINTS; i++) {
		if (d->bp[i].id == id) {
			debug_break_view(&d->bp[i], info);
			return true;
		}
	}
	return false;
}

bool debug_break_nth(const struct debug *d, unsigned n, struct debug_break_info *info)
{
	/* (Caught exceptions' own are not the user's to list.) */
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		if (d->bp[i].id && d->bp[i].owners != BP_OWNER_CATCH && n-- == 0) {
			debug_break_view(&d->bp[i], info);
			return true;
		}
	}
	return false;
}

/* The breakpoint armed by page at pc, if any. */
static struct breakpoint *debug_page_bp_at(struct debug *d, uint64_t pc)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id && d->bp[i].by_page && d->bp[i].addr == pc)
			return &d->bp[i];
	return NULL;
}

bool debug_entry_armed(const struct entry_bp *e, uint64_t pc, bool int3_only)
{
	return e->addr == pc && (e->int3.planted || (e->by_page && !int3_only));
}

/* Called on the vCPU thread while the guest runs: planted breakpoints do not change then. */
int debug_entry_find(const struct debug *d, uint64_t pc, bool int3_only)
{
	for (unsigned i = 0; i < d->nentries; i++)
		if (debug_entry_armed(&d->entry[i], pc, int3_only))
			return (int)i;
	return -1;
}

bool debug_own_breakpoint(void *opaque, uint64_t pc)
{
	struct debug *d = opaque;
	const struct breakpoint *bp = debug_break_find(d, BP_SW, pc);

	return (bp && bp->int3.planted) || debug_entry_find(d, pc, true) >= 0 ||
	       debug_entry_armed(&d->after, pc, true);
}

/* Code at pc came from a page kvmdbg took out of the map: whether that is one
 * of its stops (the step off the one at the starting pc excepted). */
bool debug_fetch_stop(void *opaque, struct vcpu *vcpu, uint64_t pc)
{
	struct debug *d = opaque;
	const struct breakpoint *bp;

	/* (The asking vCPU's mode: d->vcpu is the control thread's, which may
	 * select another while this one runs.) */
	if (vcpu->mode == VCPU_COUNT) {
		int e = debug_entry_find(d, pc, false);

		return (e >= 0 && e != d->entry_lifted && d->entry[e].by_page) ||
		       (d->after.by_page && d->after.addr == pc);
	}
	bp = debug_page_bp_at(d, pc);
	return bp && bp != d->armed_skip;
}

struct breakpoint *debug_at_breakpoint(struct debug *d)
{
	uint64_t pc = arch_pc(d->vcpu);
	struct breakpoint *bp = debug_break_find(d, BP_SW, pc);

	return bp ? bp : debug_break_find(d, BP_HW, pc);
}

bool debug_stop_at_breakpoint(struct debug *d, struct vcpu_stop *stop)
{
	struct breakpoint *bp = debug_at_breakpoint(d);

	if (!bp)
		return false;
	stop->reason = STOP_BREAKPOINT;
	stop->breakpoint = bp->id;
	bp->hits++;
	return true;
}

/* Hardware breakpoints in debug-register order (skip's left out); ids optional. */
static unsigned debug_hw_addrs(const struct debug *d, const struct breakpoint *skip, uint64_t *hw,
			       int *ids)
{
	unsigned n = 0;

	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		const struct breakpoint *bp = &d->bp[i];

		if (bp->id && ((bp->kind == BP_HW && !bp->by_page) || bp->by_dr) && bp != skip &&
		    n < ARCH_MAX_HW_BREAKPOINTS) {
			if (ids)
				ids[n] = d->bp[i].id;
			hw[n++] = d->bp[i].addr;
		}
	}
	return n;
}

/* Whether some vCPU runs 16-bit code, or will: an AP waiting for its SIPI
 * starts in real mode, where int3 may not stop it when the boot CPU's does. */
static bool debug_any_real(struct debug *d)
{
	struct arch_wake w;

	for (unsigned i = 0; i < d->ncpus; i++)
		if (arch_code_bits(d->cpus[i]) == 16 ||
		    (d->ncpus > 1 && arch_wake_sources(d->cpus[i], &w) == 0 && w.sipi))
			return true;
	return false;
}

static enum debug_mech debug_mech(struct debug *d, enum bp_kind kind)
{
	bool native = kind == BP_SW ? host_int3_stops(debug_any_real(d))
				    : host_probe(HOST_HWBP)->value == HOST_YES;

	if (native)
		return MECH_NATIVE;
	return host_probe(HOST_FETCH)->value == HOST_FETCH_EMULATION ? MECH_PAGE : MECH_NONE;
}

bool debug_int3_by_page(struct debug *d)
{
	return debug_mech(d, BP_SW) == MECH_PAGE;
}

/* The probe that says whether a breakpoint of kind stops the guest natively. */
static enum host_probe debug_native_probe(struct debug *d, enum bp_kind kind)
{
	return kind == BP_HW ? HOST_HWBP : arch_code_bits(d->vcpu) == 16 ? HOST_SWBP_REAL : HOST_SWBP;
}

static int debug_mech_refuse(struct debug *d, enum bp_kind kind, uint64_t addr)
{
	enum host_probe native = debug_native_probe(d, kind);

	return err_set(ENOTSUP, "cannot stop at %#llx on this host: %s there: %s; a fetch from a "
		       "page without a memslot: %s (kvmdbg --host)", (unsigned long long)addr,
		       kind == BP_HW ? "DR0-DR3" : "int3", host_probe(native)->detail,
		       host_probe(HOST_FETCH)->detail);
}

bool debug_break_by_page(struct debug *d, enum bp_kind kind, char *buf, size_t len)
{
	if (debug_mech(d, kind) != MECH_PAGE)
		return false;
	enum host_probe native = debug_native_probe(d, kind);

	if (buf)
		snprintf(buf, len, "this host does not stop at %s%s (%s): breakpoints take their code "
			 "page out of the map and step through that page (kvmdbg --host)",
			 kind == BP_HW ? "DR0-DR3" : "int3",
			 native == HOST_SWBP_REAL ? " in real mode" : "", host_probe(native)->detail);
	return true;
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
	enum debug_mech mech = debug_mech(d, kind);

	if (mech == MECH_NONE)
		return debug_mech_refuse(d, kind, addr);
	/* By page, hardware breakpoints are not limited by the debug registers. */
	if (kind == BP_HW && mech == MECH_NATIVE &&
	    debug_hw_addrs(d, NULL, hw, NULL) >= ARCH_MAX_HW_BREAKPOINTS)
		return err_set(ENOSPC, "all %d hardware breakpoints are in use (delete one, or "
			       "use a software breakpoint)", ARCH_MAX_HW_BREAKPOINTS);
	if (kind == BP_SW && arch_virt_to_phys(d->vcpu, addr, &pa) == 0 &&
	    !mem_ptr(&d->vm->mem, pa, 1))
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

void debug_break_release(struct debug *d, int id, unsigned owner)
{
	struct breakpoint *bp = debug_break_get(d, id);

	if (!bp || id <= 0)
		return;
	bp->owners &= ~owner;
	if (!bp->owners)
		debug_break_remove(d, bp->id);
}

int debug_break_remove(struct debug *d, int id)
{
	struct breakpoint *bp = id > 0 ? debug_break_get(d, id) : NULL;

	if (bp) {
		bp->id = 0;
		return 0;
	}
	if (watch_mem_get(&d->watch, id)) {
		watch_mem_remove(&d->watch, id);
		return 0;
	}
	return err_set(ENOENT, "no breakpoint or watchpoint number %d", id);
}

/* (A gate aimed at the page-table root once put 0xcc in PML4[0].) */
bool debug_entry_on_table(struct debug *d, uint64_t addr, const uint64_t *sys, unsigned n)
{
	uint64_t pa;

	if (arch_virt_to_phys(d->vcpu, addr, &pa) < 0)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (sys[i] == (pa & ~(MEM_PAGE - 1)))
			return true;
	return false;
}

bool debug_int3_plant(struct debug *d, uint64_t addr, struct int3_site *site)
{
	static const uint8_t int3 = INT3;

	site->planted = arch_virt_to_phys(d->vcpu, addr, &site->phys) == 0 &&
			mem_read(&d->vm->mem, site->phys, &site->saved, 1) == 0 &&
			mem_write(&d->vm->mem, site->phys, &int3, 1) == 0;
	return site->planted;
}

/* Puts the original byte back, unless the guest has overwritten the int3. */
void debug_int3_unplant(struct debug *d, struct int3_site *site)
{
	uint8_t now;

	if (site->planted && mem_read(&d->vm->mem, site->phys, &now, 1) == 0 && now == INT3)
		mem_write(&d->vm->mem, site->phys, &site->saved, 1);
	site->planted = false;
}

/* Writes int3 at every software breakpoint but the one at skip (the pc being
 * stepped off, or none); one that cannot be planted is an error. */
static int debug_plant(struct debug *d, const struct breakpoint *skip)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		struct breakpoint *bp = &d->bp[i];

		if (!bp->id || bp->kind != BP_SW || bp->by_page || bp->by_dr || bp->int3.planted ||
		    bp == skip)
			continue;
		if (!debug_int3_plant(d, bp->addr, &bp->int3))
			return err_set(EFAULT, "cannot insert breakpoint %d at %#llx: %s", bp->id,
				       (unsigned long long)bp->addr, err_msg());
	}
	return 0;
}

void debug_unplant(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		debug_int3_unplant(d, &d->bp[i].int3);
}

static bool debug_has_planted(const struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].int3.planted)
			return true;
	return false;
}

/*
 * Where a breakpoint's page is: through the guest's page tables, or, for an
 * address they do not map yet, through the kernel's own mapping the loader
 * knows of (Linux's __START_KERNEL_map), which its page tables will have.
 */
static int debug_bp_phys(struct debug *d, uint64_t va, uint64_t *pa)
{
	const struct debug_early_map *m = &d->early_map;

	if (arch_virt_to_phys(d->vcpu, va, pa) == 0)
		return 0;
	if (!m->size || va < m->va || va - m->va >= m->size)
		return -EFAULT;
	*pa = m->pa + (va - m->va);
	return 0;
}

/*
 * Takes out of the map the pages whose code must not run unseen: those of
 * breakpoints armed by page (not while counting, which looks at every pc
 * anyway) and of counting stops armed by page; and applies every page
 * protection watchpoints want too.
 */
int debug_exec_apply(struct debug *d, bool counting)
{
	uint64_t pages[DEBUG_MAX_BREAKPOINTS + DEBUG_MAX_ENTRIES + 1];
	unsigned n = 0;
	int r;

	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS && !counting; i++)
		if (d->bp[i].id && d->bp[i].by_page &&
		    debug_bp_phys(d, d->bp[i].addr, &pages[n]) == 0)
			n++;
	for (unsigned i = 0; i < d->nentries; i++)
		if (d->entry[i].by_page && arch_virt_to_phys(d->vcpu, d->entry[i].addr, &pages[n]) == 0)
			n++;
	if (d->after.by_page && arch_virt_to_phys(d->vcpu, d->after.addr, &pages[n]) == 0)
		n++;
	r = watch_exec_set(&d->watch, pages, n);
	return r < 0 ? r : watch_mem_apply(&d->watch, d->vcpu);
}

/*
 * A software breakpoint at an address not mapped yet (a kernel's, before its
 * page tables exist) cannot hold an int3: a debug register, which takes a
 * linear address, stands in for it where DR0-DR3 stop the guest and one is
 * free. Once mapped, the next run plants the int3.
 */
static bool debug_choose_dr(struct debug *d, struct breakpoint *bp)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS], pa;

	if (bp->kind != BP_SW || arch_virt_to_phys(d->vcpu, bp->addr, &pa) == 0 ||
	    host_probe(HOST_HWBP)->value != HOST_YES ||
	    debug_hw_addrs(d, NULL, hw, NULL) >= ARCH_MAX_HW_BREAKPOINTS)
		return false;
	bp->by_dr = true;
	bp->by_page = false;
	return true;
}

/* Chooses how each breakpoint stops the guest on this host in the CPU's mode now. */
static int debug_choose(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		d->bp[i].by_dr = false;
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		struct breakpoint *bp = &d->bp[i];
		enum debug_mech mech;
		uint64_t pa;

		if (!bp->id || debug_choose_dr(d, bp))
			continue;
		mech = debug_mech(d, bp->kind);
		if (mech == MECH_NONE)
			return debug_mech_refuse(d, bp->kind, bp->addr);
		bp->by_page = mech == MECH_PAGE;
		if (bp->by_page && (debug_bp_phys(d, bp->addr, &pa) < 0 ||
				    !mem_ptr(&d->vm->mem, pa, 1)))
			return err_set(EFAULT, "cannot insert breakpoint %d at %#llx: not mapped "
				       "to RAM", bp->id, (unsigned long long)bp->addr);
	}
	return 0;
}

/* A breakpoint armed by page whose page could not be taken away (it holds
 * page tables, which the CPU must read) would never stop. */
static int debug_check_trapped(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		const struct breakpoint *bp = &d->bp[i];
		uint64_t pa;

		if (bp->id && bp->by_page && debug_bp_phys(d, bp->addr, &pa) == 0 &&
		    !watch_page_trapped(&d->watch, pa))
			return err_set(ENOTSUP, "cannot stop at breakpoint %d (%#llx) on this host: "
				       "int3 and DR0-DR3 do not stop the guest here, and its page "
				       "holds page tables, which cannot be taken out of the map",
				       bp->id, (unsigned long long)bp->addr);
	}
	return 0;
}

int debug_arm(struct debug *d, const struct breakpoint *skip, bool step)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS];
	bool others = debug_others_run(d, step);
	unsigned nhw;
	int r = debug_choose(d);

	if (r < 0)
		return r;
	nhw = debug_hw_addrs(d, skip, hw, NULL);
	r = debug_exec_apply(d, false);
	if (r == 0)
		r = debug_check_trapped(d);
	if (r < 0)
		return r;
	/* Watchpoints' hits are recorded for one vCPU at a time (not yet shared). */
	if (others && d->watch.nmem)
		return err_set(ENOTSUP, "memory watchpoints are not available yet while several "
			       "CPUs run (continue one alone: gdb's scheduler-locking, or "
			       "vCont;c:THREAD)");
	r = debug_plant(d, skip);
	for (unsigned i = 0; !r && i < d->ncpus; i++)
		if (d->cpus[i] == d->vcpu || others)
			r = arch_set_guest_debug(d->cpus[i],
						 d->cpus[i] == d->vcpu && step ? ARCH_STEP_QUIET
									       : ARCH_STEP_NONE,
						 debug_has_planted(d), hw, nhw);
	if (r < 0)
		debug_unplant(d);
	return r;
}

void debug_resolve(struct debug *d, struct vcpu_stop *stop, bool stepping)
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
				bp = debug_break_get(d, ids[slot]);
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
	} else if (stop->reason == STOP_FETCH) {
		bp = debug_page_bp_at(d, arch_pc(d->vcpu));
		if (bp) {
			stop->reason = STOP_BREAKPOINT;
			stop->breakpoint = bp->id;
		}
	}
	if (bp && bp->kind == BP_SW && stop->reason != STOP_BREAKPOINT) {
		pc = arch_pc(d->vcpu);
		if (bp->addr == pc) {
			stop->reason = STOP_BREAKPOINT;
			stop->breakpoint = bp->id;
		}
	}
	if (bp && stop->reason == STOP_BREAKPOINT)
		bp->hits++;
	debug_note_stop(d, stop);
}
