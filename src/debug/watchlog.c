/*
 * The observers' glue: memory watchpoints (watch.c does the pages, this
 * file the numbers, owners and limits) and the MMIO/port access log
 * (iolog.c), with the instruction count each logged access gets.
 */
#include "internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>

#include "../arch.h"
#include "../err.h"
#include "../span.h"
#include "../stats.h"
#include "../vm.h"

static const char *debug_watch_kind_name(unsigned kind)
{
	return kind == WATCH_WRITE ? "write" : kind == WATCH_READ ? "read" : "access";
}

/* The guest-physical pieces of [addr, addr + len), page by page; all must be RAM. */
static int debug_watch_pieces(struct debug *d, uint64_t addr, uint64_t len, bool phys,
			      struct watch_piece **out, unsigned *n)
{
	const struct watch *w = &d->watch;
	uint64_t total = 0, pages, va = addr, left = len;
	struct watch_piece *p;
	int r;

	for (unsigned i = 0; i < w->nmem; i++)
		total += w->mem[i].len;
	if (w->nmem >= DEBUG_MAX_WATCHES)
		return err_set(ENOSPC, "all %d watchpoints are in use (delete one)",
			       DEBUG_MAX_WATCHES);
	r = span_check(addr, len, DEBUG_MAX_WATCH_BYTES - total, "the watchpoint");
	if (r < 0)
		return r == -E2BIG ? err_set(ENOSPC, "watchpoints may cover %d MiB together, and "
					     "%llu bytes are left (asked for %llu)",
					     DEBUG_MAX_WATCH_BYTES >> 20,
					     (unsigned long long)(DEBUG_MAX_WATCH_BYTES - total),
					     (unsigned long long)len) : r;
	pages = span_pages(addr, len, MEM_PAGE);
	p = calloc(pages, sizeof(*p));
	if (!p)
		return err_set(ENOMEM, "out of memory");
	for (unsigned i = 0; left; i++) {
		uint64_t chunk = MEM_PAGE - (va & (MEM_PAGE - 1)), pa = va;

		if (chunk > left)
			chunk = left;
		/* A page is RAM or device space as a whole (RAM ends on a page). */
		r = phys ? 0 : arch_virt_to_phys(d->vcpu, va, &pa);
		if (r < 0) {
			free(p);
			return r;
		}
		p[i] = (struct watch_piece){ .pa = pa, .len = chunk, .va = va,
					     .device = !mem_ptr(&d->vm->mem, pa, chunk) };
		*n = i + 1;
		va += chunk;
		left -= chunk;
	}
	*out = p;
	return 0;
}

int debug_watch_insert(struct debug *d, unsigned kind, uint64_t addr, uint64_t len, bool phys,
		       unsigned owner)
{
	struct mem_watch *m = watch_mem_find(&d->watch, kind, addr, len, phys);
	struct watch_piece *pieces = NULL;
	unsigned n = 0;
	int r;

	if (m && (m->owners & owner))
		return err_set(EEXIST, "there is already a %s watchpoint at %#llx+%llu",
			       debug_watch_kind_name(kind), (unsigned long long)addr,
			       (unsigned long long)len);
	if (m) {
		m->owners |= owner;
		return m->id;
	}
	r = debug_watch_pieces(d, addr, len, phys, &pieces, &n);
	if (r < 0)
		return r;
	return watch_mem_add(&d->watch, d->next_id++, owner, kind, addr, len, phys, pieces, n);
}

void debug_watch_release(struct debug *d, struct mem_watch *m, unsigned owner)
{
	m->owners &= ~owner;
	if (!m->owners)
		watch_mem_remove(&d->watch, m->id);
}

struct mem_watch *debug_watch_find(struct debug *d, unsigned kind, uint64_t addr, uint64_t len,
				   bool phys)
{
	return watch_mem_find(&d->watch, kind, addr, len, phys);
}

struct mem_watch *debug_watch_get(struct debug *d, int id)
{
	return watch_mem_get(&d->watch, id);
}

struct mem_watch *debug_watch_at(struct debug *d, unsigned i)
{
	return i < d->watch.nmem ? &d->watch.mem[i] : NULL;
}

const struct watch_hit *debug_watch_hit(const struct debug *d)
{
	return &d->watch.hit;
}

/* ---- the access log -------------------------------------------------------------- */

