/*
 * Exceptions caught at their handler's entry (src/debug/catch.c): vector
 * names, the signal Linux gives a process for each, and the frame the CPU
 * pushed taken back off the stack, so that the registers are as they were
 * before delivery, the instruction that faulted at pc (SDM 6.12, 6.14).
 *
 * What it does not undo: a task gate's task switch, a change to virtual-8086
 * mode's segments, NMI blocking after an NMI, DR6 after a #DB. The frame's
 * bytes stay in memory below the stack pointer, as on hardware after an iret.
 */
#include "../arch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/kvm.h>

#include "../err.h"
#include "bits.h"
#include "x86.h"

static const char *const names[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", NULL, "TS", "NP",
	"SS", "GP", "PF", NULL, "MF", "AC", "MC", "XM", "VE", "CP",
};

int arch_vector_parse(const char *name)
{
	char *end;
	unsigned long v;

	if (name[0] == '#')
		name++;
	for (unsigned i = 0; i < 32; i++)
		if (names[i] && !strcasecmp(name, names[i]))
			return (int)i;
	if (!strcasecmp(name, "nmi"))
		return 2;
	if (name[0] < '0' || name[0] > '9')
		return -1;
	v = strtoul(name, &end, 0);
	return *end || v >= ARCH_MAX_VECTORS ? -1 : (int)v;
}

const char *arch_vector_name(unsigned vector)
{
	static const char *const hashed[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", NULL, "#TS", "#NP",
		"#SS", "#GP", "#PF", NULL, "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};

	return vector < 32 ? hashed[vector] : NULL;
}

enum arch_signal arch_vector_signal(unsigned vector)
{
	switch (vector) {
	case 1: case 3: return ARCH_SIG_TRAP;
	case 6: return ARCH_SIG_ILL;
	case 0: case 16: case 19: return ARCH_SIG_FPE;
	case 11: case 12: case 17: case 18: return ARCH_SIG_BUS;
	default: return vector < ARCH_FIRST_IRQ ? ARCH_SIG_SEGV : ARCH_SIG_IRQ;
	}
}

/* The exceptions the CPU pushes an error code for (protected and long mode). */
static bool has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* The state at the handler's entry, kept in arch_caught.entry. */
struct entry_state {
	uint64_t rip, rsp, rflags;
	struct kvm_segment cs, ss;
};
_Static_assert(sizeof(struct entry_state) <= sizeof(((struct arch_caught *)0)->entry),
	       "arch_caught.entry holds the entry state");

/* A frame's CS and RFLAGS look like ones the CPU pushed. */
static bool frame_plausible(uint64_t cs, uint64_t rflags)
{
	return cs < 0x10000 && (cs & ~3ULL) && (rflags & 2) && !(rflags >> 22);
}

/* The segment a frame's selector names: the one in place if it is the same. */
static bool frame_segment(struct vcpu *vcpu, const struct kvm_sregs *s, uint16_t sel,
			  const struct kvm_segment *now, bool lm, struct kvm_segment *seg)
{
	if (sel == now->selector) {
		*seg = *now;
		return true;
	}
	if (lm && !(sel & ~3)) {
		/* A null SS in 64-bit mode. */
		*seg = *now;
		seg->selector = sel;
		seg->dpl = sel & 3;
		return true;
	}
	if (!x86_gdt_segment(vcpu, s, sel, seg))
		return false;
	if (seg->s)
		seg->type |= 1; /* accessed */
	return true;
}

/* Real mode: IP, CS, FLAGS, 16 bits each, no error codes. */
static int undo_real(struct vcpu *vcpu, struct kvm_regs *r, struct kvm_sregs *s,
		     struct arch_caught *c)
{
	uint16_t f[3];

	if (!x86_read_virt(vcpu, s->ss.base + (r->rsp & 0xffff), f, sizeof(f)))
		return err_set(EFAULT, "no interrupt frame on the stack at %#llx",
			       (unsigned long long)(s->ss.base + (r->rsp & 0xffff)));
	c->pc = ((uint64_t)f[1] << 4) + f[0];
	c->cs = f[1];
	r->rip = f[0];
	r->rflags = (r->rflags & ~0xffffULL) | f[2] | 2;
	r->rsp = (r->rsp & ~0xffffULL) | ((r->rsp + 6) & 0xffff);
	s->cs.selector = f[1];
	s->cs.base = (uint64_t)f[1] << 4;
	return 0;
}

int arch_catch_undo(struct vcpu *vcpu, unsigned vector, struct arch_caught *c)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct entry_state e;
	uint64_t f[6] = { 0 };
	uint8_t raw[48] = { 0 };
	unsigned w, k;
	bool lm;

	if (!r || !s)
		return -EIO;
	*c = (struct arch_caught){ .vector = vector, .handler = r->rip };
	e = (struct entry_state){ .rip = r->rip, .rsp = r->rsp, .rflags = r->rflags,
				  .cs = s->cs, .ss = s->ss };
	memcpy(c->entry, &e, sizeof(e));
	c->cr2 = s->cr2;
	if (!(s->cr0 & CR0_PE)) {
		int ret = undo_real(vcpu, r, s, c);

		if (ret == 0) {
			x86_regs_changed(vcpu);
			x86_sregs_changed(vcpu);
		}
		return ret;
	}
	lm = s->efer & EFER_LMA;
	w = lm ? 8 : 4;
	/* (Six slots, or four where the stack's page ends sooner.) */
	if (!x86_read_virt(vcpu, s->ss.base + r->rsp, raw, 6 * w) &&
	    !x86_read_virt(vcpu, s->ss.base + r->rsp, raw, 4 * w))
		return err_set(EFAULT, "no exception frame on the stack at %#llx",
			       (unsigned long long)(s->ss.base + r->rsp));
	for (unsigned i = 0; i < 6; i++)
		memcpy(&f[i], raw + i * w, w);
	/* With an error code on top, or without one (int n raised the vector). */
	k = has_error_code(vector) ? 1 : 0;
	if (k && !frame_plausible(f[2], f[3]) && frame_plausible(f[1], f[2])) {
		k = 0;
		c->soft = true;
	}
	if (!frame_plausible(f[k + 1], f[k + 2]))
		return err_set(EPROTO, "the stack at %#llx holds no frame of vector %u (cs %#llx, "
			       "rflags %#llx)", (unsigned long long)(s->ss.base + r->rsp), vector,
			       (unsigned long long)f[k + 1], (unsigned long long)f[k + 2]);
	c->has_error = k;
	c->error = k ? f[0] : 0;
	c->pc = f[k];
	c->cs = (uint16_t)f[k + 1];
	/* Where the stack was: in long mode always in the frame; in protected
	 * mode only after a change of privilege. */
	struct kvm_segment cs, ss = s->ss;
	uint16_t cs_sel = (uint16_t)f[k + 1];
	bool outer = lm || (cs_sel & 3) != s->cs.dpl;
	uint64_t sp = outer ? f[k + 3] : r->rsp + (k + 3) * w;

	if (!frame_segment(vcpu, s, cs_sel, &s->cs, lm, &cs) ||
	    (outer && !frame_segment(vcpu, s, (uint16_t)f[k + 4], &s->ss, lm, &ss)))
		return err_set(EPROTO, "the frame's selectors (cs %#x) are not in the GDT", cs_sel);
	r->rip = f[k];
	r->rflags = f[k + 2];
	r->rsp = lm ? sp : (uint32_t)sp;
	s->cs = cs;
	s->ss = ss;
	x86_regs_changed(vcpu);
	x86_sregs_changed(vcpu);
	return 0;
}

