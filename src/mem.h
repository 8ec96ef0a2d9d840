/*
 * Guest memory: the RAM the guest sees, where it sits in the guest-physical
 * space, and the memslot layout that protects chosen pages. Below both the
 * engine and the architecture; it knows nothing of KVM (vm.c registers the
 * slots mem_slots() computes).
 */
#ifndef KVMDBG_MEM_H
#define KVMDBG_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_PAGE 4096ULL

struct mem {
	uint8_t *ram;      /* guest RAM, one anonymous mapping */
	uint64_t size;     /* bytes of RAM */
	uint64_t low_size; /* RAM at guest-physical 0; the rest sits at LAYOUT_HIGH_RAM */
	uint64_t *dirty;   /* a bit per page of RAM written since mem_dirty_clear()
			      (by kvmdbg; the guest's writes come from KVM's dirty log,
			      vm_dirty_sync()); NULL: not tracked */
};

/* Maps size bytes of RAM (a multiple of MEM_PAGE); -errno with a message. */
int mem_init(struct mem *mem, uint64_t size);
void mem_free(struct mem *mem);
/* Host pointer to [gpa, gpa + len) if all of it is RAM, else NULL. */
void *mem_ptr(const struct mem *mem, uint64_t gpa, uint64_t len);
/* Copy to or from guest RAM; -EFAULT when any byte is outside RAM. */
int mem_read(const struct mem *mem, uint64_t gpa, void *buf, size_t len);
int mem_write(struct mem *mem, uint64_t gpa, const void *buf, size_t len);
/* Whether page i (of mem->ram) holds only zeros. */
bool mem_page_zero(const struct mem *mem, uint64_t i);
/* Zeros all RAM, giving its pages back to the host (marked written, where
 * tracked, if they were not zero). */
void mem_zero(struct mem *mem);
/* The guest-physical address one past the end of RAM. */
uint64_t mem_end(const struct mem *mem);

/* The machine's memory map as firmware reports it (multiboot's, e820), as
 * a PC's: RAM below 640 KiB but its last KiB (the EBDA's place), the BIOS
 * area's last 64 KiB reserved (the MP table is there), RAM from 1 MiB to the
 * MMIO hole, the rest above 4 GiB. (Linux takes an e820 map of fewer than two
 * entries for none.) */
#define MEM_MAP_MAX 5
#define MEM_MAP_RAM 1
#define MEM_MAP_RESERVED 2
struct mem_map_entry {
	uint64_t addr, len;
	uint32_t type; /* MEM_MAP_RAM, MEM_MAP_RESERVED (e820's and multiboot's numbers) */
};
/* Fills map (MEM_MAP_MAX entries); how many there are. */
unsigned mem_map(const struct mem *mem, struct mem_map_entry *map);

/* Pages of RAM. */
#define MEM_PAGES(mem) ((mem)->size / MEM_PAGE)
/* Starts or stops keeping mem->dirty (all clear at the start); -errno. */
int mem_track(struct mem *mem, bool on);
/* Marks [gpa, gpa + len) written (whoever writes RAM through mem_ptr() says
 * so; mem_write() does it itself). Nothing while not tracked. */
void mem_mark(struct mem *mem, uint64_t gpa, uint64_t len);
/* The same for page i of mem->ram. */
void mem_mark_page(struct mem *mem, uint64_t i);
void mem_dirty_clear(struct mem *mem);
/* Whether page i (of mem->ram) is marked. */
static inline bool mem_dirty_page(const struct mem *mem, uint64_t i)
{
	return mem->dirty && (mem->dirty[i / 64] >> (i % 64) & 1);
}

/* One memslot: a guest-physical range of RAM. */
struct mem_slot {
	uint64_t gpa, size; /* guest-physical range */
	uint64_t offset;    /* where it starts in mem->ram */
	bool readonly;      /* guest writes exit as MMIO */
	uint32_t id;        /* KVM's slot number (set by whoever registers it) */
};

/* A RAM page the guest may not access freely (for watchpoints). */
struct mem_page_prot {
	uint64_t gpa;  /* page address */
	bool readonly; /* reads go to RAM, writes exit; else every access exits */
};

/*
 * The slots that cover all RAM around exactly the pages listed (sorted by
 * address; pages outside RAM are ignored): a read-only page gets a slot of
 * its own, a page with no access at all none; neighbouring slots that
 * continue each other are merged. *list (malloc'd, by address) and *n; -errno.
 */
int mem_slots(const struct mem *mem, const struct mem_page_prot *pages, unsigned npages,
	      struct mem_slot **list, unsigned *n);

#endif
