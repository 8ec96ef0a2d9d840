#include "mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/layout.h"
#include "err.h"

int mem_init(struct mem *mem, uint64_t size)
{
	*mem = (struct mem){ 0 };
	mem->ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem->ram == MAP_FAILED) {
		mem->ram = NULL;
		return err_set(errno, "cannot allocate %llu MiB of guest RAM: %s",
			       (unsigned long long)(size >> 20), strerror(errno));
	}
	mem->size = size;
	mem->low_size = size < LAYOUT_MMIO_HOLE ? size : LAYOUT_MMIO_HOLE;
	return 0;
}

void mem_free(struct mem *mem)
{
	free(mem->dirty);
	if (mem->ram)
		munmap(mem->ram, mem->size);
	*mem = (struct mem){ 0 };
}

unsigned mem_map(const struct mem *mem, struct mem_map_entry *map)
{
	unsigned n = 0;

	map[n++] = (struct mem_map_entry){ .addr = 0, .len = LAYOUT_EBDA, .type = MEM_MAP_RAM };
	map[n++] = (struct mem_map_entry){ .addr = LAYOUT_EBDA, .len = LAYOUT_VGA - LAYOUT_EBDA,
					   .type = MEM_MAP_RESERVED };
	map[n++] = (struct mem_map_entry){ .addr = LAYOUT_BIOS, .len = LAYOUT_HIGH_MEM - LAYOUT_BIOS,
					   .type = MEM_MAP_RESERVED };
	map[n++] = (struct mem_map_entry){ .addr = LAYOUT_HIGH_MEM,
					   .len = mem->low_size - LAYOUT_HIGH_MEM,
					   .type = MEM_MAP_RAM };
	if (mem->size > mem->low_size)
		map[n++] = (struct mem_map_entry){ .addr = LAYOUT_HIGH_RAM,
						   .len = mem->size - mem->low_size,
						   .type = MEM_MAP_RAM };
	return n;
}

uint64_t mem_end(const struct mem *mem)
{
	if (mem->size > mem->low_size)
		return LAYOUT_HIGH_RAM + mem->size - mem->low_size;
	return mem->low_size;
}

void *mem_ptr(const struct mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t high = mem->size - mem->low_size;

	if (!mem->ram || gpa + len < gpa)
		return NULL;
	if (gpa < mem->low_size && len <= mem->low_size - gpa)
		return mem->ram + gpa;
	if (gpa >= LAYOUT_HIGH_RAM && gpa - LAYOUT_HIGH_RAM < high &&
	    len <= high - (gpa - LAYOUT_HIGH_RAM))
		return mem->ram + mem->low_size + (gpa - LAYOUT_HIGH_RAM);
	return NULL;
}

static int mem_fault(uint64_t gpa, size_t len)
{
	return err_set(EFAULT, "guest-physical %#llx+%#zx is not RAM", (unsigned long long)gpa,
		       len);
}

int mem_read(const struct mem *mem, uint64_t gpa, void *buf, size_t len)
{
	const void *p = mem_ptr(mem, gpa, len);

	if (!p)
		return mem_fault(gpa, len);
	memcpy(buf, p, len);
	return 0;
}

int mem_write(struct mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	void *p = mem_ptr(mem, gpa, len);

	if (!p)
		return mem_fault(gpa, len);
	memcpy(p, buf, len);
	mem_mark(mem, gpa, len);
	return 0;
}

bool mem_page_zero(const struct mem *mem, uint64_t i)
{
	const uint64_t *w = (const uint64_t *)(mem->ram + i * MEM_PAGE);

	for (size_t j = 0; j < MEM_PAGE / 8; j++)
		if (w[j])
			return false;
	return true;
}

void mem_zero(struct mem *mem)
{
	/* Tracked: what changes is the pages that were not zero. */
	for (uint64_t i = 0; mem->dirty && i < MEM_PAGES(mem); i++)
		if (!mem_dirty_page(mem, i) && !mem_page_zero(mem, i))
			mem_mark_page(mem, i);
	/* A private anonymous mapping reads zeros where its pages were dropped. */
	if (madvise(mem->ram, mem->size, MADV_DONTNEED) < 0)
		memset(mem->ram, 0, mem->size);
}

