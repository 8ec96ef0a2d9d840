/*
 * A VM and a vCPU without KVM, for the harnesses that drive code under the
 * vCPU (exit handlers, devices, the boot set-up) with no /dev/kvm: RAM, the
 * bus's lock, a kvm_run buffer with the coalesced ring on its third page,
 * and registers held as KVM left them at an exit (all zero), so that nothing
 * needs an ioctl to read them. Writing them back fails (no KVM), harmlessly.
 */
#ifndef KVMDBG_FUZZ_NOKVM_H
#define KVMDBG_FUZZ_NOKVM_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/vcpu.h"
#include "../../src/vm.h"

#define NOKVM_RUN_PAGES 3 /* kvm_run, its I/O data, the coalesced ring */
#define NOKVM_RING_PAGE 2

/* Sets both up, with ram bytes of RAM; aborts when it cannot. */
void nokvm_init(struct vm *vm, struct vcpu *vcpu, uint64_t ram);
/* A file in memory holding data, read from its start (memfd); aborts on failure. */
int nokvm_file(const void *data, size_t size);

#endif
