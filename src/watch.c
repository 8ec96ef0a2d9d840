#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "err.h"
#include "json.h"
#include "span.h"
#include "symbols.h"
#include "vcpu.h"
#include "vm.h"

#define WATCH_TOP 10 /* busiest addresses `mmio stats` shows */

void watch_init(struct watch *w, struct vm *vm)
{
	*w = (struct watch){ .vm = vm, .next_io_id = 1, .out = stdout };
	clock_gettime(CLOCK_MONOTONIC, &w->start);
}

void watch_free(struct watch *w)
{
	watch_log_open(w, NULL, false);
	free(w->io);
	free(w->sites);
	for (unsigned i = 0; i < w->nmem; i++)
		free(w->mem[i].pieces);
	free(w->mem);
	free(w->pages);
	free(w->exec);
	*w = (struct watch){ .vm = w->vm };
}

/* ---- parsing -------------------------------------------------------------- */

static int watch_number(const char *text, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(text, &end, 0);
	if (errno || end == text || *end || *text == '-')
		return -EINVAL;
	return 0;
}

int watch_parse_range(struct watch *w, enum io_space space, const char *text, uint64_t *base,
		      uint64_t *len)
{
	const struct io_range *dev = iobus_find_name(&w->vm->bus, space, text);
	char first[64];
	const char *sep = strpbrk(text, "+-");
	uint64_t a, b;

	if (dev) {
		*base = dev->base;
		*len = dev->len;
		return 0;
	}
	if (!sep) {
		if (watch_number(text, base) < 0)
			goto bad;
		*len = 1;
		goto check;
	}
	if ((size_t)(sep - text) >= sizeof(first))
		goto bad;
	memcpy(first, text, (size_t)(sep - text));
	first[sep - text] = '\0';
	if (watch_number(first, &a) < 0 || watch_number(sep + 1, &b) < 0)
		goto bad;
	if (*sep == '+') {
		if (!span_ok(a, b, UINT64_MAX))
			goto bad;
		*base = a;
		*len = b;
	} else {
		if (b < a || b - a == UINT64_MAX)
			goto bad;
		*base = a;
		*len = b - a + 1;
	}
check:
	if (space == IO_PIO && (*base > 0xffff || *len > 0x10000 - *base))
		return err_set(EINVAL, "ports go from 0 to 0xffff: %s", text);
	return 0;
bad:
	return err_set(EINVAL, "not a %s range: '%s' (ADDR, ADDR-END, ADDR+LEN or a device name)",
		       space == IO_PIO ? "port" : "MMIO", text);
}

int watch_parse_dirs(const char *text, unsigned *dirs)
{
	if (!text || !strcmp(text, "rw") || !strcmp(text, "a"))
		*dirs = WATCH_ACCESS;
	else if (!strcmp(text, "r"))
		*dirs = WATCH_READ;
	else if (!strcmp(text, "w"))
		*dirs = WATCH_WRITE;
	else
		return err_set(EINVAL, "not a direction: '%s' (r, w or rw)", text);
	return 0;
}

/* ---- the access log ------------------------------------------------------- */

int watch_io_add(struct watch *w, enum io_space space, uint64_t base, uint64_t len,
		 unsigned dirs, const char *what)
{
	struct io_watch *p = realloc(w->io, (w->nio + 1) * sizeof(*p));

	if (!p)
		return err_set(ENOMEM, "out of memory");
	w->io = p;
	p = &w->io[w->nio++];
	*p = (struct io_watch){ .id = w->next_io_id++, .space = space, .base = base, .len = len,
				.dirs = dirs };
	snprintf(p->what, sizeof(p->what), "%s", what);
	return p->id;
}

int watch_io_remove(struct watch *w, int id)
{
	for (unsigned i = 0; i < w->nio; i++) {
		if (w->io[i].id == id) {
			memmove(&w->io[i], &w->io[i + 1], (w->nio - i - 1) * sizeof(w->io[0]));
			w->nio--;
			return 0;
		}
	}
	return err_set(ENOENT, "no I/O watch number %d", id);
}

const char *watch_dirs_name(unsigned dirs)
{
	return dirs == WATCH_ACCESS ? "rw" : dirs == WATCH_READ ? "r" : "w";
}

