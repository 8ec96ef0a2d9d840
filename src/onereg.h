/*
 * KVM ONE_REG registers: ids decoded (arch, size class, type, index), values
 * formatted by size from 8 to 2048 bits, names and bit fields (after gem5's
 * getAndFormatOneReg).
 */
#ifndef KVMDBG_ONEREG_H
#define KVMDBG_ONEREG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vcpu;

#define ONEREG_MAX_BYTES 256 /* KVM_REG_SIZE_U2048 */

/* Every id the host offers: KVM_GET_REG_LIST, or the architecture's list when
 * that is empty (x86). *source says which. The caller frees *ids. */
int onereg_list(struct vcpu *vcpu, uint64_t **ids, size_t *n, const char **source);
/* Bytes of a register with this id (1 to 256). */
size_t onereg_size(uint64_t id);
/* Parses a name or a numeric id. */
int onereg_parse(const char *text, uint64_t *id);
/* "IA32_APIC_BASE (0x203000020000001b: x86 u64 msr 0x1b) = 0xfee00900 [ BSP EN ] ..."
 * on one line; a failed read prints the reason instead of the value. */
int onereg_print(struct vcpu *vcpu, uint64_t id, FILE *out);

#endif
