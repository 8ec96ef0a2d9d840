/*
 * Event delivery done by kvmdbg as the CPU does it, where KVM cannot: int3
 * and int n that PVM's emulator fails on at CPL0 or whose page is out of the
 * map, the guest's own int3 that VMX and SVM report to kvmdbg, and an event
 * whose frame goes onto a page a watchpoint took away (VMX refuses those:
 * "event delivery failed"). The common case is done here: real mode through
 * the IVT, and protected or long mode through an interrupt or trap gate to
 * code of the same privilege (IST stacks included). The gate checks that
 * fail raise #GP or #NP as the CPU would. Anything else (a task gate, a
 * 16-bit gate, a change of privilege, virtual-8086 mode) is left to KVM to
 * inject, as before.
 *
 * Injecting is what the CPU does best, but not everywhere: VMX refuses to
 * enter with an external interrupt injected while IF is 0 (how int n would
 * otherwise go in), a soft interrupt's length is KVM's to give, and a
 * delivery that clears the single step's TF runs the handler unseen. A
 * delivery done here leaves the vCPU at the handler's first instruction on
 * every host, its state all in registers and RAM (so checkpoints hold it).
 *
 * What the CPU does and this does not: the accessed and dirty bits of the
 * page-table entries and of the descriptor of a CS loaded from the GDT are
 * not set (the stack and the kernel's CS are normally in use already).
 */
#include "../arch.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "../err.h"
#include "x86.h"

#define RFLAGS_NT (1ULL << 14) /* nested task */
#define RFLAGS_AC (1ULL << 18) /* alignment check */
#define X86_GP_VECTOR 13
#define X86_NP_VECTOR 11
#define X86_INTO 0xce

enum { DELIVER_DONE, DELIVER_RAISED, DELIVER_LEFT };

/* The event to deliver: its vector, the address it returns to, whether a
 * software interrupt raised it (its gate's DPL is checked against CPL), its
 * error code (-1: none), and whether a gate check that fails may raise its
 * fault here (else the event is left to KVM). */
struct deliver_event {
	unsigned vector;
	uint64_t ret;
	bool soft;
	int64_t error;
	bool may_raise;
};

/* Raises #GP or #NP about the gate of vector (error code: the IDT bit, and
 * EXT for an event from outside). */
static int deliver_raise(struct vcpu *vcpu, unsigned nr, const struct deliver_event *e)
{
	struct kvm_vcpu_events ev;

	if (!e->may_raise)
		return DELIVER_LEFT;
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.pending = 0;
	ev.exception.nr = (uint8_t)nr;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = e->vector * 8 + 2 + !e->soft;
	if (ev.interrupt.injected && ev.interrupt.nr == e->vector)
		ev.interrupt.injected = 0;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return DELIVER_RAISED;
}

/* Real mode: the IVT's far pointer; FLAGS, CS and IP pushed on a 16-bit
 * stack (no error code: real mode pushes none). */
static int deliver_real(struct vcpu *vcpu, struct kvm_regs *r, struct kvm_sregs *s,
			const struct deliver_event *e, uint64_t flags)
{
	uint16_t ivt[2], frame[3] = { (uint16_t)e->ret, s->cs.selector, (uint16_t)flags };
	uint16_t sp = (uint16_t)r->rsp;

	if (s->ss.db || e->vector * 4 + 3 > s->idt.limit ||
	    !x86_read_virt(vcpu, s->idt.base + e->vector * 4, ivt, sizeof(ivt)))
		return DELIVER_LEFT;
	/* Each word where the 16-bit stack pointer puts it (it wraps). */
	for (unsigned i = 3; i-- > 0;) {
		sp -= 2;
		if (!x86_write_virt(vcpu, s->ss.base + sp, &frame[i], 2))
			return DELIVER_LEFT;
	}
	r->rsp = (r->rsp & ~0xffffULL) | sp;
	r->rflags &= ~(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC | RFLAGS_RF);
	r->rip = ivt[0];
	s->cs.selector = ivt[1];
	s->cs.base = (uint64_t)ivt[1] << 4;
	return DELIVER_DONE;
}

bool x86_gdt_segment(struct vcpu *vcpu, const struct kvm_sregs *s, uint16_t sel,
		     struct kvm_segment *seg)
{
	uint8_t d[8];

	if ((sel & 4) || (sel | 7) > s->gdt.limit || !(sel & ~7) ||
	    !x86_read_virt(vcpu, s->gdt.base + (sel & ~7), d, sizeof(d)))
		return false;
	uint32_t limit = d[0] | d[1] << 8 | (d[6] & 0xfu) << 16;

