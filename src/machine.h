/*
 * One guest machine, assembled: the VM and its RAM, the built-in devices, the
 * vCPUs and their threads, the guest image, and the debugger attached to them.
 * A front end creates it from a description and from then on drives it
 * through debug.h (m->dbg).
 */
#ifndef KVMDBG_MACHINE_H
#define KVMDBG_MACHINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "arch.h"
#include "debug.h"
#include "devices/devices.h"
#include "loader.h"
#include "vcpu.h"
#include "vm.h"

struct machine_config {
	uint64_t ram;             /* bytes of guest RAM */
	unsigned cpus;            /* vCPUs (0: 1); more than one needs irqchip */
	bool irqchip;             /* KVM's interrupt controllers and PIT */
	bool no_acpi;             /* no ACPI tables (--acpi off) */
	bool pc_testdev;          /* QEMU's pc-testdev (--device pc-testdev) */
	const char *cpu;          /* CPUID: "host[,+FEATURE|-FEATURE|kvm=off...]" (NULL: host) */
	bool clock_icount;        /* kvmdbg's own PIC and PIT on instruction-count time
				     (not with irqchip; needs counting by steps) */
	FILE *serial;             /* where guest text goes, or NULL */
	bool serial_stdin;        /* the UART receives what serial_fd gives */
	int serial_fd;            /* ... (0: stdin) */
	const char *guest;        /* an ELF to load, or NULL */
	const char *raw;          /* else a flat image to load at raw_addr, or NULL */
	uint64_t raw_addr;
	const void *builtin;      /* else this ELF image in memory */
	size_t builtin_len;
	const char *builtin_name; /* ... named so in messages */
	const char *symbols;      /* more symbols: an ELF or a System.map (NULL: none) */
	bool boot_extras;         /* a kernel command line and modules, as follows: */
	const char *append;       /* the command line after the image's name (NULL: none) */
	const char *const *mods;  /* "FILE[ STRING]" each */
	unsigned nmods;
};                                /* (what it points to outlives the machine: reset reads it) */

struct machine {
	struct vm vm;
	struct devices devs;
	struct vcpu vcpus[VM_MAX_CPUS]; /* vCPU 0 boots; the others wait for INIT and SIPI */
	unsigned ncpus;           /* created */
	struct image img;
	struct debug *dbg;        /* run control (debug.h) */
	int built;                /* how far machine_create() got (for machine_destroy) */
	pthread_t input_watch;    /* raises the UART's interrupt when input waits */
	int input_quit;           /* eventfd that ends it; -1: no such thread */
	int input_fd;             /* the UART's input (-1: none) */
	struct machine_config cfg; /* what it was made from */
	struct debug_clock clock; /* its clock, with clock_icount */
	/* As it was before its first instruction, for reset: each vCPU, the devices. */
	struct arch_snapshot *power_on[VM_MAX_CPUS];
	uint8_t *power_devices;
};

/* Builds the machine, loads the guest and leaves it stopped at its first
 * instruction; -errno with a message (err_msg) that names the cause. */
int machine_create(struct machine *m, const struct machine_config *cfg);
void machine_destroy(struct machine *m);
/* Writes out guest text still buffered. */
void machine_flush(struct machine *m);

#endif
