/*
 * The whole state KVM holds for an x86 vCPU, for checkpoints: general and
 * system registers, the extended FPU state (XSAVE), XCR0, every MSR KVM
 * lists, pending events, debug registers and the run state. Put back in the
 * order QEMU's kvm_arch_put_registers() uses, system registers first (KVM
 * checks the general ones against the mode).
 */
#include "../arch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "x86.h"

struct arch_snapshot {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;          /* without XSAVE */
	struct kvm_xcrs xcrs;
	bool has_xcrs;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_mp_state mp_state;
	struct kvm_msrs *msrs;       /* the readable ones of KVM's list */
	size_t xsave_size;           /* 0: no XSAVE, fpu holds the FPU */
	struct kvm_xsave *xsave;     /* xsave_size bytes */
	bool has_irq;                /* the machine has in-kernel interrupt controllers: */
	struct x86_irq_state irq;    /* theirs (this vCPU's local APIC, and the VM's) */
};

/* Reads every MSR of KVM's list that this vCPU lets one read. */
static struct kvm_msrs *x86_msrs_read(struct vcpu *vcpu)
{
	uint64_t *ids;
	size_t n;
	struct kvm_msrs *m, *q;

	if (arch_onereg_ids(vcpu, &ids, &n) < 0)
		return NULL;
	m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	q = calloc(1, sizeof(*q) + n * sizeof(q->entries[0]));
	if (!m || !q) {
		free(ids);
		free(m);
		free(q);
		err_set(ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		m->entries[i].index = (uint32_t)ids[i];
	free(ids);
	/* KVM stops at the first MSR it cannot read: drop that one, go on. */
	for (size_t done = 0; done < n;) {
		int got;

		q->nmsrs = (uint32_t)(n - done);
		memcpy(q->entries, &m->entries[done], (n - done) * sizeof(q->entries[0]));
		got = ioctl(vcpu->fd, KVM_GET_MSRS, q);
		if (got < 0) {
			free(q);
			free(m);
			err_set(errno, "KVM_GET_MSRS: %s", strerror(errno));
			return NULL;
		}
		memcpy(&m->entries[done], q->entries, (size_t)got * sizeof(q->entries[0]));
		done += (size_t)got;
		if (done < n) {
			memmove(&m->entries[done], &m->entries[done + 1],
				(n - done - 1) * sizeof(m->entries[0]));
			n--;
		}
	}
	free(q);
	m->nmsrs = (uint32_t)n;
	return m;
}

/* One KVM_GET_* into buf; -errno with a message naming it. */
static int x86_get(struct vcpu *vcpu, unsigned long request, void *buf, const char *name)
{
	if (ioctl(vcpu->fd, request, buf) < 0)
		return err_set(errno, "%s: %s", name, strerror(errno));
	return 0;
}

#define X86_GET(v, req, buf) x86_get(v, req, buf, #req)

struct arch_snapshot *arch_snapshot_take(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;
	struct arch_snapshot *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		err_set(ENOMEM, "out of memory");
		return NULL;
	}
	/* What the cache holds that KVM has not been given yet goes first. */
	r = arch_regs_flush(vcpu);
	if (!r)
		r = X86_GET(vcpu, KVM_GET_REGS, &s->regs);
	if (!r)
		r = X86_GET(vcpu, KVM_GET_SREGS, &s->sregs);
	s->xsave_size = x86_xsave_size(a);
	if (!r && s->xsave_size) {
		s->xsave = x86_xsave_read(vcpu, s->xsave_size);
		r = s->xsave ? 0 : -EIO;
		/*
		 * Where XSTATE_BV (byte 512) says the x87 or SSE state is unused,
		 * KVM_GET_XSAVE gives their initial values (MXCSR 0x1f80) and
		 * KVM_SET_XSAVE skips them, leaving MXCSR as the guest had it last:
		 * marked used, the values given are the values put back.
		 */
		if (!r)
			s->xsave->region[512 / 4] |= X86_XSTATE_X87_SSE;
	} else if (!r) {
		r = X86_GET(vcpu, KVM_GET_FPU, &s->fpu);
	}
	s->has_xcrs = ioctl(a->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	if (!r && s->has_xcrs)
		r = X86_GET(vcpu, KVM_GET_XCRS, &s->xcrs);
	if (!r)
		r = X86_GET(vcpu, KVM_GET_VCPU_EVENTS, &s->events);
	if (!r)
		r = X86_GET(vcpu, KVM_GET_DEBUGREGS, &s->debugregs);
	if (!r)
		r = X86_GET(vcpu, KVM_GET_MP_STATE, &s->mp_state);
	if (!r && !(s->msrs = x86_msrs_read(vcpu)))
		r = -EIO;
	s->has_irq = a->irqchip;
	if (!r && s->has_irq)
		r = x86_irq_save(vcpu, &s->irq);
	if (r < 0) {
		arch_snapshot_free(s);
		return NULL;
	}
	return s;
}

/*
 * Writes the MSRs back. KVM stops at the first one it refuses (a KVM
 * paravirtual MSR of a feature the guest's CPUID does not offer, say): one
 * that holds the saved value already is fine, skipped; else it is an error.
 */
static int x86_msrs_write(struct vcpu *vcpu, const struct kvm_msrs *m)
{
	size_t size = sizeof(*m) + m->nmsrs * sizeof(m->entries[0]);
	struct kvm_msrs *q = malloc(size);
	uint32_t done = 0;
	int r = 0;

	if (!q)
		return err_set(ENOMEM, "out of memory");
	while (done < m->nmsrs && r == 0) {
		uint64_t now;
		int n;

		q->nmsrs = m->nmsrs - done;
		q->pad = 0;
		memcpy(q->entries, &m->entries[done], q->nmsrs * sizeof(q->entries[0]));
		n = ioctl(vcpu->fd, KVM_SET_MSRS, q);
		if (n < 0) {
			r = err_set(errno, "KVM_SET_MSRS: %s", strerror(errno));
			break;
		}
		done += (uint32_t)n;
		if (done == m->nmsrs)
			break;
		if (arch_msr_read(vcpu, m->entries[done].index, &now) < 0 ||
		    now != m->entries[done].data)
			r = err_set(EIO, "KVM_SET_MSRS: KVM refuses MSR %#x = %#llx back",
				    m->entries[done].index,
				    (unsigned long long)m->entries[done].data);
		done++;
	}
	free(q);
	return r;
}

static int x86_set(struct vcpu *vcpu, unsigned long request, const void *buf, const char *name)
{
	if (ioctl(vcpu->fd, request, buf) < 0)
		return err_set(errno, "%s: %s", name, strerror(errno));
	return 0;
}

#define X86_SET(v, req, buf) x86_set(v, req, buf, #req)

int arch_snapshot_restore(struct vcpu *vcpu, const struct arch_snapshot *s)
{
	struct kvm_vcpu_events ev = s->events;
	int r;

	/* The cache's values are the past now. KVM's single step holds only at
	 * the rip it was given at (VMX/SVM): give the guest debug again. */
	arch_regs_invalidate(vcpu);
	x86_sregs_stale(vcpu);
	vcpu->arch->debug.known = false;
	r = X86_SET(vcpu, KVM_SET_SREGS, &s->sregs);
	if (!r)
		r = X86_SET(vcpu, KVM_SET_REGS, &s->regs);
	if (!r)
		r = s->xsave ? X86_SET(vcpu, KVM_SET_XSAVE, s->xsave)
			     : X86_SET(vcpu, KVM_SET_FPU, &s->fpu);
	if (!r && s->has_xcrs)
		r = X86_SET(vcpu, KVM_SET_XCRS, &s->xcrs);
	if (!r)
		r = x86_msrs_write(vcpu, s->msrs);
	/* The local APIC after its base MSR, before the run state (as QEMU). */
	if (!r && s->has_irq)
		r = x86_irq_restore(vcpu, &s->irq);
	if (!r)
		r = X86_SET(vcpu, KVM_SET_MP_STATE, &s->mp_state);
	/* Events as they were, the NMI and SIPI fields included. */
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	if (!r)
		r = X86_SET(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	if (!r)
		r = X86_SET(vcpu, KVM_SET_DEBUGREGS, &s->debugregs);
	return r;
}

size_t arch_snapshot_size(const struct arch_snapshot *s)
{
	return sizeof(*s) + s->xsave_size + s->msrs->nmsrs * sizeof(s->msrs->entries[0]);
}

void arch_snapshot_free(struct arch_snapshot *s)
{
	if (!s)
		return;
	free(s->msrs);
	free(s->xsave);
	free(s);
}

bool arch_snapshot_same(struct vcpu *vcpu, const struct arch_snapshot *s, char *what, size_t len)
{
	return arch_result_same(vcpu, &s->regs, what, len);
}

bool arch_result_same(struct vcpu *vcpu, const void *result, char *what, size_t len)
{
	static const char *const names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
					     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
					     "rip", "rflags" };
	const struct kvm_regs *r = x86_regs(vcpu);
	uint64_t now[18], then[18];

	if (!r) {
		snprintf(what, len, "the registers cannot be read: %s", err_msg());
		return false;
	}
	memcpy(now, r, sizeof(now));
	memcpy(then, result, sizeof(then));
	/* TF and RF belong to the debugger's stepping as much as to the guest. */
	now[17] &= ~(RFLAGS_TF | RFLAGS_RF);
	then[17] &= ~(RFLAGS_TF | RFLAGS_RF);
	for (unsigned i = 0; i < 18; i++) {
		if (now[i] != then[i]) {
			snprintf(what, len, "%s was %#llx, is %#llx", names[i],
				 (unsigned long long)then[i], (unsigned long long)now[i]);
			return false;
		}
	}
	return true;
}
