#include "debug.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "devices/output.h"
#include "err.h"
#include "host.h"
#include "span.h"
#include "stats.h"
#include "vm.h"

#define INT3 0xcc

static bool debug_entry_armed(const struct entry_bp *e, uint64_t pc, bool int3_only)
{
	return e->addr == pc && (e->int3.planted || (e->by_page && !int3_only));
}

/* Called on the vCPU thread while the guest runs: planted breakpoints do not change then. */
static int debug_entry_find(const struct debug *d, uint64_t pc, bool int3_only)
{
	for (unsigned i = 0; i < d->nentries; i++)
		if (debug_entry_armed(&d->entry[i], pc, int3_only))
			return (int)i;
	return -1;
}

static int debug_entry_at(const struct debug *d, uint64_t pc)
{
	return debug_entry_find(d, pc, false);
}

static bool debug_own_breakpoint(void *opaque, uint64_t pc)
{
	struct debug *d = opaque;
	const struct breakpoint *bp = debug_break_find(d, BP_SW, pc);

	return (bp && bp->int3.planted) || debug_entry_find(d, pc, true) >= 0 ||
	       debug_entry_armed(&d->after, pc, true);
}

/* The breakpoint armed by page at pc, if any. */
static struct breakpoint *debug_page_bp_at(struct debug *d, uint64_t pc)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id && d->bp[i].by_page && d->bp[i].addr == pc)
			return &d->bp[i];
	return NULL;
}

/* Code at pc came from a page kvmdbg took out of the map: whether that is one
 * of its stops (the step off the one at the starting pc excepted). */
static bool debug_fetch_stop(void *opaque, uint64_t pc)
{
	struct debug *d = opaque;
	const struct breakpoint *bp;

	if (d->vcpu->mode == VCPU_COUNT) {
		int e = debug_entry_at(d, pc);

		return (e >= 0 && e != d->entry_lifted && d->entry[e].by_page) ||
		       (d->after.by_page && d->after.addr == pc);
	}
	bp = debug_page_bp_at(d, pc);
	return bp && bp != d->armed_skip;
}

static bool debug_count_hook(void *opaque, struct vcpu_stop *stop);
static uint64_t debug_io_exits(const struct debug *d);
static enum iolog_count debug_watch_icount(void *opaque, bool queued, uint64_t *count,
					   uint64_t *pc, bool *pc_known);

void debug_init(struct debug *d, struct vm *vm, struct vcpu *vcpu, const struct symtab *syms)
{
	*d = (struct debug){ .vm = vm, .vcpu = vcpu, .syms = syms, .next_id = 1 };
	vcpu->own_breakpoint = debug_own_breakpoint;
	vcpu->fetch_stop = debug_fetch_stop;
	vcpu->count_hook = debug_count_hook;
	vcpu->own_opaque = d;
	d->entry_lifted = -1;
	d->next_event_id = 1;
	d->perf.fd = -1;
	watch_init(&d->watch, vm);
	iolog_init(&d->log, &vm->stats);
	d->log.syms = syms;
	d->log.icount = debug_watch_icount;
	d->log.icount_opaque = d;
	vcpu->pages = &watch_page_ops;
	vcpu->pages_opaque = &d->watch;
	vcpu->on_access = iolog_record;
	vcpu->access_opaque = &d->log;
	checkpoints_init(&d->ckpt, vm, vcpu);
	history_init(&d->hist);
	d->input_fd = -1;
	d->run_at = UINT64_MAX;
	d->rev.at = UINT64_MAX;
}

void debug_free(struct debug *d)
{
	struct vcpu *vcpu = d->vcpu;

	vcpu->own_breakpoint = NULL;
	vcpu->fetch_stop = NULL;
	vcpu->count_hook = NULL;
	vcpu->pages = NULL;
	vcpu->on_access = NULL;
	watch_free(&d->watch);
	iolog_free(&d->log);
	history_clear(&d->hist, &d->ckpt);
	checkpoints_free(&d->ckpt);
	free(d->ckpt_debug);
	d->ckpt_debug = NULL;
}

/* Calls fn for each page-sized piece of [va, va + len) with its physical address. */
static int debug_access_virt(struct debug *d, uint64_t va, uint8_t *buf, size_t len, bool write)
{
	if (len && !span_ok(va, len, SIZE_MAX))
		return span_check(va, len, SIZE_MAX, "the access");
	while (len) {
		uint64_t pa, chunk = 0x1000 - (va & 0xfff);
		int r;

		if (chunk > len)
			chunk = len;
		r = arch_virt_to_phys(d->vcpu, va, &pa);
		if (r < 0)
			return r;
		r = write ? mem_write(&d->vm->mem, pa, buf, chunk) : mem_read(&d->vm->mem, pa, buf, chunk);
		if (r < 0)
			return err_set(EFAULT, "cannot access memory at address %#llx (physical "
				       "%#llx is not RAM)", (unsigned long long)va,
				       (unsigned long long)pa);
		va += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* ---- checkpoints ---------------------------------------------------------------- */

/* Takes a checkpoint with the debugger's part (id: the user's number, 0 for
 * the history's) within budget bytes; its slot, or -errno. */
static int debug_ckpt_take(struct debug *d, uint64_t budget, int id)
{
	int i = checkpoint_take(&d->ckpt, budget);

	if (i < 0)
		return i;
	if (d->ckpt_debug_cap < d->ckpt.cap) {
		struct debug_checkpoint *v = realloc(d->ckpt_debug, d->ckpt.cap * sizeof(*v));

		if (!v) {
			checkpoint_drop(&d->ckpt, (unsigned)i);
			return err_set(ENOMEM, "out of memory");
		}
		d->ckpt_debug = v;
		d->ckpt_debug_cap = d->ckpt.cap;
	}
	d->ckpt_debug[i] = (struct debug_checkpoint){ .id = id, .icount = d->icount, .sub = d->sub,
						      .pc = arch_pc(d->vcpu), .exited = d->exited,
						      .exit_status = d->exit_status, .last = d->last };
	return i;
}

/* The user's state changes from here on are theirs (history looks). */
static void debug_state_known(struct debug *d)
{
	d->arch_changes = arch_state_changes(d->vcpu);
	d->wrote = false;
}

/* Puts the machine back as it was at checkpoint slot i. */
static int debug_ckpt_restore(struct debug *d, unsigned i)
{
	const struct debug_checkpoint *k = &d->ckpt_debug[i];
	int r = checkpoint_restore(&d->ckpt, i);

	if (r < 0)
		return r;
	d->icount = k->icount;
	d->sub = k->sub;
	d->exited = k->exited;
	d->exit_status = k->exit_status;
	d->last = k->last;
	debug_state_known(d);
	return 0;
}

/* The slot of the user's checkpoint id, or -1. */
static int debug_ckpt_slot(const struct debug *d, int id)
{
	for (unsigned i = 0; id > 0 && i < d->ckpt.n; i++)
		if (checkpoint_live(&d->ckpt, i) && d->ckpt_debug[i].id == id)
			return (int)i;
	return -1;
}

/* The user's checkpoint at slot i or the nearest above it (0: none). */
static int debug_ckpt_user_above(const struct debug *d, int i)
{
	for (; i >= 0; i = d->ckpt.v[i].parent)
		if (d->ckpt_debug[i].id)
			return d->ckpt_debug[i].id;
	return 0;
}

static int debug_history_mark(struct debug *d);

int debug_checkpoint(struct debug *d)
{
	uint64_t left;
	int i;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (d->user_ckpts == DEBUG_MAX_CHECKPOINTS)
		return err_set(ENOSPC, "all %d checkpoints are taken", DEBUG_MAX_CHECKPOINTS);
	left = d->ckpt.bytes < DEBUG_MAX_CHECKPOINT_BYTES ? DEBUG_MAX_CHECKPOINT_BYTES - d->ckpt.bytes
							 : 0;
	i = debug_ckpt_take(d, left, d->next_ckpt_id + 1);
	if (i == -E2BIG)
		return err_set(ENOSPC, "checkpoints may keep %llu MiB together, and %llu MiB are "
			       "left: not enough for this one",
			       DEBUG_MAX_CHECKPOINT_BYTES >> 20,
			       (unsigned long long)(left >> 20));
	if (i < 0)
		return i;
	d->user_ckpts++;
	return ++d->next_ckpt_id;
}

int debug_restart(struct debug *d, int id)
{
	int i = debug_ckpt_slot(d, id), r;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (i < 0)
		return err_set(ENOENT, "no checkpoint %d", id);
	r = debug_ckpt_restore(d, (unsigned)i);
	if (r < 0)
		return r;
	/* icount stops already passed are behind the guest again: they stay. */
	if (d->hist.on) {
		/* The history was of another run: it starts again from here. */
		history_clear(&d->hist, &d->ckpt);
		d->hist.on = true;
		d->hist.furthest = d->icount;
		if (debug_history_mark(d) < 0) {
			d->hist.on = false;
			snprintf(d->notice, sizeof(d->notice), "history is off: %s", err_msg());
		} else {
			snprintf(d->notice, sizeof(d->notice), "history starts again here, at icount "
				 "%llu", (unsigned long long)d->icount);
		}
	}
	return 0;
}

const struct debug_checkpoint *debug_checkpoint_get(const struct debug *d, int id, int *parent,
						    size_t *pages, size_t *bytes)
{
	int i = debug_ckpt_slot(d, id);

	if (i < 0)
		return NULL;
	*parent = debug_ckpt_user_above(d, d->ckpt.v[i].parent);
	*pages = d->ckpt.v[i].npages;
	*bytes = checkpoint_bytes(&d->ckpt, (unsigned)i);
	return &d->ckpt_debug[i];
}

int debug_checkpoint_base(const struct debug *d)
{
	return debug_ckpt_user_above(d, d->ckpt.base);
}

bool debug_input_poll(void *opaque, uint64_t seq, uint8_t *byte)
{
	struct debug *d = opaque;
	struct history *h = &d->hist;
	struct pollfd pfd = { .fd = d->input_fd, .events = POLLIN };

	if (h->on && d->rev.replaying) {
		int b = history_input_at(h, seq);

		if (b >= 0)
			*byte = (uint8_t)b;
		return b >= 0;
	}
	/* Live: what was recorded from here on belonged to a discarded future. */
	if (h->on)
		history_inputs_truncate(h, seq);
	if (d->input_fd < 0 || poll(&pfd, 1, 0) != 1)
		return false;
	ssize_t n = read(d->input_fd, byte, 1);

	if (n == 0)
		__atomic_store_n(&d->input_ended, true, __ATOMIC_RELAXED);
	if (n != 1)
		return false;
	if (h->on)
		history_input_add(h, seq, *byte);
	return true;
}

uint64_t debug_ram_hash(const struct debug *d, uint64_t *size)
{
	const struct mem *mem = &d->vm->mem;
	uint64_t h = 0xcbf29ce484222325ULL, w;

	for (uint64_t off = 0; off + 8 <= mem->size; off += 8) {
		memcpy(&w, mem->ram + off, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	*size = mem->size;
	return h;
}

int debug_print_irq(struct debug *d, FILE *out)
{
	return arch_print_irq(d->vcpu, out);
}

int debug_read_phys(struct debug *d, uint64_t pa, void *buf, size_t len)
{
	return mem_read(&d->vm->mem, pa, buf, len);
}

int debug_write_phys(struct debug *d, uint64_t pa, const void *buf, size_t len)
{
	d->wrote = true;
	return mem_write(&d->vm->mem, pa, buf, len);
}

int debug_read_virt(struct debug *d, uint64_t va, void *buf, size_t len)
{
	return debug_access_virt(d, va, buf, len, false);
}

int debug_write_virt(struct debug *d, uint64_t va, const void *buf, size_t len)
{
	d->wrote = true;
	return debug_access_virt(d, va, (uint8_t *)buf, len, true);
}

size_t debug_read_upto(struct debug *d, uint64_t addr, void *buf, size_t len, bool phys)
{
	uint8_t *p = buf;
	size_t got = 0;

	/* Up to the end of the address space, not round it. */
	if (len && !span_ok(addr, len, SIZE_MAX))
		len = (size_t)(UINT64_MAX - addr) + 1;
	while (got < len) {
		size_t chunk = 0x1000 - ((addr + got) & 0xfff);

		if (chunk > len - got)
			chunk = len - got;
		if ((phys ? mem_read(&d->vm->mem, addr + got, p + got, chunk)
			  : debug_read_virt(d, addr + got, p + got, chunk)) < 0)
			break;
		got += chunk;
	}
	return got;
}

/* The breakpoint numbered id, or NULL. */
static struct breakpoint *debug_break_get(struct debug *d, int id)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id == id)
			return &d->bp[i];
	return NULL;
}

struct breakpoint *debug_break_find(struct debug *d, enum bp_kind kind, uint64_t addr)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id && d->bp[i].kind == kind && d->bp[i].addr == addr)
			return &d->bp[i];
	return NULL;
}