void watch_io_list(const struct watch *w, FILE *out)
{
	if (!w->nio)
		fprintf(out, "No I/O watches%s.\n", w->log ? " (the log takes every access)" : "");
	for (unsigned i = 0; i < w->nio; i++) {
		const struct io_watch *io = &w->io[i];

		fprintf(out, "%-3d %-4s %-2s %#" PRIx64 "-%#" PRIx64 "  %s\n", io->id,
			io->space == IO_PIO ? "pio" : "mmio", watch_dirs_name(io->dirs), io->base,
			io->base + io->len - 1, io->what);
	}
	if (w->log)
		fprintf(out, "Logging to %s (%s), %" PRIu64 " records so far.\n", w->log_path,
			w->log_json ? "JSON Lines" : "text", w->records);
	else
		fprintf(out, "No log file: watched accesses are printed here.\n");
}

/* A file a remote client named: a regular file, reached without symlinks,
 * never a device node or a FIFO that could block. */
static FILE *watch_log_open_careful(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		      0644), e;
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (ftruncate(fd, 0) == 0 && (f = fdopen(fd, "w")))
		return f;
fail:
	e = errno;
	close(fd);
	errno = e;
	return NULL;
}

int watch_log_open(struct watch *w, const char *path, bool careful)
{
	FILE *f = NULL;
	size_t n;

	if (path) {
		f = careful ? watch_log_open_careful(path) : fopen(path, "w");
		if (!f)
			return err_set(errno, "cannot open %s: %s%s", path, strerror(errno),
				       careful && errno == EINVAL ? " (not a regular file)" : "");
		/* Records come by the hundred thousand: a large buffer, flushed at stops. */
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	}
	if (w->log)
		fclose(w->log);
	free(w->log_path);
	w->log = f;
	w->log_path = path ? strdup(path) : NULL;
	n = path ? strlen(path) : 0;
	w->log_json = n >= 6 && !strcmp(path + n - 6, ".jsonl");
	w->header = !w->log_json;
	return 0;
}

void watch_log_flush(struct watch *w)
{
	fflush(w->log ? w->log : w->out);
}

/* The site of an address in the statistics hash, added if new; NULL when
 * the table is full (a guest scanning address space must not exhaust
 * memory) or memory is short. */
static struct io_site *watch_site(struct watch *w, enum io_space space, uint64_t addr)
{
	size_t mask, i;

	if (2 * (w->nsites + 1) > w->site_cap && w->nsites < WATCH_MAX_SITES) {
		size_t cap = w->site_cap ? w->site_cap * 2 : 256;
		struct io_site *old = w->sites, *n = calloc(cap, sizeof(*n));

		if (!n)
			return NULL;
		for (size_t k = 0; k < w->site_cap; k++) {
			if (!old[k].used)
				continue;
			for (i = (old[k].addr * 0x9e3779b97f4a7c15ULL >> 32) & (cap - 1); n[i].used;
			     i = (i + 1) & (cap - 1))
				;
			n[i] = old[k];
		}
		free(old);
		w->sites = n;
		w->site_cap = cap;
	}
	mask = w->site_cap - 1;
	for (i = (addr * 0x9e3779b97f4a7c15ULL >> 32) & mask; w->sites[i].used; i = (i + 1) & mask)
		if (w->sites[i].addr == addr && w->sites[i].space == space)
			return &w->sites[i];
	if (w->nsites >= WATCH_MAX_SITES) {
		w->sites_full++;
		return NULL;
	}
	w->sites[i] = (struct io_site){ .space = space, .addr = addr, .used = true };
	w->nsites++;
	return &w->sites[i];
}

static bool watch_io_wanted(const struct watch *w, const struct io_access *acc)
{
	unsigned dir = acc->is_write ? WATCH_WRITE : WATCH_READ;

	if (!w->nio)
		return w->log != NULL;
	for (unsigned i = 0; i < w->nio; i++) {
		const struct io_watch *io = &w->io[i];

		if (io->space == acc->space && (io->dirs & dir) && acc->addr >= io->base &&
		    acc->addr - io->base < io->len)
			return true;
	}
	return false;
}

