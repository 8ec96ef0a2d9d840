/* What the unit tests share: CHECK, counted, and the summary line. No KVM. */
#ifndef KVMDBG_UNIT_H
#define KVMDBG_UNIT_H

#include <stdio.h>

static int unit_failures, unit_checks;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		unit_checks++;                                                         \
		if (!(cond)) {                                                         \
			unit_failures++;                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

/* Prints "all N checks passed" or how many failed; the exit status. */
static inline int unit_done(void)
{
	if (unit_failures) {
		printf("%d of %d checks failed\n", unit_failures, unit_checks);
		return 1;
	}
	printf("all %d checks passed\n", unit_checks);
	return 0;
}

#endif