/* The breakpoint at pc, if any: the guest must step off it before running. */
static struct breakpoint *debug_at_breakpoint(struct debug *d)
{
	uint64_t pc = arch_pc(d->vcpu);
	struct breakpoint *bp = debug_break_find(d, BP_SW, pc);

	return bp ? bp : debug_break_find(d, BP_HW, pc);
}

/* Stops at the breakpoint at pc, if any: fills *stop and counts the hit. */
static bool debug_stop_at_breakpoint(struct debug *d, struct vcpu_stop *stop)
{
	struct breakpoint *bp = debug_at_breakpoint(d);

	if (!bp)
		return false;
	stop->reason = STOP_BREAKPOINT;
	stop->breakpoint = bp->id;
	bp->hits++;
	return true;
}

/* Remembers a stop, and the guest's exit status if it exited. */
static void debug_note_stop(struct debug *d, const struct vcpu_stop *stop)
{
	if (stop->reason == STOP_EXITED) {
		d->exited = true;
		d->exit_status = stop->status;
	}
	d->last = *stop;
	iolog_flush(&d->log);
}

/* Hardware breakpoints in debug-register order (skip's left out); ids optional. */
static unsigned debug_hw_addrs(const struct debug *d, const struct breakpoint *skip, uint64_t *hw,
			       int *ids)
{
	unsigned n = 0;

	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		const struct breakpoint *bp = &d->bp[i];

		if (bp->id && ((bp->kind == BP_HW && !bp->by_page) || bp->by_dr) && bp != skip &&
		    n < ARCH_MAX_HW_BREAKPOINTS) {
			if (ids)
				ids[n] = d->bp[i].id;
			hw[n++] = d->bp[i].addr;
		}
	}
	return n;
}

/* How this host stops the guest at a breakpoint of a kind, in the CPU's mode now. */
enum debug_mech {
	MECH_NONE,   /* it cannot */
	MECH_NATIVE, /* int3 or DR0-DR3 stop the guest (host.h) */
	MECH_PAGE,   /* they do not, but a fetch from a page out of the map exits */
};

static enum debug_mech debug_mech(struct debug *d, enum bp_kind kind)
{
	bool native = kind == BP_SW ? host_int3_stops(arch_code_bits(d->vcpu) == 16)
				    : host_probe(HOST_HWBP)->value == HOST_YES;

	if (native)
		return MECH_NATIVE;
	return host_probe(HOST_FETCH)->value == HOST_FETCH_EMULATION ? MECH_PAGE : MECH_NONE;
}

/* The probe that says whether a breakpoint of kind stops the guest natively. */
static enum host_probe debug_native_probe(struct debug *d, enum bp_kind kind)
{
	return kind == BP_HW ? HOST_HWBP : arch_code_bits(d->vcpu) == 16 ? HOST_SWBP_REAL : HOST_SWBP;
}

static int debug_mech_refuse(struct debug *d, enum bp_kind kind, uint64_t addr)
{
	enum host_probe native = debug_native_probe(d, kind);

	return err_set(ENOTSUP, "cannot stop at %#llx on this host: %s there: %s; a fetch from a "
		       "page without a memslot: %s (kvmdbg --host)", (unsigned long long)addr,
		       kind == BP_HW ? "DR0-DR3" : "int3", host_probe(native)->detail,
		       host_probe(HOST_FETCH)->detail);
}

bool debug_break_by_page(struct debug *d, enum bp_kind kind, char *buf, size_t len)
{
	if (debug_mech(d, kind) != MECH_PAGE)
		return false;
	enum host_probe native = debug_native_probe(d, kind);

	if (buf)
		snprintf(buf, len, "this host does not stop at %s%s (%s): breakpoints take their code "
			 "page out of the map and step through that page (kvmdbg --host)",
			 kind == BP_HW ? "DR0-DR3" : "int3",
			 native == HOST_SWBP_REAL ? " in real mode" : "", host_probe(native)->detail);
	return true;
}

int debug_break_insert(struct debug *d, enum bp_kind kind, uint64_t addr, unsigned owner)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS], pa;
	struct breakpoint *free_slot = NULL, *bp = debug_break_find(d, kind, addr);

	if (bp && (bp->owners & owner))
		return err_set(EEXIST, "there is already a %s breakpoint at %#llx",
			       kind == BP_HW ? "hardware" : "software", (unsigned long long)addr);
	if (bp) {
		bp->owners |= owner;
		return bp->id;
	}
	enum debug_mech mech = debug_mech(d, kind);

	if (mech == MECH_NONE)
		return debug_mech_refuse(d, kind, addr);
	/* By page, hardware breakpoints are not limited by the debug registers. */
	if (kind == BP_HW && mech == MECH_NATIVE &&
	    debug_hw_addrs(d, NULL, hw, NULL) >= ARCH_MAX_HW_BREAKPOINTS)
		return err_set(ENOSPC, "all %d hardware breakpoints are in use (delete one, or "
			       "use a software breakpoint)", ARCH_MAX_HW_BREAKPOINTS);
	if (kind == BP_SW && arch_virt_to_phys(d->vcpu, addr, &pa) == 0 &&
	    !mem_ptr(&d->vm->mem, pa, 1))
		return err_set(EFAULT, "cannot insert a breakpoint at %#llx: not RAM",
			       (unsigned long long)addr);
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS && !free_slot; i++)
		if (!d->bp[i].id)
			free_slot = &d->bp[i];
	if (!free_slot)
		return err_set(ENOSPC, "too many breakpoints (%d)", DEBUG_MAX_BREAKPOINTS);
	*free_slot = (struct breakpoint){ .id = d->next_id++, .owners = owner, .kind = kind,
					  .addr = addr };
	return free_slot->id;
}

