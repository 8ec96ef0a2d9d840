/*
 * Code lending: code on a page kvmdbg took out of the map (for a read
 * watchpoint, or a breakpoint by page) cannot be fetched. After such a
 * failure at pc the page(s) are lent back read-only and the vCPU runs them by
 * single steps, the reads each step makes from them found out beforehand;
 * or, where an event's delivery touches protected pages, every page is given
 * back for one step. The vCPU reaches this through watch_page_ops (vcpu.h).
 */
#include "watch.h"

#include <string.h>

#include "arch.h"
#include "mem.h"
#include "vcpu.h"
#include "vm.h"

/* Whether the page holding la is lent (or, with plain_too, not protected at all). */
static bool watch_lent(const struct watch *w, struct vcpu *vcpu, uint64_t la, bool plain_too)
{
	uint64_t pa;

	if (arch_virt_to_phys(vcpu, la, &pa) < 0)
		return false;
	return watch_lent_page(w, pa) || (plain_too && !watch_page(w, pa));
}

/* The lent instruction's own reads from lent pages will not exit: find them
 * out before it runs, from the registers it starts with. */
static void watch_fetch_decode(struct watch *w, struct vcpu *vcpu, uint64_t pc)
{
	uint64_t la, pa;
	unsigned size;
	const uint8_t *p;

	struct arch_step_info info;

	arch_step_info(vcpu, &info);
	w->fetch_halt = info.halt;
	w->fetch_read = (struct io_access){ .space = IO_MMIO };
	if (!arch_insn_reads(vcpu, pc, &la, &size) || arch_virt_to_phys(vcpu, la, &pa) < 0 ||
	    !(p = mem_ptr(&w->vm->mem, pa, size)))
		return;
	w->fetch_read.addr = pa;
	w->fetch_read.size = size;
	memcpy(&w->fetch_read.value, p, size < 8 ? size : 8);
}

bool watch_fetch_begin(void *opaque, struct vcpu *vcpu, uint64_t pc)
{
	struct watch *w = opaque;
	unsigned before = w->nfetch;

	/* It failed lent too: the failure is its own, for the caller to handle. */
	if (w->fetch_failed && w->fetch_failed_pc == pc)
		return false;

	/* An instruction may run onto the next page: lend both. */
	for (unsigned i = 0; i < 2; i++) {
		uint64_t va = i ? (pc | (MEM_PAGE - 1)) + 1 : pc, pa;
		const struct mem_page_prot *p;

		if (arch_virt_to_phys(vcpu, va, &pa) < 0)
			continue;
		p = watch_page(w, pa);
		if (!p || p->readonly || w->nfetch == 2)
			continue;
		w->fetch[w->nfetch++] = p->gpa;
	}
	if (w->nfetch == before)
		return false;
	if (watch_mem_apply(w, vcpu) < 0) {
		w->nfetch = before;
		return false;
	}
	watch_fetch_decode(w, vcpu, pc);
	return true;
}

bool watch_would_lend(void *opaque, struct vcpu *vcpu, uint64_t pc, bool all)
{
	const struct watch *w = opaque;

	if (!w->npages)
		return false;
	if (all)
		return true;
	for (unsigned i = 0; i < 2; i++) {
		uint64_t va = i ? (pc | (MEM_PAGE - 1)) + 1 : pc, pa;
		const struct mem_page_prot *p;

		if (arch_virt_to_phys(vcpu, va, &pa) == 0 && (p = watch_page(w, pa)) && !p->readonly)
			return true;
	}
	return false;
}

bool watch_lift_begin(void *opaque, struct vcpu *vcpu, uint64_t pc)
{
	struct watch *w = opaque;

	if (!w->npages || (w->fetch_failed && w->fetch_failed_pc == pc))
		return false;
	watch_lift(w, vcpu);
	return w->lift_all;
}

void watch_lift(void *opaque, struct vcpu *vcpu)
{
	struct watch *w = opaque;

	if (!w->npages)
		return;
	w->lift_all = true;
	w->nfetch = 0;
	w->fetch_read.size = 0;
	w->fetch_halt = false;
	if (watch_mem_apply(w, vcpu) < 0)
		w->lift_all = false;
}

static bool watch_lending(const struct watch *w)
{
	return w->nfetch > 0 || w->lift_all;
}

bool watch_run_begin(void *opaque, bool *halt)
{
	struct watch *w = opaque;

	w->fetch_failed = false;
	*halt = w->fetch_halt;
	return watch_lending(w);
}

void watch_fetch_failed(void *opaque, uint64_t pc)
{
	struct watch *w = opaque;

	w->fetch_failed = true;
	w->fetch_failed_pc = pc;
}

bool watch_fetch_hit(void *opaque, bool done)
{
	struct watch *w = opaque;
	struct io_access read = w->fetch_read;

	w->fetch_read.size = 0;
	return done && read.size &&
	       (watch_lent_page(w, read.addr) || watch_lent_page(w, read.addr + read.size - 1)) &&
	       watch_mem_hit(w, &read);
}

bool watch_fetch_next(void *opaque, struct vcpu *vcpu)
{
	struct watch *w = opaque;
	uint64_t pc = arch_pc(vcpu);

	if (!w->nfetch || w->lift_all || !watch_lent(w, vcpu, pc, false) ||
	    !watch_lent(w, vcpu, pc + 15, true))
		return false;
	watch_fetch_decode(w, vcpu, pc);
	return true;
}

void watch_fetch_end(void *opaque, struct vcpu *vcpu)
{
	struct watch *w = opaque;

	if (!watch_lending(w))
		return;
	w->nfetch = 0;
	w->lift_all = false;
	w->fetch_read.size = 0;
	watch_mem_apply(w, vcpu);
}

static bool watch_plain(void *opaque, uint64_t gpa)
{
	return !watch_page(opaque, gpa);
}

const struct vcpu_page_ops watch_page_ops = {
	.access = watch_access,
	.device_hit = watch_device_hit,
	.hit_stop = watch_hit_stop,
	.fetch_begin = watch_fetch_begin,
	.lift_begin = watch_lift_begin,
	.would_lend = watch_would_lend,
	.lift = watch_lift,
	.run_begin = watch_run_begin,
	.failed = watch_fetch_failed,
	.fetch_hit = watch_fetch_hit,
	.fetch_next = watch_fetch_next,
	.fetch_end = watch_fetch_end,
	.plain = watch_plain,
};