	*seg = (struct kvm_segment){
		.base = d[2] | d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24,
		.limit = d[6] & 0x80 ? limit << 12 | 0xfff : limit,
		.selector = sel,
		.type = d[5] & 0xf,
		.present = d[5] >> 7,
		.dpl = (d[5] >> 5) & 3,
		.db = (d[6] >> 6) & 1,
		.s = (d[5] >> 4) & 1,
		.l = (d[6] >> 5) & 1,
		.g = (d[6] >> 7) & 1,
		.avl = (d[6] >> 4) & 1,
	};
	return true;
}

/* The code segment a gate names: the current one (the common case), or a
 * code descriptor of the GDT of the same privilege; false if neither. */
static bool deliver_code_segment(struct vcpu *vcpu, const struct kvm_sregs *s, uint16_t sel,
				 unsigned cpl, struct kvm_segment *cs)
{
	if ((sel & ~3) == (s->cs.selector & ~3) && s->cs.dpl == cpl) {
		*cs = s->cs;
		cs->selector = (uint16_t)((sel & ~3) | cpl);
		return true;
	}
	/* Present, S=1, code (type bit 3), not conforming (bit 2), DPL = CPL. */
	if (!x86_gdt_segment(vcpu, s, sel, cs) || !cs->present || !cs->s ||
	    (cs->type & 0xc) != 0x8 || cs->dpl != cpl)
		return false;
	cs->selector = (uint16_t)((sel & ~3) | cpl);
	cs->type |= 1;
	return true;
}

/* Protected and long mode: through an interrupt or trap gate to code of
 * the same privilege. */
static int deliver_protected(struct vcpu *vcpu, struct kvm_regs *r, struct kvm_sregs *s,
			     const struct deliver_event *e, uint64_t flags)
{
	bool lm = s->efer & EFER_LMA;
	unsigned size = lm ? 16 : 8, cpl = s->ss.dpl, n = 0;
	uint8_t g[16];
	uint64_t frame[6], sp;
	struct kvm_segment cs;

	if (r->rflags & RFLAGS_VM)
		return DELIVER_LEFT;
	if ((uint64_t)e->vector * size + size - 1 > s->idt.limit)
		return deliver_raise(vcpu, X86_GP_VECTOR, e);
	if (!x86_read_virt(vcpu, s->idt.base + e->vector * size, g, size))
		return DELIVER_LEFT;
	unsigned type = g[5] & 0xf, dpl = (g[5] >> 5) & 3;

	/* 32-bit (and in long mode 64-bit) interrupt and trap gates, 0xe and 0xf;
	 * in long mode no other type is valid, in protected mode task gates (5)
	 * and 16-bit gates (6, 7) are KVM's to deliver. */
	if (type != 0xe && type != 0xf)
		return lm || (type != 5 && type != 6 && type != 7) ? deliver_raise(vcpu, X86_GP_VECTOR, e)
								  : DELIVER_LEFT;
	if (e->soft && dpl < cpl)
		return deliver_raise(vcpu, X86_GP_VECTOR, e);
	if (!(g[5] & 0x80))
		return deliver_raise(vcpu, X86_NP_VECTOR, e);
	uint16_t sel = (uint16_t)(g[2] | g[3] << 8);
	uint64_t off = g[0] | g[1] << 8 | (uint32_t)g[6] << 16 | (uint32_t)g[7] << 24;
	unsigned ist = lm ? g[4] & 7 : 0;

	if (lm)
		off |= (uint64_t)(g[8] | g[9] << 8 | (uint32_t)g[10] << 16 | (uint32_t)g[11] << 24)
		       << 32;
	/* A change of privilege (a stack from the TSS, SS reloaded) is KVM's,
	 * and so is a gate to a code segment long mode cannot run. */
	if (cpl != 0 || !deliver_code_segment(vcpu, s, sel, cpl, &cs) || (lm && (!cs.l || cs.db)))
		return DELIVER_LEFT;
	/* A handler at a non-canonical address: the CPU's #GP is KVM's to raise. */
	unsigned va_bits = s->cr4 & CR4_LA57 ? 57 : 48;

	if (lm && (uint64_t)((int64_t)(off << (64 - va_bits)) >> (64 - va_bits)) != off)
		return DELIVER_LEFT;
	if (lm) {
		/* 64-bit frame: SS, RSP, RFLAGS, CS, RIP (and an error code) on a
		 * stack aligned to 16 bytes, an IST stack if the gate names one. */
		sp = r->rsp;
		if (ist && (s->tr.limit < 0x24 + ist * 8 - 1 ||
			    !x86_read_virt(vcpu, s->tr.base + 0x1c + ist * 8, &sp, 8)))
			return DELIVER_LEFT;
		sp &= ~0xfULL;
		frame[5] = s->ss.selector;
		frame[4] = r->rsp;
		frame[3] = flags;
		frame[2] = s->cs.selector;
		frame[1] = e->ret;
		frame[0] = (uint64_t)e->error;
		n = e->error >= 0 ? 6 : 5;
		sp -= n * 8;
		if (!x86_write_virt(vcpu, sp, &frame[6 - n], n * 8))
			return DELIVER_LEFT;
		r->rsp = sp;
	} else {
		/* 32-bit frame: EFLAGS, CS, EIP (and an error code), a 32-bit stack. */
		uint32_t f32[4] = { (uint32_t)e->error, (uint32_t)e->ret, s->cs.selector,
				    (uint32_t)flags };
		uint32_t esp = (uint32_t)r->rsp;

		n = e->error >= 0 ? 4 : 3;
		if (!s->ss.db || esp < n * 4)
			return DELIVER_LEFT;
		esp -= n * 4;
		if (!x86_write_virt(vcpu, (uint32_t)(s->ss.base + esp), &f32[4 - n], n * 4))
			return DELIVER_LEFT;
		r->rsp = esp;
		off &= 0xffffffffULL;
	}
	/* Trap gates (type 0xf) leave IF as it was. */
	r->rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM | (type == 0xe ? RFLAGS_IF : 0));
	r->rip = off;
	s->cs = cs;
	return DELIVER_DONE;
}