void debug_break_release(struct debug *d, struct breakpoint *bp, unsigned owner)
{
	bp->owners &= ~owner;
	if (!bp->owners)
		debug_break_remove(d, bp->id);
}

int debug_break_remove(struct debug *d, int id)
{
	struct breakpoint *bp = debug_break_get(d, id);

	if (bp) {
		bp->id = 0;
		return 0;
	}
	if (watch_mem_get(&d->watch, id)) {
		watch_mem_remove(&d->watch, id);
		return 0;
	}
	return err_set(ENOENT, "no breakpoint or watchpoint number %d", id);
}

/* ---- memory watchpoints ------------------------------------------------------ */

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

/* The icount of the instruction making an I/O access, for the log (vCPU
 * thread). The ring is drained right after each counted step, before the
 * count moves on: the queued writes are the stepped instruction's. */
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
	return id < 0 ? NULL : &d->log.io[d->log.nio - 1];
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

void debug_io_stats(const struct debug *d, FILE *out)
{
	iolog_stats(&d->log, out);
}

void debug_stats(const struct debug *d, FILE *out)
{
	stats_print(&d->vm->stats, out);
}

const struct io_range *debug_io_device(const struct debug *d, enum io_space space, uint64_t addr)
{
	return iobus_find(&d->vm->bus, space, addr);
}

const char *debug_dirs_name(unsigned dirs)
{
	return iobus_dirs_name(dirs);
}

int debug_parse_dirs(const char *text, unsigned *dirs)
{
	return iobus_parse_dirs(text, dirs);
}

static enum iolog_count debug_watch_icount(void *opaque, bool queued, uint64_t *count,
					   uint64_t *pc, bool *pc_known)
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

/* Writes int3 at addr; false if addr is not mapped RAM. */
static bool debug_int3_plant(struct debug *d, uint64_t addr, struct int3_site *site)
{
	static const uint8_t int3 = INT3;

	site->planted = arch_virt_to_phys(d->vcpu, addr, &site->phys) == 0 &&
			mem_read(&d->vm->mem, site->phys, &site->saved, 1) == 0 &&
			mem_write(&d->vm->mem, site->phys, &int3, 1) == 0;
	return site->planted;
}

/* Puts the original byte back, unless the guest has overwritten the int3. */
static void debug_int3_unplant(struct debug *d, struct int3_site *site)
{
	uint8_t now;

	if (site->planted && mem_read(&d->vm->mem, site->phys, &now, 1) == 0 && now == INT3)
		mem_write(&d->vm->mem, site->phys, &site->saved, 1);
	site->planted = false;
}

/* Writes int3 at every software breakpoint but the one at skip (the pc being
 * stepped off, or none); one that cannot be planted is an error. */
static int debug_plant(struct debug *d, const struct breakpoint *skip)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		struct breakpoint *bp = &d->bp[i];

		if (!bp->id || bp->kind != BP_SW || bp->by_page || bp->by_dr || bp->int3.planted ||
		    bp == skip)
			continue;
		if (!debug_int3_plant(d, bp->addr, &bp->int3))
			return err_set(EFAULT, "cannot insert breakpoint %d at %#llx: %s", bp->id,
				       (unsigned long long)bp->addr, err_msg());
	}
	return 0;
}

static void debug_unplant(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		debug_int3_unplant(d, &d->bp[i].int3);
}

static bool debug_has_planted(const struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].int3.planted)
			return true;
	return false;
}

/*
 * Where a breakpoint's page is: through the guest's page tables, or, for an
 * address they do not map yet, through the kernel's own mapping the loader
 * knows of (Linux's __START_KERNEL_map), which its page tables will have.
 */
static int debug_bp_phys(struct debug *d, uint64_t va, uint64_t *pa)
{
	const struct debug_early_map *m = &d->early_map;

	if (arch_virt_to_phys(d->vcpu, va, pa) == 0)
		return 0;
	if (!m->size || va < m->va || va - m->va >= m->size)
		return -EFAULT;
	*pa = m->pa + (va - m->va);
	return 0;
}

/*
 * Takes out of the map the pages whose code must not run unseen: those of
 * breakpoints armed by page (not while counting, which looks at every pc
 * anyway) and of counting stops armed by page; and applies every page
 * protection watchpoints want too.
 */
static int debug_exec_apply(struct debug *d, bool counting)
{
	uint64_t pages[DEBUG_MAX_BREAKPOINTS + DEBUG_MAX_ENTRIES + 1];
	unsigned n = 0;
	int r;

	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS && !counting; i++)
		if (d->bp[i].id && d->bp[i].by_page &&
		    debug_bp_phys(d, d->bp[i].addr, &pages[n]) == 0)
			n++;
	for (unsigned i = 0; i < d->nentries; i++)
		if (d->entry[i].by_page && arch_virt_to_phys(d->vcpu, d->entry[i].addr, &pages[n]) == 0)
			n++;
	if (d->after.by_page && arch_virt_to_phys(d->vcpu, d->after.addr, &pages[n]) == 0)
		n++;
	r = watch_exec_set(&d->watch, pages, n);
	return r < 0 ? r : watch_mem_apply(&d->watch, d->vcpu);
}

/*
 * A software breakpoint at an address not mapped yet (a kernel's, before its
 * page tables exist) cannot hold an int3: a debug register, which takes a
 * linear address, stands in for it where DR0-DR3 stop the guest and one is
 * free. Once mapped, the next run plants the int3.
 */
static bool debug_choose_dr(struct debug *d, struct breakpoint *bp)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS], pa;

	if (bp->kind != BP_SW || arch_virt_to_phys(d->vcpu, bp->addr, &pa) == 0 ||
	    host_probe(HOST_HWBP)->value != HOST_YES ||
	    debug_hw_addrs(d, NULL, hw, NULL) >= ARCH_MAX_HW_BREAKPOINTS)
		return false;
	bp->by_dr = true;
	bp->by_page = false;
	return true;
}

/* Chooses how each breakpoint stops the guest on this host in the CPU's mode now. */
static int debug_choose(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		d->bp[i].by_dr = false;
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		struct breakpoint *bp = &d->bp[i];
		enum debug_mech mech;
		uint64_t pa;

		if (!bp->id || debug_choose_dr(d, bp))
			continue;
		mech = debug_mech(d, bp->kind);
		if (mech == MECH_NONE)
			return debug_mech_refuse(d, bp->kind, bp->addr);
		bp->by_page = mech == MECH_PAGE;
		if (bp->by_page && (debug_bp_phys(d, bp->addr, &pa) < 0 ||
				    !mem_ptr(&d->vm->mem, pa, 1)))
			return err_set(EFAULT, "cannot insert breakpoint %d at %#llx: not mapped "
				       "to RAM", bp->id, (unsigned long long)bp->addr);
	}
	return 0;
}

/* A breakpoint armed by page whose page could not be taken away (it holds
 * page tables, which the CPU must read) would never stop. */
static int debug_check_trapped(struct debug *d)
{
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++) {
		const struct breakpoint *bp = &d->bp[i];
		uint64_t pa;

		if (bp->id && bp->by_page && debug_bp_phys(d, bp->addr, &pa) == 0 &&
		    !watch_page_trapped(&d->watch, pa))
			return err_set(ENOTSUP, "cannot stop at breakpoint %d (%#llx) on this host: "
				       "int3 and DR0-DR3 do not stop the guest here, and its page "
				       "holds page tables, which cannot be taken out of the map",
				       bp->id, (unsigned long long)bp->addr);
	}
	return 0;
}

/* Plants breakpoints (all but skip) and sets guest debug for a run or a step. */
static int debug_arm(struct debug *d, const struct breakpoint *skip, bool step)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS];
	unsigned nhw;
	int r = debug_choose(d);

	if (r < 0)
		return r;
	nhw = debug_hw_addrs(d, skip, hw, NULL);
	r = debug_exec_apply(d, false);
	if (r == 0)
		r = debug_check_trapped(d);
	if (r < 0)
		return r;
	r = debug_plant(d, skip);

	if (!r)
		r = arch_set_guest_debug(d->vcpu, step ? ARCH_STEP_QUIET : ARCH_STEP_NONE,
					 debug_has_planted(d), hw, nhw);
	if (r < 0)
		debug_unplant(d);
	return r;
}

