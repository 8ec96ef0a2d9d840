/* x86 ONE_REG ids (their encoding: msr.h). */
#include "../arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "x86.h"
#include "msr.h"


int arch_onereg_ids(struct vcpu *vcpu, uint64_t **ids, size_t *n)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	int r;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(vcpu->arch->sys_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return err_set(errno, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	*ids = calloc(probe.nmsrs ? probe.nmsrs : 1, sizeof(**ids));
	if (!list || !*ids) {
		r = err_set(ENOMEM, "out of memory");
		goto out;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(vcpu->arch->sys_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		r = err_set(errno, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < list->nmsrs; i++)
		(*ids)[i] = X86_MSR_ID(list->indices[i]);
	*n = list->nmsrs;
	r = 0;
out:
	free(list);
	if (r < 0) {
		free(*ids);
		*ids = NULL;
	}
	return r;
}

const char *arch_onereg_type(uint64_t id)
{
	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_X86)
		return NULL;
	switch (X86_REG_TYPE(id)) {
	case KVM_X86_REG_TYPE_MSR: return "msr";
	case KVM_X86_REG_TYPE_KVM: return "kvm";
	default: return NULL;
	}
}

const char *arch_onereg_name(uint64_t id)
{
	const char *t = arch_onereg_type(id);

	return t && !strcmp(t, "msr") ? arch_msr_name((uint32_t)id) : NULL;
}

const char *arch_onereg_name_at(unsigned n)
{
	return arch_msr_name_at(n);
}

int arch_onereg_find(const char *name, uint64_t *id)
{
	uint32_t index;

	if (arch_msr_find(name, &index) < 0)
		return -ENOENT;
	*id = X86_MSR_ID(index);
	return 0;
}

int arch_onereg_get_fallback(struct vcpu *vcpu, uint64_t id, uint64_t *value)
{
	const char *t = arch_onereg_type(id);

	if (!t || strcmp(t, "msr"))
		return err_set(ENOTSUP, "no other way to read register %#llx",
			       (unsigned long long)id);
	return arch_msr_read(vcpu, (uint32_t)id, value);
}

void arch_onereg_fields(FILE *out, uint64_t id, uint64_t value)
{
	const char *t = arch_onereg_type(id);

	if (t && !strcmp(t, "msr"))
		arch_msr_fields(out, (uint32_t)id, value);
}
