/*
 * A triple fault explained in words, as Bochs explains it: from the state the
 * vCPU shut down in (rip at the instruction that faulted first), the fault
 * that instruction takes (its fetch, ud2, int n, the memory operand it reads
 * or writes, through the page tables), then each delivery the CPU tries and
 * why it fails (the IDT's limit, the gate's type and presence, the handler's
 * code segment in the GDT, the stack the frame goes onto), with the rules
 * that turn two faults into a #DF and a fault delivering #DF into the
 * shutdown. Everything is read from guest RAM and the registers; nothing is
 * written.
 *
 * What it does not follow: task gates and task switches, LDT selectors,
 * segment limits in protected mode (flat segments are assumed), and faults
 * the instruction's execution raises beyond its memory operand (a #GP of
 * wrmsr, say): then it says it does not see the first fault, and gives what
 * it found about delivering one.
 */
#include "../arch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

#include "../disasm.h"
#include "../mem.h"
#include "../symbols.h"
#include "x86.h"

enum { X_DE = 0, X_DB = 1, X_BP = 3, X_UD = 6, X_DF = 8, X_TS = 10, X_NP = 11, X_SS = 12,
       X_GP = 13, X_PF = 14 };

#define EXPLAIN_MAX_EVENTS 8 /* deliveries followed before giving up */

/* An exception: vector, error code (-1: none), whether a software interrupt
 * raised it (gate DPL checked, no EXT bit), and its fault address (#PF). */
struct xev {
	unsigned vector;
	int64_t error;
	bool soft;
	uint64_t cr2;
};

struct explain {
	const struct mem *mem;
	const struct kvm_regs *r;
	const struct kvm_sregs *s;
	const struct symtab *syms;
	char *out;
	size_t len, pos;
	bool lm;
	unsigned cpl;
};

static void say(struct explain *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct explain *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->pos >= x->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->out + x->pos, x->len - x->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->pos = x->pos + (size_t)n < x->len ? x->pos + (size_t)n : x->len - 1;
}

