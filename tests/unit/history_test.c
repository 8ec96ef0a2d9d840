/*
 * The history's records (src/history.c): what an instruction yielded and
 * what the guest received count against the budget with the checkpoints,
 * and together take half of it at most, whoever feeds them.
 */
#include "../../src/checkpoint.h"
#include "../../src/history.h"
#include "unit.h"

int main(void)
{
	struct history h;
	struct checkpoints c = { 0 };
	uint8_t result[ARCH_RESULT_SIZE] = { 0 };
	uint64_t kept;

	history_init(&h);
	h.budget = 64 << 10;
	/* Input without end: kept until it takes half the budget, then dropped. */
	for (uint64_t seq = 0; seq < 1000000; seq++)
		history_input_add(&h, seq, (uint8_t)seq);
	kept = history_bytes(&h, &c);
	CHECK(h.records_full);
	CHECK(kept <= h.budget / 2 && kept > h.budget / 2 - 64);
	CHECK(history_input_at(&h, 0) == 0 && history_input_at(&h, 5) == 5);
	CHECK(history_input_at(&h, 999999) == -1);
	/* Values share the same half: none fits now. */
	history_value_add(&h, 1, result, sizeof(result));
	CHECK(history_value_at(&h, 1) == NULL);
	/* Going back forgets what came after: there is room again. */
	history_inputs_truncate(&h, 10);
	CHECK(!h.records_full && history_bytes(&h, &c) == 10 * sizeof(h.inputs[0]));
	history_value_add(&h, 1, result, sizeof(result));
	CHECK(history_value_at(&h, 1) != NULL);
	/* Values alone stop at the same half. */
	for (uint64_t at = 2; at < 1000000; at++)
		history_value_add(&h, at, result, sizeof(result));
	CHECK(h.records_full && history_bytes(&h, &c) <= h.budget / 2);
	history_clear(&h, &c);
	return unit_done();
}