/* Turns what the vCPU reported into what the debugger means. */
static void debug_resolve(struct debug *d, struct vcpu_stop *stop, bool stepping)
{
	uint64_t hw[ARCH_MAX_HW_BREAKPOINTS];
	int ids[ARCH_MAX_HW_BREAKPOINTS];
	struct breakpoint *bp = NULL;
	unsigned slot = 0;
	uint64_t pc;

	*stop = d->vcpu->stop;
	if (stop->reason == STOP_DEBUG) {
		switch (arch_debug_kind(d->vcpu, &slot)) {
		case 1:
			if (stepping)
				stop->reason = STOP_STEPPED;
			break;
		case 2:
			if (slot < debug_hw_addrs(d, d->armed_skip, hw, ids)) {
				stop->reason = STOP_BREAKPOINT;
				stop->breakpoint = ids[slot];
				bp = debug_break_get(d, ids[slot]);
			}
			break;
		case 3:
			bp = debug_break_find(d, BP_SW, arch_pc(d->vcpu));
			break;
		}
	} else if (stop->reason == STOP_ERROR && stop->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		   d->vcpu->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		/* PVM: KVM's emulator cannot run int3 at CPL0 and fails with rip at it. */
		bp = debug_break_find(d, BP_SW, arch_pc(d->vcpu));
	} else if (stop->reason == STOP_FETCH) {
		bp = debug_page_bp_at(d, arch_pc(d->vcpu));
		if (bp) {
			stop->reason = STOP_BREAKPOINT;
			stop->breakpoint = bp->id;
		}
	}
	if (bp && bp->kind == BP_SW && stop->reason != STOP_BREAKPOINT) {
		pc = arch_pc(d->vcpu);
		if (bp->addr == pc) {
			stop->reason = STOP_BREAKPOINT;
			stop->breakpoint = bp->id;
		}
	}
	if (bp && stop->reason == STOP_BREAKPOINT)
		bp->hits++;
	debug_note_stop(d, stop);
}

/* ---- instruction counting --------------------------------------------------- */

static void debug_entry_unplant(struct debug *d, struct entry_bp *e)
{
	debug_int3_unplant(d, &e->int3);
	e->by_page = false;
}

static void debug_entries_unplant(struct debug *d)
{
	for (unsigned i = 0; i < d->nentries; i++)
		debug_entry_unplant(d, &d->entry[i]);
	debug_entry_unplant(d, &d->after);
	d->entry_lifted = -1;
}

/* An int3, or its page where int3 does not stop the guest. A handler that
 * starts with the guest's own int3 keeps it as the guest's. */
static void debug_entry_plant(struct debug *d, struct entry_bp *e)
{
	if (debug_mech(d, BP_SW) == MECH_PAGE) {
		e->by_page = true;
		return;
	}
	if (debug_int3_plant(d, e->addr, &e->int3) && e->int3.saved == INT3)
		e->int3.planted = false;
}

/* Plants int3 at every interrupt handler, again whenever the table changed. */
static int debug_entries_refresh(struct debug *d)
{
	uint8_t idt[DEBUG_MAX_IDT];
	uint64_t base, targets[DEBUG_MAX_ENTRIES];
	unsigned size, n;

	if (arch_idt(d->vcpu, &base, &size) < 0)
		return 0;
	if (size > DEBUG_MAX_IDT)
		size = DEBUG_MAX_IDT;
	if (debug_read_virt(d, base, idt, size) < 0)
		size = 0;
	if (base == d->idt_base && size == d->idt_size && !memcmp(idt, d->idt, size))
		return 0;
	debug_entries_unplant(d);
	memcpy(d->idt, idt, size);
	d->idt_size = size;
	d->idt_base = base;
	n = arch_idt_targets(d->vcpu, idt, size, targets, DEBUG_MAX_ENTRIES);
	d->nentries = 0;
	for (unsigned i = 0; i < n; i++) {
		bool dup = false;

		for (unsigned k = 0; k < d->nentries && !dup; k++)
			dup = d->entry[k].addr == targets[i];
		if (dup)
			continue;
		d->entry[d->nentries] = (struct entry_bp){ .addr = targets[i] };
		debug_entry_plant(d, &d->entry[d->nentries++]);
	}
	return debug_exec_apply(d, true);
}

/* Before a counted step: where it starts and what is there (with kvmdbg's
 * int3 lifted if pc is at a handler entry: the instruction under it runs). */
static void debug_count_look(struct debug *d, struct arch_step_info *info)
{
	int e;

	d->prev_pc = arch_pc(d->vcpu);
	e = debug_entry_at(d, d->prev_pc);
	if (e >= 0) {
		debug_int3_unplant(d, &d->entry[e].int3);
		d->entry_lifted = e;
	}
	arch_step_info(d->vcpu, info);
}

static int debug_count_prepare(struct debug *d, const struct arch_step_info *info)
{
	d->prev_nondet = info->nondet;
	d->prev_rep = info->rep_string;
	d->prev_delayed = info->delayed;
	d->prev_next = info->next;
	/* The trap would come one instruction late: an int3 there stops it in time. */
	if (d->prev_delayed && debug_entry_at(d, d->prev_next) < 0) {
		d->after = (struct entry_bp){ .addr = d->prev_next };
		debug_entry_plant(d, &d->after);
		if (d->after.by_page)
			return debug_exec_apply(d, true);
	}
	return 0;
}

/* The memory map for the next counted step could not be set up: stop, saying why. */
static bool debug_count_fail(struct vcpu_stop *stop)
{
	*stop = (struct vcpu_stop){ .reason = STOP_ERROR };
	snprintf(stop->detail, sizeof(stop->detail), "%s", err_msg());
	return true;
}

/*
 * A HLT about to run: single steps would step over it as if it did nothing
 * (PVM and KVM both), so kvmdbg retires it itself. Without interrupt
 * controllers the guest then stops as halted, as an uncounted run would.
 * With KVM's, the vCPU is left waiting for an interrupt as hlt would leave
 * it: the next step begins when one comes, in its handler (or the halt
 * watch finds that none can come, and it stops as halted there).
 */
static bool debug_count_halt(struct debug *d, struct arch_step_info *info,
			     struct vcpu_stop *stop)
{
	bool irqs = arch_irqs_enabled(d->vcpu);

	if (!info->halt || arch_skip_halt(d->vcpu) < 0)
		return false;
	__atomic_add_fetch(&d->icount, 1, __ATOMIC_RELAXED);
	if (d->vm->irqchip) {
		if (arch_halt(d->vcpu) < 0)
			return debug_count_fail(stop);
		if (irqs) {
			debug_count_look(d, info);
			return false;
		}
	}
	*stop = (struct vcpu_stop){ .reason = STOP_HALTED, .exit_reason = KVM_EXIT_HLT };
	snprintf(stop->detail, sizeof(stop->detail), "%s",
		 irqs ? "interrupts enabled, but no device raises interrupts"
		      : "interrupts disabled");
	return true;
}

/*
 * An instruction whose result differs run to run (rdtsc...) retired from
 * position at: live, history records what it gave; replaying, the guest gets
 * that again. (Under the perf backend only the landing steps see it; the
 * divergence this leaves is caught at the next checkpoint.)
 */
static void debug_nondet(struct debug *d, uint64_t at)
{
	struct history *h = &d->hist;
	uint8_t buf[ARCH_RESULT_SIZE];
	size_t n;

	if (!h->on)
		return;
	if (at < h->furthest) {
		const struct hist_value *v = history_value_at(h, at);

		if (v)
			arch_result_put(d->vcpu, v->result);
		return;
	}
	n = arch_result_get(d->vcpu, buf);
	if (n)
		history_value_add(h, at, buf, n);
}

/*
 * After each counted step, on the vCPU thread. A step normally retires one
 * instruction; it retires none while a REP string instruction is still at
 * pc (hosts step those per iteration, or all at once and once more to move
 * on: README, KVM hosts), and none when the instruction faulted into a
 * handler (the handler's int3, or its page out of the map, stops the step at
 * its entry on every host, and the pushed return address tells a fault from
 * int n or a trap).
 */
static bool debug_count_hook(void *opaque, struct vcpu_stop *stop)
{
	struct debug *d = opaque;
	unsigned slot = 0;
	bool stepped = stop->reason == STOP_STEPPED, entered = false;
	uint64_t pc;

	if (d->entry_lifted >= 0) {
		debug_entry_plant(d, &d->entry[d->entry_lifted]);
		d->entry_lifted = -1;
	}
	pc = arch_pc(d->vcpu);
	bool at_after = debug_entry_armed(&d->after, pc, false), after_page = d->after.by_page;

	debug_entry_unplant(d, &d->after);
	if (after_page && debug_exec_apply(d, true) < 0)
		return debug_count_fail(stop);
	if (stop->reason == STOP_DEBUG) {
		int kind = arch_debug_kind(d->vcpu, &slot);

		stepped = kind == 1 || (kind == ARCH_BREAKPOINT_VECTOR && at_after);
		entered = kind == ARCH_BREAKPOINT_VECTOR && debug_entry_at(d, pc) >= 0;
	} else if (stop->reason == STOP_FETCH ||
		   (stop->reason == STOP_ERROR && stop->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    d->vcpu->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)) {
		/* PVM: kvmdbg's int3 failed to emulate, rip at it; or its page was
		 * fetched from, where int3 does not stop the guest. */
		stepped = at_after;
		entered = debug_entry_at(d, pc) >= 0;
	}
	/*
	 * After iret or popf setting TF, and after mov/pop ss, the trap comes one
	 * instruction late: the step also ran the instruction at prev_next.
	 */
	uint64_t retired = 0;

	if (stepped) {
		retired = !(d->prev_rep && pc == d->prev_pc);
		if (d->prev_delayed && pc != d->prev_next)
			retired++;
	} else if (entered) {
		arch_frame_untrace(d->vcpu);
		if (arch_fault_frame(d->vcpu, d->prev_pc))
			retired = 0;
		else if (!d->prev_delayed)
			retired = 1;
		else
			retired = arch_fault_frame(d->vcpu, d->prev_next) ? 1 : 2;
	} else {
		/* A real stop. The exit port's out did retire, and so did an
		 * access a watchpoint caught, unless a REP string instruction is
		 * still iterating. */
		d->watch_mid_rep = d->prev_rep && pc == d->prev_pc;
		if (stop->reason == STOP_EXITED ||
		    (stop->reason == STOP_WATCHPOINT && !d->watch_mid_rep)) {
			__atomic_add_fetch(&d->icount, 1, __ATOMIC_RELAXED);
			d->sub = 0;
		}
		return true;
	}
	if (retired && d->prev_nondet)
		debug_nondet(d, d->icount);
	/* Atomic: a progress line reads it from the control thread meanwhile. */
	__atomic_add_fetch(&d->icount, retired, __ATOMIC_RELAXED);
	d->sub = retired ? 0 : d->sub + 1;
	*stop = (struct vcpu_stop){ .reason = STOP_NONE };
	if (atomic_load(&d->vcpu->stop_req)) {
		stop->reason = STOP_REQUESTED;
		return true;
	}
	if (d->icount >= d->count_target || (d->count_steps && --d->count_steps == 0)) {
		stop->reason = STOP_ICOUNT;
		return true;
	}
	if (debug_stop_at_breakpoint(d, stop))
		return true;
	struct arch_step_info info;

	if (debug_entries_refresh(d) < 0)
		return debug_count_fail(stop);
	debug_count_look(d, &info);
	if (debug_count_halt(d, &info, stop))
		return true;
	return debug_count_prepare(d, &info) < 0 && debug_count_fail(stop);
}