static size_t mem_dirty_words(const struct mem *mem)
{
	return (size_t)((MEM_PAGES(mem) + 63) / 64);
}

int mem_track(struct mem *mem, bool on)
{
	free(mem->dirty);
	mem->dirty = NULL;
	if (on && !(mem->dirty = calloc(mem_dirty_words(mem) ? mem_dirty_words(mem) : 1, 8)))
		return err_set(ENOMEM, "out of memory for the dirty-page map");
	return 0;
}

void mem_mark_page(struct mem *mem, uint64_t i)
{
	if (mem->dirty && i < MEM_PAGES(mem))
		mem->dirty[i / 64] |= 1ULL << (i % 64);
}

void mem_mark(struct mem *mem, uint64_t gpa, uint64_t len)
{
	const uint8_t *p;
	uint64_t off;

	if (!mem->dirty || !len || !(p = mem_ptr(mem, gpa, len)))
		return;
	/* A range that is RAM lies in one bank: its offsets are contiguous. */
	off = (uint64_t)(p - mem->ram);
	for (uint64_t i = off / MEM_PAGE; i <= (off + len - 1) / MEM_PAGE; i++)
		mem_mark_page(mem, i);
}

void mem_dirty_clear(struct mem *mem)
{
	if (mem->dirty)
		memset(mem->dirty, 0, mem_dirty_words(mem) * 8);
}

/* Appends a slot to the list, merging it into the last one where it continues it. */
static int mem_slot_append(struct mem_slot **list, unsigned *n, unsigned *cap,
			   struct mem_slot s)
{
	struct mem_slot *last = *n ? &(*list)[*n - 1] : NULL;

	if (!s.size)
		return 0;
	if (last && last->gpa + last->size == s.gpa && last->offset + last->size == s.offset &&
	    last->readonly == s.readonly) {
		last->size += s.size;
		return 0;
	}
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 8;
		struct mem_slot *p = realloc(*list, ncap * sizeof(*p));

		if (!p)
			return err_set(ENOMEM, "out of memory");
		*list = p;
		*cap = ncap;
	}
	(*list)[(*n)++] = s;
	return 0;
}

/* The slots covering one RAM bank, around its protected pages. */
static int mem_bank_slots(const struct mem_page_prot *pages, unsigned n, uint64_t gpa,
			  uint64_t size, uint64_t offset, struct mem_slot **list, unsigned *nl,
			  unsigned *cap)
{
	uint64_t at = gpa;
	int r = 0;

	for (unsigned i = 0; i < n && r == 0; i++) {
		const struct mem_page_prot *p = &pages[i];

		if (p->gpa < at || p->gpa >= gpa + size)
			continue;
		r = mem_slot_append(list, nl, cap, (struct mem_slot){ .gpa = at,
				    .size = p->gpa - at, .offset = offset + (at - gpa) });
		if (!r && p->readonly)
			r = mem_slot_append(list, nl, cap, (struct mem_slot){ .gpa = p->gpa,
					    .size = MEM_PAGE, .offset = offset + (p->gpa - gpa),
					    .readonly = true });
		at = p->gpa + MEM_PAGE;
	}
	if (!r)
		r = mem_slot_append(list, nl, cap, (struct mem_slot){ .gpa = at,
				    .size = gpa + size - at, .offset = offset + (at - gpa) });
	return r;
}

int mem_slots(const struct mem *mem, const struct mem_page_prot *pages, unsigned npages,
	      struct mem_slot **list, unsigned *n)
{
	unsigned cap = 0;
	int r;

	*list = NULL;
	*n = 0;
	r = mem_bank_slots(pages, npages, 0, mem->low_size, 0, list, n, &cap);
	if (!r && mem->size > mem->low_size)
		r = mem_bank_slots(pages, npages, LAYOUT_HIGH_RAM, mem->size - mem->low_size,
				   mem->low_size, list, n, &cap);
	if (r < 0) {
		free(*list);
		*list = NULL;
		*n = 0;
	}
	return r;
}