/*
 * After a delivery by hand: KVM must not deliver the event again, nor hold
 * an interrupt back for a shadow. VMX holds in flight an event whose
 * delivery an exit interrupted (a frame on a read-only page exits to the
 * emulator, which then fails at the int n); KVM_GET_VCPU_EVENTS does not
 * show a software interrupt or exception in flight (it expects the
 * instruction to run again), but KVM_SET_VCPU_EVENTS clears it. And the
 * instruction that raised it ended any interrupt shadow (VMX would not enter
 * with one and IF 0).
 */
static int deliver_settle(struct vcpu *vcpu, unsigned vector)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	if (!ev.exception.injected || ev.exception.nr == vector)
		ev.exception.injected = 0;
	if (!ev.interrupt.injected || ev.interrupt.nr == vector)
		ev.interrupt.injected = 0;
	ev.interrupt.shadow = 0;
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return DELIVER_DONE;
}

/* Delivers e; DELIVER_DONE, DELIVER_RAISED (a fault of the gate's, for the
 * CPU to deliver), DELIVER_LEFT (not done here: nothing changed), or -errno. */
static int deliver(struct vcpu *vcpu, const struct deliver_event *e)
{
	struct kvm_regs *r = x86_regs(vcpu), saved_r;
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct kvm_segment saved_cs;
	int k;

	if (!r || !s)
		return -EIO;
	/* The flags pushed: a software interrupt's with RF clear (it completed);
	 * an exception's as KVM left them (RF set for a fault). */
	uint64_t flags = e->soft ? r->rflags & ~RFLAGS_RF : r->rflags;

	saved_r = *r;
	saved_cs = s->cs;
	k = s->cr0 & CR0_PE ? deliver_protected(vcpu, r, s, e, flags)
			    : deliver_real(vcpu, r, s, e, flags);
	if (k != DELIVER_DONE) {
		*r = saved_r;
		s->cs = saved_cs;
		return k;
	}
	/* No event is in flight now: KVM_SET_SREGS must not queue again the
	 * interrupt KVM_GET_SREGS reported in flight. */
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	x86_regs_changed(vcpu);
	x86_sregs_changed(vcpu);
	/* Written back now: the caller may stop here, where the cache is
	 * dropped. */
	if (arch_regs_flush(vcpu) < 0)
		return -EIO;
	return deliver_settle(vcpu, e->vector);
}

/* Injects the software interrupt for KVM to deliver at the next entry. */
static int deliver_inject(struct vcpu *vcpu, unsigned vector, unsigned len)
{
	struct kvm_regs *regs = x86_regs(vcpu);
	struct kvm_vcpu_events ev;

	if (!regs)
		return -EIO;
	if (len) {
		regs->rip += len;
		x86_regs_changed(vcpu);
		if (arch_regs_flush(vcpu) < 0)
			return -EIO;
	}
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	ev.flags = 0;
	if (vector == ARCH_BREAKPOINT_VECTOR) {
		ev.exception.injected = 1;
		ev.exception.nr = (uint8_t)vector;
		ev.exception.has_error_code = 0;
		ev.exception.pending = 0;
	} else {
		/* int n: an interrupt already accepted, so IF does not hold it back
		 * (SVM, PVM; VMX refuses it with IF 0: done by deliver() there). */
		ev.interrupt.injected = 1;
		ev.interrupt.nr = (uint8_t)vector;
		ev.interrupt.soft = 0;
	}
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return 0;
}

