#include "onereg.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch.h"
#include "err.h"
#include "vcpu.h"

#define ONEREG_INDEX(id) ((id) & 0xffffffffULL)

size_t onereg_size(uint64_t id)
{
	return (size_t)1 << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static const char *onereg_arch(uint64_t id)
{
	switch (id & KVM_REG_ARCH_MASK) {
	case KVM_REG_X86: return "x86";
	case KVM_REG_ARM: return "arm";
	case KVM_REG_ARM64: return "arm64";
	case KVM_REG_PPC: return "ppc";
	case KVM_REG_S390: return "s390";
	case KVM_REG_MIPS: return "mips";
	case KVM_REG_RISCV: return "riscv";
	default: return "unknown-arch";
	}
}

int onereg_list(struct vcpu *vcpu, uint64_t **ids, size_t *n, const char **source)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;

	*ids = NULL;
	*n = 0;
	/* An empty list or ENOTTY (x86 before it had ids) means: ask the arch. */
	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe) < 0 && errno == E2BIG && probe.n) {
		list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
		if (!list)
			return err_set(ENOMEM, "out of memory");
		list->n = probe.n;
		if (ioctl(vcpu->fd, KVM_GET_REG_LIST, list) == 0) {
			*ids = malloc(list->n * sizeof(**ids));
			if (*ids) {
				memcpy(*ids, list->reg, list->n * sizeof(**ids));
				*n = list->n;
			}
		}
		free(list);
		if (*ids) {
			*source = "KVM_GET_REG_LIST";
			return 0;
		}
	}
	*source = "KVM_GET_MSR_INDEX_LIST";
	return arch_onereg_ids(vcpu, ids, n);
}

int onereg_parse(const char *text, uint64_t *id)
{
	char *end;

	if (arch_onereg_find(text, id) == 0)
		return 0;
	errno = 0;
	*id = strtoull(text, &end, 0);
	if (errno || end == text || *end)
		return err_set(ENOENT, "unknown register '%s' (a name such as IA32_APIC_BASE, or "
			       "a ONE_REG id such as 0x203000020000001b)", text);
	return 0;
}

/* Host without x86 ONE_REG: note it once per process. */
static bool onereg_fallback_noted;

static int onereg_read(struct vcpu *vcpu, uint64_t id, uint8_t *value, FILE *out)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)value };
	uint64_t v;
	int e;

	if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) == 0)
		return 0;
	e = errno;
	if (onereg_size(id) != 8 || arch_onereg_get_fallback(vcpu, id, &v) < 0)
		return err_set(e, "KVM_GET_ONE_REG: %s", strerror(e));
	if (!onereg_fallback_noted) {
		fprintf(out, "note: KVM_GET_ONE_REG refused this id (%s); reading it with "
			"KVM_GET_MSRS instead\n", strerror(e));
		onereg_fallback_noted = true;
	}
	memcpy(value, &v, 8);
	return 0;
}

int onereg_print(struct vcpu *vcpu, uint64_t id, FILE *out)
{
	uint8_t value[ONEREG_MAX_BYTES] = { 0 };
	size_t size = onereg_size(id);
	const char *name = arch_onereg_name(id), *type = arch_onereg_type(id);
	int r;

	if (size > ONEREG_MAX_BYTES)
		return err_set(EINVAL, "register id %#llx has a size class above 2048 bits",
			       (unsigned long long)id);
	r = onereg_read(vcpu, id, value, out);
	fprintf(out, "%s (%#018llx: %s u%zu %s %#llx) = ", name ? name : "?",
		(unsigned long long)id, onereg_arch(id), size * 8, type ? type : "type",
		(unsigned long long)ONEREG_INDEX(id));
	if (r < 0) {
		fprintf(out, "<%s>\n", err_msg());
		return r;
	}
	if (size <= 8) {
		uint64_t v = 0;

		memcpy(&v, value, size);
		fprintf(out, "%#llx", (unsigned long long)v);
		arch_onereg_fields(out, id, v);
	} else {
		/* Wider registers: 64-bit words, least significant first. */
		fputc('[', out);
		for (size_t i = 0; i < size / 8; i++) {
			uint64_t w;

			memcpy(&w, value + 8 * i, 8);
			fprintf(out, "%s%#llx", i ? ", " : "", (unsigned long long)w);
		}
		fputc(']', out);
	}
	fputc('\n', out);
	return 0;
}
