#include "checkpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "err.h"
#include "mem.h"
#include "vcpu.h"
#include "vm.h"

void checkpoints_init(struct checkpoints *c, struct vm *vm, struct vcpu *vcpu)
{
	*c = (struct checkpoints){ .vm = vm, .vcpu = vcpu, .base = -1 };
}

static void checkpoint_free(struct checkpoint *k)
{
	arch_snapshot_free(k->cpu);
	free(k->devices);
	free(k->pages);
	free(k->data);
}

void checkpoints_free(struct checkpoints *c)
{
	for (unsigned i = 0; i < c->n; i++)
		checkpoint_free(&c->v[i]);
	free(c->v);
	free(c->mark);
	if (c->vm)
		vm_dirty_track(c->vm, false);
	checkpoints_init(c, c->vm, c->vcpu);
}

/* Copies the pages of RAM that want() chooses into k (-E2BIG past budget bytes). */
static int checkpoint_pages(struct checkpoint *k, const struct mem *mem,
			    bool (*want)(const struct mem *mem, uint64_t page), uint64_t budget)
{
	size_t n = 0;

	for (uint64_t p = 0; p < MEM_PAGES(mem); p++)
		n += want(mem, p);
	if (n > budget / MEM_PAGE)
		return -E2BIG;
	k->pages = malloc((n ? n : 1) * sizeof(*k->pages));
	k->data = malloc((n ? n : 1) * MEM_PAGE);
	if (!k->pages || !k->data)
		return err_set(ENOMEM, "out of memory for a checkpoint of %zu pages", n);
	for (uint64_t p = 0; p < MEM_PAGES(mem); p++)
		if (want(mem, p)) {
			k->pages[k->npages] = p;
			memcpy(k->data + k->npages++ * MEM_PAGE, mem->ram + p * MEM_PAGE, MEM_PAGE);
		}
	return 0;
}

static bool checkpoint_page_written(const struct mem *mem, uint64_t page)
{
	return mem_dirty_page(mem, page);
}

static bool checkpoint_page_nonzero(const struct mem *mem, uint64_t page)
{
	return !mem_page_zero(mem, page);
}

int checkpoint_take(struct checkpoints *c, uint64_t budget)
{
	struct mem *mem = &c->vm->mem;
	struct checkpoint k = { .parent = c->base };
	unsigned slot = 0;
	int r;

	while (slot < c->n && c->v[slot].cpu)
		slot++;
	if (slot == c->cap) {
		unsigned cap = c->cap ? 2 * c->cap : 8;
		struct checkpoint *v = realloc(c->v, cap * sizeof(*v));
		unsigned *mark;

		if (!v)
			return err_set(ENOMEM, "out of memory");
		c->v = v;
		mark = realloc(c->mark, cap * sizeof(*mark));
		if (!mark)
			return err_set(ENOMEM, "out of memory");
		memset(mark + c->cap, 0, (cap - c->cap) * sizeof(*mark));
		c->mark = mark;
		c->cap = cap;
	}
	if (c->live == 0) {
		r = vm_dirty_track(c->vm, true);
		if (r < 0)
			return r;
		r = checkpoint_pages(&k, mem, checkpoint_page_nonzero, budget);
	} else {
		/* With no base (the first one was dropped), every page may differ. */
		r = vm_dirty_sync(c->vm);
		if (!r && c->base < 0)
			for (uint64_t p = 0; p < MEM_PAGES(mem); p++)
				mem_mark_page(mem, p);
		if (!r)
			r = checkpoint_pages(&k, mem, checkpoint_page_written, budget);
	}
	if (!r && !(k.cpu = arch_snapshot_take(c->vcpu)))
		r = -EIO;
	k.devices_size = iobus_state(&c->vm->bus, NULL, false);
	if (!r && !(k.devices = malloc(k.devices_size ? k.devices_size : 1)))
		r = err_set(ENOMEM, "out of memory");
	if (r < 0) {
		checkpoint_free(&k);
		if (c->live == 0)
			vm_dirty_track(c->vm, false);
		return r;
	}
	pthread_mutex_lock(&c->vm->io_lock);
	iobus_state(&c->vm->bus, k.devices, false);
	pthread_mutex_unlock(&c->vm->io_lock);
	mem_dirty_clear(mem);
	c->v[slot] = k;
	c->bytes += checkpoint_bytes(c, slot);
	c->base = (int)slot;
	c->live++;
	if (slot == c->n)
		c->n++;
	return (int)slot;
}

/* Page p's contents at checkpoint i: the newest copy on the way up, or NULL
 * when there is none (then it was zero when the first one was taken). */
static const uint8_t *checkpoint_page_at(const struct checkpoints *c, int i, uint64_t p)
{
	for (; i >= 0; i = c->v[i].parent) {
		const struct checkpoint *k = &c->v[i];
		size_t lo = 0, hi = k->npages;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (k->pages[mid] < p)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < k->npages && k->pages[lo] == p)
			return k->data + lo * MEM_PAGE;
	}
	return NULL;
}

static void checkpoint_mark_pages(struct mem *mem, const struct checkpoint *k)
{
	for (size_t j = 0; j < k->npages; j++)
		mem_mark_page(mem, k->pages[j]);
}

