/*
 * Guest page-table walk: real mode and flat protected mode (no paging),
 * 32-bit paging (4 KiB and 4 MiB pages), PAE, and 4- and 5-level long mode.
 * Only the present bits matter to reads: the debugger may look at any mapped
 * page. Writes the CPU would make itself (an event's frame) honour R/W.
 */
#include "../arch.h"

#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "../err.h"
#include "../mem.h"
#include "x86.h"

static int mmu_fault(uint64_t va, const char *why)
{
	return err_set(EFAULT, "cannot access memory at address %#llx (%s)",
		       (unsigned long long)va, why);
}

static int mmu_entry(const struct mem *mem, uint64_t gpa, unsigned size, uint64_t *entry)
{
	*entry = 0;
	return mem_read(mem, gpa, entry, size);
}

/* An entry on the way: outside RAM or not present fails the walk (where, in
 * wi->why); else its rights narrow the walk's. */
static int mmu_step(const struct mem *mem, struct x86_walk_info *wi, uint64_t va, uint64_t gpa,
		    unsigned size, const char *level, uint64_t index, bool nx, uint64_t *e)
{
	if (mmu_entry(mem, gpa, size, e) < 0) {
		snprintf(wi->why, sizeof(wi->why), "%s at %#llx outside RAM", level,
			 (unsigned long long)gpa);
		return mmu_fault(va, "page table outside RAM");
	}
	if (!(*e & PTE_P)) {
		snprintf(wi->why, sizeof(wi->why), "%s entry %llu not present", level,
			 (unsigned long long)index);
		return mmu_fault(va, "not mapped");
	}
	wi->w &= (*e & PTE_RW) != 0;
	wi->u &= (*e & PTE_US) != 0;
	wi->x &= !(nx && (*e >> 63));
	return 0;
}

/* PAE and long-mode walks: levels of 512 8-byte entries from the top. */
static int mmu_walk64(const struct mem *mem, uint64_t table, uint64_t va, int levels, bool nx,
		      struct x86_walk_info *wi)
{
	static const char *const names[] = { "", "PT", "PD", "PDPT", "PML4", "PML5" };

	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t e, i = (va >> shift) & 511;

		if (mmu_step(mem, wi, va, table + i * 8, 8, names[level], i, nx, &e) < 0)
			return -EFAULT;
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			uint64_t page = 1ULL << shift;

			wi->pa = (e & PTE_ADDR_MASK & ~(page - 1)) | (va & (page - 1));
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return mmu_fault(va, "bad page-table walk");
}

int x86_walk_info(const struct mem *mem, const struct kvm_sregs *s, uint64_t va,
		  struct x86_walk_info *wi)
{
	bool nx = s->efer & EFER_NXE;
	uint64_t e;

	*wi = (struct x86_walk_info){ .w = true, .u = true, .x = true };
	if (!(s->cr0 & CR0_PG)) {
		wi->pa = va & 0xffffffffULL;
		return 0;
	}
	if (s->efer & EFER_LMA)
		return mmu_walk64(mem, s->cr3 & PTE_ADDR_MASK, va, s->cr4 & CR4_LA57 ? 5 : 4, nx, wi);
	va &= 0xffffffffULL;
	if (s->cr4 & CR4_PAE) {
		/* Four PDPTEs at cr3 (32-byte aligned; no R/W bit), then a two-level walk. */
		bool w = wi->w, u = wi->u;

		if (mmu_step(mem, wi, va, (s->cr3 & 0xffffffe0ULL) + (va >> 30) * 8, 8, "PDPT",
			     va >> 30, false, &e) < 0)
			return -EFAULT;
		wi->w = w, wi->u = u;
		return mmu_walk64(mem, e & PTE_ADDR_MASK, va, 2, nx, wi);
	}
	if (mmu_step(mem, wi, va, (s->cr3 & 0xfffff000ULL) + (va >> 22) * 4, 4, "PD", va >> 22,
		     false, &e) < 0)
		return -EFAULT;
	if ((e & PTE_PS) && (s->cr4 & CR4_PSE)) {
		/* 4 MiB page: bits 13-20 of the entry are physical bits 32-39. */
		wi->pa = (e & 0xffc00000ULL) | ((e >> 13) & 0xffULL) << 32 | (va & 0x3fffff);
		return 0;
	}
	if (mmu_step(mem, wi, va, (e & 0xfffff000ULL) + ((va >> 12) & 1023) * 4, 4, "PT",
		     (va >> 12) & 1023, false, &e) < 0)
		return -EFAULT;
	wi->pa = (e & 0xfffff000ULL) | (va & 0xfff);
	return 0;
}

