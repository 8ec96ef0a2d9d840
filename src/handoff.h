/*
 * A hand-off between two threads: one waits for a word to change, the other
 * changes it. The waiter spins only briefly, and only while the other side
 * says it is at work (so never while the thread it waits for has no CPU to
 * run on), then sleeps on a futex; the waker makes the wake-up system call
 * only when someone sleeps. On a busy machine a waiter gives its CPU away
 * at once instead of burning the time slice the other thread needs.
 */
#ifndef KVMDBG_HANDOFF_H
#define KVMDBG_HANDOFF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The longest a waiter spins before it sleeps (ns): a few microseconds. */
#define HANDOFF_SPIN_NS 4000

struct handoff {
	_Atomic uint32_t word;     /* what the waiter waits on */
	_Atomic uint32_t sleepers; /* waiters asleep on it (or about to be) */
	_Atomic bool busy;         /* the waker is at work on what the waiter waits for */
};

void handoff_init(struct handoff *h, uint32_t word);
/* Stores v and wakes whoever sleeps on the word; whether someone slept. */
bool handoff_set(struct handoff *h, uint32_t v);
/* Says whether the waking side is at work (a waiter may spin) or not. */
void handoff_busy(struct handoff *h, bool busy);
/* Waits until the word is no longer old; returns it. */
uint32_t handoff_wait(struct handoff *h, uint32_t old);
/* Waits until the word is want. */
void handoff_wait_for(struct handoff *h, uint32_t want);
/* Spins (as handoff_wait) for the word to become want, without sleeping:
 * whether it did. */
bool handoff_spin_for(struct handoff *h, uint32_t want);

#endif
