#include "stats.h"

#include <ctype.h>
#include <linux/kvm.h>
#include <string.h>

/* Numbered as in the kernel's uapi; the Debian 12 headers stop at 37. */
static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
	[KVM_EXIT_IO] = "KVM_EXIT_IO",
	[KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
	[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
	[KVM_EXIT_HLT] = "KVM_EXIT_HLT",
	[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
	[KVM_EXIT_INTR] = "KVM_EXIT_INTR",
	[KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
	[KVM_EXIT_S390_SIEIC] = "KVM_EXIT_S390_SIEIC",
	[KVM_EXIT_S390_RESET] = "KVM_EXIT_S390_RESET",
	[KVM_EXIT_DCR] = "KVM_EXIT_DCR",
	[KVM_EXIT_NMI] = "KVM_EXIT_NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "KVM_EXIT_OSI",
	[KVM_EXIT_PAPR_HCALL] = "KVM_EXIT_PAPR_HCALL",
	[KVM_EXIT_S390_UCONTROL] = "KVM_EXIT_S390_UCONTROL",
	[KVM_EXIT_WATCHDOG] = "KVM_EXIT_WATCHDOG",
	[KVM_EXIT_S390_TSCH] = "KVM_EXIT_S390_TSCH",
	[KVM_EXIT_EPR] = "KVM_EXIT_EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
	[KVM_EXIT_S390_STSI] = "KVM_EXIT_S390_STSI",
	[KVM_EXIT_IOAPIC_EOI] = "KVM_EXIT_IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "KVM_EXIT_HYPERV",
	[KVM_EXIT_ARM_NISV] = "KVM_EXIT_ARM_NISV",
	[KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "KVM_EXIT_DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "KVM_EXIT_AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "KVM_EXIT_X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "KVM_EXIT_XEN",
	[KVM_EXIT_RISCV_SBI] = "KVM_EXIT_RISCV_SBI",
	[KVM_EXIT_RISCV_CSR] = "KVM_EXIT_RISCV_CSR",
	[KVM_EXIT_NOTIFY] = "KVM_EXIT_NOTIFY",
	[38] = "KVM_EXIT_LOONGARCH_IOCSR",
	[39] = "KVM_EXIT_MEMORY_FAULT",
	[40] = "KVM_EXIT_TDX",
};
#define EXIT_NAMES (sizeof(exit_names) / sizeof(exit_names[0]))

const char *stats_exit_name(uint32_t reason)
{
	static _Thread_local char buf[32];

	if (reason < EXIT_NAMES && exit_names[reason])
		return exit_names[reason];
	snprintf(buf, sizeof(buf), "KVM_EXIT_%u", reason);
	return buf;
}

const char *stats_exit_short_name(uint32_t reason)
{
	static _Thread_local char buf[32];
	const char *name = stats_exit_name(reason) + strlen("KVM_EXIT_");
	size_t i;

	for (i = 0; name[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}


void stats_count_exit(struct stats *st, uint32_t reason)
{
	st->exits[reason < STATS_EXIT_REASONS ? reason : STATS_EXIT_REASONS]++;
}

static void stats_line(FILE *out, const char *name, uint64_t value, const char *what)
{
	fprintf(out, "%-28s %12llu  # %s\n", name, (unsigned long long)value, what);
}

/* One vCPU's runs and exits, as vcpuN.*. */
static void stats_print_cpu(const struct stats *st, unsigned cpu, FILE *out)
{
	char name[64];

	snprintf(name, sizeof(name), "vcpu%u.runs", cpu);
	stats_line(out, name, st->runs, "KVM_RUN calls");
	for (uint32_t r = 0; r <= STATS_EXIT_REASONS; r++) {
		if (!st->exits[r])
			continue;
		if (r == STATS_EXIT_REASONS) {
			snprintf(name, sizeof(name), "vcpu%u.exits.other", cpu);
			stats_line(out, name, st->exits[r], "exit reasons above 63");
			continue;
		}
		snprintf(name, sizeof(name), "vcpu%u.exits.%s", cpu, stats_exit_short_name(r));
		stats_line(out, name, st->exits[r], stats_exit_name(r));
	}
}

void stats_print(const struct stats *st, const struct stats *const *cpus, unsigned ncpus,
		 FILE *out)
{
	fprintf(out, "---------- kvmdbg statistics ----------\n");
	for (unsigned i = 0; i < ncpus; i++)
		stats_print_cpu(cpus[i], i, out);
	const struct {
		const char *name;
		uint64_t value;
		const char *what;
	} io[] = {
		{ "io.pio.reads", st->pio_reads, "port reads" },
		{ "io.pio.writes", st->pio_writes, "port writes" },
		{ "io.pio.unclaimed_reads", st->pio_unclaimed_reads,
		  "port reads no device claimed (read as all-ones)" },
		{ "io.pio.unclaimed_writes", st->pio_unclaimed_writes,
		  "port writes no device claimed (dropped)" },
		{ "io.mmio.reads", st->mmio_reads, "MMIO reads" },
		{ "io.mmio.writes", st->mmio_writes, "MMIO writes" },
		{ "io.mmio.unclaimed_reads", st->mmio_unclaimed_reads,
		  "MMIO reads no device claimed (read as all-ones)" },
		{ "io.mmio.unclaimed_writes", st->mmio_unclaimed_writes,
		  "MMIO writes no device claimed (dropped)" },
	};
	for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++)
		stats_line(out, io[i].name, io[i].value, io[i].what);
	fprintf(out, "---------- end statistics ----------\n");
}