static const char *const xnames[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* "#GP(0x73)", "#PF", "int 0x80". */
static void say_event(struct explain *x, const struct xev *e)
{
	if (e->soft && e->vector != X_BP)
		say(x, "int %#x", e->vector);
	else if (e->vector < 32 && xnames[e->vector])
		say(x, "%s", xnames[e->vector]);
	else
		say(x, "vector %u", e->vector);
	if (e->error >= 0 && e->vector != X_PF && e->vector != X_DF)
		say(x, "(%#llx)", (unsigned long long)e->error);
}

static void say_addr(struct explain *x, uint64_t a)
{
	char sym[160];

	say(x, "%#llx", (unsigned long long)a);
	if (!x->syms)
		return;
	symbols_format(x->syms, a, sym, sizeof(sym));
	if (sym[0])
		say(x, " <%s>", sym);
}

/* The double-fault classes (SDM 6.15, table 6-4). */
static bool contributory(unsigned v)
{
	return v == X_DE || (v >= X_TS && v <= X_GP);
}

/* A page fault of an access at va of the kind given (the error code's W and
 * I bits), or none; *e the #PF with its error code. */
static bool page_fault(struct explain *x, uint64_t va, bool write, bool fetch, bool user,
		       struct xev *e, struct x86_walk_info *wi)
{
	*e = (struct xev){ .vector = X_PF, .cr2 = va };
	uint64_t err = (write ? 2 : 0) | (user ? 4 : 0) |
		       (fetch && ((x->s->efer & EFER_NXE) || (x->s->cr4 & CR4_SMEP)) ? 0x10 : 0);

	if (x86_walk_info(x->mem, x->s, va, wi) < 0) {
		e->error = (int64_t)err;
		return true;
	}
	e->error = (int64_t)(err | 1);
	if (user && !wi->u) {
		snprintf(wi->why, sizeof(wi->why), "a supervisor page");
		return true;
	}
	if (write && !wi->w && (user || (x->s->cr0 & CR0_WP))) {
		snprintf(wi->why, sizeof(wi->why), "a read-only page");
		return true;
	}
	if (fetch && !wi->x) {
		snprintf(wi->why, sizeof(wi->why), "a page not executable (NX)");
		return true;
	}
	return false;
}

/* Whether [va, va + n) is accessible as asked; else *e and the words. */
static bool range_faults(struct explain *x, uint64_t va, uint64_t n, bool write, bool user,
			 struct xev *e, struct x86_walk_info *wi)
{
	if (n && page_fault(x, va, write, false, user, e, wi))
		return true;
	return n > 1 && ((va ^ (va + n - 1)) & ~0xfffULL) &&
	       page_fault(x, va + n - 1, write, false, user, e, wi);
}

/* Reads guest-virtual bytes as the CPU's supervisor access; false with the
 * fault in *e (and its words said) if they are not there. */
static bool read_sys(struct explain *x, uint64_t va, void *buf, size_t n, const char *what,
		     struct xev *e)
{
	struct x86_walk_info wi;

	if (range_faults(x, va, n, false, false, e, &wi)) {
		say(x, "reading %s at %#llx: %s", what, (unsigned long long)e->cr2, wi.why);
		return false;
	}
	if (!x86_read_linear(x->mem, x->s, va, buf, n)) {
		say(x, "%s at %#llx is not in RAM", what, (unsigned long long)va);
		*e = (struct xev){ .vector = X_GP, .error = 0 };
		return false;
	}
	return true;
}

static bool canonical(const struct explain *x, uint64_t va)
{
	unsigned bits = x->s->cr4 & CR4_LA57 ? 57 : 48;

	return (uint64_t)((int64_t)(va << (64 - bits)) >> (64 - bits)) == va;
}

/* A #GP, #NP, #TS or #SS about a selector or vector, with EXT for an event
 * not raised by the program. */
static void fault_with(struct xev *next, unsigned vector, uint64_t code, const struct xev *e)
{
	*next = (struct xev){ .vector = vector, .error = (int64_t)(code | !e->soft) };
}

/* The handler's code segment: true if good (its DPL in *dpl). */
static bool code_segment(struct explain *x, unsigned v, uint16_t sel, const struct xev *e,
			 struct xev *next, unsigned *dpl)
{
	uint8_t d[8];

	if (!(sel & ~3)) {
		say(x, "gate %u names the null selector", v);
		fault_with(next, X_GP, 0, e);
		return false;
	}
	if (sel & 4) {
		say(x, "gate %u names LDT selector %#x (kvmdbg does not follow the LDT)", v, sel);
		next->vector = ~0u;
		return false;
	}
	if ((sel | 7u) > x->s->gdt.limit) {
		say(x, "gate %u's selector %#x is beyond the GDT's limit 0x%x", v, sel, x->s->gdt.limit);
		fault_with(next, X_GP, sel & ~3u, e);
		return false;
	}
	if (!read_sys(x, x->s->gdt.base + (sel & ~7u), d, sizeof(d), "the GDT", next))
		return false;
	*dpl = (d[5] >> 5) & 3;
	if (!(d[5] & 0x10) || !(d[5] & 0x08)) {
		say(x, "gate %u's selector %#x is not a code segment (descriptor type %#x)", v, sel,
		    d[5] & 0x1f);
		fault_with(next, X_GP, sel & ~3u, e);
		return false;
	}
	if (*dpl > x->cpl) {
		say(x, "gate %u's code segment %#x has DPL %u, above CPL %u", v, sel, *dpl, x->cpl);
		fault_with(next, X_GP, sel & ~3u, e);
		return false;
	}
	if (!(d[5] & 0x80)) {
		say(x, "gate %u's code segment %#x is not present", v, sel);
		fault_with(next, X_NP, sel & ~3u, e);
		return false;
	}
	if (x->lm && (!((d[6] >> 5) & 1) || ((d[6] >> 6) & 1))) {
		say(x, "gate %u's code segment %#x is not 64-bit code (L=%u D=%u)", v, sel,
		    (d[6] >> 5) & 1, (d[6] >> 6) & 1);
		fault_with(next, X_GP, sel & ~3u, e);
		return false;
	}
	if (d[5] & 0x04)
		*dpl = x->cpl; /* conforming: the privilege stays */
	return true;
}

/* The stack the frame goes onto and its size; false with the fault said. */
static bool frame_stack(struct explain *x, unsigned v, unsigned ist, unsigned dpl, unsigned gate16,
			const struct xev *e, struct xev *next, uint64_t *sp, uint64_t *size)
{
	const struct kvm_sregs *s = x->s;
	unsigned words = 3 + (e->error >= 0) + (dpl < x->cpl ? 2 : 0);

	if (x->lm) {
		uint64_t at = ist ? 0x1c + ist * 8ULL : 4 + dpl * 8ULL;

		*sp = x->r->rsp;
		if (ist || dpl < x->cpl) {
			if (at + 7 > s->tr.limit) {
				say(x, "the TSS's limit 0x%x cannot hold %s%u", s->tr.limit,
				    ist ? "IST" : "RSP", ist ? ist : dpl);
				fault_with(next, X_TS, s->tr.selector & ~3u, e);
				return false;
			}
			if (!read_sys(x, s->tr.base + at, sp, 8, "the TSS", next))
				return false;
		}
		*sp &= ~0xfULL;
		*size = (5 + (e->error >= 0)) * 8ULL;
		if (!canonical(x, *sp)) {
			say(x, "the stack pointer %#llx for gate %u is not canonical",
			    (unsigned long long)*sp, v);
			fault_with(next, X_SS, 0, e);
			return false;
		}
		return true;
	}
	uint64_t base = s->ss.base, esp = s->ss.db ? (uint32_t)x->r->rsp : (uint16_t)x->r->rsp;

	if (dpl < x->cpl) {
		uint32_t esp0;
		uint16_t ss0;
		uint8_t d[8];

		if (4 + dpl * 8 + 5 > s->tr.limit) {
			say(x, "the TSS's limit 0x%x cannot hold SS%u:ESP%u", s->tr.limit, dpl, dpl);
			fault_with(next, X_TS, s->tr.selector & ~3u, e);
			return false;
		}
		if (!read_sys(x, s->tr.base + 4 + dpl * 8, &esp0, 4, "the TSS", next) ||
		    !read_sys(x, s->tr.base + 8 + dpl * 8, &ss0, 2, "the TSS", next))
			return false;
		if (!(ss0 & ~3) || (ss0 & 4) || (ss0 | 7u) > s->gdt.limit) {
			say(x, "the TSS's SS%u %#x is no GDT selector", dpl, ss0);
			fault_with(next, X_TS, ss0 & ~3u, e);
			return false;
		}
		if (!read_sys(x, s->gdt.base + (ss0 & ~7u), d, sizeof(d), "the GDT", next))
			return false;
		base = d[2] | d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24;
		esp = esp0;
	}
	*size = words * (gate16 ? 2ULL : 4ULL);
	*sp = (uint32_t)(base + esp);
	return true;
}

/* Whether the CPU can deliver e; if not, the next fault in *next (vector
 * ~0u: kvmdbg cannot tell) and the reason said. */
static bool deliverable(struct explain *x, const struct xev *e, struct xev *next)
{
	const struct kvm_sregs *s = x->s;
	unsigned v = e->vector;

	if (!(s->cr0 & CR0_PE)) {
		uint16_t ivt[2];

		if (v * 4 + 3 > s->idt.limit) {
			say(x, "the IVT's limit 0x%x cannot hold vector %u", s->idt.limit, v);
			*next = (struct xev){ .vector = X_GP, .error = -1 };
			return false;
		}
		if (!read_sys(x, s->idt.base + v * 4, ivt, sizeof(ivt), "the IVT", next))
			return false;
		say(x, "IVT entry %u leads to %04x:%04x", v, ivt[1], ivt[0]);
		return true;
	}
	unsigned size = x->lm ? 16 : 8;
	uint8_t g[16];

	if ((uint64_t)v * size + size - 1 > s->idt.limit) {
		say(x, "IDT limit 0x%x cannot hold vector %u", s->idt.limit, v);
		fault_with(next, X_GP, v * 8 + 2, e);
		return false;
	}
	if (!read_sys(x, s->idt.base + v * size, g, size, "the IDT", next))
		return false;
	unsigned type = g[5] & 0xf, dpl = (g[5] >> 5) & 3, cs_dpl = 0;

	if (!x->lm && type == 5) {
		say(x, "gate %u is a task gate (kvmdbg does not follow task switches)", v);
		next->vector = ~0u;
		return false;
	}
	if (type != 0xe && type != 0xf && (x->lm || (type != 6 && type != 7))) {
		say(x, "gate %u has type 0x%x, not %s interrupt or trap gate", v, type,
		    x->lm ? "a 64-bit" : "an");
		fault_with(next, X_GP, v * 8 + 2, e);
		return false;
	}
	if (e->soft && dpl < x->cpl) {
		say(x, "gate %u's DPL %u is below CPL %u", v, dpl, x->cpl);
		fault_with(next, X_GP, v * 8 + 2, e);
		return false;
	}
	if (!(g[5] & 0x80)) {
		say(x, "gate %u is not present", v);
		fault_with(next, X_NP, v * 8 + 2, e);
		return false;
	}
	uint16_t sel = (uint16_t)(g[2] | g[3] << 8);
	uint64_t off = g[0] | g[1] << 8 | (uint32_t)g[6] << 16 | (uint32_t)g[7] << 24;

	if (x->lm)
		off |= (uint64_t)(g[8] | g[9] << 8 | (uint32_t)g[10] << 16 | (uint32_t)g[11] << 24)
		       << 32;
	if (!code_segment(x, v, sel, e, next, &cs_dpl))
		return false;
	if (x->lm && !canonical(x, off)) {
		say(x, "gate %u's handler %#llx is not canonical", v, (unsigned long long)off);
		fault_with(next, X_GP, 0, e);
		return false;
	}
	uint64_t sp, n;
	struct x86_walk_info wi;

	if (!frame_stack(x, v, x->lm ? g[4] & 7 : 0, cs_dpl, type < 8, e, next, &sp, &n))
		return false;
	if (range_faults(x, sp - n, n, true, false, next, &wi)) {
		say(x, "pushing the frame at %#llx: %s", (unsigned long long)next->cr2, wi.why);
		return false;
	}
	say(x, "gate %u leads to ", v);
	say_addr(x, x->lm ? off : (uint32_t)off);
	return true;
}

/* The fault of the instruction at pc, with its words; false if none is seen. */
static bool first_fault(struct explain *x, uint64_t pc, unsigned bits, struct xev *e)
{
	uint8_t insn[16] = { 0 };
	struct x86_walk_info wi;
	bool user = x->cpl == 3, store = false;
	uint64_t la;
	unsigned size;

	if (page_fault(x, pc, false, true, user, e, &wi)) {
		say(x, "#PF fetching the instruction at ");
		say_addr(x, pc);
		say(x, ": %s", wi.why);
		return true;
	}
	x86_read_code(x->mem, x->s, pc, insn, sizeof(insn));
	struct x86_prefixes p;
	size_t at = x86_prefixes(insn, sizeof(insn), bits, &p);

	if (insn[at] == 0x0f && insn[at + 1] == 0x0b) {
		*e = (struct xev){ .vector = X_UD, .error = -1 };
		say(x, "#UD at ");
		say_addr(x, pc);
		say(x, ": ud2");
		return true;
	}
	if (insn[at] == 0xcc || insn[at] == 0xcd) {
		*e = (struct xev){ .vector = insn[at] == 0xcc ? X_BP : insn[at + 1], .error = -1,
				   .soft = true };
		say_event(x, e);
		say(x, " at ");
		say_addr(x, pc);
		return true;
	}
	char text[128];

	if (disasm_one(bits, pc, insn, sizeof(insn), NULL, text, sizeof(text)) <= 0 ||
	    !strncmp(text, "(bad)", 5)) {
		*e = (struct xev){ .vector = X_UD, .error = -1 };
		say(x, "#UD at ");
		say_addr(x, pc);
		say(x, ": no instruction (%02x %02x %02x)", insn[0], insn[1], insn[2]);
		return true;
	}
	if (!x86_operand_access(x->r, x->s, bits, pc, insn, sizeof(insn), &la, &size, &store))
		return false;
	const char *how = store ? "writing" : "reading";

	if (x->lm && bits == 64 && (!canonical(x, la) || !canonical(x, la + size - 1))) {
		*e = (struct xev){ .vector = X_GP, .error = 0 };
		say(x, "#GP(0) at ");
		say_addr(x, pc);
		say(x, " %s %#llx: not a canonical address", how, (unsigned long long)la);
		return true;
	}
	if (!range_faults(x, la, size, store, user, e, &wi))
		return false;
	say(x, "#PF at ");
	say_addr(x, pc);
	say(x, " %s %#llx: %s", how, (unsigned long long)e->cr2, wi.why);
	return true;
}

size_t x86_explain(const struct mem *mem, const struct kvm_regs *r, const struct kvm_sregs *s,
		   const struct symtab *syms, char *out, size_t len)
{
	struct explain x = { .mem = mem, .r = r, .s = s, .syms = syms, .out = out, .len = len };
	bool prot = s->cr0 & CR0_PE;
	unsigned bits = !prot ? 16 : (s->efer & EFER_LMA) && s->cs.l ? 64 : s->cs.db ? 32 : 16;
	uint64_t pc = bits == 64 ? r->rip : !prot ? s->cs.base + (uint16_t)r->rip :
			(uint32_t)(s->cs.base + r->rip);
	struct xev e, next;

	if (!len)
		return 0;
	out[0] = '\0';
	x.lm = s->efer & EFER_LMA;
	x.cpl = prot ? s->ss.dpl : 0;
	if (!first_fault(&x, pc, bits, &e)) {
		/* What kvmdbg can still say: whether a #DF could be delivered. */
		say(&x, "no fault kvmdbg can see in the instruction at ");
		say_addr(&x, pc);
		say(&x, "; a #DF: ");
		e = (struct xev){ .vector = X_DF, .error = 0 };
		if (deliverable(&x, &e, &next))
			say(&x, " (deliverable)");
		else
			say(&x, " → shutdown");
		return x.pos;
	}
	say(&x, "; delivering ");
	say_event(&x, &e);
	say(&x, ": ");
	for (unsigned n = 0; n < EXPLAIN_MAX_EVENTS; n++) {
		if (deliverable(&x, &e, &next)) {
			say(&x, " (kvmdbg does not see why that fails)");
			return x.pos;
		}
		if (next.vector == ~0u)
			return x.pos;
		if (e.vector == X_DF) {
			say(&x, " → shutdown");
			return x.pos;
		}
		say(&x, " → ");
		say_event(&x, &next);
		if ((e.vector == X_PF && (next.vector == X_PF || contributory(next.vector))) ||
		    (contributory(e.vector) && contributory(next.vector))) {
			e = (struct xev){ .vector = X_DF, .error = 0 };
			say(&x, " → #DF: ");
		} else {
			e = next;
			say(&x, "; delivering ");
			say_event(&x, &e);
			say(&x, ": ");
		}
	}
	say(&x, " …");
	return x.pos;
}

size_t arch_explain_shutdown(struct vcpu *vcpu, const struct symtab *syms, char *out, size_t len)
{
	const struct kvm_regs *r = x86_regs(vcpu);
	const struct kvm_sregs *s = x86_sregs(vcpu);

	if (!r || !s) {
		if (len)
			out[0] = '\0';
		return 0;
	}
	return x86_explain(vcpu->arch->mem, r, s, syms, out, len);
}
