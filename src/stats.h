/* Exit and I/O counters, printed by --stats (after gem5's regStats): runs and
 * exits are a vCPU's, accesses the VM's. */
#ifndef KVMDBG_STATS_H
#define KVMDBG_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_EXIT_REASONS 64 /* KVM_EXIT_* values below this get their own counter */

struct stats {
	uint64_t runs;                          /* KVM_RUN calls */
	uint64_t exits[STATS_EXIT_REASONS + 1]; /* by exit reason; the last one: any larger reason */
	uint64_t pio_reads, pio_writes;         /* port accesses, one per element of a string op */
	uint64_t mmio_reads, mmio_writes;       /* MMIO accesses */
	uint64_t pio_unclaimed_reads;           /* of those, the ones no device claimed */
	uint64_t pio_unclaimed_writes;
	uint64_t mmio_unclaimed_reads;
	uint64_t mmio_unclaimed_writes;
};

/* "KVM_EXIT_IO", or "KVM_EXIT_<n>" for reasons this build does not know. */
const char *stats_exit_name(uint32_t reason);
/* "io": the name in lower case without the prefix, for statistics. */
const char *stats_exit_short_name(uint32_t reason);
void stats_count_exit(struct stats *st, uint32_t reason);
/* The counters: each vCPU's runs and exits (cpus[i]: vCPU i's), the VM's accesses (st). */
void stats_print(const struct stats *st, const struct stats *const *cpus, unsigned ncpus,
		 FILE *out);

#endif
