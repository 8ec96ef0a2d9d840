/* x86 MSRs: names, indices, reading and writing them through KVM. */
#ifndef KVMDBG_X86_MSR_H
#define KVMDBG_X86_MSR_H

#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>

/*
 * x86 ONE_REG ids. The Debian 12 headers (linux-libc-dev 6.1) do not define
 * the x86 encoding; kernels from 6.17 on accept MSRs as
 * KVM_REG_X86 | KVM_REG_SIZE_U64 | type 2 << 32 | index (seen on PVM, 6.18).
 */
#ifndef KVM_X86_REG_TYPE_MSR
#define KVM_X86_REG_TYPE_MSR 2
#endif
#ifndef KVM_X86_REG_TYPE_KVM
#define KVM_X86_REG_TYPE_KVM 3
#endif
#define X86_REG_TYPE(id) (((id) >> 32) & 0xff)
#define X86_MSR_ID(index) (KVM_REG_X86 | KVM_REG_SIZE_U64 | \
			   (uint64_t)KVM_X86_REG_TYPE_MSR << 32 | (uint32_t)(index))

struct vcpu;

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

#endif
