#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "err.h"

static uint64_t history_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void history_init(struct history *h)
{
	*h = (struct history){ .budget = HISTORY_DEFAULT_BUDGET, .interval = 1ULL << 16 };
}

static void history_remove(struct history *h, struct checkpoints *c, unsigned i)
{
	checkpoint_drop(c, h->v[i].slot);
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(h->v[0]));
	h->n--;
}

void history_clear(struct history *h, struct checkpoints *c)
{
	uint64_t budget = h->budget;

	/* Newest first: each drop hands its pages to nobody. */
	while (h->n)
		history_remove(h, c, h->n - 1);
	free(h->v);
	free(h->vals);
	free(h->inputs);
	free(h->irqs);
	history_init(h);
	h->budget = budget;
}

static bool history_before(const struct hist_mark *m, uint64_t icount, unsigned sub)
{
	return m->icount < icount || (m->icount == icount && m->sub <= sub);
}

int history_find(const struct history *h, uint64_t icount, unsigned sub)
{
	int i = -1;

	for (unsigned j = 0; j < h->n && history_before(&h->v[j], icount, sub); j++)
		i = (int)j;
	return i;
}

int history_exact(const struct history *h, uint64_t icount)
{
	int i = history_find(h, icount, 0);

	return i >= 0 && h->v[i].icount == icount && h->v[i].sub == 0 ? i : -1;
}

int history_after(const struct history *h, uint64_t icount)
{
	for (unsigned j = 0; j < h->n; j++)
		if (h->v[j].icount > icount)
			return (int)j;
	return -1;
}

int history_add(struct history *h, struct checkpoints *c, unsigned slot, uint64_t icount,
		unsigned sub)
{
	unsigned i = (unsigned)(history_find(h, icount, sub) + 1);

	if (h->n == h->cap) {
		unsigned cap = h->cap ? 2 * h->cap : 64;
		struct hist_mark *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return err_set(ENOMEM, "out of memory for the history");
		h->v = v;
		h->cap = cap;
	}
	memmove(&h->v[i + 1], &h->v[i], (h->n - i) * sizeof(h->v[0]));
	h->v[i] = (struct hist_mark){ .slot = slot, .icount = icount, .sub = sub };
	h->n++;
	h->taken++;
	h->copied += checkpoint_bytes(c, slot);
	return 0;
}

void history_truncate(struct history *h, struct checkpoints *c, uint64_t icount)
{
	while (h->n && h->v[h->n - 1].icount >= icount)
		history_remove(h, c, h->n - 1);
	history_values_truncate(h, icount);
	h->nirqs = history_irqs_from(h, icount);
	h->end_valid = false;
}

/* Bytes the values, the input and the interrupts keep. */
static uint64_t history_records(const struct history *h)
{
	return h->nvals * sizeof(h->vals[0]) + h->ninputs * sizeof(h->inputs[0]) +
	       h->nirqs * sizeof(h->irqs[0]);
}

/* Whether one more record of size bytes fits: values and input take half the
 * budget at most (a guest reading the TSC in a tight loop, or fed input
 * without end, would otherwise crowd the checkpoints out). */
static bool history_record_room(struct history *h, size_t size)
{
	if (!h->records_full && history_records(h) + size > h->budget / 2)
		h->records_full = true;
	return !h->records_full;
}

/* Makes room for one more of a growing array; false (and full) if none. */
static bool history_grow(struct history *h, void **v, size_t n, size_t *cap, size_t size,
			 size_t first)
{
	void *p;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? 2 * *cap : first;
	if (!(p = realloc(*v, c * size))) {
		h->records_full = true;
		return false;
	}
	*v = p;
	*cap = c;
	return true;
}

uint64_t history_bytes(const struct history *h, const struct checkpoints *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < h->n; i++)
		n += checkpoint_bytes(c, h->v[i].slot);
	return n + history_records(h);
}

/*
 * Which mark to drop: the one whose neighbours are closest together for its
 * age, so spacing grows geometrically into the past (rr thins the same way):
 * a replay back to any point then costs about the same share of the way.
 */
static unsigned history_victim(const struct history *h)
{
	uint64_t now = h->furthest;
	unsigned best = 1;
	double best_score = 0;

	for (unsigned i = 1; i + 1 < h->n; i++) {
		double gap = (double)(h->v[i + 1].icount - h->v[i - 1].icount) + 1;
		double age = (double)(now - h->v[i].icount) + 1;
		double score = gap / age;

		if (i == 1 || score < best_score) {
			best = i;
			best_score = score;
		}
	}
	return best;
}

