#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "err.h"
#include "json.h"
#include "span.h"
#include "symbols.h"
#include "vcpu.h"
#include "vm.h"

void watch_init(struct watch *w, struct vm *vm)
{
	*w = (struct watch){ .vm = vm };
}

void watch_free(struct watch *w)
{
	for (unsigned i = 0; i < w->nmem; i++)
		free(w->mem[i].pieces);
	free(w->mem);
	free(w->pages);
	free(w->exec);
	*w = (struct watch){ .vm = w->vm };
}

/* ---- memory watchpoints --------------------------------------------------- */

int watch_mem_add(struct watch *w, int id, unsigned owner, unsigned kind, uint64_t addr,
		  uint64_t len, bool phys, struct watch_piece *pieces, unsigned npieces)
{
	if (w->nmem == w->mem_cap) {
		unsigned cap = w->mem_cap ? w->mem_cap * 2 : 16;
		struct mem_watch *p = realloc(w->mem, cap * sizeof(*p));

		if (!p) {
			free(pieces);
			return err_set(ENOMEM, "out of memory");
		}
		w->mem = p;
		w->mem_cap = cap;
	}
	w->mem[w->nmem++] = (struct mem_watch){
		.id = id, .owners = owner, .kind = kind, .addr = addr, .len = len, .phys = phys,
		.pieces = pieces, .npieces = npieces,
	};
	return id;
}

struct mem_watch *watch_mem_find(struct watch *w, unsigned kind, uint64_t addr, uint64_t len,
				 bool phys)
{
	for (unsigned i = 0; i < w->nmem; i++) {
		struct mem_watch *m = &w->mem[i];

		if (m->kind == kind && m->addr == addr && m->len == len && m->phys == phys)
			return m;
	}
	return NULL;
}

struct mem_watch *watch_mem_get(struct watch *w, int id)
{
	for (unsigned i = 0; i < w->nmem; i++)
		if (w->mem[i].id == id)
			return &w->mem[i];
	return NULL;
}

void watch_mem_remove(struct watch *w, int id)
{
	struct mem_watch *m = watch_mem_get(w, id);

	if (!m)
		return;
	free(m->pieces);
	memmove(m, m + 1, (size_t)(&w->mem[w->nmem] - (m + 1)) * sizeof(*m));
	w->nmem--;
}