int x86_walk(const struct mem *mem, const struct kvm_sregs *s, uint64_t va, uint64_t *pa)
{
	struct x86_walk_info wi;
	int r = x86_walk_info(mem, s, va, &wi);

	if (r == 0)
		*pa = wi.pa;
	return r;
}

/* ---- every mapping -------------------------------------------------------- */

#define MMU_MAX_ENTRIES (1u << 24) /* page-table entries one listing reads */

struct mmu_lister {
	const struct mem *mem;
	bool (*fn)(void *opaque, const struct arch_mapping *m);
	void *opaque;
	bool nx;           /* EFER.NXE: bit 63 forbids execution */
	unsigned va_bits;  /* 48 or 57 in long mode (sign-extended above), else 32 */
	unsigned long entries; /* read so far */
	bool stop;         /* fn said so, or too many entries */
};

/* Sends one mapping; false when the listing ends. */
static bool mmu_emit(struct mmu_lister *l, uint64_t va, uint64_t pa, uint64_t size, bool w,
		     bool u, bool x)
{
	struct arch_mapping m = { .size = size, .pa = pa, .write = w, .user = u, .exec = x };

	/* Canonical form: the top implemented bit copied upwards. */
	m.va = l->va_bits < 64 && (va >> (l->va_bits - 1) & 1) ? va | ~0ULL << l->va_bits : va;
	if (!l->fn(l->opaque, &m))
		l->stop = true;
	return !l->stop;
}

/* A PAE or long-mode table at level (1: page table) covering from base. */
static void mmu_list64(struct mmu_lister *l, uint64_t table, int level, uint64_t base, bool w,
		       bool u, bool x)
{
	unsigned shift = 12 + 9 * (unsigned)(level - 1);

	for (uint64_t i = 0; i < 512 && !l->stop; i++) {
		uint64_t e, va = base | i << shift;

		if (++l->entries > MMU_MAX_ENTRIES) {
			l->stop = true;
			return;
		}
		if (mmu_entry(l->mem, table + i * 8, 8, &e) < 0 || !(e & PTE_P))
			continue;
		bool ew = w && (e & PTE_RW), eu = u && (e & PTE_US);
		bool ex = x && !(l->nx && (e >> 63));

		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			uint64_t page = 1ULL << shift;

			mmu_emit(l, va, e & PTE_ADDR_MASK & ~(page - 1), page, ew, eu, ex);
			continue;
		}
		if (level > 1)
			mmu_list64(l, e & PTE_ADDR_MASK, level - 1, va, ew, eu, ex);
	}
}