/* Counting and at a hlt: it retires now and the guest halts, without a run. */
static bool debug_count_halt_here(struct debug *d, struct vcpu_stop *stop)
{
	struct arch_step_info info;

	if (!d->icount_on)
		return false;
	arch_step_info(d->vcpu, &info);
	if (!debug_count_halt(d, &info, stop))
		return false;
	debug_note_stop(d, stop);
	return true;
}

static int debug_count_start(struct debug *d, uint64_t target)
{
	int r;

	struct arch_step_info info;

	d->count_target = target;
	r = debug_entries_refresh(d);
	debug_count_look(d, &info);
	if (r == 0)
		r = debug_count_prepare(d, &info);
	if (r == 0)
		r = debug_exec_apply(d, true);
	if (r == 0)
		r = arch_set_guest_debug(d->vcpu, ARCH_STEP_IRQS, d->nentries > 0, NULL, 0);
	if (r < 0) {
		debug_entries_unplant(d);
		return r;
	}
	d->running = true;
	d->started = true;
	vcpu_resume(d->vcpu, VCPU_COUNT);
	return 0;
}

/*
 * Notes whether the count reached is one of the user's icount stops, and
 * removes those passed: a stop is used up once reached going forward (not
 * when history replays towards something else).
 */
static void debug_events_due(struct debug *d)
{
	bool keep = d->rev.op == REV_SEEK || d->rev.op == REV_SCAN;

	d->event_hit = false;
	for (unsigned i = 0; i < d->nevents && d->events[i].at <= d->icount;) {
		d->event_hit |= d->events[i].at == d->icount;
		/* (Stops set in the past, with history, wait for the guest to go back.) */
		if (keep || d->events[i].at <= d->run_from) {
			i++;
			continue;
		}
		memmove(&d->events[i], &d->events[i + 1], (d->nevents - i - 1) * sizeof(d->events[0]));
		d->nevents--;
	}
}

/* The count the next run stops at: the user's next icount stop, debug_run_to()'s,
 * or one of history's own; UINT64_MAX: none. */
static uint64_t debug_next_at(const struct debug *d)
{
	uint64_t at = d->run_at < d->rev.at ? d->run_at : d->rev.at;

	for (unsigned i = 0; i < d->nevents; i++) {
		if (d->events[i].at > d->icount) {
			if (d->events[i].at < at)
				at = d->events[i].at;
			break;
		}
	}
	return at;
}

/* A counted run stopped: memory back as the guest wrote it, events due removed. */
static void debug_count_end(struct debug *d, struct vcpu_stop *stop)
{
	*stop = d->vcpu->stop;
	debug_entries_unplant(d);
	d->idt_size = 0; /* plant afresh next time */
	d->count_steps = 0;
	debug_events_due(d);
	debug_note_stop(d, stop);
}

void debug_icount_start(struct debug *d, const struct icount_perf *perf)
{
	d->icount_on = true;
	d->use_perf = perf != NULL;
	if (perf)
		d->perf = *perf;
	d->perf.fd = -1;
}

int debug_icount_choose(struct debug *d, const char *backend, uint64_t margin, char *why,
			size_t len, uint64_t *margin_used)
{
	struct icount_perf perf;
	int r = icount_perf_probe(&perf, why, len);

	perf.margin = margin ? margin : icount_perf_default_margin();
	*margin_used = perf.margin;
	if (!strcmp(backend, "step")) {
		snprintf(why, len, "--icount step");
		debug_icount_start(d, NULL);
		return 0;
	}
	if (r < 0 && !strcmp(backend, "perf"))
		return err_set(ENOTSUP, "--icount perf: %s; use --icount step", why);
	debug_icount_start(d, r < 0 ? NULL : &perf);
	return r < 0 ? 0 : 1;
}

/* Exits that completed an instruction in userspace: a guest counter never sees those. */
static uint64_t debug_io_exits(const struct debug *d)
{
	return d->vm->stats.exits[KVM_EXIT_IO] + d->vm->stats.exits[KVM_EXIT_MMIO];
}

/* Runs with the perf counter on; with a target, its overflow stops the run a
 * margin short of it. */
static int debug_perf_arm(struct debug *d)
{
	uint64_t target = debug_next_at(d);
	uint64_t period = 0;

	if (target != UINT64_MAX)
		period = target - d->icount > d->perf.margin ? target - d->icount - d->perf.margin : 0;
	d->perf_base = d->icount;
	d->perf_io = debug_io_exits(d);
	d->count_target = target;
	if (icount_perf_start(&d->perf, d->vcpu->tid, VCPU_KICK_SIGNAL, period) < 0)
		return -EIO;
	d->vcpu->perf = &d->perf;
	d->vcpu->perf_period = period;
	return 0;
}

/* A perf run stopped: the count from the counter (plus I/O instructions it
 * cannot see); near the target, land on it by single steps. */
static bool debug_perf_end(struct debug *d, struct vcpu_stop *stop)
{
	uint64_t n;

	icount_perf_finish(&d->perf, &n);
	d->vcpu->perf = NULL;
	d->vcpu->perf_period = 0;
	d->icount = d->perf_base + n + (debug_io_exits(d) - d->perf_io);
	d->sub = 0;
	if (stop->reason == STOP_WATCHPOINT) {
		/* Unknown under perf: a REP string instruction at pc is taken to be
		 * the one still iterating. */
		struct arch_step_info info;

		arch_step_info(d->vcpu, &info);
		d->watch_mid_rep = info.rep_string;
	}
	if (stop->reason != STOP_ICOUNT)
		return true;
	if (d->icount > d->count_target) {
		stop->reason = STOP_ERROR;
		snprintf(stop->detail, sizeof(stop->detail),
			 "icount overshoot: the perf counter stopped at %llu, past %llu; raise "
			 "--icount-margin (now %llu)", (unsigned long long)d->icount,
			 (unsigned long long)d->count_target, (unsigned long long)d->perf.margin);
		return true;
	}
	if (d->icount == d->count_target) {
		debug_events_due(d);
		return true;
	}
	return debug_count_start(d, d->count_target) < 0;
}

int debug_icount_break(struct debug *d, uint64_t at)
{
	unsigned i;

	if (!d->icount_on)
		return err_set(ENOTSUP, "instructions are not being counted (start kvmdbg with --icount)");
	/* With history, a stop in the past is one for going back to. */
	if (at == d->icount || (at < d->icount && !(d->hist.on && d->hist.n &&
						     at >= d->hist.v[0].icount)))
		return err_set(EINVAL, "icount %llu has passed (the count is %llu)%s",
			       (unsigned long long)at, (unsigned long long)d->icount,
			       at < d->icount && d->hist.on ? ", before the start of history" : "");
	if (d->nevents == DEBUG_MAX_EVENTS)
		return err_set(ENOSPC, "too many icount stops (%d)", DEBUG_MAX_EVENTS);
	for (i = 0; i < d->nevents && d->events[i].at <= at; i++)
		;
	memmove(&d->events[i + 1], &d->events[i], (d->nevents - i) * sizeof(d->events[0]));
	d->events[i] = (struct icount_event){ .id = d->next_event_id++, .at = at };
	d->nevents++;
	return d->events[i].id;
}

int debug_icount_delete(struct debug *d, int id)
{
	if (!id) {
		d->nevents = 0;
		return 0;
	}
	for (unsigned i = 0; i < d->nevents; i++) {
		if (d->events[i].id == id) {
			memmove(&d->events[i], &d->events[i + 1],
				(d->nevents - i - 1) * sizeof(d->events[0]));
			d->nevents--;
			return 0;
		}
	}
	return err_set(ENOENT, "no icount stop number %d", id);
}

