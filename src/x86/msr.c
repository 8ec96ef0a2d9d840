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

/* Numbered MSRs: NAME0 at index i, NAME1 at i + stride, ... */
#define NUMBERED1(i, s, n) { (i), n "0" }
#define NUMBERED2(i, s, n) NUMBERED1(i, s, n), { (i) + (s), n "1" }
#define NUMBERED3(i, s, n) NUMBERED2(i, s, n), { (i) + 2 * (s), n "2" }
#define NUMBERED4(i, s, n) NUMBERED3(i, s, n), { (i) + 3 * (s), n "3" }
#define NUMBERED5(i, s, n) NUMBERED4(i, s, n), { (i) + 4 * (s), n "4" }
#define NUMBERED6(i, s, n) NUMBERED5(i, s, n), { (i) + 5 * (s), n "5" }
#define NUMBERED7(i, s, n) NUMBERED6(i, s, n), { (i) + 6 * (s), n "6" }
#define NUMBERED8(i, s, n) NUMBERED7(i, s, n), { (i) + 7 * (s), n "7" }

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
	/* What KVM_GET_MSR_INDEX_LIST gives on Intel and AMD hosts besides. */
	{ 0x34, "SMI_COUNT" },
	{ 0x48, "IA32_SPEC_CTRL" },
	{ 0x49, "IA32_PRED_CMD" },
	{ 0x9e, "IA32_SMBASE" },
	{ 0xce, "PLATFORM_INFO" },
	{ 0xe1, "IA32_UMWAIT_CONTROL" },
	{ 0x10a, "IA32_ARCH_CAPABILITIES" },
	{ 0x10b, "IA32_FLUSH_CMD" },
	{ 0x122, "IA32_TSX_CTRL" },
	{ 0x140, "MISC_FEATURES_ENABLES" },
	NUMBERED8(0x186, 1, "IA32_PERFEVTSEL"),
	NUMBERED8(0xc1, 1, "IA32_PMC"),
	{ 0x1c4, "IA32_XFD" },
	{ 0x1c5, "IA32_XFD_ERR" },
	{ 0x1cc, "IA32_FRED_RSP0" },
	{ 0x1cd, "IA32_FRED_RSP1" },
	{ 0x1ce, "IA32_FRED_RSP2" },
	{ 0x1cf, "IA32_FRED_RSP3" },
	{ 0x1d0, "IA32_FRED_STKLVLS" },
	{ 0x1d1, "IA32_FRED_SSP1" },
	{ 0x1d2, "IA32_FRED_SSP2" },
	{ 0x1d3, "IA32_FRED_SSP3" },
	{ 0x1d4, "IA32_FRED_CONFIG" },
	{ 0x1d9, "IA32_DEBUGCTL" },
	{ 0x1db, "LASTBRANCH_FROM_IP" },
	{ 0x1dc, "LASTBRANCH_TO_IP" },
	{ 0x1dd, "LER_FROM_IP" },
	{ 0x1de, "LER_TO_IP" },
	{ 0x1fc, "POWER_CTL" },
	NUMBERED3(0x309, 1, "IA32_FIXED_CTR"),
	{ 0x345, "IA32_PERF_CAPABILITIES" },
	{ 0x38d, "IA32_FIXED_CTR_CTRL" },
	{ 0x38e, "IA32_PERF_GLOBAL_STATUS" },
	{ 0x38f, "IA32_PERF_GLOBAL_CTRL" },
	{ 0x390, "IA32_PERF_GLOBAL_STATUS_RESET" },
	{ 0x3f1, "IA32_PEBS_ENABLE" },
	{ 0x3f2, "PEBS_DATA_CFG" },
	{ 0x480, "IA32_VMX_BASIC" },
	{ 0x481, "IA32_VMX_PINBASED_CTLS" },
	{ 0x482, "IA32_VMX_PROCBASED_CTLS" },
	{ 0x483, "IA32_VMX_EXIT_CTLS" },
	{ 0x484, "IA32_VMX_ENTRY_CTLS" },
	{ 0x485, "IA32_VMX_MISC" },
	{ 0x486, "IA32_VMX_CR0_FIXED0" },
	{ 0x487, "IA32_VMX_CR0_FIXED1" },
	{ 0x488, "IA32_VMX_CR4_FIXED0" },
	{ 0x489, "IA32_VMX_CR4_FIXED1" },
	{ 0x48a, "IA32_VMX_VMCS_ENUM" },
	{ 0x48b, "IA32_VMX_PROCBASED_CTLS2" },
	{ 0x48c, "IA32_VMX_EPT_VPID_CAP" },
	{ 0x48d, "IA32_VMX_TRUE_PINBASED_CTLS" },
	{ 0x48e, "IA32_VMX_TRUE_PROCBASED_CTLS" },
	{ 0x48f, "IA32_VMX_TRUE_EXIT_CTLS" },
	{ 0x490, "IA32_VMX_TRUE_ENTRY_CTLS" },
	{ 0x491, "IA32_VMX_VMFUNC" },
	{ 0x4d0, "IA32_MCG_EXT_CTL" },
	{ 0x560, "IA32_RTIT_OUTPUT_BASE" },
	{ 0x561, "IA32_RTIT_OUTPUT_MASK_PTRS" },
	{ 0x570, "IA32_RTIT_CTL" },
	{ 0x571, "IA32_RTIT_STATUS" },
	{ 0x572, "IA32_RTIT_CR3_MATCH" },
	{ 0x580, "IA32_RTIT_ADDR0_A" },
	{ 0x581, "IA32_RTIT_ADDR0_B" },
	{ 0x582, "IA32_RTIT_ADDR1_A" },
	{ 0x583, "IA32_RTIT_ADDR1_B" },
	{ 0x584, "IA32_RTIT_ADDR2_A" },
	{ 0x585, "IA32_RTIT_ADDR2_B" },
	{ 0x586, "IA32_RTIT_ADDR3_A" },
	{ 0x587, "IA32_RTIT_ADDR3_B" },
	{ 0x600, "IA32_DS_AREA" },
	{ 0x6a0, "IA32_U_CET" },
	{ 0x6a2, "IA32_S_CET" },
	{ 0x6a4, "IA32_PL0_SSP" },
	{ 0x6a5, "IA32_PL1_SSP" },
	{ 0x6a6, "IA32_PL2_SSP" },
	{ 0x6a7, "IA32_PL3_SSP" },
	{ 0x6a8, "IA32_INTERRUPT_SSP_TABLE_ADDR" },
	{ 0x6e1, "IA32_PKRS" },
	{ 0xd90, "IA32_BNDCFGS" },
	{ 0x14ce, "IA32_LBR_CTL" },
	{ 0x14cf, "IA32_LBR_DEPTH" },
	{ 0xc0000104, "AMD64_TSC_RATIO" },
	{ 0xc0000300, "AMD64_PERF_CNTR_GLOBAL_STATUS" },
	{ 0xc0000301, "AMD64_PERF_CNTR_GLOBAL_CTL" },
	{ 0xc0000302, "AMD64_PERF_CNTR_GLOBAL_STATUS_CLR" },
	NUMBERED4(0xc0010000, 1, "K7_EVNTSEL"),
	NUMBERED4(0xc0010004, 1, "K7_PERFCTR"),
	{ 0xc0010010, "AMD64_SYSCFG" },
	{ 0xc0010015, "K7_HWCR" },
	{ 0xc0010114, "VM_CR" },
	{ 0xc0010117, "VM_HSAVE_PA" },
	{ 0xc001011f, "AMD64_VIRT_SPEC_CTRL" },
	{ 0xc0010130, "AMD64_SEV_ES_GHCB" },
	NUMBERED6(0xc0010200, 2, "F15H_PERF_CTL"),
	NUMBERED6(0xc0010201, 2, "F15H_PERF_CTR"),
	{ 0xc0011029, "AMD64_DE_CFG" },
	/* Hyper-V's, which KVM emulates for Windows guests. */
	{ 0x40000000, "HV_X64_GUEST_OS_ID" },
	{ 0x40000001, "HV_X64_HYPERCALL" },
	{ 0x40000002, "HV_X64_VP_INDEX" },
	{ 0x40000003, "HV_X64_RESET" },
	{ 0x40000010, "HV_X64_VP_RUNTIME" },
	{ 0x40000020, "HV_X64_TIME_REF_COUNT" },
	{ 0x40000021, "HV_X64_REFERENCE_TSC" },
	{ 0x40000022, "HV_X64_TSC_FREQUENCY" },
	{ 0x40000023, "HV_X64_APIC_FREQUENCY" },
	{ 0x40000073, "HV_X64_VP_ASSIST_PAGE" },
	{ 0x40000080, "HV_X64_SCONTROL" },
	{ 0x400000b0, "HV_X64_STIMER0_CONFIG" },
	{ 0x400000f1, "HV_X64_SYNDBG_CONTROL" },
	{ 0x400000f2, "HV_X64_SYNDBG_STATUS" },
	{ 0x400000f3, "HV_X64_SYNDBG_SEND_BUFFER" },
	{ 0x400000f4, "HV_X64_SYNDBG_RECV_BUFFER" },
	{ 0x400000f5, "HV_X64_SYNDBG_PENDING_BUFFER" },
	{ 0x400000ff, "HV_X64_SYNDBG_OPTIONS" },
	NUMBERED5(0x40000100, 1, "HV_X64_CRASH_P"),
	{ 0x40000105, "HV_X64_CRASH_CTL" },
	{ 0x40000106, "HV_X64_REENLIGHTENMENT_CONTROL" },
	{ 0x40000107, "HV_X64_TSC_EMULATION_CONTROL" },
	{ 0x40000108, "HV_X64_TSC_EMULATION_STATUS" },
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