int arch_page_map(struct vcpu *vcpu, bool (*fn)(void *opaque, const struct arch_mapping *m),
		  void *opaque)
{
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct mmu_lister l = { .fn = fn, .opaque = opaque, .va_bits = 32 };
	uint64_t e;

	if (!s)
		return -EIO;
	if (!(s->cr0 & CR0_PG))
		return err_set(ENOENT, "paging is off: virtual addresses are physical ones");
	l.mem = vcpu->arch->mem;
	l.nx = s->efer & EFER_NXE;
	if (s->efer & EFER_LMA) {
		int levels = s->cr4 & CR4_LA57 ? 5 : 4;

		l.va_bits = levels == 5 ? 57 : 48;
		mmu_list64(&l, s->cr3 & PTE_ADDR_MASK, levels, 0, true, true, true);
		return 0;
	}
	if (s->cr4 & CR4_PAE) {
		/* PDPTEs have no permission bits. */
		for (uint64_t i = 0; i < 4 && !l.stop; i++)
			if (mmu_entry(l.mem, (s->cr3 & 0xffffffe0ULL) + i * 8, 8, &e) == 0 &&
			    (e & PTE_P))
				mmu_list64(&l, e & PTE_ADDR_MASK, 2, i << 30, true, true, true);
		return 0;
	}
	for (uint64_t i = 0; i < 1024 && !l.stop; i++) {
		if (mmu_entry(l.mem, (s->cr3 & 0xfffff000ULL) + i * 4, 4, &e) < 0 || !(e & PTE_P))
			continue;
		bool w = e & PTE_RW, u = e & PTE_US;

		if ((e & PTE_PS) && (s->cr4 & CR4_PSE)) {
			mmu_emit(&l, i << 22, (e & 0xffc00000ULL) | ((e >> 13) & 0xffULL) << 32,
				 1ULL << 22, w, u, true);
			continue;
		}
		for (uint64_t j = 0; j < 1024 && !l.stop; j++) {
			uint64_t pte;

			if (mmu_entry(l.mem, (e & 0xfffff000ULL) + j * 4, 4, &pte) < 0 ||
			    !(pte & PTE_P))
				continue;
			mmu_emit(&l, i << 22 | j << 12, pte & 0xfffff000ULL, 4096,
				 w && (pte & PTE_RW), u && (pte & PTE_US), true);
		}
	}
	return 0;
}

int arch_virt_to_phys(struct vcpu *vcpu, uint64_t va, uint64_t *pa)
{
	struct kvm_sregs *s = x86_sregs(vcpu);

	return s ? x86_walk(vcpu->arch->mem, s, va, pa) : -EIO;
}

bool x86_read_linear(const struct mem *mem, const struct kvm_sregs *s, uint64_t va, void *buf,
		     size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t chunk = 0x1000 - (va & 0xfff);
		uint64_t pa = 0;

		if (chunk > len)
			chunk = len;
		if (x86_walk(mem, s, va, &pa) < 0 || mem_read(mem, pa, p, chunk) < 0)
			return false;
		va += chunk;
		p += chunk;
		len -= chunk;
	}
	return true;
}

bool x86_read_virt(struct vcpu *vcpu, uint64_t va, void *buf, size_t len)
{
	struct kvm_sregs *s = x86_sregs(vcpu);

	return s && x86_read_linear(vcpu->arch->mem, s, va, buf, len);
}

/* Writes guest-virtual bytes as a supervisor write of the CPU's own (an
 * event's frame): all or nothing; false if any byte is not mapped RAM or
 * (CR0.WP) is on a read-only page. The pages are marked dirty. */
bool x86_write_virt(struct vcpu *vcpu, uint64_t va, const void *buf, size_t len)
{
	struct kvm_sregs *s = x86_sregs(vcpu);
	uint64_t pa[2];
	size_t first = 0x1000 - (va & 0xfff);
	struct x86_walk_info wi;

	if (!s || len > 0x1000)
		return false;
	if (first > len)
		first = len;
	for (unsigned i = 0; i < 2; i++) {
		uint64_t at = i ? va + first : va;

		if (i && first == len)
			break;
		if (x86_walk_info(vcpu->arch->mem, s, at, &wi) < 0 || (!wi.w && (s->cr0 & CR0_WP)) ||
		    !mem_ptr(vcpu->arch->mem, wi.pa, i ? len - first : first))
			return false;
		pa[i] = wi.pa;
	}
	if (mem_write(vcpu->arch->mem, pa[0], buf, first) < 0)
		return false;
	return first == len || mem_write(vcpu->arch->mem, pa[1], (const uint8_t *)buf + first,
					 len - first) == 0;
}

bool x86_read_code(const struct mem *mem, const struct kvm_sregs *s, uint64_t pc, uint8_t *buf,
		   size_t len)
{
	size_t to_page_end = 0x1000 - (pc & 0xfff);

	memset(buf, 0, len);
	return x86_read_linear(mem, s, pc, buf, len) ||
	       (to_page_end < len && x86_read_linear(mem, s, pc, buf, to_page_end));
}