/* The register's name, if its device names registers. */
static const char *watch_reg_name(const struct io_access *acc)
{
	return acc->dev && acc->dev->reg_name ? acc->dev->reg_name(acc->addr - acc->dev->base)
					      : NULL;
}

/* One access, as a record: what the log and the console print. */
struct watch_record {
	bool counted;     /* seq is an icount (else the exit number) */
	bool seq_known;   /* ... which is known (a queued write's icount may not be) */
	uint64_t seq;
	double time;      /* seconds since start */
	int vcpu;
	bool pc_known;
	uint64_t pc;      /* the instruction that made the access */
	char sym[96];     /* pc as symbol+offset, or "" */
	const struct io_access *acc;
	const char *reg;  /* register name, or NULL */
};

static void watch_write_text(const struct watch_record *r, FILE *f, bool header)
{
	const struct io_access *acc = r->acc;
	char pc[160] = "-", dev[96], addr[24];
	int digits = (int)acc->size * 2;

	if (header)
		fprintf(f, "%12s %10s %4s  %-32s %-4s %-3s %-18s %4s  %-18s  %s\n",
			r->counted ? "icount" : "exit", "time", "vcpu", "pc", "kind", "dir",
			"address", "size", "value", "device");
	if (r->pc_known)
		snprintf(pc, sizeof(pc), "0x%" PRIx64 "%s%s%s", r->pc, *r->sym ? " <" : "", r->sym,
			 *r->sym ? ">" : "");
	snprintf(dev, sizeof(dev), "%s%s%s%s", acc->dev ? acc->dev->name : "unclaimed",
		 r->reg ? "." : "", r->reg ? r->reg : "", acc->coalesced ? " coalesced" : "");
	snprintf(addr, sizeof(addr), "0x%" PRIx64, acc->addr);
	if (r->seq_known)
		fprintf(f, "%12" PRIu64, r->seq);
	else
		fprintf(f, "%12s", "-");
	fprintf(f, " %10.6f %4d  %-32s %-4s %-3s %-18s %4u  0x%0*" PRIx64
		"%*s  %s\n", r->time, r->vcpu, pc, acc->space == IO_PIO ? "pio" : "mmio",
		acc->is_write ? "w" : "r", addr, acc->size, digits, acc->value,
		16 - digits, "", dev);
}

static void watch_write_json(const struct watch_record *r, FILE *f)
{
	const struct io_access *acc = r->acc;

	fprintf(f, "{\"%s\":", r->counted ? "icount" : "exit");
	if (r->seq_known)
		fprintf(f, "%" PRIu64, r->seq);
	else
		fprintf(f, "null");
	fprintf(f, ",\"time\":%.6f,\"vcpu\":%d,\"pc\":", r->time, r->vcpu);
	if (r->pc_known)
		fprintf(f, "\"0x%" PRIx64 "\"", r->pc);
	else
		fprintf(f, "null");
	fprintf(f, ",\"symbol\":");
	if (*r->sym)
		json_string(f, r->sym);
	else
		fprintf(f, "null");
	fprintf(f, ",\"kind\":\"%s\",\"dir\":\"%s\",\"addr\":\"0x%" PRIx64 "\",\"size\":%u,"
		"\"value\":\"0x%" PRIx64 "\",\"device\":",
		acc->space == IO_PIO ? "pio" : "mmio", acc->is_write ? "w" : "r", acc->addr,
		acc->size, acc->value);
	json_string(f, acc->dev ? acc->dev->name : "unclaimed");
	fprintf(f, ",\"reg\":");
	if (r->reg)
		json_string(f, r->reg);
	else
		fprintf(f, "null");
	fprintf(f, ",\"coalesced\":%s}\n", acc->coalesced ? "true" : "false");
}

