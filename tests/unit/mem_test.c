/*
 * Unit test of guest memory (src/mem.c): where RAM sits around the MMIO hole,
 * and the memslot layout that protects chosen pages (mem_slots). No KVM.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/devices/layout.h"
#include "../../src/mem.h"
#include "unit.h"

#define P MEM_PAGE

/* Whether the layout is exactly the slots given as {gpa, size, offset, readonly}. */
static bool slots_are(const struct mem *m, const struct mem_page_prot *pages, unsigned n,
		      const struct mem_slot *want, unsigned nwant)
{
	struct mem_slot *got;
	unsigned ngot;
	bool same;

	if (mem_slots(m, pages, n, &got, &ngot) < 0)
		return false;
	same = ngot == nwant;
	for (unsigned i = 0; same && i < ngot; i++)
		same = got[i].gpa == want[i].gpa && got[i].size == want[i].size &&
		       got[i].offset == want[i].offset && got[i].readonly == want[i].readonly;
	if (!same)
		for (unsigned i = 0; i < ngot; i++)
			fprintf(stderr, "  slot %u: %#llx+%#llx at %#llx%s\n", i,
				(unsigned long long)got[i].gpa, (unsigned long long)got[i].size,
				(unsigned long long)got[i].offset, got[i].readonly ? " ro" : "");
	free(got);
	return same;
}

/* Only sizes matter to the layout; no RAM is mapped for these. */
static struct mem fake(uint64_t size)
{
	return (struct mem){ .size = size,
			     .low_size = size < LAYOUT_MMIO_HOLE ? size : LAYOUT_MMIO_HOLE };
}

static void layout(void)
{
	struct mem m;

	CHECK(mem_init(&m, 4 << 20) == 0);
	CHECK(mem_end(&m) == 4 << 20);
	CHECK(mem_ptr(&m, 0, 4 << 20) == m.ram);
	CHECK(mem_ptr(&m, (4 << 20) - 1, 1) == m.ram + (4 << 20) - 1);
	CHECK(mem_ptr(&m, (4 << 20) - 1, 2) == NULL);   /* runs past the end */
	CHECK(mem_ptr(&m, ~0ULL, 2) == NULL);           /* wraps */
	CHECK(mem_ptr(&m, LAYOUT_HIGH_RAM, 1) == NULL); /* no high RAM */
	uint32_t v = 0x11223344, r = 0;

	CHECK(mem_write(&m, 0x1000, &v, 4) == 0 && mem_read(&m, 0x1000, &r, 4) == 0 && r == v);
	CHECK(mem_read(&m, (4 << 20) - 2, &r, 4) < 0);
	mem_free(&m);

	/* Above the MMIO hole, RAM goes on at 4 GiB. */
	m = fake(LAYOUT_MMIO_HOLE + (1ULL << 30));
	CHECK(mem_end(&m) == LAYOUT_HIGH_RAM + (1ULL << 30));
}