bool x86_read_insn(struct vcpu *vcpu, uint64_t pc, uint8_t *buf, size_t len)
{
	struct kvm_sregs *s = x86_sregs(vcpu);

	if (!s) {
		memset(buf, 0, len);
		return false;
	}
	return x86_read_code(vcpu->arch->mem, s, pc, buf, len);
}

/* Collects the pages of the tables in a walk: this table and those below. */
struct mmu_pages {
	uint64_t *pages; /* out */
	unsigned n, max; /* used, room */
};

static void mmu_add(struct mmu_pages *p, uint64_t gpa)
{
	if (p->n < p->max)
		p->pages[p->n++] = gpa & ~0xfffULL;
}

/* A table of 512 8-byte entries (PAE, long mode) or 1024 4-byte ones (32-bit). */
static void mmu_tables(const struct mem *mem, uint64_t table, int level, unsigned entry_size,
		       struct mmu_pages *p)
{
	unsigned n = entry_size == 8 ? 512 : 1024;
	/* The whole table at once: this runs at every resume while a
	 * watchpoint is set, over every entry of every table. */
	const uint8_t *t = mem_ptr(mem, table, 4096);

	mmu_add(p, table);
	if (level <= 1 || !t)
		return;
	for (unsigned i = 0; i < n && p->n < p->max; i++) {
		uint64_t e = 0;

		memcpy(&e, t + i * entry_size, entry_size);
		if (!(e & PTE_P) || (e & PTE_PS))
			continue;
		mmu_tables(mem, e & (entry_size == 8 ? PTE_ADDR_MASK : 0xfffff000ULL), level - 1,
			   entry_size, p);
	}
}

unsigned arch_system_pages(struct vcpu *vcpu, uint64_t *pages, unsigned max, unsigned *ndesc)
{
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct mmu_pages p = { .pages = pages, .max = max };
	uint64_t pa, e;

	if (ndesc)
		*ndesc = 0;
	if (!s)
		return 0;
	/* Descriptor tables and the TSS: the CPU reads them by linear address.
	 * Real mode has only the interrupt vector table (1 KiB). */
	bool prot = s->cr0 & CR0_PE;
	const struct { uint64_t base, limit; } tables[] = {
		{ s->idt.base, prot ? s->idt.limit : 0x3ff },
		{ s->gdt.base, prot ? s->gdt.limit : 0 },
		{ s->tr.base, prot ? s->tr.limit : 0 },
	};

	for (unsigned t = 0; t < 3; t++)
		for (uint64_t off = 0; tables[t].limit && off <= tables[t].limit + 0xfffULL;
		     off += 0x1000) {
			uint64_t la = tables[t].base + (off > tables[t].limit ? tables[t].limit : off);

			if (arch_virt_to_phys(vcpu, la, &pa) == 0)
				mmu_add(&p, pa);
		}
	if (ndesc)
		*ndesc = p.n;
	if (!(s->cr0 & CR0_PG))
		return p.n;
	if (s->efer & EFER_LMA) {
		mmu_tables(vcpu->arch->mem, s->cr3 & PTE_ADDR_MASK, s->cr4 & CR4_LA57 ? 5 : 4, 8, &p);
	} else if (s->cr4 & CR4_PAE) {
		mmu_add(&p, s->cr3 & 0xffffffe0ULL);
		for (unsigned i = 0; i < 4; i++)
			if (mmu_entry(vcpu->arch->mem, (s->cr3 & 0xffffffe0ULL) + i * 8, 8, &e) == 0 &&
			    (e & PTE_P))
				mmu_tables(vcpu->arch->mem, e & PTE_ADDR_MASK, 2, 8, &p);
	} else {
		mmu_tables(vcpu->arch->mem, s->cr3 & 0xfffff000ULL, 2, 4, &p);
	}
	return p.n;
}