/* Whether the guest may be started: not while it runs, and not after it
 * wrote the exit port (like a process that exited, it has nothing left to
 * run). With history on, that is the end of history: 1, *stop the stop there. */
static int debug_may_run(struct debug *d, struct vcpu_stop *stop)
{
	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	if (d->exited && d->hist.on) {
		*stop = d->last;
		stop->history = 1;
		return 1;
	}
	if (d->exited && d->last.reset)
		return err_set(ECHILD, "the guest reset the machine; there is nothing left to run");
	if (d->exited)
		return err_set(ECHILD, "the guest has exited (status %d); there is nothing left "
			       "to run", d->exit_status);
	return 0;
}

/* One step without counting (breakpoints but skip's armed). */
static int debug_step_raw(struct debug *d, struct vcpu_stop *stop)
{
	struct breakpoint *here = debug_at_breakpoint(d);
	int r = debug_arm(d, here, true);

	if (r < 0)
		return r;
	d->armed_skip = here;
	d->started = true;
	vcpu_resume(d->vcpu, VCPU_STEP);
	vcpu_wait(d->vcpu);
	vcpu_collect_stop(d->vcpu);
	debug_resolve(d, stop, true);
	debug_unplant(d);
	d->armed_skip = NULL;
	return 0;
}

/* Steps off the breakpoint at pc before a run that would hit it again at once
 * (DR0-DR3 on every host; README, KVM hosts): 0 done, 1 stopped with *stop. */
static int debug_step_off(struct debug *d, struct vcpu_stop *stop)
{
	int r;

	if (!d->icount_on) {
		r = debug_step_raw(d, stop);
		if (r < 0)
			return r;
		if (stop->reason != STOP_STEPPED)
			return 1;
	} else {
		uint64_t run_at = d->run_at;

		d->run_at = d->icount + 1;
		d->nested = true;
		r = debug_count_start(d, debug_next_at(d));
		if (r == 0)
			debug_wait_stop(d, stop, NULL);
		d->nested = false;
		d->run_at = run_at;
		if (r < 0)
			return r;
		/* A stop that means something (not just this step's end) is the run's. */
		if (stop->reason != STOP_ICOUNT || d->event_hit || d->icount == d->rev.at ||
		    d->icount == d->run_at)
			return 1;
	}
	/* The step landed on another breakpoint (say, in an exception handler). */
	if (debug_stop_at_breakpoint(d, stop)) {
		debug_note_stop(d, stop);
		return 1;
	}
	return 0;
}

/* Starts the guest towards debug_next_at(): 0 running, 1 stopped already
 * with *stop, -errno. */
static int debug_go(struct debug *d, struct vcpu_stop *stop)
{
	uint64_t at = debug_next_at(d);
	int r;

	if (d->exited) {
		*stop = d->last;
		return 1;
	}
	if (debug_count_halt_here(d, stop))
		return 1;
	if (d->icount_on && (!d->use_perf || d->count_steps ||
			     (at != UINT64_MAX && at - d->icount <= d->perf.margin)))
		return debug_count_start(d, at);
	if (debug_at_breakpoint(d)) {
		r = debug_step_off(d, stop);
		if (r != 0)
			return r;
	}
	r = debug_arm(d, NULL, false);
	if (r < 0)
		return r;
	if (d->icount_on && debug_perf_arm(d) < 0) {
		debug_unplant(d);
		return -EIO;
	}
	d->running = true;
	d->started = true;
	vcpu_resume(d->vcpu, VCPU_CONTINUE);
	return 0;
}

/* ---- history -------------------------------------------------------------------- */

static bool debug_history_stopped(struct debug *d, struct vcpu_stop *stop);
static void debug_history_arm(struct debug *d);

/* Runs the operation in progress until it is done or the guest runs:
 * 0 running, 1 done with *stop, -errno. */
static int debug_start(struct debug *d, struct vcpu_stop *stop)
{
	for (;;) {
		int r;

		debug_history_arm(d);
		r = debug_go(d, stop);
		if (r == 0)
			history_run_begin(&d->hist);
		if (r <= 0)
			return r;
		if (debug_history_stopped(d, stop))
			return 1;
	}
}

/* After a stop was collected: true if it is the one to report, false if the
 * operation in progress has the guest running again. */
static bool debug_settle(struct debug *d, struct vcpu_stop *stop)
{
	int r;

	if (d->nested)
		return true;
	history_run_end(&d->hist);
	if (debug_history_stopped(d, stop))
		return true;
	r = debug_start(d, stop);
	if (r == 0)
		return false;
	if (r < 0) {
		*stop = (struct vcpu_stop){ .reason = STOP_ERROR };
		snprintf(stop->detail, sizeof(stop->detail), "%s", err_msg());
		d->rev.op = REV_NONE;
		d->last = *stop;
	}
	return true;
}

/* Takes a checkpoint for the history here. */
static int debug_history_mark(struct debug *d)
{
	struct history *h = &d->hist;
	int i = debug_ckpt_take(d, h->budget, 0), r;

	if (i == -E2BIG)
		return err_set(ENOSPC, "a checkpoint here needs more than the history's %llu KiB "
			       "(--history-mem)", (unsigned long long)(h->budget >> 10));
	if (i < 0)
		return i;
	r = history_add(h, &d->ckpt, (unsigned)i, d->icount, d->sub);
	if (r < 0) {
		checkpoint_drop(&d->ckpt, (unsigned)i);
		return r;
	}
	history_thin(h, &d->ckpt);
	return 0;
}

/* History ends here (what it held from here on is not what runs now): a
 * checkpoint of the machine as it is now is the last. */
static void debug_history_here(struct debug *d)
{
	struct history *h = &d->hist;

	history_truncate(h, &d->ckpt, d->icount);
	h->furthest = d->icount;
	if (debug_history_mark(d) < 0)
		snprintf(d->notice, sizeof(d->notice), "history: %s", err_msg());
}

/* An operation starts. If the user changed registers or memory since the
 * last stop, the history after this point is not what would happen now. */
static void debug_op_begin(struct debug *d, enum rev_op op)
{
	struct history *h = &d->hist;

	d->rev.op = h->on || op == REV_SEEK ? op : REV_NONE;
	d->run_from = d->icount;
	if (!h->on || (!d->wrote && arch_state_changes(d->vcpu) == d->arch_changes))
		return;
	if (h->furthest > d->icount)
		snprintf(d->notice, sizeof(d->notice), "registers or memory changed at icount "
			 "%llu: the history after it (up to %llu) is discarded",
			 (unsigned long long)d->icount, (unsigned long long)h->furthest);
	debug_history_here(d);
	debug_state_known(d);
}

/* Where the ladder of a long replay has its next rung: target - 2^k, the
 * first after the count now (0: none). */
static uint64_t debug_ladder_next(const struct debug *d)
{
	uint64_t top = d->rev.ladder_top, gap, p = 1;

	if (!top || top <= d->icount + 1)
		return 0;
	gap = top - d->icount;
	while (p * 2 < gap)
		p *= 2;
	return top - p;
}

/* Before each run: where history wants it to stop, and silence below the
 * furthest point reached. */
static void debug_history_arm(struct debug *d)
{
	struct history *h = &d->hist;
	struct reverse *v = &d->rev;
	uint64_t at = UINT64_MAX, x;
	bool replay = h->on && d->icount < h->furthest;

	if (h->on && v->op != REV_NONE) {
		if (replay) {
			int m = history_after(h, d->icount);

			at = h->furthest;
			if (m >= 0 && h->v[m].icount < at)
				at = h->v[m].icount;
		} else {
			if (h->next_at <= d->icount)
				h->next_at = d->icount + h->interval;
			at = h->next_at;
		}
	}
	if (v->op == REV_SEEK) {
		if (v->target.icount < at)
			at = v->target.icount;
		x = debug_ladder_next(d);
		if (x && x < at)
			at = x;
	}
	if (v->op == REV_SCAN && v->end < at)
		at = v->end;
	v->at = at;
	v->replaying = replay;
	replay = replay && v->op != REV_NONE;
	if (d->output)
		d->output->muted = replay;
	d->vcpu->on_access = replay ? NULL : iolog_record;
}

/* The stop an operation ends with. */
static bool debug_op_final(struct debug *d, struct vcpu_stop *stop)
{
	struct history *h = &d->hist;

	d->rev.op = REV_NONE;
	d->rev.ladder_top = 0;
	if (h->on) {
		stop->replayed = d->icount < h->furthest;
		if (stop->reason == STOP_EXITED)
			stop->history = 1;
		/* What a replay must find here. */
		if (d->icount == h->furthest && !d->sub)
			h->end_valid = arch_result_get(d->vcpu, h->end_regs) > 0;
	}
	d->last = *stop;
	debug_state_known(d);
	return true;
}

/* The history diverged: what replays is not what ran. The marks from here
 * on are dropped (they recorded the other run). */
static bool debug_diverged(struct debug *d, struct vcpu_stop *stop, const char *what)
{
	*stop = (struct vcpu_stop){ .reason = STOP_ERROR };
	snprintf(stop->detail, sizeof(stop->detail), "history diverged at icount %llu: %s",
		 (unsigned long long)d->icount, what);
	debug_history_here(d);
	return debug_op_final(d, stop);
}

