/*
 * What generic code needs from the architecture. src/x86/ implements it; a
 * port to another architecture adds its own folder and changes nothing else.
 */
#ifndef KVMDBG_ARCH_H
#define KVMDBG_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;

/* A KVM capability the architecture cannot do without. */
struct arch_cap {
	int cap;          /* KVM_CAP_* */
	const char *name; /* its name, for the error message */
};
extern const struct arch_cap arch_required_caps[]; /* ends with { 0, NULL } */

/* How the guest starts. */
enum boot_mode {
	BOOT_REAL16, /* real mode at cs:ip = entry as segment:offset */
	BOOT_PROT32, /* flat 32-bit protected mode, paging off (multiboot state) */
	BOOT_LONG64, /* 64-bit long mode, low memory identity-mapped */
};

struct boot_info {
	enum boot_mode mode; /* CPU mode at the first instruction */
	uint64_t entry;      /* physical address of the first instruction */
	uint64_t area;       /* guest-physical start of arch_boot_area_size() bytes of
				free RAM for page tables, GDT, stack (not for BOOT_REAL16) */
};

int arch_vm_init(struct vm *vm);
int arch_vcpu_init(struct vcpu *vcpu);
/* Bytes of RAM the boot structures need for this mode (0: none). */
uint64_t arch_boot_area_size(const struct vm *vm, enum boot_mode mode);
/* Writes the boot structures into guest RAM and sets the registers. */
int arch_boot(struct vcpu *vcpu, const struct boot_info *boot);
/* Whether an interrupt could wake the vCPU from HLT (x86: RFLAGS.IF). */
bool arch_irqs_enabled(struct vcpu *vcpu);
/* Current instruction pointer, as a linear address. */
uint64_t arch_pc(struct vcpu *vcpu);
/* The general and system registers, one screen, for reports of unexpected stops. */
void arch_dump_regs(struct vcpu *vcpu, FILE *out);

#endif