void watch_io_record(struct watch *w, struct vcpu *vcpu, const struct io_access *acc)
{
	struct io_site *site = watch_site(w, acc->space, acc->addr);
	struct watch_record r = { .vcpu = vcpu->id, .acc = acc, .reg = watch_reg_name(acc) };
	struct timespec now;

	if (site) {
		site->dev = acc->dev;
		acc->is_write ? site->writes++ : site->reads++;
	}
	if (!watch_io_wanted(w, acc))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	r.time = (double)(now.tv_sec - w->start.tv_sec) + (now.tv_nsec - w->start.tv_nsec) / 1e9;
	/* A counted single step knows its instruction. Else a coalesced write was
	 * made some time before the exit that delivers it, and the instruction
	 * of any other access is found from the exit's rip. */
	enum watch_count c = w->icount ? w->icount(w->icount_opaque, acc->coalesced, &r.seq,
						  &r.pc, &r.pc_known) : WATCH_UNCOUNTED;

	r.counted = c != WATCH_UNCOUNTED;
	r.seq_known = c != WATCH_COUNT_UNKNOWN;
	if (!r.counted)
		r.seq = w->vm->stats.runs;
	if (!r.pc_known && !acc->coalesced)
		r.pc_known = arch_access_pc(vcpu, w->syms, acc->space == IO_PIO, acc->is_write,
					    &r.pc);
	if (r.pc_known)
		symbols_format(w->syms, r.pc, r.sym, sizeof(r.sym));
	if (!w->log)
		watch_write_text(&r, w->out, false);
	else if (w->log_json)
		watch_write_json(&r, w->log);
	else
		watch_write_text(&r, w->log, w->header);
	w->header = false;
	w->records++;
}

/* ---- statistics ----------------------------------------------------------- */

static void watch_site_name(const struct io_site *s, char *buf, size_t len);