static void slots(void)
{
	struct mem m = fake(16 << 20);
	const uint64_t all = 16 << 20;

	/* Nothing protected: one slot. */
	CHECK(slots_are(&m, NULL, 0, (struct mem_slot[]){ { 0, all, 0, false, 0 } }, 1));
	/* A page taken away splits the RAM around it. */
	CHECK(slots_are(&m, (struct mem_page_prot[]){ { 5 * P, false } }, 1,
			(struct mem_slot[]){ { 0, 5 * P, 0, false, 0 },
					     { 6 * P, all - 6 * P, 6 * P, false, 0 } }, 2));
	/* A read-only page gets a slot of its own. */
	CHECK(slots_are(&m, (struct mem_page_prot[]){ { 5 * P, true } }, 1,
			(struct mem_slot[]){ { 0, 5 * P, 0, false, 0 },
					     { 5 * P, P, 5 * P, true, 0 },
					     { 6 * P, all - 6 * P, 6 * P, false, 0 } }, 3));
	/* Neighbouring read-only pages merge; the first and last pages of RAM. */
	CHECK(slots_are(&m, (struct mem_page_prot[]){ { 0, false }, { 7 * P, true },
						      { 8 * P, true }, { all - P, false } }, 4,
			(struct mem_slot[]){ { P, 6 * P, P, false, 0 },
					     { 7 * P, 2 * P, 7 * P, true, 0 },
					     { 9 * P, all - 10 * P, 9 * P, false, 0 } }, 3));
	/* A page outside RAM is ignored; one listed twice counts once. */
	CHECK(slots_are(&m, (struct mem_page_prot[]){ { 3 * P, false }, { 3 * P, false },
						      { all + P, false } }, 3,
			(struct mem_slot[]){ { 0, 3 * P, 0, false, 0 },
					     { 4 * P, all - 4 * P, 4 * P, false, 0 } }, 2));

	/* With RAM above 4 GiB: each bank is split on its own, offsets follow RAM. */
	m = fake(LAYOUT_MMIO_HOLE + (64ULL << 20));
	CHECK(slots_are(&m, (struct mem_page_prot[]){ { LAYOUT_MMIO_HOLE - P, true },
						      { LAYOUT_HIGH_RAM + 2 * P, false } }, 2,
			(struct mem_slot[]){
				{ 0, LAYOUT_MMIO_HOLE - P, 0, false, 0 },
				{ LAYOUT_MMIO_HOLE - P, P, LAYOUT_MMIO_HOLE - P, true, 0 },
				{ LAYOUT_HIGH_RAM, 2 * P, LAYOUT_MMIO_HOLE, false, 0 },
				{ LAYOUT_HIGH_RAM + 3 * P, (64ULL << 20) - 3 * P,
				  LAYOUT_MMIO_HOLE + 3 * P, false, 0 } }, 4));
}

/* The dirty map: what kvmdbg's own writes mark, where pages sit in mem.ram. */
static void dirty(void)
{
	struct mem m;
	uint64_t v = 1;

	CHECK(mem_init(&m, 1 << 20) == 0);
	CHECK(!mem_dirty_page(&m, 0));
	mem_mark(&m, 0x1000, 8); /* not tracked: nothing */
	CHECK(mem_track(&m, true) == 0);
	CHECK(!mem_dirty_page(&m, 1));
	CHECK(mem_write(&m, 0x1ffc, &v, 8) == 0); /* across two pages */
	CHECK(!mem_dirty_page(&m, 0) && mem_dirty_page(&m, 1) && mem_dirty_page(&m, 2) &&
	      !mem_dirty_page(&m, 3));
	mem_mark(&m, 0xff000, P);
	CHECK(mem_dirty_page(&m, 255));
	mem_mark(&m, 0x100000, P); /* past the end: nothing */
	mem_mark(&m, 0xff000, 2 * P);
	CHECK(!mem_dirty_page(&m, 254));
	mem_dirty_clear(&m);
	CHECK(!mem_dirty_page(&m, 1) && !mem_dirty_page(&m, 255));
	mem_mark(&m, 0x5123, 1);
	CHECK(mem_dirty_page(&m, 5) && !mem_dirty_page(&m, 4) && !mem_dirty_page(&m, 6));
	mem_mark_page(&m, 7);
	mem_mark_page(&m, 256); /* past the end: nothing */
	CHECK(mem_dirty_page(&m, 7));
	CHECK(mem_track(&m, false) == 0 && !m.dirty);
	mem_free(&m);

	/* Above 4 GiB, pages of mem.ram go on from the end of low RAM (no RAM
	 * is touched: the mapping is reserved, not backed). */
	CHECK(mem_init(&m, LAYOUT_MMIO_HOLE + (64ULL << 20)) == 0 && mem_track(&m, true) == 0);
	mem_mark(&m, LAYOUT_HIGH_RAM + P, 1);
	CHECK(mem_dirty_page(&m, LAYOUT_MMIO_HOLE / P + 1) && !mem_dirty_page(&m, 1));
	mem_mark(&m, LAYOUT_MMIO_HOLE - P, P);
	CHECK(mem_dirty_page(&m, LAYOUT_MMIO_HOLE / P - 1));
	mem_free(&m);
}

int main(void)
{
	layout();
	dirty();
	slots();
	return unit_done();
}
