/*
 * The thread hand-off (src/handoff.c): no wake-up is lost between two
 * threads handing a word back and forth, a sleeper is woken, and a waiter
 * spins a few microseconds of CPU time at most, and not at all while the
 * other side is not at work.
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "../../src/handoff.h"
#include "unit.h"

#define ROUNDS 20000

static struct handoff ping, pong;

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Answers each ping with a pong of the same number. */
static void *pong_thread(void *arg)
{
	uint32_t seen = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		seen = handoff_wait(&ping, seen);
		handoff_set(&pong, seen);
	}
	return NULL;
}

/* ROUNDS round trips, the waiters spinning (busy) or sleeping at once. */
static void ping_pong(bool busy)
{
	pthread_t t;

	handoff_init(&ping, 0);
	handoff_init(&pong, 0);
	handoff_busy(&ping, busy);
	handoff_busy(&pong, busy);
	CHECK(pthread_create(&t, NULL, pong_thread, NULL) == 0);
	for (uint32_t i = 1; i <= ROUNDS; i++) {
		handoff_set(&ping, i);
		handoff_wait_for(&pong, i);
	}
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(atomic_load(&pong.word) == ROUNDS);
	CHECK(atomic_load(&ping.sleepers) == 0 && atomic_load(&pong.sleepers) == 0);
}

static void *late_setter(void *arg)
{
	(void)arg;
	usleep(20000);
	handoff_set(&ping, 7);
	return NULL;
}

int main(void)
{
	pthread_t t;
	uint64_t before;

	/* A lost wake-up hangs the test: the suite's timeout, or this. */
	alarm(120);
	ping_pong(true);
	ping_pong(false);

	/* A waiter asleep long before the word changes is woken. */
	handoff_init(&ping, 0);
	handoff_busy(&ping, true);
	CHECK(pthread_create(&t, NULL, late_setter, NULL) == 0);
	CHECK(handoff_wait(&ping, 0) == 7);
	CHECK(pthread_join(t, NULL) == 0);

	/* Spinning for a change that does not come costs a few microseconds of
	 * CPU time (counted on this thread: the same on a busy machine; the
	 * least of 20 tries, as an interrupt may land in any one). */
	uint64_t least = UINT64_MAX, least_idle = UINT64_MAX;
	bool any = false;

	for (int k = 0; k < 20; k++) {
		handoff_init(&ping, 0);
		handoff_busy(&ping, true);
		before = cpu_ns();
		any |= handoff_spin_for(&ping, 1);
		if (cpu_ns() - before < least)
			least = cpu_ns() - before;
		/* ... and nothing while the other side is not at work. */
		handoff_busy(&ping, false);
		before = cpu_ns();
		for (int i = 0; i < 100; i++)
			any |= handoff_spin_for(&ping, 1);
		if (cpu_ns() - before < least_idle)
			least_idle = cpu_ns() - before;
	}
	CHECK(!any);
	CHECK(least < 20 * HANDOFF_SPIN_NS);
	CHECK(least_idle < 100 * HANDOFF_SPIN_NS / 4);
	return unit_done();
}
