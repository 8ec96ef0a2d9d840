/*
 * The perf backend of instruction counting: a counter of guest instructions
 * (PERF_COUNT_HW_INSTRUCTIONS, exclude_host) on the vCPU thread, whose
 * overflow signal kicks the vCPU out of KVM_RUN a margin before the count
 * wanted; single steps then land on it exactly (debug.c).
 */
#ifndef KVMDBG_ICOUNT_H
#define KVMDBG_ICOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Overrides the counted event, for tests on hosts without a PMU: "task-clock"
 * counts nanoseconds of vCPU thread time instead of instructions. */
#define ICOUNT_PERF_EVENT_ENV "KVMDBG_ICOUNT_PERF_EVENT"

struct icount_perf {
	int fd;             /* the counter while a run uses it, else -1 */
	uint32_t type;      /* perf event type and config */
	uint64_t config;
	uint64_t margin;    /* stop this many events before the target */
};

/* Fills type/config (from ICOUNT_PERF_EVENT_ENV or the hardware instructions
 * counter) and checks the event can be opened; why says which, or why not. */
int icount_perf_probe(struct icount_perf *p, char *why, size_t len);
/* A margin that covers the counter's skid on this CPU's vendor. */
uint64_t icount_perf_default_margin(void);
/* Starts counting from 0 on thread tid; with period > 0, signal signo goes to
 * that thread when the count reaches period (kicking it out of KVM_RUN). */
int icount_perf_start(struct icount_perf *p, pid_t tid, int signo, uint64_t period);
/* Reads the count so far. */
int icount_perf_read(struct icount_perf *p, uint64_t *value);
/* Reads the count and stops counting. */
int icount_perf_finish(struct icount_perf *p, uint64_t *value);

#endif
