/*
 * REP MOVS and REP STOS on code kvmdbg runs by single steps (a page it lent
 * back, vcpu_page_ops). Where every iteration of a string instruction traps
 * (VMX and SVM: PLATFORM.md), a `rep stos` clearing a kernel's BSS would take
 * a step per element. Once the CPU has run an iteration itself (its checks
 * passed, the pages' accessed and dirty bits set), the iterations whose
 * memory stays on the same pages run here, on guest RAM; the last iteration
 * is left to the CPU, so it ends the instruction and moves rip itself.
 */
#include "../arch.h"

#include <string.h>
#include <linux/kvm.h>

#include "../mem.h"
#include "x86.h"

/* A decoded REP MOVS or STOS. */
struct rep_insn {
	bool movs;                 /* else stos */
	unsigned size;             /* bytes an iteration moves */
	unsigned addr_bits;        /* 16, 32 or 64 */
	const struct kvm_segment *src; /* DS or the override: movs reads there */
};

/* Decodes the instruction at the start of insn (bits-bit code); false if it
 * is not REP (F3) MOVS or STOS, or has a prefix this does not handle. */
static bool rep_decode(const struct kvm_sregs *s, unsigned bits, const uint8_t *insn, size_t n,
		       struct rep_insn *d)
{
	struct x86_prefixes p;
	size_t i = x86_prefixes(insn, n, bits, &p);

	/* F2 and LOCK are not handled. */
	if (!p.rep || p.repne || p.lock || i >= n ||
	    ((insn[i] & ~1) != 0xa4 && (insn[i] & ~1) != 0xaa))
		return false;
	/* 32-bit addresses in 64-bit code: ECX's update would need the
	 * zero-extension rules; left to the CPU. */
	if (bits == 64 && p.addrsize)
		return false;
	d->movs = (insn[i] & ~1) == 0xa4;
	if (!(insn[i] & 1))
		d->size = 1;
	else if (p.rex & 0x08)
		d->size = 8;
	else
		d->size = (bits == 16) != p.opsize ? 2 : 4;
	d->addr_bits = bits == 64 ? 64 : (bits == 16) != p.addrsize ? 16 : 32;
	switch (p.seg) {
	case 0x26: d->src = &s->es; break;
	case 0x2e: d->src = &s->cs; break;
	case 0x36: d->src = &s->ss; break;
	case 0x64: d->src = &s->fs; break;
	case 0x65: d->src = &s->gs; break;
	default: d->src = &s->ds; break;
	}
	return true;
}

/* One side of the string: its offset register, and where the next element
 * lies in the guest's memory and in kvmdbg's. */
struct rep_side {
	uint64_t off;
	uint64_t gpa;
	uint8_t *host;
};

/* A segment as the string instruction sees it: 64-bit code has no limits
 * and only FS and GS have a base there. */
struct rep_seg {
	uint64_t base, limit;
	bool long_mode;
	bool cpu_only; /* an expand-down data segment: its limit is a floor */
};

static struct rep_seg rep_seg(const struct kvm_sregs *s, const struct kvm_segment *seg, bool long_mode)
{
	if (long_mode)
		return (struct rep_seg){ .base = seg == &s->fs || seg == &s->gs ? seg->base : 0,
					 .long_mode = true };
	if (seg->s && (seg->type & 0xc) == 0x4)
		return (struct rep_seg){ .cpu_only = true };
	return (struct rep_seg){ .base = seg->base, .limit = seg->limit };
}

/*
 * How many elements from side->off on (moving by step, size bytes each, the
 * offset amask wide) lie on the page the previous element lay on (the CPU
 * has just written or read it), within the segment and without the offset
 * wrapping; where the first lies in side. 0 if none, or if the page is not
 * plain RAM.
 */
static uint64_t rep_room(struct vcpu *vcpu, const struct rep_seg *seg, uint64_t amask, int64_t step,
			 unsigned size, struct rep_side *side,
			 bool (*plain)(void *opaque, uint64_t gpa), void *opaque)
{
	const uint64_t page_mask = ~(uint64_t)(MEM_PAGE - 1);
	uint64_t lmask = seg->long_mode ? ~0ULL : 0xffffffffULL;
	uint64_t off = side->off & amask, prev = (off - (uint64_t)step) & amask;
	uint64_t la = (seg->base + off) & lmask, page = (seg->base + prev) & lmask & page_mask;
	uint64_t n, pa;
	uint8_t *host;

	if (seg->cpu_only || off + size - 1 > amask || (la & page_mask) != page ||
	    ((la + size - 1) & page_mask) != page)
		return 0;
	if (step > 0) {
		n = (page + MEM_PAGE - la) / size;
		if (off + n * size - 1 > amask)
			n = (amask - off + 1) / size;
	} else {
		n = (la - page) / size + 1;
		if (off / size + 1 < n)
			n = off / size + 1;
	}
	if (!seg->long_mode) {
		uint64_t high = step > 0 ? off + n * size - 1 : off + size - 1;

		if (high > seg->limit)
			return 0;
	}
	if (arch_virt_to_phys(vcpu, la, &pa) < 0 || !plain(opaque, pa & page_mask) ||
	    !(host = mem_ptr(vcpu->arch->mem, pa & page_mask, MEM_PAGE)))
		return 0;
	side->gpa = pa;
	side->host = host + (pa & (MEM_PAGE - 1));
	return n;
}

uint64_t arch_rep_advance(struct vcpu *vcpu, bool (*plain)(void *opaque, uint64_t gpa), void *opaque)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	uint8_t insn[15];
	struct rep_insn d;

	if (!r || !s || !plain)
		return 0;
	unsigned bits = arch_code_bits(vcpu);
	uint64_t pc = (bits == 64 ? 0 : s->cs.base) + r->rip;

	if (!x86_read_insn(vcpu, pc, insn, sizeof(insn)) ||
	    !rep_decode(s, bits, insn, sizeof(insn), &d))
		return 0;

	uint64_t amask = d.addr_bits == 64 ? ~0ULL : (1ULL << d.addr_bits) - 1;
	uint64_t count = r->rcx & amask, n, m;
	int64_t step = r->rflags & RFLAGS_DF ? -(int64_t)d.size : (int64_t)d.size;
	struct rep_seg es = rep_seg(s, &s->es, bits == 64), ds = rep_seg(s, d.src, bits == 64);
	struct rep_side dst = { .off = r->rdi }, src = { .off = r->rsi };

	/* The last iteration stays the CPU's. */
	if (count < 2)
		return 0;
	n = rep_room(vcpu, &es, amask, step, d.size, &dst, plain, opaque);
	if (n && d.movs && (m = rep_room(vcpu, &ds, amask, step, d.size, &src, plain, opaque)) < n)
		n = m;
	if (n > count - 1)
		n = count - 1;
	if (!n)
		return 0;

	/* Element by element, in the CPU's order: an overlapping MOVS repeats
	 * what it copied, as on the CPU. */
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *to = dst.host + (int64_t)i * step;

		if (d.movs)
			memmove(to, src.host + (int64_t)i * step, d.size);
		else
			memcpy(to, &r->rax, d.size);
	}
	mem_mark(vcpu->arch->mem, step > 0 ? dst.gpa : dst.gpa - (n - 1) * d.size, n * d.size);
	r->rcx = (r->rcx & ~amask) | ((count - n) & amask);
	r->rdi = (r->rdi & ~amask) | ((r->rdi + (uint64_t)step * n) & amask);
	if (d.movs)
		r->rsi = (r->rsi & ~amask) | ((r->rsi + (uint64_t)step * n) & amask);
	x86_regs_changed(vcpu);
	return n;
}