int watch_page_cmp(const void *a, const void *b)
{
	const struct mem_page_prot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static int watch_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The read or access watchpoint that takes the page at gpa out of the map, if any. */
static struct mem_watch *watch_reader_on(struct watch *w, uint64_t gpa)
{
	for (unsigned k = 0; k < w->nmem; k++) {
		struct mem_watch *m = &w->mem[k];

		for (unsigned j = 0; j < m->npieces; j++)
			if ((m->pieces[j].pa & ~(MEM_PAGE - 1)) == gpa && m->kind != WATCH_WRITE)
				return m;
	}
	return NULL;
}

/*
 * A page the CPU reads for itself cannot be taken away: page-table walks do
 * not exit, they fail, and the guest dies. Such a page stays readable and
 * only writes to it are watched; say so once. A page of descriptor tables
 * (IDT, GDT, TSS) is read only when an event is delivered or a segment
 * loaded: one a breakpoint alone takes away stays away, and a delivery that
 * fails on it is retried with every page given back (watch_lift_begin).
 */
static void watch_keep_system_pages(struct watch *w, struct vcpu *vcpu,
				    struct mem_page_prot *pages, unsigned n)
{
	uint64_t *sys;
	unsigned nd, ns;
	bool any = false;

	for (unsigned i = 0; i < n && !any; i++)
		any = !pages[i].readonly;
	if (!any || !(sys = malloc(WATCH_MAX_SYSTEM_PAGES * sizeof(*sys))))
		return;
	/* Descriptor-table pages first (nd of them), then the page tables. Each
	 * looked up in the sorted pages: a watch over 16 MiB has 4096 of them. */
	ns = arch_system_pages(vcpu, sys, WATCH_MAX_SYSTEM_PAGES, &nd);
	for (unsigned i = 0; i < ns; i++) {
		struct mem_page_prot key = { .gpa = sys[i] }, *p;
		struct mem_watch *m;

		p = bsearch(&key, pages, n, sizeof(*pages), watch_page_cmp);
		if (!p || p->readonly)
			continue;
		m = watch_reader_on(w, p->gpa);
		if (i < nd && !m)
			continue;
		p->readonly = true;
		if (m && !m->warned) {
			fprintf(stderr, "kvmdbg: watchpoint %d: guest-physical page %#llx holds page "
				"tables or descriptor tables the CPU reads by itself; only writes to "
				"it are watched\n", m->id, (unsigned long long)p->gpa);
			m->warned = true;
		}
	}
	free(sys);
}

/* Whether the page holding gpa is lent back for code on it to run. */
bool watch_lent_page(const struct watch *w, uint64_t gpa)
{
	for (unsigned f = 0; f < w->nfetch; f++)
		if ((gpa & ~(MEM_PAGE - 1)) == w->fetch[f])
			return true;
	return false;
}

int watch_exec_set(struct watch *w, const uint64_t *pages, unsigned n)
{
	uint64_t *p = NULL;
	unsigned k = 0;

	if (n && !(p = malloc(n * sizeof(*p))))
		return err_set(ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++)
		p[i] = pages[i] & ~(MEM_PAGE - 1);
	if (n)
		qsort(p, n, sizeof(*p), watch_u64_cmp);
	for (unsigned i = 0; i < n; i++)
		if (!k || p[k - 1] != p[i])
			p[k++] = p[i];
	free(w->exec);
	w->exec = p;
	w->nexec = k;
	return 0;
}

/* Whether delivering an event reads or writes the page at gpa: the CPU's
 * tables, or the stack the frame goes onto. */
static bool watch_delivery_page(struct vcpu *vcpu, uint64_t gpa)
{
	uint64_t sys[WATCH_MAX_DELIVERY_PAGES], sp, mask, pa;
	int sp_reg = arch_reg_find("sp", &mask);
	unsigned n = arch_system_pages(vcpu, sys, WATCH_MAX_DELIVERY_PAGES, NULL);

	for (unsigned i = 0; i < n; i++)
		if (sys[i] == gpa)
			return true;
	if (sp_reg < 0 || arch_reg_get(vcpu, (unsigned)sp_reg, &sp) < 0)
		return false;
	/* The frame: at most a few words below the stack pointer. */
	for (uint64_t back = 0; back <= 64; back += 64)
		if (arch_virt_to_phys(vcpu, ((sp & mask) - back) & mask, &pa) == 0 &&
		    (pa & ~(MEM_PAGE - 1)) == gpa)
			return true;
	return false;
}

int watch_mem_apply(struct watch *w, struct vcpu *vcpu)
{
	struct mem_page_prot *pages;
	unsigned n = 0, k = 0;
	size_t max = 0;
	int r;

	if (!w->nmem && !w->npages && !w->nexec)
		return 0;
	for (unsigned i = 0; i < w->nmem && !w->lift_all; i++)
		max += w->mem[i].npieces;
	max += w->nexec;
	pages = malloc((max ? max : 1) * sizeof(*pages));
	if (!pages)
		return err_set(ENOMEM, "out of memory");
	/* Fetches from them must exit: no page at all. Even when every page is
	 * given back for an event's delivery, but for those the delivery itself
	 * reads or writes: the handler's first fetch exits then. */
	for (unsigned i = 0; i < w->nexec; i++)
		if (mem_ptr(&w->vm->mem, w->exec[i], MEM_PAGE) &&
		    !(w->lift_all && watch_delivery_page(vcpu, w->exec[i])))
			pages[n++] = (struct mem_page_prot){ .gpa = w->exec[i] };
	for (unsigned i = 0; i < w->nmem && !w->lift_all; i++) {
		const struct mem_watch *m = &w->mem[i];

		/* Writes alone: a read-only page. Reads: no page at all, so they exit.
		 * Device space exits anyway. */
		for (unsigned j = 0; j < m->npieces; j++)
			if (!m->pieces[j].device)
				pages[n++] = (struct mem_page_prot){
					.gpa = m->pieces[j].pa & ~(MEM_PAGE - 1),
					.readonly = m->kind == WATCH_WRITE && w->vm->readonly_mem,
				};
	}
	qsort(pages, n, sizeof(*pages), watch_page_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (k && pages[k - 1].gpa == pages[i].gpa) {
			pages[k - 1].readonly &= pages[i].readonly;
			continue;
		}
		pages[k++] = pages[i];
	}
	if (w->vm->readonly_mem)
		watch_keep_system_pages(w, vcpu, pages, k);
	/* Lent back for a step: the code on them runs, writes still exit. */
	for (unsigned i = 0; i < k; i++)
		if (watch_lent_page(w, pages[i].gpa))
			pages[i].readonly = w->vm->readonly_mem;
	r = vm_protect(w->vm, pages, k);
	if (r < 0) {
		free(pages);
		return r;
	}
	free(w->pages);
	w->pages = pages;
	w->npages = k;
	return 0;
}

/* The protection of the page holding gpa, or NULL if it is plain RAM. */
const struct mem_page_prot *watch_page(const struct watch *w, uint64_t gpa)
{
	struct mem_page_prot key = { .gpa = gpa & ~(MEM_PAGE - 1) };

	if (!w->npages)
		return NULL;
	return bsearch(&key, w->pages, w->npages, sizeof(key), watch_page_cmp);
}

bool watch_page_trapped(const struct watch *w, uint64_t gpa)
{
	const struct mem_page_prot *p = watch_page(w, gpa);

	return p && !p->readonly;
}

/* Whether a watchpoint catches acc (already performed); fills w->hit. */
bool watch_mem_hit(struct watch *w, const struct io_access *acc)
{
	unsigned dir = acc->is_write ? WATCH_WRITE : WATCH_READ;

	for (unsigned i = 0; i < w->nmem; i++) {
		struct mem_watch *m = &w->mem[i];

		if (!(m->kind & dir))
			continue;
		for (unsigned j = 0; j < m->npieces; j++) {
			const struct watch_piece *pc = &m->pieces[j];
			uint64_t from = acc->addr > pc->pa ? acc->addr : pc->pa;

			if (acc->addr >= pc->pa + pc->len || pc->pa >= acc->addr + acc->size)
				continue;
			w->hit.id = m->id;
			w->hit.kind = m->kind;
			w->hit.is_write = acc->is_write;
			w->hit.addr = pc->va + (from - pc->pa);
			w->hit.pa = acc->addr;
			w->hit.size = acc->size;
			w->hit.value = acc->value;
			w->hit.device = pc->device;
			m->hits++;
			return true;
		}
	}
	return false;
}

bool watch_access(void *opaque, struct io_access *acc, bool *hit)
{
	struct watch *w = opaque;
	uint8_t *p;

	*hit = false;
	if (!watch_page(w, acc->addr) && !watch_page(w, acc->addr + acc->size - 1))
		return false;
	p = mem_ptr(&w->vm->mem, acc->addr, acc->size);
	if (!p)
		return false;
	w->hit.old = 0;
	if (acc->is_write) {
		memcpy(&w->hit.old, p, acc->size);
		memcpy(p, &acc->value, acc->size);
		mem_mark(&w->vm->mem, acc->addr, acc->size);
	} else {
		acc->value = 0;
		memcpy(&acc->value, p, acc->size);
	}
	*hit = watch_mem_hit(w, acc);
	return true;
}

bool watch_device_hit(void *opaque, const struct io_access *acc)
{
	struct watch *w = opaque;

	w->hit.old = 0;
	return w->nmem && acc->space == IO_MMIO && watch_mem_hit(w, acc);
}

void watch_hit_stop(void *opaque, struct vcpu_stop *stop)
{
	const struct watch_hit *h = &((struct watch *)opaque)->hit;

	stop->reason = STOP_WATCHPOINT;
	stop->exit_reason = KVM_EXIT_MMIO;
	stop->breakpoint = h->id;
	snprintf(stop->detail, sizeof(stop->detail), "%s of %u byte%s at %#llx, value %#llx",
		 h->is_write ? "write" : "read", h->size, h->size == 1 ? "" : "s",
		 (unsigned long long)h->addr, (unsigned long long)h->value);
}
