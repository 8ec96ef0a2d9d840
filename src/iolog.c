#include "iolog.h"

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
#include "stats.h"
#include "symbols.h"
#include "vcpu.h"

#define IOLOG_TOP 10 /* busiest addresses `mmio stats` shows */

void iolog_init(struct iolog *l)
{
	*l = (struct iolog){ .next_io_id = 1, .out = stdout };
	clock_gettime(CLOCK_MONOTONIC, &l->start);
}

void iolog_free(struct iolog *l)
{
	iolog_open(l, NULL, false);
	free(l->io);
	free(l->sites);
	*l = (struct iolog){ 0 };
}

/* ---- parsing -------------------------------------------------------------- */

int iolog_watch_add(struct iolog *l, enum io_space space, uint64_t base, uint64_t len,
		 unsigned dirs, const char *what)
{
	struct io_watch *p = realloc(l->io, (l->nio + 1) * sizeof(*p));

	if (!p)
		return err_set(ENOMEM, "out of memory");
	l->io = p;
	p = &l->io[l->nio++];
	*p = (struct io_watch){ .id = l->next_io_id++, .space = space, .base = base, .len = len,
				.dirs = dirs };
	snprintf(p->what, sizeof(p->what), "%s", what);
	return p->id;
}

int iolog_watch_remove(struct iolog *l, int id)
{
	for (unsigned i = 0; i < l->nio; i++) {
		if (l->io[i].id == id) {
			memmove(&l->io[i], &l->io[i + 1], (l->nio - i - 1) * sizeof(l->io[0]));
			l->nio--;
			return 0;
		}
	}
	return err_set(ENOENT, "no I/O watch number %d", id);
}

void iolog_list(const struct iolog *l, FILE *out)
{
	if (!l->nio)
		fprintf(out, "No I/O watches%s.\n", l->log ? " (the log takes every access)" : "");
	for (unsigned i = 0; i < l->nio; i++) {
		const struct io_watch *io = &l->io[i];

		fprintf(out, "%-3d %-4s %-2s %#" PRIx64 "-%#" PRIx64 "  %s\n", io->id,
			io->space == IO_PIO ? "pio" : "mmio", iobus_dirs_name(io->dirs), io->base,
			io->base + io->len - 1, io->what);
	}
	if (l->log)
		fprintf(out, "Logging to %s (%s), %" PRIu64 " records so far.\n", l->log_path,
			l->log_json ? "JSON Lines" : "text", l->records);
	else
		fprintf(out, "No log file: watched accesses are printed here.\n");
}

/*
 * A file a remote client named: a new regular file (one that exists, a device
 * node or a FIFO among them, is not written over), reached without a symbolic
 * link in any component: each directory is opened from the root (or the
 * working directory) with O_NOFOLLOW, and the file created in the last.
 */