int checkpoint_restore(struct checkpoints *c, unsigned i)
{
	struct mem *mem = &c->vm->mem;
	int a = c->base, b = (int)i, r;

	if (!checkpoint_live(c, i))
		return err_set(ENOENT, "no checkpoint %u", i);
	r = vm_dirty_sync(c->vm);
	if (r < 0)
		return r;
	/*
	 * The pages that may differ: those written since the base, and those
	 * of the checkpoints between the base and i, up to where their paths to
	 * the first one meet (every page, without a base). Marked in mem.dirty,
	 * then put back one by one.
	 */
	c->stamp++;
	for (int x = a; x >= 0; x = c->v[x].parent)
		c->mark[x] = c->stamp;
	int meet = b;

	while (meet >= 0 && c->mark[meet] != c->stamp)
		meet = c->v[meet].parent;
	for (int x = a; x != meet; x = c->v[x].parent)
		checkpoint_mark_pages(mem, &c->v[x]);
	for (int x = b; x != meet; x = c->v[x].parent)
		checkpoint_mark_pages(mem, &c->v[x]);
	if (a < 0)
		for (uint64_t p = 0; p < MEM_PAGES(mem); p++)
			mem_mark_page(mem, p);
	for (uint64_t p = 0; p < MEM_PAGES(mem); p++) {
		const uint8_t *src;

		if (!mem_dirty_page(mem, p))
			continue;
		src = checkpoint_page_at(c, (int)i, p);
		if (src)
			memcpy(mem->ram + p * MEM_PAGE, src, MEM_PAGE);
		else
			memset(mem->ram + p * MEM_PAGE, 0, MEM_PAGE);
	}
	mem_dirty_clear(mem);
	c->base = (int)i;
	pthread_mutex_lock(&c->vm->io_lock);
	iobus_state(&c->vm->bus, c->v[i].devices, true);
	pthread_mutex_unlock(&c->vm->io_lock);
	r = arch_snapshot_restore(c->vcpu, c->v[i].cpu);
	if (r < 0)
		return err_set(-r, "the vCPU could not be put back (%s): memory and devices are "
			       "at the checkpoint, the registers are not", err_msg());
	return 0;
}

size_t checkpoint_bytes(const struct checkpoints *c, unsigned i)
{
	const struct checkpoint *k = &c->v[i];

	return sizeof(*k) + k->npages * (MEM_PAGE + sizeof(*k->pages)) + k->devices_size +
	       arch_snapshot_size(k->cpu);
}

/* Gives child ch the pages of k it does not have itself. */
static int checkpoint_inherit(struct checkpoints *c, struct checkpoint *ch, const struct checkpoint *k)
{
	size_t n = 0, a = 0, b = 0;
	uint64_t *pages;
	uint8_t *data;

	while (a < ch->npages || b < k->npages) {
		if (a == ch->npages)
			b++;
		else if (b == k->npages || ch->pages[a] < k->pages[b])
			a++;
		else {
			if (ch->pages[a] == k->pages[b])
				b++;
			a++;
		}
		n++;
	}
	if (n == ch->npages)
		return 0;
	pages = malloc(n * sizeof(*pages));
	data = malloc(n * MEM_PAGE);
	if (!pages || !data) {
		free(pages);
		free(data);
		return err_set(ENOMEM, "out of memory to merge a checkpoint into the next");
	}
	for (n = a = b = 0; a < ch->npages || b < k->npages; n++) {
		bool mine = a < ch->npages && (b == k->npages || ch->pages[a] <= k->pages[b]);

		if (mine) {
			if (b < k->npages && ch->pages[a] == k->pages[b])
				b++;
			pages[n] = ch->pages[a];
			memcpy(data + n * MEM_PAGE, ch->data + a++ * MEM_PAGE, MEM_PAGE);
		} else {
			pages[n] = k->pages[b];
			memcpy(data + n * MEM_PAGE, k->data + b++ * MEM_PAGE, MEM_PAGE);
		}
	}
	c->bytes += (n - ch->npages) * (MEM_PAGE + sizeof(*pages));
	free(ch->pages);
	free(ch->data);
	ch->pages = pages;
	ch->data = data;
	ch->npages = n;
	return 0;
}

int checkpoint_drop(struct checkpoints *c, unsigned i)
{
	struct checkpoint *k;

	if (!checkpoint_live(c, i))
		return err_set(ENOENT, "no checkpoint %u", i);
	k = &c->v[i];
	/* A child that already took k's pages still descends from k correctly:
	 * a failure half-way leaves the tree as it was. */
	for (unsigned j = 0; j < c->n; j++)
		if (c->v[j].cpu && c->v[j].parent == (int)i && checkpoint_inherit(c, &c->v[j], k) < 0)
			return -ENOMEM;
	for (unsigned j = 0; j < c->n; j++)
		if (c->v[j].cpu && c->v[j].parent == (int)i)
			c->v[j].parent = k->parent;
	/* RAM now differs from the parent in k's pages too. */
	if (c->base == (int)i) {
		checkpoint_mark_pages(&c->vm->mem, k);
		c->base = k->parent;
	}
	c->bytes -= checkpoint_bytes(c, i);
	checkpoint_free(k);
	*k = (struct checkpoint){ .parent = -1 };
	c->live--;
	return 0;
}
