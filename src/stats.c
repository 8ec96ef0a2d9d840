#include "stats.h"

#include "exits.h"

void stats_count_exit(struct stats *st, uint32_t reason)
{
	st->exits[reason < STATS_EXIT_REASONS ? reason : STATS_EXIT_REASONS]++;
}

static void stats_line(FILE *out, const char *name, uint64_t value, const char *what)
{
	fprintf(out, "%-28s %12llu  # %s\n", name, (unsigned long long)value, what);
}

void stats_print(const struct stats *st, FILE *out)
{
	char name[64];

	fprintf(out, "---------- kvmdbg statistics ----------\n");
	stats_line(out, "vcpu0.runs", st->runs, "KVM_RUN calls");
	for (uint32_t r = 0; r <= STATS_EXIT_REASONS; r++) {
		if (!st->exits[r])
			continue;
		if (r == STATS_EXIT_REASONS) {
			stats_line(out, "vcpu0.exits.other", st->exits[r], "exit reasons above 63");
			continue;
		}
		snprintf(name, sizeof(name), "vcpu0.exits.%s", exits_short_name(r));
		stats_line(out, name, st->exits[r], exits_name(r));
	}
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
