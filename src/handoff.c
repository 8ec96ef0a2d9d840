#include "handoff.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"

static uint64_t handoff_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void handoff_init(struct handoff *h, uint32_t word)
{
	atomic_init(&h->word, word);
	atomic_init(&h->sleepers, 0);
	atomic_init(&h->busy, false);
}

bool handoff_set(struct handoff *h, uint32_t v)
{
	/* Sequentially consistent, as the waiter's sleepers and word: either
	 * it sees v, or this sees it asleep. */
	atomic_store(&h->word, v);
	if (!atomic_load(&h->sleepers))
		return false;
	syscall(SYS_futex, &h->word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
	return true;
}

void handoff_busy(struct handoff *h, bool busy)
{
	atomic_store_explicit(&h->busy, busy, memory_order_relaxed);
}

/* Spins while the word is old (as == false) or not old (as == true), the
 * other side at work, for HANDOFF_SPIN_NS at most; the word last read. */
static uint32_t handoff_spin(struct handoff *h, uint32_t v, bool as)
{
	uint64_t start = 0;
	uint32_t w;

	for (;;) {
		for (int i = 0; i < 32; i++) {
			w = atomic_load_explicit(&h->word, memory_order_acquire);
			if ((w == v) == as ||
			    !atomic_load_explicit(&h->busy, memory_order_relaxed))
				return w;
			arch_relax();
		}
		if (!start)
			start = handoff_now_ns();
		else if (handoff_now_ns() - start >= HANDOFF_SPIN_NS)
			return w;
	}
}

/* Sleeps while the word reads w (it may change meanwhile: then at once). */
static void handoff_sleep(struct handoff *h, uint32_t w)
{
	atomic_fetch_add(&h->sleepers, 1);
	if (atomic_load(&h->word) == w)
		syscall(SYS_futex, &h->word, FUTEX_WAIT_PRIVATE, w, NULL, NULL, 0);
	atomic_fetch_sub(&h->sleepers, 1);
}

uint32_t handoff_wait(struct handoff *h, uint32_t old)
{
	uint32_t w = handoff_spin(h, old, false);

	while (w == old) {
		handoff_sleep(h, w);
		w = atomic_load_explicit(&h->word, memory_order_acquire);
	}
	return w;
}

void handoff_wait_for(struct handoff *h, uint32_t want)
{
	uint32_t w = handoff_spin(h, want, true);

	while (w != want) {
		handoff_sleep(h, w);
		w = atomic_load_explicit(&h->word, memory_order_acquire);
	}
}

bool handoff_spin_for(struct handoff *h, uint32_t want)
{
	return handoff_spin(h, want, true) == want;
}