static int watch_site_by_place(const void *a, const void *b)
{
	const struct io_site *x = *(const struct io_site *const *)a;
	const struct io_site *y = *(const struct io_site *const *)b;

	if (x->space != y->space)
		return x->space < y->space ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* By device (in address order of their first ranges), then register name. */
static int watch_site_by_name(const void *a, const void *b)
{
	const struct io_site *x = *(const struct io_site *const *)a;
	const struct io_site *y = *(const struct io_site *const *)b;
	char nx[96], ny[96];
	int c;

	if (x->space != y->space)
		return x->space < y->space ? -1 : 1;
	watch_site_name(x, nx, sizeof(nx));
	watch_site_name(y, ny, sizeof(ny));
	c = strcmp(nx, ny);
	return c ? c : watch_site_by_place(a, b);
}

static int watch_site_by_count(const void *a, const void *b)
{
	const struct io_site *x = *(const struct io_site *const *)a;
	const struct io_site *y = *(const struct io_site *const *)b;
	uint64_t nx = x->reads + x->writes, ny = y->reads + y->writes;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return watch_site_by_place(a, b);
}

/* "testdev.SCRATCH", "serial+0x5" or "unclaimed". */
static void watch_site_name(const struct io_site *s, char *buf, size_t len)
{
	const char *reg = s->dev && s->dev->reg_name ? s->dev->reg_name(s->addr - s->dev->base)
						     : NULL;

	if (!s->dev)
		snprintf(buf, len, "unclaimed");
	else if (reg)
		snprintf(buf, len, "%s.%s", s->dev->name, reg);
	else if (s->dev->len == 1)
		snprintf(buf, len, "%s", s->dev->name);
	else
		snprintf(buf, len, "%s+%#" PRIx64, s->dev->name, s->addr - s->dev->base);
}

void watch_io_stats(const struct watch *w, FILE *out)
{
	const struct io_site **v = malloc((w->nsites ? w->nsites : 1) * sizeof(*v));
	size_t n = 0;

	if (!v) {
		fprintf(out, "out of memory\n");
		return;
	}
	for (size_t i = 0; i < w->site_cap; i++)
		if (w->sites[i].used)
			v[n++] = &w->sites[i];
	if (!n) {
		fprintf(out, "No PIO or MMIO accesses yet.\n");
		free(v);
		return;
	}
	/* Per device and register: consecutive sites with the same name add up. */
	qsort(v, n, sizeof(*v), watch_site_by_name);
	fprintf(out, "%-4s %-24s %12s %12s\n", "kind", "device.register", "reads", "writes");
	for (size_t i = 0; i < n;) {
		char name[96], next[96];
		uint64_t reads = 0, writes = 0;
		enum io_space space = v[i]->space;

		watch_site_name(v[i], name, sizeof(name));
		do {
			reads += v[i]->reads;
			writes += v[i]->writes;
			if (++i < n)
				watch_site_name(v[i], next, sizeof(next));
		} while (i < n && v[i]->space == space && !strcmp(next, name));
		fprintf(out, "%-4s %-24s %12" PRIu64 " %12" PRIu64 "\n",
			space == IO_PIO ? "pio" : "mmio", name, reads, writes);
	}
	if (w->sites_full)
		fprintf(out, "(%" PRIu64 " accesses to further addresses, past %d addresses, are not "
			"in this table; --stats counts them all)\n", w->sites_full, WATCH_MAX_SITES);
	qsort(v, n, sizeof(*v), watch_site_by_count);
	fprintf(out, "Busiest addresses:\n");
	for (size_t i = 0; i < n && i < WATCH_TOP; i++) {
		char name[96];

		watch_site_name(v[i], name, sizeof(name));
		fprintf(out, "  %-4s %#-18" PRIx64 " %-24s %12" PRIu64 "\n",
			v[i]->space == IO_PIO ? "pio" : "mmio", v[i]->addr, name,
			v[i]->reads + v[i]->writes);
	}
	free(v);
}

/* ---- memory watchpoints --------------------------------------------------- */

int watch_mem_add(struct watch *w, int id, unsigned owner, unsigned kind, uint64_t addr,
		  uint64_t len, bool phys, struct watch_piece *pieces, unsigned npieces)
{
	if (w->nmem == w->mem_cap) {
		unsigned cap = w->mem_cap ? w->mem_cap * 2 : 16;
		struct mem_watch *p = realloc(w->mem, cap * sizeof(*p));

		if (!p) {
			free(pieces);
			return err_set(ENOMEM, "out of memory");
		}
		w->mem = p;
		w->mem_cap = cap;
	}
	w->mem[w->nmem++] = (struct mem_watch){
		.id = id, .owners = owner, .kind = kind, .addr = addr, .len = len, .phys = phys,
		.pieces = pieces, .npieces = npieces,
	};
	return id;
}

struct mem_watch *watch_mem_find(struct watch *w, unsigned kind, uint64_t addr, uint64_t len,
				 bool phys)
{
	for (unsigned i = 0; i < w->nmem; i++) {
		struct mem_watch *m = &w->mem[i];

		if (m->kind == kind && m->addr == addr && m->len == len && m->phys == phys)
			return m;
	}
	return NULL;
}

struct mem_watch *watch_mem_get(struct watch *w, int id)
{
	for (unsigned i = 0; i < w->nmem; i++)
		if (w->mem[i].id == id)
			return &w->mem[i];
	return NULL;
}

void watch_mem_remove(struct watch *w, int id)
{
	struct mem_watch *m = watch_mem_get(w, id);

	if (!m)
		return;
	free(m->pieces);
	memmove(m, m + 1, (size_t)(&w->mem[w->nmem] - (m + 1)) * sizeof(*m));
	w->nmem--;
}

static int watch_page_cmp(const void *a, const void *b)
{
	const struct mem_page_prot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static int watch_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The read or access watchpoint that takes the page at gpa out of the map, if any. */
static struct mem_watch *watch_reader_on(struct watch *w, uint64_t gpa)
{
	for (unsigned k = 0; k < w->nmem; k++) {
		struct mem_watch *m = &w->mem[k];

		for (unsigned j = 0; j < m->npieces; j++)
			if ((m->pieces[j].pa & ~(MEM_PAGE - 1)) == gpa && m->kind != WATCH_WRITE)
				return m;
	}
	return NULL;
}

/*
 * A page the CPU reads for itself cannot be taken away: page-table walks do
 * not exit, they fail, and the guest dies. Such a page stays readable and
 * only writes to it are watched; say so once. A page of descriptor tables
 * (IDT, GDT, TSS) is read only when an event is delivered or a segment
 * loaded: one a breakpoint alone takes away stays away, and a delivery that
 * fails on it is retried with every page given back (watch_lift_begin).
 */
static void watch_keep_system_pages(struct watch *w, struct vcpu *vcpu,
				    struct mem_page_prot *pages, unsigned n)
{
	uint64_t *sys;
	unsigned ns, nt;
	bool any = false;

	for (unsigned i = 0; i < n && !any; i++)
		any = !pages[i].readonly;
	if (!any || !(sys = malloc(2 * WATCH_MAX_SYSTEM_PAGES * sizeof(*sys))))
		return;
	nt = arch_system_pages(vcpu, sys, WATCH_MAX_SYSTEM_PAGES, false);
	ns = arch_system_pages(vcpu, sys + WATCH_MAX_SYSTEM_PAGES, WATCH_MAX_SYSTEM_PAGES, true);
	qsort(sys, nt, sizeof(*sys), watch_u64_cmp);
	qsort(sys + WATCH_MAX_SYSTEM_PAGES, ns, sizeof(*sys), watch_u64_cmp);
	for (unsigned i = 0; i < n; i++) {
		struct mem_watch *m = watch_reader_on(w, pages[i].gpa);

		if (pages[i].readonly ||
		    !(bsearch(&pages[i].gpa, sys, nt, sizeof(*sys), watch_u64_cmp) ||
		      (m && bsearch(&pages[i].gpa, sys + WATCH_MAX_SYSTEM_PAGES, ns, sizeof(*sys),
				    watch_u64_cmp))))
			continue;
		pages[i].readonly = true;
		if (m && !m->warned) {
			fprintf(stderr, "kvmdbg: watchpoint %d: guest-physical page %#llx holds page "
				"tables or descriptor tables the CPU reads by itself; only writes to "
				"it are watched\n", m->id, (unsigned long long)pages[i].gpa);
			m->warned = true;
		}
	}
	free(sys);
}

/* Whether the page holding gpa is lent back for code on it to run. */
static bool watch_lent_page(const struct watch *w, uint64_t gpa)
{
	for (unsigned f = 0; f < w->nfetch; f++)
		if ((gpa & ~(MEM_PAGE - 1)) == w->fetch[f])
			return true;
	return false;
}

int watch_exec_set(struct watch *w, const uint64_t *pages, unsigned n)
{
	uint64_t *p = NULL;
	unsigned k = 0;

	if (n && !(p = malloc(n * sizeof(*p))))
		return err_set(ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++)
		p[i] = pages[i] & ~(MEM_PAGE - 1);
	if (n)
		qsort(p, n, sizeof(*p), watch_u64_cmp);
	for (unsigned i = 0; i < n; i++)
		if (!k || p[k - 1] != p[i])
			p[k++] = p[i];
	free(w->exec);
	w->exec = p;
	w->nexec = k;
	return 0;
}

/* Whether delivering an event reads or writes the page at gpa: the CPU's
 * tables, or the stack the frame goes onto. */
static bool watch_delivery_page(struct vcpu *vcpu, uint64_t gpa)
{
	uint64_t sys[WATCH_MAX_DELIVERY_PAGES], sp, mask, pa;
	int sp_reg = arch_reg_find("sp", &mask);
	unsigned n = arch_system_pages(vcpu, sys, WATCH_MAX_DELIVERY_PAGES, true);

	for (unsigned i = 0; i < n; i++)
		if (sys[i] == gpa)
			return true;
	if (sp_reg < 0 || arch_reg_get(vcpu, (unsigned)sp_reg, &sp) < 0)
		return false;
	/* The frame: at most a few words below the stack pointer. */
	for (uint64_t back = 0; back <= 64; back += 64)
		if (arch_virt_to_phys(vcpu, ((sp & mask) - back) & mask, &pa) == 0 &&
		    (pa & ~(MEM_PAGE - 1)) == gpa)
			return true;
	return false;
}

int watch_mem_apply(struct watch *w, struct vcpu *vcpu)
{
	struct mem_page_prot *pages;
	unsigned n = 0, k = 0;
	size_t max = 0;
	int r;

	if (!w->nmem && !w->npages && !w->nexec)
		return 0;
	for (unsigned i = 0; i < w->nmem && !w->lift_all; i++)
		max += w->mem[i].npieces;
	max += w->nexec;
	pages = malloc((max ? max : 1) * sizeof(*pages));
	if (!pages)
		return err_set(ENOMEM, "out of memory");
	/* Fetches from them must exit: no page at all. Even when every page is
	 * given back for an event's delivery, but for those the delivery itself
	 * reads or writes: the handler's first fetch exits then. */
	for (unsigned i = 0; i < w->nexec; i++)
		if (mem_ptr(&w->vm->mem, w->exec[i], MEM_PAGE) &&
		    !(w->lift_all && watch_delivery_page(vcpu, w->exec[i])))
			pages[n++] = (struct mem_page_prot){ .gpa = w->exec[i] };
	for (unsigned i = 0; i < w->nmem && !w->lift_all; i++) {
		const struct mem_watch *m = &w->mem[i];

		/* Writes alone: a read-only page. Reads: no page at all, so they exit.
		 * Device space exits anyway. */
		for (unsigned j = 0; j < m->npieces; j++)
			if (!m->pieces[j].device)
				pages[n++] = (struct mem_page_prot){
					.gpa = m->pieces[j].pa & ~(MEM_PAGE - 1),
					.readonly = m->kind == WATCH_WRITE && w->vm->readonly_mem,
				};
	}
	qsort(pages, n, sizeof(*pages), watch_page_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (k && pages[k - 1].gpa == pages[i].gpa) {
			pages[k - 1].readonly &= pages[i].readonly;
			continue;
		}
		pages[k++] = pages[i];
	}
	if (w->vm->readonly_mem)
		watch_keep_system_pages(w, vcpu, pages, k);
	/* Lent back for a step: the code on them runs, writes still exit. */
	for (unsigned i = 0; i < k; i++)
		if (watch_lent_page(w, pages[i].gpa))
			pages[i].readonly = w->vm->readonly_mem;
	r = vm_protect(w->vm, pages, k);
	if (r < 0) {
		free(pages);
		return r;
	}
	free(w->pages);
	w->pages = pages;
	w->npages = k;
	return 0;
}

/* The protection of the page holding gpa, or NULL if it is plain RAM. */
static const struct mem_page_prot *watch_page(const struct watch *w, uint64_t gpa)
{
	struct mem_page_prot key = { .gpa = gpa & ~(MEM_PAGE - 1) };

	if (!w->npages)
		return NULL;
	return bsearch(&key, w->pages, w->npages, sizeof(key), watch_page_cmp);
}

bool watch_page_trapped(const struct watch *w, uint64_t gpa)
{
	const struct mem_page_prot *p = watch_page(w, gpa);

	return p && !p->readonly;
}

/* Whether a watchpoint catches acc (already performed); fills w->hit. */
static bool watch_mem_hit(struct watch *w, const struct io_access *acc)
{
	unsigned dir = acc->is_write ? WATCH_WRITE : WATCH_READ;

	for (unsigned i = 0; i < w->nmem; i++) {
		struct mem_watch *m = &w->mem[i];

		if (!(m->kind & dir))
			continue;
		for (unsigned j = 0; j < m->npieces; j++) {
			const struct watch_piece *pc = &m->pieces[j];
			uint64_t from = acc->addr > pc->pa ? acc->addr : pc->pa;

			if (acc->addr >= pc->pa + pc->len || pc->pa >= acc->addr + acc->size)
				continue;
			w->hit.id = m->id;
			w->hit.kind = m->kind;
			w->hit.is_write = acc->is_write;
			w->hit.addr = pc->va + (from - pc->pa);
			w->hit.pa = acc->addr;
			w->hit.size = acc->size;
			w->hit.value = acc->value;
			w->hit.device = pc->device;
			m->hits++;
			return true;
		}
	}
	return false;
}

bool watch_mem_access(struct watch *w, struct io_access *acc, bool *hit)
{
	uint8_t *p;

	*hit = false;
	if (!watch_page(w, acc->addr) && !watch_page(w, acc->addr + acc->size - 1))
		return false;
	p = mem_ptr(&w->vm->mem, acc->addr, acc->size);
	if (!p)
		return false;
	w->hit.old = 0;
	if (acc->is_write) {
		memcpy(&w->hit.old, p, acc->size);
		memcpy(p, &acc->value, acc->size);
	} else {
		acc->value = 0;
		memcpy(&acc->value, p, acc->size);
	}
	*hit = watch_mem_hit(w, acc);
	return true;
}

/* Whether the page holding la is lent (or, with plain_too, not protected at all). */
static bool watch_lent(const struct watch *w, struct vcpu *vcpu, uint64_t la, bool plain_too)
{
	uint64_t pa;

	if (arch_virt_to_phys(vcpu, la, &pa) < 0)
		return false;
	return watch_lent_page(w, pa) || (plain_too && !watch_page(w, pa));
}

/* The lent instruction's own reads from lent pages will not exit: find them
 * out before it runs, from the registers it starts with. */
static void watch_fetch_decode(struct watch *w, struct vcpu *vcpu, uint64_t pc)
{
	uint64_t la, pa;
	unsigned size;
	const uint8_t *p;

	struct arch_step_info info;

	arch_step_info(vcpu, &info);
	w->fetch_halt = info.halt;
	w->fetch_read = (struct io_access){ .space = IO_MMIO };
	if (!arch_insn_reads(vcpu, pc, &la, &size) || arch_virt_to_phys(vcpu, la, &pa) < 0 ||
	    !(p = mem_ptr(&w->vm->mem, pa, size)))
		return;
	w->fetch_read.addr = pa;
	w->fetch_read.size = size;
	memcpy(&w->fetch_read.value, p, size < 8 ? size : 8);
}

bool watch_mem_device_hit(struct watch *w, const struct io_access *acc)
{
	w->hit.old = 0;
	return w->nmem && acc->space == IO_MMIO && watch_mem_hit(w, acc);
}

bool watch_fetch_begin(struct watch *w, struct vcpu *vcpu, uint64_t pc)
{
	unsigned before = w->nfetch;

	/* It failed lent too: the failure is its own, for the caller to handle. */
	if (w->fetch_failed && w->fetch_failed_pc == pc)
		return false;

	/* An instruction may run onto the next page: lend both. */
	for (unsigned i = 0; i < 2; i++) {
		uint64_t va = i ? (pc | (MEM_PAGE - 1)) + 1 : pc, pa;
		const struct mem_page_prot *p;

		if (arch_virt_to_phys(vcpu, va, &pa) < 0)
			continue;
		p = watch_page(w, pa);
		if (!p || p->readonly || w->nfetch == 2)
			continue;
		w->fetch[w->nfetch++] = p->gpa;
	}
	if (w->nfetch == before)
		return false;
	if (watch_mem_apply(w, vcpu) < 0) {
		w->nfetch = before;
		return false;
	}
	watch_fetch_decode(w, vcpu, pc);
	return true;
}

bool watch_lift_begin(struct watch *w, struct vcpu *vcpu, uint64_t pc)
{
	if (!w->npages || (w->fetch_failed && w->fetch_failed_pc == pc))
		return false;
	watch_lift(w, vcpu);
	return w->lift_all;
}

void watch_lift(struct watch *w, struct vcpu *vcpu)
{
	if (!w->npages)
		return;
	w->lift_all = true;
	w->nfetch = 0;
	w->fetch_read.size = 0;
	w->fetch_halt = false;
	if (watch_mem_apply(w, vcpu) < 0)
		w->lift_all = false;
}

bool watch_lending(const struct watch *w)
{
	return w->nfetch > 0 || w->lift_all;
}

bool watch_fetch_hit(struct watch *w, bool done)
{
	struct io_access read = w->fetch_read;

	w->fetch_read.size = 0;
	return done && read.size &&
	       (watch_lent_page(w, read.addr) || watch_lent_page(w, read.addr + read.size - 1)) &&
	       watch_mem_hit(w, &read);
}

bool watch_fetch_next(struct watch *w, struct vcpu *vcpu)
{
	uint64_t pc = arch_pc(vcpu);

	if (!w->nfetch || w->lift_all || !watch_lent(w, vcpu, pc, false) ||
	    !watch_lent(w, vcpu, pc + 15, true))
		return false;
	watch_fetch_decode(w, vcpu, pc);
	return true;
}

void watch_fetch_end(struct watch *w, struct vcpu *vcpu)
{
	if (!watch_lending(w))
		return;
	w->nfetch = 0;
	w->lift_all = false;
	w->fetch_read.size = 0;
	watch_mem_apply(w, vcpu);
}