int arch_catch_redo(struct vcpu *vcpu, const struct arch_caught *c)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct entry_state e;

	if (!r || !s)
		return -EIO;
	memcpy(&e, c->entry, sizeof(e));
	r->rip = e.rip;
	r->rsp = e.rsp;
	r->rflags = e.rflags;
	s->cs = e.cs;
	s->ss = e.ss;
	/* The fault's address again, should the user have changed it. */
	if (c->vector == 14 && !c->soft)
		s->cr2 = c->cr2;
	x86_regs_changed(vcpu);
	x86_sregs_changed(vcpu);
	return 0;
}

size_t arch_catch_describe(const struct arch_caught *c, char *out, size_t len)
{
	const char *name = arch_vector_name(c->vector);
	size_t n = 0;

#define PUT(...)                                                                        \
	do {                                                                            \
		int m_ = snprintf(out + n, len - n, __VA_ARGS__);                       \
		n = m_ < 0 ? n : n + (size_t)m_ < len ? n + (size_t)m_ : len - 1;       \
	} while (0)
	if (!len)
		return 0;
	out[0] = '\0';
	if (c->soft)
		PUT("int $%#x", c->vector);
	else if (name)
		PUT("exception %s", name);
	else
		PUT("interrupt vector %#x", c->vector);
	if (c->has_error) {
		PUT(" error 0x%llx", (unsigned long long)c->error);
		if (c->vector == 14)
			PUT(" (%s, %s, %s%s%s)", c->error & 1 ? "protection" : "not present",
			    c->error & 0x10 ? "fetch" : c->error & 2 ? "write" : "read",
			    c->error & 4 ? "user" : "supervisor",
			    c->error & 8 ? ", reserved bit" : "", c->error & 0x20 ? ", pkey" : "");
		else if (c->error && c->vector != 8 && c->vector != 17)
			PUT(" (%s selector %#llx%s)",
			    c->error & 2 ? "IDT" : c->error & 4 ? "LDT" : "GDT",
			    (unsigned long long)(c->error & 2 ? (c->error >> 3) : (c->error & ~7ULL)),
			    c->error & 1 ? ", external" : "");
	}
	if (c->vector == 14 && !c->soft)
		PUT(" cr2 %#llx", (unsigned long long)c->cr2);
#undef PUT
	return n;
}