static FILE *iolog_open_careful(const char *path)
{
	char *copy = strdup(path), *p, *slash;
	int dir, fd = -1, e;
	FILE *f;

	if (!copy)
		return NULL;
	dir = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (p = copy; dir >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
		int next;

		*slash = '\0';
		if (!*p)
			continue;
		next = openat(dir, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* (A symbolic link there is "not a directory": say what it is.) */
		struct stat st;

		if (next < 0 && errno == ENOTDIR && fstatat(dir, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			errno = ELOOP;
		e = errno;
		close(dir);
		errno = e;
		dir = next;
	}
	if (dir >= 0 && !*p)
		errno = EISDIR;
	else if (dir >= 0)
		fd = openat(dir, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
			    0644);
	e = errno;
	if (dir >= 0)
		close(dir);
	free(copy);
	if (fd >= 0 && (f = fdopen(fd, "w")))
		return f;
	if (fd >= 0) {
		e = errno;
		close(fd);
	}
	errno = e;
	return NULL;
}

int iolog_open(struct iolog *l, const char *path, bool careful)
{
	FILE *f = NULL;
	size_t n;

	if (path) {
		f = careful ? iolog_open_careful(path) : fopen(path, "w");
		if (!f)
			return err_set(errno, "cannot open %s: %s%s", path, strerror(errno),
				       careful && errno == EEXIST ? " (a remote client's log is a new "
				       "file: kvmdbg does not write over one that exists)"
				       : careful && errno == ELOOP ? " (no symbolic links on the way)"
				       : "");
		/* Records come by the hundred thousand: a large buffer, flushed at stops. */
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	}
	if (l->log)
		fclose(l->log);
	free(l->log_path);
	l->log = f;
	l->log_path = path ? strdup(path) : NULL;
	n = path ? strlen(path) : 0;
	l->log_json = n >= 6 && !strcmp(path + n - 6, ".jsonl");
	l->header = !l->log_json;
	return 0;
}

void iolog_flush(struct iolog *l)
{
	fflush(l->log ? l->log : l->out);
}

/* The site of an address in the statistics hash, added if new; NULL when
 * the table is full (a guest scanning address space must not exhaust
 * memory) or memory is short. */
static struct io_site *iolog_site(struct iolog *l, enum io_space space, uint64_t addr)
{
	size_t mask, i;

	if (2 * (l->nsites + 1) > l->site_cap && l->nsites < IOLOG_MAX_SITES) {
		size_t cap = l->site_cap ? l->site_cap * 2 : 256;
		struct io_site *old = l->sites, *n = calloc(cap, sizeof(*n));

		if (!n)
			return NULL;
		for (size_t k = 0; k < l->site_cap; k++) {
			if (!old[k].used)
				continue;
			for (i = (old[k].addr * 0x9e3779b97f4a7c15ULL >> 32) & (cap - 1); n[i].used;
			     i = (i + 1) & (cap - 1))
				;
			n[i] = old[k];
		}
		free(old);
		l->sites = n;
		l->site_cap = cap;
	}
	mask = l->site_cap - 1;
	for (i = (addr * 0x9e3779b97f4a7c15ULL >> 32) & mask; l->sites[i].used; i = (i + 1) & mask)
		if (l->sites[i].addr == addr && l->sites[i].space == space)
			return &l->sites[i];
	if (l->nsites >= IOLOG_MAX_SITES) {
		l->sites_full++;
		return NULL;
	}
	l->sites[i] = (struct io_site){ .space = space, .addr = addr, .used = true };
	l->nsites++;
	return &l->sites[i];
}

static bool iolog_wanted(const struct iolog *l, const struct io_access *acc)
{
	unsigned dir = acc->is_write ? WATCH_WRITE : WATCH_READ;

	if (!l->nio)
		return l->log != NULL;
	for (unsigned i = 0; i < l->nio; i++) {
		const struct io_watch *io = &l->io[i];

		if (io->space == acc->space && (io->dirs & dir) && acc->addr >= io->base &&
		    acc->addr - io->base < io->len)
			return true;
	}
	return false;
}

/* The register's name, if its device names registers. */
static const char *iolog_reg_name(const struct io_access *acc)
{
	return acc->dev && acc->dev->reg_name
		       ? acc->dev->reg_name(acc->dev->opaque, acc->addr - acc->dev->base, acc)
		       : NULL;
}

/* One access, as a record: what the log and the console print. */
struct iolog_record {
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

static void iolog_write_text(const struct iolog_record *r, FILE *f, bool header)
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

static void iolog_write_json(const struct iolog_record *r, FILE *f)
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

void iolog_record(void *opaque, struct vcpu *vcpu, const struct io_access *acc)
{
	struct iolog *l = opaque;
	struct io_site *site = iolog_site(l, acc->space, acc->addr);
	struct iolog_record r = { .vcpu = vcpu->id, .acc = acc, .reg = iolog_reg_name(acc) };
	struct timespec now;

	if (site) {
		site->dev = acc->dev;
		acc->is_write ? site->writes++ : site->reads++;
	}
	if (!iolog_wanted(l, acc))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	r.time = (double)(now.tv_sec - l->start.tv_sec) + (now.tv_nsec - l->start.tv_nsec) / 1e9;
	/* A counted single step knows its instruction. Else a coalesced write was
	 * made some time before the exit that delivers it, and the instruction
	 * of any other access is found from the exit's rip. */
	enum iolog_count c = l->icount ? l->icount(l->icount_opaque, acc->coalesced, &r.seq,
						  &r.pc, &r.pc_known) : IOLOG_UNCOUNTED;

	r.counted = c != IOLOG_UNCOUNTED;
	r.seq_known = c != IOLOG_COUNT_UNKNOWN;
	if (!r.counted)
		r.seq = vcpu->stats.runs; /* (the access's vCPU's exit number) */
	if (!r.pc_known && !acc->coalesced)
		r.pc_known = arch_access_pc(vcpu, l->syms, acc->space == IO_PIO, acc->is_write,
					    &r.pc);
	if (r.pc_known)
		symbols_format(l->syms, r.pc, r.sym, sizeof(r.sym));
	if (!l->log)
		iolog_write_text(&r, l->out, false);
	else if (l->log_json)
		iolog_write_json(&r, l->log);
	else
		iolog_write_text(&r, l->log, l->header);
	l->header = false;
	l->records++;
}

/* ---- statistics ----------------------------------------------------------- */

static void iolog_site_name(const struct io_site *s, char *buf, size_t len);

static int iolog_site_by_place(const void *a, const void *b)
{
	const struct io_site *x = *(const struct io_site *const *)a;
	const struct io_site *y = *(const struct io_site *const *)b;

	if (x->space != y->space)
		return x->space < y->space ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* By device (in address order of their first ranges), then register name. */
static int iolog_site_by_name(const void *a, const void *b)
{
	const struct io_site *x = *(const struct io_site *const *)a;
	const struct io_site *y = *(const struct io_site *const *)b;
	char nx[96], ny[96];
	int c;

	if (x->space != y->space)
		return x->space < y->space ? -1 : 1;
	iolog_site_name(x, nx, sizeof(nx));
	iolog_site_name(y, ny, sizeof(ny));
	c = strcmp(nx, ny);
	return c ? c : iolog_site_by_place(a, b);
}

static int iolog_site_by_count(const void *a, const void *b)
{
	const struct io_site *x = *(const struct io_site *const *)a;
	const struct io_site *y = *(const struct io_site *const *)b;
	uint64_t nx = x->reads + x->writes, ny = y->reads + y->writes;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return iolog_site_by_place(a, b);
}

/* "testdev.SCRATCH", "serial+0x5" or "unclaimed". */
static void iolog_site_name(const struct io_site *s, char *buf, size_t len)
{
	const char *reg = s->dev && s->dev->reg_name
				  ? s->dev->reg_name(s->dev->opaque, s->addr - s->dev->base, NULL)
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

void iolog_stats(const struct iolog *l, FILE *out)
{
	const struct io_site **v = malloc((l->nsites ? l->nsites : 1) * sizeof(*v));
	size_t n = 0;

	if (!v) {
		fprintf(out, "out of memory\n");
		return;
	}
	for (size_t i = 0; i < l->site_cap; i++)
		if (l->sites[i].used)
			v[n++] = &l->sites[i];
	if (!n) {
		fprintf(out, "No PIO or MMIO accesses yet.\n");
		free(v);
		return;
	}
	/* Per device and register: consecutive sites with the same name add up. */
	qsort(v, n, sizeof(*v), iolog_site_by_name);
	fprintf(out, "%-4s %-24s %12s %12s\n", "kind", "device.register", "reads", "writes");
	for (size_t i = 0; i < n;) {
		char name[96], next[96];
		uint64_t reads = 0, writes = 0;
		enum io_space space = v[i]->space;

		iolog_site_name(v[i], name, sizeof(name));
		do {
			reads += v[i]->reads;
			writes += v[i]->writes;
			if (++i < n)
				iolog_site_name(v[i], next, sizeof(next));
		} while (i < n && v[i]->space == space && !strcmp(next, name));
		fprintf(out, "%-4s %-24s %12" PRIu64 " %12" PRIu64 "\n",
			space == IO_PIO ? "pio" : "mmio", name, reads, writes);
	}
	if (l->sites_full)
		fprintf(out, "(%" PRIu64 " accesses to further addresses, past %d addresses, are not "
			"in this table; --stats counts them all)\n", l->sites_full, IOLOG_MAX_SITES);
	qsort(v, n, sizeof(*v), iolog_site_by_count);
	fprintf(out, "Busiest addresses:\n");
	for (size_t i = 0; i < n && i < IOLOG_TOP; i++) {
		char name[96];

		iolog_site_name(v[i], name, sizeof(name));
		fprintf(out, "  %-4s %#-18" PRIx64 " %-24s %12" PRIu64 "\n",
			v[i]->space == IO_PIO ? "pio" : "mmio", v[i]->addr, name,
			v[i]->reads + v[i]->writes);
	}
	free(v);
}

