#include "msr.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "../arch.h"
#include "bits.h"
#include "x86.h"

static const struct {
	uint32_t index;
	const char *name;
} msr_names[] = {
	{ MSR_IA32_TSC, "IA32_TSC" },
	{ MSR_IA32_APIC_BASE, "IA32_APIC_BASE" },
	{ MSR_IA32_FEATURE_CONTROL, "IA32_FEATURE_CONTROL" },
	{ 0x3b, "IA32_TSC_ADJUST" },
	{ 0x8b, "IA32_BIOS_SIGN_ID" },
	{ 0xe7, "IA32_MPERF" },
	{ 0xe8, "IA32_APERF" },
	{ 0xfe, "IA32_MTRRCAP" },
	{ MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS" },
	{ MSR_IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP" },
	{ MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP" },
	{ 0x179, "IA32_MCG_CAP" },
	{ 0x17a, "IA32_MCG_STATUS" },
	{ 0x17b, "IA32_MCG_CTL" },
	{ MSR_IA32_MISC_ENABLE, "IA32_MISC_ENABLE" },
	{ MSR_IA32_PAT, "IA32_PAT" },
	{ MSR_MTRR_DEF_TYPE, "IA32_MTRR_DEF_TYPE" },
	{ 0x6e0, "IA32_TSC_DEADLINE" },
	{ 0xda0, "IA32_XSS" },
	{ MSR_EFER, "EFER" },
	{ MSR_STAR, "STAR" },
	{ MSR_LSTAR, "LSTAR" },
	{ MSR_CSTAR, "CSTAR" },
	{ MSR_SFMASK, "SFMASK" },
	{ MSR_FS_BASE, "FS_BASE" },
	{ MSR_GS_BASE, "GS_BASE" },
	{ MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE" },
	{ MSR_TSC_AUX, "TSC_AUX" },
	{ 0x4b564d00, "KVM_WALL_CLOCK_NEW" },
	{ 0x4b564d01, "KVM_SYSTEM_TIME_NEW" },
	{ 0x4b564d02, "KVM_ASYNC_PF_EN" },
	{ 0x4b564d03, "KVM_STEAL_TIME" },
	{ 0x4b564d04, "KVM_PV_EOI_EN" },
	{ 0x4b564d05, "KVM_POLL_CONTROL" },
	{ 0x4b564d06, "KVM_ASYNC_PF_INT" },
	{ 0x4b564d07, "KVM_ASYNC_PF_ACK" },
	{ 0x4b564d08, "KVM_MIGRATION_CONTROL" },
	{ 0x11, "KVM_WALL_CLOCK" },
	{ 0x12, "KVM_SYSTEM_TIME" },
};
#define MSR_NAMES (sizeof(msr_names) / sizeof(msr_names[0]))

const char *arch_msr_name(uint32_t index)
{
	for (size_t i = 0; i < MSR_NAMES; i++)
		if (msr_names[i].index == index)
			return msr_names[i].name;
	return NULL;
}

const char *arch_msr_name_at(unsigned n)
{
	return n < MSR_NAMES ? msr_names[n].name : NULL;
}

int arch_msr_find(const char *name, uint32_t *index)
{
	for (size_t i = 0; i < MSR_NAMES; i++) {
		const char *n = msr_names[i].name;

		if (!strcasecmp(name, n) ||
		    (!strncasecmp(n, "IA32_", 5) && !strcasecmp(name, n + 5)) ||
		    (!strncasecmp(name, "MSR_", 4) && !strcasecmp(name + 4, n)) ||
		    (!strncasecmp(name, "IA32_", 5) && !strcasecmp(name + 5, n))) {
			*index = msr_names[i].index;
			return 0;
		}
	}
	return -ENOENT;
}

int arch_msr_read(struct vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry.index = index };
	int n = ioctl(vcpu->fd, KVM_GET_MSRS, &msrs);

	if (n < 0)
		return err_set(errno, "KVM_GET_MSRS %#x: %s", index, strerror(errno));
	if (n != 1)
		return err_set(EINVAL, "KVM cannot read MSR %#x", index);
	*value = msrs.entry.data;
	return 0;
}

int arch_msr_write(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	/* EFER and friends are in sregs too: write ours back, then reread. */
	if (arch_regs_flush(vcpu) < 0)
		return -EIO;
	x86_sregs_stale(vcpu);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry = { .index = index, .data = value } };
	int n = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);

	vcpu->arch->changes++;
	if (n < 0)
		return err_set(errno, "KVM_SET_MSRS %#x: %s", index, strerror(errno));
	if (n != 1)
		return err_set(EINVAL, "KVM refused to write %#llx to MSR %#x",
			       (unsigned long long)value, index);
	return 0;
}

/* " [ A B ]" after a value. */
static void msr_print_bits(FILE *out, uint64_t value, const struct x86_bit *bits, size_t n)
{
	fputc(' ', out);
	x86_bits_print(out, value, (struct x86_bits){ bits, n });
}

static const char *msr_mem_type(unsigned type)
{
	static const char *const names[8] = { "UC", "WC", "?2", "?3", "WT", "WP", "WB", "UC-" };

	return names[type & 7];
}

void arch_msr_fields(FILE *out, uint32_t index, uint64_t value)
{
	static const struct x86_bit apic[] = { { 8, "BSP" }, { 10, "EXTD" }, { 11, "EN" } };
	static const struct x86_bit fctl[] = {
		{ 0, "LOCK" }, { 1, "VMX_IN_SMX" }, { 2, "VMX_OUTSIDE_SMX" }, { 15, "SENTER" },
		{ 20, "LMCE" },
	};
	static const struct x86_bit misc[] = {
		{ 0, "FAST_STRINGS" }, { 3, "TCC" }, { 7, "PERFMON" }, { 11, "BTS_UNAVAILABLE" },
		{ 12, "PEBS_UNAVAILABLE" }, { 16, "EIST" }, { 18, "MONITOR" },
		{ 22, "LIMIT_CPUID" }, { 23, "XTPR_DISABLE" }, { 34, "XD_DISABLE" },
	};
	static const struct x86_bit mtrr[] = { { 10, "FE" }, { 11, "E" } };
#define BITS(a) a, sizeof(a) / sizeof(a[0])

	switch (index) {
	case MSR_EFER:
		msr_print_bits(out, value, x86_efer_bits.bits, x86_efer_bits.n);
		break;
	case MSR_IA32_APIC_BASE:
		msr_print_bits(out, value, BITS(apic));
		fprintf(out, " base %#llx", (unsigned long long)(value & ~0xfffULL));
		break;
	case MSR_IA32_FEATURE_CONTROL:
		msr_print_bits(out, value, BITS(fctl));
		break;
	case MSR_IA32_MISC_ENABLE:
		msr_print_bits(out, value, BITS(misc));
		break;
	case MSR_MTRR_DEF_TYPE:
		fprintf(out, " type %s", msr_mem_type(value & 7));
		msr_print_bits(out, value, BITS(mtrr));
		break;
	case MSR_IA32_PAT:
		fputs(" [", out);
		for (unsigned i = 0; i < 8; i++)
			fprintf(out, " PA%u=%s", i, msr_mem_type((value >> (8 * i)) & 7));
		fputs(" ]", out);
		break;
	case MSR_STAR:
		fprintf(out, " syscall cs %#llx, sysret cs %#llx, eip %#llx",
			(unsigned long long)((value >> 32) & 0xffff),
			(unsigned long long)((value >> 48) & 0xffff),
			(unsigned long long)(value & 0xffffffff));
		break;
	case MSR_SFMASK:
		fputs(" clears", out);
		msr_print_bits(out, value, x86_rflags_bits.bits, x86_rflags_bits.n);
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		fprintf(out, " address %#llx", (unsigned long long)value);
		break;
	case MSR_IA32_SYSENTER_CS:
		fprintf(out, " selector %#llx", (unsigned long long)(value & 0xffff));
		break;
	case MSR_IA32_TSC:
		fprintf(out, " %llu cycles", (unsigned long long)value);
		break;
	}
#undef BITS
}