const struct io_watch *debug_io_watch(struct debug *d, enum io_space space, const char *range,
				      const char *dirs)
{
	uint64_t base, len;
	unsigned dir;
	int id;

	if (iobus_parse_range(&d->vm->bus, space, range, &base, &len) < 0 ||
	    iobus_parse_dirs(dirs, &dir) < 0)
		return NULL;
	id = iolog_watch_add(&d->log, space, base, len, dir, range);
	if (id < 0)
		return NULL;
	if (d->vm->irqchip) {
		char names[sizeof(d->notice) - 160];

		if (arch_irqchip_overlaps(space == IO_MMIO, base, len, names, sizeof(names)))
			snprintf(d->notice, sizeof(d->notice),
				 "watch %d: KVM handles %s without kvmdbg, which never sees "
				 "those accesses (--irqchip off leaves them to kvmdbg)", id, names);
	}
	return &d->log.io[d->log.nio - 1];
}

int debug_io_unwatch(struct debug *d, int id)
{
	return iolog_watch_remove(&d->log, id);
}

void debug_io_list(const struct debug *d, FILE *out)
{
	iolog_list(&d->log, out);
}

int debug_io_log(struct debug *d, const char *path, bool careful)
{
	return iolog_open(&d->log, path, careful);
}

void debug_io_output(struct debug *d, FILE *out)
{
	d->log.out = out;
}

void debug_io_stats(const struct debug *d, FILE *out)
{
	iolog_stats(&d->log, out);
}

void debug_stats(const struct debug *d, FILE *out)
{
	const struct stats *cpus[VM_MAX_CPUS];

	for (unsigned i = 0; i < d->ncpus; i++)
		cpus[i] = &d->cpus[i]->stats;
	stats_print(&d->vm->stats, cpus, d->ncpus, out);
}

const struct io_range *debug_io_device(const struct debug *d, enum io_space space, uint64_t addr)
{
	return iobus_find(&d->vm->bus, space, addr);
}

int debug_io_access(struct debug *d, enum io_space space, uint64_t addr, unsigned size,
		    bool write, uint64_t *value)
{
	struct io_access acc = { .space = space, .addr = addr, .size = size, .is_write = write,
				 .value = write ? *value : 0 };
	char names[256];
	enum io_result res;

	if (d->running)
		return err_set(EBUSY, "the guest is running");
	if (d->vm->irqchip && arch_irqchip_overlaps(space == IO_MMIO, addr, size, names,
						    sizeof(names)))
		return err_set(ENODEV, "KVM handles %s without kvmdbg, which cannot reach it "
			       "(--irqchip off leaves the address to kvmdbg)", names);
	/* (Devices are the machine's: the serial input thread touches the UART.) */
	pthread_mutex_lock(&d->vm->io_lock);
	res = iobus_route(&d->vm->bus, &acc);
	pthread_mutex_unlock(&d->vm->io_lock);
	/* A device's state is the machine's: what history keeps went differently. */
	d->wrote |= acc.dev != NULL;
	if (!write)
		*value = acc.value;
	return res == IO_DONE ? 0 : 1;
}

const char *debug_dirs_name(unsigned dirs)
{
	return iobus_dirs_name(dirs);
}

int debug_parse_dirs(const char *text, unsigned *dirs)
{
	return iobus_parse_dirs(text, dirs);
}

uint64_t debug_io_exits(const struct debug *d)
{
	return d->vcpu->stats.exits[KVM_EXIT_IO] + d->vcpu->stats.exits[KVM_EXIT_MMIO];
}

/* The icount of the instruction making an I/O access, for the log (vCPU
 * thread). The ring is drained right after each counted step, before the
 * count moves on: the queued writes are the stepped instruction's. */
enum iolog_count debug_watch_icount(void *opaque, bool queued, uint64_t *count, uint64_t *pc,
				    bool *pc_known)
{
	struct debug *d = opaque;
	uint64_t n;

	*pc_known = false;
	if (!d->icount_on)
		return IOLOG_UNCOUNTED;
	if (d->perf.fd < 0) {
		if (d->vcpu->mode == VCPU_COUNT) {
			*pc = d->prev_pc;
			*pc_known = true;
		} else if (queued) {
			return IOLOG_COUNT_UNKNOWN;
		}
		*count = __atomic_load_n(&d->icount, __ATOMIC_RELAXED);
		return IOLOG_COUNTED;
	}
	/* Counted by perf: this exit is counted among the I/O exits, but its
	 * instruction has not retired yet. */
	if (queued || icount_perf_read(&d->perf, &n) < 0)
		return IOLOG_COUNT_UNKNOWN;
	*count = d->perf_base + n + (debug_io_exits(d) - d->perf_io) - 1;
	return IOLOG_COUNTED;
}
