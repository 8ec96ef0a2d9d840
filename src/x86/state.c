/* The x86 part of a vCPU: its register cache, filled from KVM once per stop
 * and written back once before the next entry. */
#include "../arch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "../mem.h"
#include "../vm.h"
#include "x86.h"

int x86_vcpu_state_init(struct vcpu *vcpu)
{
	struct arch_vcpu *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return err_set(ENOMEM, "out of memory");
	a->vm_fd = vcpu->vm->fd;
	a->sys_fd = vcpu->vm->sys_fd;
	a->run_size = vcpu->vm->run_size;
	a->mem = &vcpu->vm->mem;
	a->irqchip = vcpu->vm->irqchip;
	/* Registers delivered with each exit save two ioctls per single step. */
	r = ioctl(a->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	if (r > 0 && (r & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) ==
			     (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) {
		vcpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
		a->sync_regs = true;
	}
	a->debug.caps = ioctl(a->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	vcpu->arch = a;
	return 0;
}

void arch_vcpu_free(struct vcpu *vcpu)
{
	free(vcpu->arch);
	vcpu->arch = NULL;
}

/* Reading the copy KVM left in kvm_run at the exit is harmless then; an ioctl is not. */
static int x86_regs_usable(struct vcpu *vcpu, bool from_copy)
{
	if (atomic_load(&vcpu->state) == VCPU_RUNNING_SERVICE_COMPLETION && !from_copy)
		return err_set(EBUSY, "vCPU %d is completing an I/O access; registers are "
			       "not consistent yet", vcpu->id);
	return 0;
}

/* Fills a register cache unless it already holds KVM's values: from the copy
 * KVM left in kvm_run at the last exit where there is one, else by ioctl. */
static void *x86_load(struct vcpu *vcpu, bool *valid, unsigned long request, void *cache,
		      const void *synced, size_t size, const char *name)
{
	struct arch_vcpu *a = vcpu->arch;

	if (x86_regs_usable(vcpu, synced && a->synced) < 0)
		return NULL;
	if (*valid)
		return cache;
	if (synced && a->synced) {
		memcpy(cache, synced, size);
	} else if (ioctl(vcpu->fd, request, cache) < 0) {
		err_set(errno, "%s: %s", name, strerror(errno));
		return NULL;
	}
	*valid = true;
	return cache;
}

struct kvm_regs *x86_regs(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;

	return x86_load(vcpu, &a->regs_valid, KVM_GET_REGS, &a->regs, &vcpu->run->s.regs.regs,
			sizeof(a->regs), "KVM_GET_REGS");
}

struct kvm_sregs *x86_sregs(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;

	return x86_load(vcpu, &a->sregs_valid, KVM_GET_SREGS, &a->sregs,
			&vcpu->run->s.regs.sregs, sizeof(a->sregs), "KVM_GET_SREGS");
}

/* Bytes of KVM_GET_XSAVE(2) state, 0 without XSAVE. */
size_t x86_xsave_size(const struct arch_vcpu *a)
{
	int n = ioctl(a->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	if (n > (int)sizeof(struct kvm_xsave))
		return (size_t)n;
	return ioctl(a->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0 ? sizeof(struct kvm_xsave) : 0;
}

struct kvm_xsave *x86_xsave_read(struct vcpu *vcpu, size_t n)
{
	struct kvm_xsave *x = calloc(1, n);

	if (!x) {
		err_set(ENOMEM, "out of memory");
		return NULL;
	}
	if (ioctl(vcpu->fd, n > sizeof(*x) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, x) < 0) {
		err_set(errno, "KVM_GET_XSAVE: %s", strerror(errno));
		free(x);
		return NULL;
	}
	return x;
}

/*
 * KVM_GET_FPU leaves MXCSR out (kvm_arch_vcpu_ioctl_get_fpu copies every
 * field but that one): it read 0 while the guest's stmxcsr stored 0x1f80.
 * KVM_GET_XSAVE has it, at byte 24 of the legacy area (0x1f80 there when
 * the SSE state is unused, which it is only with that value).
 */
static int x86_mxcsr_read(struct vcpu *vcpu, uint32_t *mxcsr)
{
	size_t n = x86_xsave_size(vcpu->arch);
	struct kvm_xsave *x;

	if (!n)
		return 0;
	if (!(x = x86_xsave_read(vcpu, n)))
		return -EIO;
	memcpy(mxcsr, (uint8_t *)x->region + 24, 4);
	free(x);
	return 0;
}

/*
 * Gives KVM the FPU state f. KVM_SET_FPU loses MXCSR too (the guest's
 * stmxcsr stored 0x1f80 after 0x1f00 was set): with XSAVE, the legacy area
 * is written instead, its x87 and SSE parts marked used so that all of it
 * is taken.
 */
static int x86_fpu_put(struct vcpu *vcpu, const struct kvm_fpu *f)
{
	size_t n = x86_xsave_size(vcpu->arch);
	struct kvm_xsave *x;
	uint8_t *l;
	int r = 0;

	if (!n) {
		if (ioctl(vcpu->fd, KVM_SET_FPU, f) < 0)
			return err_set(errno, "KVM_SET_FPU: %s", strerror(errno));
		return 0;
	}
	if (!(x = x86_xsave_read(vcpu, n)))
		return -EIO;
	l = (uint8_t *)x->region;
	memcpy(l + 0, &f->fcw, 2);
	memcpy(l + 2, &f->fsw, 2);
	l[4] = f->ftwx;
	memcpy(l + 6, &f->last_opcode, 2);
	memcpy(l + 8, &f->last_ip, 8);
	memcpy(l + 16, &f->last_dp, 8);
	memcpy(l + 24, &f->mxcsr, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(l + 32 + 16 * i, f->fpr[i], 16);
	for (unsigned i = 0; i < 16; i++)
		memcpy(l + 160 + 16 * i, f->xmm[i], 16);
	x->region[512 / 4] |= X86_XSTATE_X87_SSE;
	if (ioctl(vcpu->fd, KVM_SET_XSAVE, x) < 0)
		r = err_set(errno, "KVM_SET_XSAVE: %s", strerror(errno));
	free(x);
	return r;
}

struct kvm_fpu *x86_fpu(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;
	bool fresh = !a->fpu_valid;
	struct kvm_fpu *f = x86_load(vcpu, &a->fpu_valid, KVM_GET_FPU, &a->fpu, NULL, 0,
				     "KVM_GET_FPU");

	if (f && fresh && x86_mxcsr_read(vcpu, &f->mxcsr) < 0) {
		a->fpu_valid = false;
		return NULL;
	}
	return f;
}

void x86_regs_changed(struct vcpu *vcpu)
{
	vcpu->arch->regs_dirty = true;
	vcpu->arch->changes++;
}

void x86_sregs_changed(struct vcpu *vcpu)
{
	vcpu->arch->sregs_dirty = true;
	vcpu->arch->changes++;
}

void x86_fpu_changed(struct vcpu *vcpu)
{
	vcpu->arch->fpu_dirty = true;
	vcpu->arch->changes++;
}

void x86_sregs_stale(struct vcpu *vcpu)
{
	vcpu->arch->sregs_valid = vcpu->arch->kernel_gs_valid = false;
	vcpu->arch->synced = false;
}

bool x86_regs_synced(struct vcpu *vcpu)
{
	return vcpu->arch->synced;
}

/* rflags written through KVM may lose a single step (arch_step_rearm, cpu.c). */
void arch_rflags_touched(struct vcpu *vcpu)
{
	vcpu->arch->debug.touched = true;
}

void arch_regs_invalidate(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;

	a->regs_valid = a->sregs_valid = a->fpu_valid = a->kernel_gs_valid = false;
}

void arch_regs_exited(struct vcpu *vcpu)
{
	vcpu->arch->synced = vcpu->arch->sync_regs;
	vcpu->arch->kept_restored = false;
}

void arch_step_keep(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;
	const struct kvm_regs *r;
	const struct kvm_sregs *s;

	/* From the cache or kvm_run's copy only: an ioctl here could come
	 * between an I/O exit and the entry that completes it. */
	a->kept_valid = (a->regs_valid || a->synced) && (a->sregs_valid || a->synced) &&
			(r = x86_regs(vcpu)) && (s = x86_sregs(vcpu));
	if (!a->kept_valid)
		return;
	a->kept_regs = *r;
	a->kept_sregs = *s;
	a->kept_run = vcpu->stats.runs;
}

bool arch_shutdown_restore(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;

	/* Kept right before the run that shut down (a single step), or not at all. */
	if (!a->kept_valid || vcpu->stats.runs != a->kept_run + 1)
		return false;
	a->kept_valid = false;
	a->regs = a->kept_regs;
	a->sregs = a->kept_sregs;
	/* No event in flight: the step's was what shut down. */
	memset(a->sregs.interrupt_bitmap, 0, sizeof(a->sregs.interrupt_bitmap));
	a->regs_valid = a->sregs_valid = true;
	x86_regs_changed(vcpu);
	x86_sregs_changed(vcpu);
	a->kept_restored = arch_regs_flush(vcpu) == 0;
	return a->kept_restored;
}

bool arch_shutdown_restored(struct vcpu *vcpu)
{
	return vcpu->arch->kept_restored;
}

int arch_regs_flush(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;

	/* Written through KVM: kvm_run's copy of the last exit's is stale now. */
	if (a->regs_dirty || a->sregs_dirty) {
		arch_rflags_touched(vcpu);
		a->synced = false;
	}
	/* sregs first: KVM checks the general registers against the mode. */
	if (a->sregs_dirty) {
		if (ioctl(vcpu->fd, KVM_SET_SREGS, &a->sregs) < 0)
			return err_set(errno, "KVM_SET_SREGS: %s", strerror(errno));
		a->sregs_dirty = false;
	}
	if (a->regs_dirty) {
		if (ioctl(vcpu->fd, KVM_SET_REGS, &a->regs) < 0)
			return err_set(errno, "KVM_SET_REGS: %s", strerror(errno));
		a->regs_dirty = false;
	}
	if (a->fpu_dirty) {
		int r = x86_fpu_put(vcpu, &a->fpu);

		if (r < 0)
			return r;
		a->fpu_dirty = false;
	}
	return 0;
}

void arch_relax(void)
{
	__builtin_ia32_pause();
}

unsigned long arch_state_changes(const struct vcpu *vcpu)
{
	return vcpu->arch->changes;
}