/* A stop history asked for: compare with the checkpoint there, or take one
 * (automatic, or a rung of a ladder). true: the stop became the final one. */
static bool debug_history_internal(struct debug *d, struct vcpu_stop *stop)
{
	struct history *h = &d->hist;
	int m = history_exact(h, d->icount);
	char what[160];

	if (m >= 0) {
		if (!arch_snapshot_same(d->vcpu, d->ckpt.v[h->v[m].slot].cpu, what, sizeof(what)))
			return debug_diverged(d, stop, what);
		return false;
	}
	if (!h->on)
		return false;
	bool live = d->icount >= h->furthest && d->icount >= h->next_at;
	uint64_t gap = d->rev.ladder_top > d->icount ? d->rev.ladder_top - d->icount : 0;
	bool ladder = d->rev.op == REV_SEEK && gap && !(gap & (gap - 1));

	if (live || ladder) {
		uint64_t t = history_clock();

		if (debug_history_mark(d) < 0)
			snprintf(d->notice, sizeof(d->notice), "history: no checkpoint at icount "
				 "%llu: %s", (unsigned long long)d->icount, err_msg());
		if (live)
			history_paced(h, d->icount, history_clock() - t);
	}
	return false;
}

static bool debug_seek_stopped(struct debug *d, struct vcpu_stop *stop);
static bool debug_scan_stopped(struct debug *d, struct vcpu_stop *stop);

/* Whether (and how) the operation in progress goes on after a stop. */
static bool debug_history_stopped(struct debug *d, struct vcpu_stop *stop)
{
	struct history *h = &d->hist;
	bool internal = stop->reason == STOP_ICOUNT && !d->event_hit && d->icount != d->run_at;

	if (d->rev.op == REV_NONE)
		return true;
	if (internal && debug_history_internal(d, stop))
		return true;
	/* A replay that reached the furthest point must find what was there. */
	if (d->rev.replaying && h->on && h->end_valid && d->icount == h->furthest && !d->sub &&
	    stop->reason != STOP_ERROR) {
		char what[160];

		if (!arch_result_same(d->vcpu, h->end_regs, what, sizeof(what)))
			return debug_diverged(d, stop, what);
	}
	if (h->on && d->icount > h->furthest)
		h->furthest = d->icount;
	switch (d->rev.op) {
	case REV_SEEK:
		return debug_seek_stopped(d, stop);
	case REV_SCAN:
		return debug_scan_stopped(d, stop);
	default:
		return !internal && debug_op_final(d, stop);
	}
}

/* Compares positions: <0, 0, >0 as a is before, at or after the guest now. */
static int debug_pos_cmp_now(const struct debug *d, const struct hist_pos *a)
{
	if (a->icount != d->icount)
		return a->icount < d->icount ? -1 : 1;
	if (d->sub == 0 || (a->at_pc && a->pc == arch_pc(d->vcpu)))
		return 0;
	return -1;
}

/* Sets up a seek to pos, reporting result there (with hit, if any): restores
 * the nearest checkpoint before it when that is nearer than where the guest
 * is. 1: there already; 0: run (debug_start); -errno. */
static int debug_seek_to(struct debug *d, const struct hist_pos *pos, const struct vcpu_stop *result,
			 const struct watch_hit *hit)
{
	struct history *h = &d->hist;
	struct reverse *v = &d->rev;
	int c = debug_pos_cmp_now(d, pos), m;

	v->op = REV_SEEK;
	v->target = *pos;
	v->result = *result;
	v->has_hit = hit != NULL;
	if (hit)
		v->hit = *hit;
	v->pc_steps = 0;
	v->ladder_top = 0;
	m = h->on ? history_find(h, pos->icount, 0) : -1;
	if (c < 0 || (m >= 0 && h->v[m].icount > d->icount)) {
		if (m < 0)
			return err_set(ERANGE, "icount %llu is before the start of history",
				       (unsigned long long)pos->icount);
		int r = debug_ckpt_restore(d, h->v[m].slot);

		if (r < 0)
			return r;
		if (pos->icount - d->icount > HISTORY_LADDER_MIN)
			v->ladder_top = pos->icount;
		c = debug_pos_cmp_now(d, pos);
	}
	if (c == 0 && (!pos->at_pc || pos->pc == arch_pc(d->vcpu)))
		return 1;
	return 0;
}

/* The seek arrived: report what it was for. */
static bool debug_seek_final(struct debug *d, struct vcpu_stop *stop)
{
	struct reverse *v = &d->rev;

	if (d->icount == v->target.icount || stop->reason == STOP_ICOUNT ||
	    stop->reason == STOP_STEPPED) {
		*stop = v->result;
		if (v->has_hit)
			d->watch.hit = v->hit;
		if (d->icount != v->target.icount)
			snprintf(stop->detail, sizeof(stop->detail), "landed at icount %llu, not %llu "
				 "(an instruction that delays the step trap ran with the one before)",
				 (unsigned long long)d->icount, (unsigned long long)v->target.icount);
	}
	return debug_op_final(d, stop);
}

static bool debug_seek_stopped(struct debug *d, struct vcpu_stop *stop)
{
	struct reverse *v = &d->rev;
	bool passing = stop->reason == STOP_ICOUNT || stop->reason == STOP_BREAKPOINT ||
		       stop->reason == STOP_WATCHPOINT || stop->reason == STOP_HALTED ||
		       stop->reason == STOP_STEPPED;

	if (!passing)
		return debug_op_final(d, stop);
	if (d->icount < v->target.icount)
		return false;
	/* At the count: steps that retire nothing up to the pc it had. */
	if (d->icount == v->target.icount && v->target.at_pc && arch_pc(d->vcpu) != v->target.pc &&
	    v->pc_steps < DEBUG_MAX_SUBSTEPS) {
		v->pc_steps++;
		d->count_steps = 1;
		return false;
	}
	return debug_seek_final(d, stop);
}

/* Puts the machine at the start of the scan's window: 1 when the window is
 * empty (nothing to run). */
static int debug_scan_window(struct debug *d)
{
	struct reverse *v = &d->rev;
	int r = debug_ckpt_restore(d, d->hist.v[v->mark].slot);

	if (r < 0)
		return r;
	if (d->icount >= v->end)
		return 1;
	/* A breakpoint right at the checkpoint: no step stops there. */
	if (debug_at_breakpoint(d)) {
		struct breakpoint *bp = debug_at_breakpoint(d);

		v->found = true;
		v->found_pos = (struct hist_pos){ .icount = d->icount, .pc = arch_pc(d->vcpu),
						  .at_pc = d->sub > 0 };
		v->found_stop = (struct vcpu_stop){ .reason = STOP_BREAKPOINT, .breakpoint = bp->id };
	}
	return 0;
}

/* The scan reached the end of its window: seek to the last stop found in it,
 * or scan the window before, or stop at the start of history. */
static bool debug_scan_next(struct debug *d, struct vcpu_stop *stop)
{
	struct reverse *v = &d->rev;
	int r;

	for (;;) {
		if (v->found) {
			r = debug_seek_to(d, &v->found_pos, &v->found_stop,
					  v->found_stop.reason == STOP_WATCHPOINT ? &v->found_hit : NULL);
			if (r < 0)
				break;
			return r == 1 ? debug_seek_final(d, stop) : false;
		}
		if (v->mark == 0) {
			r = debug_ckpt_restore(d, d->hist.v[0].slot);
			if (r < 0)
				break;
			*stop = (struct vcpu_stop){ .reason = STOP_STEPPED, .history = -1 };
			return debug_op_final(d, stop);
		}
		v->end = d->hist.v[v->mark].icount;
		v->mark--;
		r = debug_scan_window(d);
		if (r < 0)
			break;
		if (r == 0)
			return false;
	}
	*stop = (struct vcpu_stop){ .reason = STOP_ERROR };
	snprintf(stop->detail, sizeof(stop->detail), "%s", err_msg());
	return debug_op_final(d, stop);
}

static bool debug_scan_stopped(struct debug *d, struct vcpu_stop *stop)
{
	struct reverse *v = &d->rev;
	struct hist_pos here = { .icount = d->icount, .pc = arch_pc(d->vcpu), .at_pc = d->sub > 0 };

	switch (stop->reason) {
	case STOP_ICOUNT:
		if (d->event_hit && d->icount < v->end)
			here = (struct hist_pos){ .icount = d->icount };
		else
			break;
		/* fall through */
	case STOP_BREAKPOINT:
		if (d->icount < v->end) {
			v->found = true;
			v->found_pos = here;
			v->found_stop = *stop;
		}
		break;
	case STOP_WATCHPOINT:
		/* Before the access: at the instruction that made it (which may
		 * have been the last before the window's end). */
		here = (struct hist_pos){ .icount = d->icount - (d->watch_mid_rep ? 0 : 1) };
		if (here.icount < v->end) {
			v->found = true;
			v->found_pos = here;
			v->found_stop = *stop;
			v->found_hit = *debug_watch_hit(d);
		}
		break;
	case STOP_HALTED:
	case STOP_STEPPED:
	case STOP_EXITED:
		break;
	case STOP_REQUESTED: {
		/* Interrupted: back where it started. */
		struct vcpu_stop req = { .reason = STOP_REQUESTED };
		int r = debug_seek_to(d, &v->start, &req, NULL);

		if (r < 0)
			return debug_op_final(d, stop);
		return r == 1 ? debug_seek_final(d, stop) : false;
	}
	default:
		return debug_op_final(d, stop);
	}
	/* The window ends where the scan started, or at the next checkpoint:
	 * whatever stops the guest there (the exit, a halt) ends it too. */
	return d->icount >= v->end ? debug_scan_next(d, stop) : false;
}

