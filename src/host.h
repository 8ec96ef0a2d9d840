/*
 * What this host's KVM actually does, measured by tiny probe VMs when a
 * feature first asks (and all at once for kvmdbg --host). Hosts differ:
 * PVM emulates CPL 0 code and fails on int3, nested SVM under QEMU's
 * software emulation delivers int3 to the guest and ignores DR0-DR3, kernels
 * before 6.17 have no x86 KVM_GET_ONE_REG (README, KVM hosts). Nothing is
 * assumed from the vendor and nothing is kept across runs.
 */
#ifndef KVMDBG_HOST_H
#define KVMDBG_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The mechanisms probed, in report order. */
enum host_probe {
	HOST_STEP,           /* single-step: one exit per instruction */
	HOST_STEP_REP,       /* how a REP string instruction steps */
	HOST_STEP_IO,        /* the step after a port access */
	HOST_STEP_HLT,       /* hlt under single-step */
	HOST_STEP_REGS,      /* a register write between steps */
	HOST_SWBP,           /* the breakpoint instruction (int3) with USE_SW_BP, protected mode */
	HOST_SWBP_REAL,      /* the same in real mode */
	HOST_HWBP,           /* hardware execution breakpoints (DR0-DR3) */
	HOST_DATABP,         /* hardware data breakpoints (DR7 R/W bits) */
	HOST_FETCH,          /* a code fetch from guest-physical memory without a memslot */
	HOST_ONEREG,         /* x86 KVM_GET_ONE_REG */
	HOST_PMU,            /* a guest instruction counter */
	HOST_READONLY,       /* read-only memslots */
	HOST_COALESCED,      /* coalesced MMIO */
	HOST_DIRTY_LOG,      /* dirty-page logging */
	HOST_IMMEDIATE_EXIT, /* immediate_exit */
	HOST_BLOCKIRQ,       /* KVM_GUESTDBG_BLOCKIRQ */
	HOST_PIO_WRITE_PC,   /* where rip points at a port write exit */
	HOST_MMIO_WRITE_PC,  /* where rip points at an MMIO write exit */
	HOST_SHUTDOWN_REGS,  /* the registers after a triple fault */
	HOST_SPEED,          /* CPL 0 instructions per second */
	HOST_NPROBES
};

/* Results: each probe's value is one of these (or, for HOST_SPEED, a rate). */
enum host_value {
	HOST_FAILED,          /* the probe itself could not run (detail says why) */
	HOST_YES,             /* works as documented */
	HOST_NO,              /* missing, refused or never happens */
	/* HOST_STEP_REP */
	HOST_REP_PER_ITERATION, /* a step per iteration, rip unchanged until the last */
	HOST_REP_WHOLE,       /* all iterations in one step, one more to move on */
	/* HOST_STEP_IO */
	HOST_IO_RUNS_NEXT,    /* re-entering runs the next instruction before the trap */
	/* HOST_STEP_HLT */
	HOST_HLT_SKIPPED,     /* stepped over like a no-op */
	HOST_HLT_EXITS,       /* KVM_EXIT_HLT */
	/* HOST_STEP_REGS */
	HOST_REGS_DROP_STEP,  /* a register write at another rip loses the next trap */
	/* HOST_SWBP */
	HOST_SWBP_DEBUG_EXIT, /* KVM_EXIT_DEBUG, exception 3 */
	HOST_SWBP_EMULATION,  /* KVM_EXIT_INTERNAL_ERROR, emulation failure at it */
	HOST_SWBP_GUEST,      /* delivered to the guest's handler */
	/* HOST_FETCH */
	HOST_FETCH_EMULATION, /* KVM_EXIT_INTERNAL_ERROR, emulation failure at the page */
	/* HOST_PIO_WRITE_PC, HOST_MMIO_WRITE_PC */
	HOST_PC_AT,           /* at the instruction */
	HOST_PC_AFTER,        /* past it */
	/* HOST_SHUTDOWN_REGS */
	HOST_REGS_KEPT,       /* the faulting instruction's */
	HOST_REGS_RESET,      /* the vCPU's reset state: the faulting ones are lost */
	HOST_OTHER,           /* something else (detail says what) */
};

struct host_result {
	enum host_value value;
	double rate;       /* HOST_SPEED: instructions per second */
	char detail[160];  /* what was seen, in words */
};

/* What a probe needs: the KVM device and the size of a kvm_run mapping. */
struct host_env {
	int kvm_fd;
	size_t run_size;
};

/* Measures one mechanism the first time it is asked for (thread-safe). */
const struct host_result *host_probe(enum host_probe probe);
/* Whether breakpoint instructions stop the guest here (a debug exit or an
 * emulation failure at them, rather than reaching the guest), in real mode
 * or in protected and long mode (PVM differs between the two). */
bool host_int3_stops(bool real_mode);
/* The kernel and KVM module, in words ("6.1.0-56-amd64, kvm_amd"). */
void host_identity(char *kernel, size_t klen, char *module, size_t mlen);
/* The whole report: every probe, as a table or as one JSON object; -ENODEV
 * (err_msg says why; the JSON says so too) when KVM cannot be opened. */
int host_report(FILE *out, bool json);

#endif