void history_thin(struct history *h, struct checkpoints *c)
{
	while (h->n > 2 && (h->n > HISTORY_MAX_MARKS || history_bytes(h, c) > h->budget)) {
		history_remove(h, c, history_victim(h));
		h->thinned++;
	}
}

void history_run_begin(struct history *h)
{
	h->go_ns = history_now_ns();
}

void history_run_end(struct history *h)
{
	if (h->go_ns)
		h->run_ns += history_now_ns() - h->go_ns;
	h->go_ns = 0;
}

uint64_t history_clock(void)
{
	return history_now_ns();
}

void history_paced(struct history *h, uint64_t icount, uint64_t cost_ns)
{
	/* Checkpoints cost at most a fiftieth of the time run. */
	uint64_t pace = cost_ns * HISTORY_COST_SHARE > HISTORY_PACE_NS ? cost_ns * HISTORY_COST_SHARE
								      : HISTORY_PACE_NS;

	if (h->run_ns) {
		double scale = (double)pace / (double)h->run_ns;

		/* Not more than doubling or halving at once: one slow stop is noise. */
		if (scale > 2)
			scale = 2;
		if (scale < 0.5)
			scale = 0.5;
		h->interval = (uint64_t)((double)h->interval * scale);
		if (h->interval < HISTORY_MIN_INTERVAL)
			h->interval = HISTORY_MIN_INTERVAL;
	}
	h->run_ns = 0;
	h->next_at = icount + h->interval;
}

void history_value_add(struct history *h, uint64_t icount, const void *result, size_t len)
{
	if (len > ARCH_RESULT_SIZE || (h->nvals && h->vals[h->nvals - 1].icount >= icount) ||
	    !history_record_room(h, sizeof(h->vals[0])) ||
	    !history_grow(h, (void **)&h->vals, h->nvals, &h->capvals, sizeof(h->vals[0]), 256))
		return;
	h->vals[h->nvals].icount = icount;
	memcpy(h->vals[h->nvals++].result, result, len);
}

/* The first of n records of size bytes, sorted by the 64-bit key each
 * begins with, whose key is at least key. */
static size_t history_lower(const void *base, size_t n, size_t size, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, (const uint8_t *)base + mid * size, sizeof(k));
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t history_value_index(const struct history *h, uint64_t icount)
{
	return history_lower(h->vals, h->nvals, sizeof(h->vals[0]), icount);
}

int history_input_at(const struct history *h, uint64_t seq)
{
	size_t i = history_lower(h->inputs, h->ninputs, sizeof(h->inputs[0]), seq);

	return i < h->ninputs && h->inputs[i].seq == seq ? h->inputs[i].byte : -1;
}

void history_input_add(struct history *h, uint64_t seq, uint8_t byte)
{
	/* Not kept: a replay will diverge, and say so. */
	if (!history_record_room(h, sizeof(h->inputs[0])) ||
	    !history_grow(h, (void **)&h->inputs, h->ninputs, &h->capinputs, sizeof(h->inputs[0]),
			  64))
		return;
	h->inputs[h->ninputs++] = (struct hist_input){ .seq = seq, .byte = byte };
}

void history_inputs_truncate(struct history *h, uint64_t seq)
{
	h->ninputs = history_lower(h->inputs, h->ninputs, sizeof(h->inputs[0]), seq);
	h->records_full = false;
}

const struct hist_value *history_value_at(const struct history *h, uint64_t icount)
{
	size_t i = history_value_index(h, icount);

	return i < h->nvals && h->vals[i].icount == icount ? &h->vals[i] : NULL;
}

void history_values_truncate(struct history *h, uint64_t icount)
{
	h->nvals = history_value_index(h, icount);
	h->records_full = false;
}

void history_irq_add(struct history *h, uint64_t icount, uint64_t pc, uint8_t vector)
{
	if ((h->nirqs && h->irqs[h->nirqs - 1].icount >= icount) ||
	    !history_record_room(h, sizeof(h->irqs[0])) ||
	    !history_grow(h, (void **)&h->irqs, h->nirqs, &h->capirqs, sizeof(h->irqs[0]), 256))
		return;
	h->irqs[h->nirqs++] = (struct hist_irq){ .icount = icount, .pc = pc, .vector = vector };
}

size_t history_irqs_from(const struct history *h, uint64_t icount)
{
	return history_lower(h->irqs, h->nirqs, sizeof(h->irqs[0]), icount);
}
