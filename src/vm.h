/* /dev/kvm, the VM, guest RAM and its memslots. */
#ifndef KVMDBG_VM_H
#define KVMDBG_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iobus.h"
#include "mem.h"
#include "stats.h"

#define VM_DEFAULT_RAM (128ULL << 20)
#define VM_MIN_RAM (2ULL << 20)    /* room for the boot structures and a guest */
#define VM_MAX_RAM (256ULL << 30)  /* what the boot page tables map */
#define VM_KVM_DEVICE_ENV "KVMDBG_KVM_DEVICE" /* overrides the path of /dev/kvm */
#define VM_MAX_CPUS 16             /* --smp's ceiling (APIC ids below the IOAPIC's) */
struct vm {
	int sys_fd;        /* /dev/kvm (or $KVMDBG_KVM_DEVICE) */
	int fd;            /* the VM */
	size_t run_size;   /* bytes of each vCPU's kvm_run mapping */
	struct mem mem;    /* guest RAM */
	struct stats stats; /* device accesses (runs and exits: each vCPU's own) */
	struct iobus bus;  /* port and MMIO devices */
	int coalesced_page; /* page of each kvm_run mapping holding the coalesced
			       MMIO ring (KVM_CAP_COALESCED_MMIO), 0: none */
	bool readonly_mem;  /* KVM_CAP_READONLY_MEM */
	bool irqchip;       /* KVM's interrupt controllers and PIT (arch_irqchip_create) */
	bool no_acpi;       /* --acpi off: no ACPI tables (the MP table alone) */
	const char *cpu;    /* --cpu: "host[,+FEATURE|-FEATURE|kvm=off...]" (NULL: host) */
	_Atomic uint32_t irq_live; /* ISA lines a device may still raise (bit n: line n) */
	struct mem_slot *slots; /* RAM memslots, by address */
	unsigned nslots;
	unsigned ncpus;     /* vCPUs (1 unless --smp) */
	/* Devices, the access log and the page hooks are entered by one vCPU
	 * thread at a time (several with --smp). */
	pthread_mutex_t io_lock;
	/* vCPUs that wait for an interrupt nothing can send, or for a SIPI
	 * (bit n: vCPU n); times a vCPU left that set (vcpu.c's halt watch). */
	_Atomic uint32_t asleep;
	_Atomic uint32_t wakes;
	uint32_t asleep_wakes;    /* vCPU 0's: wakes when it saw them all asleep */
	unsigned asleep_rounds;   /* ... and its watch rounds since */
};

/* Opens the KVM device and checks its API version; the descriptor, or -errno
 * with a message that names the cause and the fix. */
int vm_open_kvm(void);
/* Opens KVM, checks the API and capabilities, creates the VM with ram_size
 * bytes of RAM. On failure the message (err_msg) names the cause and the fix. */
int vm_create(struct vm *vm, uint64_t ram_size, bool irqchip, unsigned ncpus);
/* Sets ISA interrupt line irq's level (with irqchip; a no-op without). Any thread. */
int vm_irq_line(struct vm *vm, unsigned irq, bool level);
void vm_destroy(struct vm *vm);
/* Re-lays the RAM memslots so that exactly the pages listed (sorted by
 * address, RAM pages only) are protected; the rest is plain RAM. Only while
 * no vCPU runs. */
int vm_protect(struct vm *vm, const struct mem_page_prot *pages, unsigned n);

/* Keeps a dirty log of RAM (KVM_MEM_LOG_DIRTY_PAGES on every slot, and
 * mem.dirty for kvmdbg's own writes), or stops; -errno with a message. */
int vm_dirty_track(struct vm *vm, bool on);
/* Adds the pages the guest wrote since the last call to mem.dirty. */
int vm_dirty_sync(struct vm *vm);

#endif