int debug_history(struct debug *d, bool on, uint64_t budget)
{
	struct history *h = &d->hist;
	int r;

	if (d->running)
		return err_set(EBUSY, "the guest is running; stop it first");
	if (!on) {
		history_clear(h, &d->ckpt);
		d->rev.op = REV_NONE;
		debug_history_arm(d);
		return 0;
	}
	if (!d->icount_on)
		return err_set(ENOTSUP, "history needs instruction counts: start kvmdbg with "
			       "--icount (or --history)");
	if (d->vm->irqchip)
		return err_set(ENOTSUP, "history needs a machine without KVM's interrupt "
			       "controllers: their interrupts come in host time, which a replay "
			       "could not repeat (start kvmdbg with --history, or --irqchip off)");
	if (budget)
		h->budget = budget;
	if (h->on) {
		history_thin(h, &d->ckpt);
		return 0;
	}
	/* Its clock would read differently on each replay. */
	if (!d->started && arch_hide_paravirt(d->vcpu) < 0)
		return -EIO;
	h->on = true;
	h->furthest = d->icount;
	r = debug_history_mark(d);
	if (r < 0) {
		h->on = false;
		return r;
	}
	if (d->started)
		snprintf(d->notice, sizeof(d->notice), "the guest has run: it may use the KVM clock, "
			 "which replays cannot repeat (a divergence is reported)");
	h->next_at = d->icount + h->interval;
	debug_state_known(d);
	return 0;
}

void debug_history_info(const struct debug *d, struct debug_history_info *info)
{
	const struct history *h = &d->hist;

	*info = (struct debug_history_info){ .on = h->on, .budget = h->budget,
					     .furthest = h->furthest, .checkpoints = h->n,
					     .interval = h->interval, .taken = h->taken,
					     .thinned = h->thinned, .copied = h->copied };
	if (!h->on)
		return;
	info->first = h->n ? h->v[0].icount : h->furthest;
	info->bytes = history_bytes(h, &d->ckpt);
	for (unsigned i = 0; i < h->n; i++)
		info->pages += d->ckpt.v[h->v[i].slot].npages;
}

bool debug_replaying(const struct debug *d)
{
	return d->hist.on && d->icount < d->hist.furthest;
}

const char *debug_notice(struct debug *d)
{
	if (!d->notice[0])
		return NULL;
	memcpy(d->notice_out, d->notice, sizeof(d->notice_out));
	d->notice[0] = 0;
	return d->notice_out;
}

/* Checks before going back: 1 with *stop at the start of history (history
 * off counts as none), 0 to go, -errno. */
static int debug_reverse_check(struct debug *d, struct vcpu_stop *stop)
{
	struct history *h = &d->hist;

	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	if (!h->on)
		snprintf(d->notice, sizeof(d->notice), "history is off: there is nothing to go back "
			 "to (start kvmdbg with --history, or turn it on: history on)");
	if (!h->on || !h->n ||
	    (d->icount == h->v[0].icount && d->sub <= h->v[0].sub)) {
		*stop = d->last;
		stop->reason = STOP_STEPPED;
		stop->history = -1;
		stop->detail[0] = 0;
		return 1;
	}
	return 0;
}

/* Starts a seek to pos that reports result there (debug_reverse_step()'s returns). */
static int debug_seek_start(struct debug *d, const struct hist_pos *pos,
			    const struct vcpu_stop *result, struct vcpu_stop *stop)
{
	int r;

	debug_op_begin(d, REV_SEEK);
	r = debug_seek_to(d, pos, result, NULL);
	if (r < 0) {
		d->rev.op = REV_NONE;
		return r;
	}
	if (r == 1)
		return debug_seek_final(d, stop);
	return debug_start(d, stop);
}

int debug_reverse_step(struct debug *d, struct vcpu_stop *stop)
{
	struct vcpu_stop result = { .reason = STOP_STEPPED };
	struct hist_pos pos;
	int r = debug_reverse_check(d, stop);

	if (r)
		return r;
	pos = (struct hist_pos){ .icount = d->sub ? d->icount : d->icount - 1 };
	return debug_seek_start(d, &pos, &result, stop);
}

int debug_reverse_continue(struct debug *d, struct vcpu_stop *stop)
{
	struct reverse *v = &d->rev;
	struct history *h = &d->hist;
	int r = debug_reverse_check(d, stop), m;

	if (r)
		return r;
	debug_op_begin(d, REV_SCAN);
	v->start = (struct hist_pos){ .icount = d->icount, .pc = arch_pc(d->vcpu), .at_pc = d->sub > 0 };
	v->found = false;
	v->end = d->icount;
	m = history_find(h, d->icount, d->sub);
	/* The window ends before the guest now: a mark right here starts none. */
	if (m > 0 && h->v[m].icount == d->icount)
		m--;
	v->mark = m;
	r = debug_scan_window(d);
	if (r < 0) {
		d->rev.op = REV_NONE;
		return r;
	}
	if (r == 1) {
		if (debug_scan_next(d, stop))
			return 1;
		return debug_start(d, stop);
	}
	return debug_start(d, stop);
}

int debug_goto(struct debug *d, uint64_t at, struct vcpu_stop *stop)
{
	struct vcpu_stop result = { .reason = STOP_ICOUNT };
	struct hist_pos pos = { .icount = at };

	if (!d->icount_on)
		return err_set(ENOTSUP, "instructions are not being counted (start kvmdbg with --icount)");
	if (d->running)
		return err_set(EBUSY, "the guest is already running");
	if (at < d->icount && !d->hist.on)
		return err_set(ERANGE, "icount %llu has passed and history is off (start kvmdbg "
			       "with --history to go back)", (unsigned long long)at);
	if (d->hist.on && d->hist.n && at < d->hist.v[0].icount)
		return err_set(ERANGE, "icount %llu is before the start of history (%llu)",
			       (unsigned long long)at, (unsigned long long)d->hist.v[0].icount);
	return debug_seek_start(d, &pos, &result, stop);
}

/* ---- run control ---------------------------------------------------------------- */

int debug_run_to(struct debug *d, uint64_t at, struct vcpu_stop *stop)
{
	int r;

	r = debug_may_run(d, stop);
	if (r)
		return r < 0 ? r : 0;
	d->run_at = at;
	debug_op_begin(d, REV_FORWARD);
	r = debug_start(d, stop);
	if (r == 0)
		debug_wait_stop(d, stop, NULL);
	d->run_at = UINT64_MAX;
	return r < 0 ? r : 0;
}

int debug_step(struct debug *d, struct vcpu_stop *stop)
{
	int r;

	if (d->icount_on) {
		uint64_t at = d->icount + 1;

		r = debug_run_to(d, at, stop);
		if (r == 0 && stop->reason == STOP_ICOUNT && d->icount >= at)
			stop->reason = STOP_STEPPED;
		return r;
	}
	/* Other breakpoints stay armed: the step may run into one (an exception
	 * handler entered on the way, say). */
	r = debug_may_run(d, stop);
	if (r)
		return r < 0 ? r : 0;
	return debug_step_raw(d, stop);
}

int debug_continue(struct debug *d, struct vcpu_stop *stop)
{
	int r = debug_may_run(d, stop);

	if (r)
		return r;
	debug_op_begin(d, REV_FORWARD);
	return debug_start(d, stop);
}

int debug_stop_fd(const struct debug *d)
{
	return d->vcpu->stop_fd;
}

void debug_wait_stop(struct debug *d, struct vcpu_stop *stop, struct debug_waiter *w)
{
	do {
		if (!w) {
			vcpu_wait(d->vcpu);
			continue;
		}
		for (;;) {
			struct pollfd pfd[2] = {
				{ .fd = d->vcpu->stop_fd, .events = POLLIN },
				{ .fd = w->fd, .events = POLLIN },
			};
			int n = poll(pfd, w->fd >= 0 ? 2 : 1, w->tick_ms);

			if (n < 0 && errno != EINTR) {
				vcpu_wait(d->vcpu); /* it cannot fail */
				break;
			}
			if (n > 0 && pfd[0].revents)
				break;
			if (n == 0 || (n > 0 && pfd[1].revents))
				w->event(w->opaque, n > 0);
		}
	} while (!debug_collect(d, stop));
}

void debug_interrupt(struct debug *d)
{
	if (d->running)
		vcpu_request_stop(d->vcpu);
}

bool debug_collect(struct debug *d, struct vcpu_stop *stop)
{
	vcpu_collect_stop(d->vcpu);
	d->running = false;
	if (d->perf.fd >= 0) {
		debug_resolve(d, stop, false);
		debug_unplant(d);
		if (!debug_perf_end(d, stop))
			return false;
		return debug_settle(d, stop);
	}
	if (d->icount_on)
		debug_count_end(d, stop);
	else {
		debug_resolve(d, stop, false);
		debug_unplant(d);
	}
	return debug_settle(d, stop);
}