int arch_deliver_soft_int(struct vcpu *vcpu, unsigned vector, unsigned len)
{
	unsigned v, n;
	int k;

	/* rip at the int3 that exited: its length from its bytes. */
	if (!len && arch_soft_int_at(vcpu, &v, &n) && v == vector)
		len = n;
	if (len) {
		struct kvm_regs *r = x86_regs(vcpu);
		struct deliver_event e = { .vector = vector, .soft = true, .error = -1,
					   .may_raise = true };

		if (!r)
			return -EIO;
		e.ret = r->rip + len;
		k = deliver(vcpu, &e);
		if (k < 0)
			return k;
		if (k != DELIVER_LEFT)
			return 1;
	}
	return deliver_inject(vcpu, vector, len);
}

/* The event information of an exit whose event delivery failed (VMX's
 * IDT-vectoring information, SVM's EXITINTINFO: both valid at bit 31, the
 * type at bits 8-10, the vector at 0-7, an error code at bit 11). */
#define EVENT_VALID (1U << 31)
#define EVENT_TYPE(i) (((i) >> 8) & 7)
#define EVENT_HAS_ERROR (1U << 11)
#define EVENT_INTR 0      /* an external interrupt */
#define EVENT_NMI 2
#define EVENT_EXCEPTION 3 /* a hardware exception */
#define EVENT_SOFT_INT 4  /* int n */
#define EVENT_PRIV_SOFT 5 /* int1 (VMX) */
#define EVENT_SOFT_EXC 6  /* int3, into (VMX) */
#define SVM_EXIT_NPF 0x400

/*
 * The event whose delivery an exit reports failed, 0 if none: VMX's "event
 * delivery failed" (data[0]); SVM's emulator failing at a nested page fault
 * that an event's delivery took (Linux 6.1: data[0] flags, bit 0 for two
 * words of instruction bytes, then the exit's reason, info1, info2,
 * EXITINTINFO and its error code).
 */
static uint32_t deliver_exit_event(const struct kvm_run *run, uint32_t *error)
{
	const __u64 *d = run->internal.data;
	uint32_t n = run->internal.ndata, at;

	*error = 0;
	if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		return 0;
	if (run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV)
		return n ? (uint32_t)d[0] : 0;
	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION || !n)
		return 0;
	at = d[0] & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES ? 3 : 1;
	if (n > sizeof(run->internal.data) / sizeof(d[0]) || n < at + 5 || d[at] != SVM_EXIT_NPF)
		return 0;
	*error = (uint32_t)d[at + 4];
	return (uint32_t)d[at + 3];
}

int arch_deliver_pending(struct vcpu *vcpu)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs *r = x86_regs(vcpu);
	struct deliver_event e = { .error = -1 };
	uint32_t error, info = deliver_exit_event(vcpu->run, &error);
	unsigned v, len = 0, type = EVENT_TYPE(info);
	int k;

	if (!r)
		return -EIO;
	/* (An emulation failure with no event's delivery in it: nothing here.) */
	if (!(info & EVENT_VALID) && vcpu->run->internal.suberror != KVM_INTERNAL_ERROR_DELIVERY_EV)
		return 0;
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	if (ev.nmi.injected || ((info & EVENT_VALID) && type == EVENT_NMI))
		return 0;
	if ((info & EVENT_VALID) && (type == EVENT_SOFT_INT || type == EVENT_PRIV_SOFT ||
				     type == EVENT_SOFT_EXC)) {
		/* KVM does not show these in flight: rip is at the instruction. */
		e.vector = info & 0xff;
		e.soft = type != EVENT_PRIV_SOFT;
		if (arch_soft_int_at(vcpu, &v, &len) ? v != e.vector : e.vector != 4)
			return 0;
		if (!len) {
			uint8_t b;

			if (!x86_read_virt(vcpu, arch_pc(vcpu), &b, 1) || b != X86_INTO)
				return 0;
			len = 1;
		}
	} else if (ev.exception.injected) {
		e.vector = ev.exception.nr;
		if (ev.exception.has_error_code)
			e.error = ev.exception.error_code;
	} else if (ev.interrupt.injected) {
		e.vector = ev.interrupt.nr;
	} else if ((info & EVENT_VALID) && (type == EVENT_EXCEPTION || type == EVENT_INTR)) {
		/* SVM: KVM's emulator dropped it before it failed. */
		e.vector = info & 0xff;
		if (type == EVENT_EXCEPTION && (info & EVENT_HAS_ERROR))
			e.error = error;
	} else {
		return 0;
	}
	e.ret = r->rip + len;
	k = deliver(vcpu, &e);
	return k == DELIVER_LEFT ? 0 : k < 0 ? k : 1;
}
