#include "symbols.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bfdinc.h"
#include "err.h"

#define SYMBOLS_MAX (1u << 22) /* symbols one guest may have */

static void symbols_silent(const char *fmt, va_list ap)
{
	/* libbfd's own warnings go nowhere: our messages say what went wrong. */
	(void)fmt;
	(void)ap;
}

static void symbols_bfd_init(void)
{
	static bool done;

	if (!done) {
		bfd_init();
		bfd_set_error_handler(symbols_silent);
		done = true;
	}
}

/* A bfd reading FD, which it owns from here (bfd_close closes it). Read-only
 * whatever FD's mode: bfd_fdopenr opens a read-write descriptor (a memfd,
 * a file opened O_RDWR) for update, and then bfd_close tries to write the
 * contents back, fails on a file it found no format in, and keeps the bfd
 * (and the descriptor) in its cache for good. */
bfd *symbols_bfd_open(const char *name, int fd)
{
	symbols_bfd_init();
	return bfd_fopen(name, NULL, "rb", fd);
}

/* A copy of a symbol's name fit for a terminal: bytes other than printable
 * ASCII as \xNN (a name from a file must not send escape sequences). */
static char *symbols_name(const char *p, size_t len)
{
	size_t n = 0;
	char *out, *q;

	for (size_t i = 0; i < len; i++)
		n += isprint((unsigned char)p[i]) ? 1 : 4;
	if (!(out = q = malloc(n + 1)))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (isprint((unsigned char)p[i]))
			*q++ = p[i];
		else
			q += sprintf(q, "\\x%02x", (unsigned char)p[i]);
	}
	*q = '\0';
	return out;
}

static int symbols_cmp(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool symbols_wanted(const asymbol *sym)
{
	if (!sym->name || !*sym->name || !sym->section)
		return false;
	if (sym->flags & (BSF_SECTION_SYM | BSF_FILE | BSF_DEBUGGING))
		return false;
	return !bfd_is_und_section(sym->section) && !bfd_is_com_section(sym->section) &&
	       (sym->section->flags & SEC_ALLOC);
}

int symbols_load(struct symtab *tab, struct bfd *abfd)
{
	asymbol **syms = NULL;
	uint64_t file_size;
	long bound, n;
	int r = 0;

	*tab = (struct symtab){ 0 };
	if (!(bfd_get_file_flags(abfd) & HAS_SYMS))
		return 0;
	bound = bfd_get_symtab_upper_bound(abfd);
	if (bound <= 0)
		return 0;
	/* The size comes from the file: no more entries than the file could hold
	 * (an ELF symbol takes at least 16 bytes), and not absurdly many. */
	file_size = bfd_get_file_size(abfd);
	if ((uint64_t)bound / sizeof(asymbol *) > (file_size / 16 + 1) ||
	    (uint64_t)bound / sizeof(asymbol *) > SYMBOLS_MAX)
		return err_set(EINVAL, "the symbol table claims %llu entries: more than the file "
			       "holds (or than %u)", (unsigned long long)(bound / sizeof(asymbol *)),
			       SYMBOLS_MAX);
	syms = malloc((size_t)bound);
	if (!syms)
		return err_set(ENOMEM, "out of memory reading symbols");
	n = bfd_canonicalize_symtab(abfd, syms);
	if (n < 0) {
		r = err_set(EINVAL, "cannot read symbols: %s", bfd_errmsg(bfd_get_error()));
		goto out;
	}
	tab->syms = calloc((size_t)n + 1, sizeof(*tab->syms));
	if (!tab->syms) {
		r = err_set(ENOMEM, "out of memory reading symbols");
		goto out;
	}
	for (long i = 0; i < n; i++) {
		const asymbol *s = syms[i];
		struct symbol *out;

		if (!symbols_wanted(s))
			continue;
		out = &tab->syms[tab->nr];
		out->name = symbols_name(s->name, strlen(s->name));
		if (!out->name) {
			r = err_set(ENOMEM, "out of memory reading symbols");
			goto out;
		}
		out->addr = bfd_asymbol_value(s);
		if (s->flags & BSF_FUNCTION)
			out->kind = 'T';
		else if (s->flags & BSF_OBJECT)
			out->kind = 'D';
		out->end = bfd_section_vma(s->section) + bfd_section_size(s->section);
		tab->nr++;
	}
	qsort(tab->syms, tab->nr, sizeof(*tab->syms), symbols_cmp);
out:
	free(syms);
	if (r < 0)
		symbols_free(tab);
	return r;
}

void symbols_free(struct symtab *tab)
{
	for (size_t i = 0; i < tab->nr; i++)
		free(tab->syms[i].name);
	free(tab->syms);
	*tab = (struct symtab){ 0 };
}

void symbols_relocate(struct symtab *tab, uint64_t lo, uint64_t hi, uint64_t delta)
{
	for (size_t i = 0; i < tab->nr; i++) {
		struct symbol *s = &tab->syms[i];

		if (s->addr >= lo && s->addr < hi) {
			s->addr += delta;
			s->end += delta;
		}
	}
	qsort(tab->syms, tab->nr, sizeof(*tab->syms), symbols_cmp);
}

const struct symbol *symbols_lookup(const struct symtab *tab, uint64_t addr)
{
	size_t lo = 0, hi = tab ? tab->nr : 0;

	/* Last symbol with address <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tab->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct symbol *s = &tab->syms[lo - 1];

	/* Several names at one address: prefer the first in sorted order. */
	while (s > tab->syms && s[-1].addr == s->addr)
		s--;
	return addr < s->end ? s : NULL;
}

const struct symbol *symbols_by_name(const struct symtab *tab, const char *name)
{
	for (size_t i = 0; tab && i < tab->nr; i++)
		if (!strcmp(tab->syms[i].name, name))
			return &tab->syms[i];
	return NULL;
}

int symbols_find(const struct symtab *tab, const char *name, uint64_t *addr)
{
	const struct symbol *s = symbols_by_name(tab, name);

	if (!s)
		return -ENOENT;
	*addr = s->addr;
	return 0;
}

/* count entries of size each at off fit in a file of fsize bytes. */
static bool symbols_elf_fits(uint64_t off, uint64_t count, uint64_t each, uint64_t fsize)
{
	return each && count <= fsize / each && off <= fsize && count * each <= fsize - off;
}

/* A field of width bytes (1..8, little-endian) at off in buf. */
static uint64_t symbols_le(const uint8_t *buf, size_t off, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = width; i-- > 0;)
		v = v << 8 | buf[off + i];
	return v;
}

static void *symbols_elf_read(int fd, uint64_t off, uint64_t len)
{
	uint8_t *buf = len && len < SIZE_MAX ? malloc((size_t)len) : NULL;

	if (buf && pread(fd, buf, (size_t)len, (off_t)off) != (ssize_t)len) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* The symbol of tab at addr called name, or NULL (tab is sorted). */
static struct symbol *symbols_at(struct symtab *tab, uint64_t addr, const char *name)
{
	struct symbol key = { .addr = addr, .name = (char *)name };

	return bsearch(&key, tab->syms, tab->nr, sizeof(key), symbols_cmp);
}

void symbols_elf_extras(struct symtab *tab, int fd)
{
	uint8_t eh[sizeof(Elf64_Ehdr)], *sh = NULL, *sym = NULL;
	char *str = NULL;
	struct stat st;
	bool is64, banner = false;
	uint64_t banner_at = 0;

	if (!tab->nr || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    pread(fd, eh, sizeof(eh), 0) < (ssize_t)sizeof(Elf32_Ehdr) ||
	    memcmp(eh, ELFMAG, SELFMAG) || eh[EI_DATA] != ELFDATA2LSB ||
	    (eh[EI_CLASS] != ELFCLASS64 && eh[EI_CLASS] != ELFCLASS32))
		return;
	is64 = eh[EI_CLASS] == ELFCLASS64;
	/* Field offsets and widths of the two classes (the ELF specification). */
	const unsigned w = is64 ? 8 : 4;
	const uint64_t fsize = (uint64_t)st.st_size;
	const uint64_t shoff = symbols_le(eh, is64 ? 0x28 : 0x20, w);
	const uint64_t shentsize = symbols_le(eh, is64 ? 0x3a : 0x2e, 2);
	const uint64_t shnum = symbols_le(eh, is64 ? 0x3c : 0x30, 2);
	const uint64_t want_sh = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	const uint64_t want_sym = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	uint64_t type = symbols_le(eh, 0x10, 2);

	/* A relocatable object's values are section offsets, not what libbfd gave. */
	if ((type != ET_EXEC && type != ET_DYN) || shentsize != want_sh ||
	    !symbols_elf_fits(shoff, shnum, want_sh, fsize) ||
	    !(sh = symbols_elf_read(fd, shoff, shnum * want_sh)))
		return;
	for (uint64_t i = 0; i < shnum; i++) {
		const uint8_t *h = sh + i * want_sh;
		uint64_t off = symbols_le(h, is64 ? 0x18 : 0x10, w);
		uint64_t size = symbols_le(h, is64 ? 0x20 : 0x14, w);
		uint64_t link = symbols_le(h, is64 ? 0x28 : 0x18, 4);
		uint64_t entsize = symbols_le(h, is64 ? 0x38 : 0x24, w);

		if (symbols_le(h, 4, 4) != SHT_SYMTAB)
			continue;
		if (entsize != want_sym || size % want_sym || size / want_sym > SYMBOLS_MAX ||
		    !symbols_elf_fits(off, size / want_sym, want_sym, fsize) || link >= shnum)
			break;
		const uint8_t *l = sh + link * want_sh;
		uint64_t str_off = symbols_le(l, is64 ? 0x18 : 0x10, w);
		uint64_t str_size = symbols_le(l, is64 ? 0x20 : 0x14, w);

		if (symbols_le(l, 4, 4) != SHT_STRTAB || !symbols_elf_fits(str_off, str_size, 1, fsize) ||
		    !(sym = symbols_elf_read(fd, off, size)) ||
		    !(str = symbols_elf_read(fd, str_off, str_size)))
			break;
		for (uint64_t k = 0; k < size / want_sym; k++) {
			const uint8_t *e = sym + k * want_sym;
			uint64_t name = symbols_le(e, 0, 4);
			uint64_t value = symbols_le(e, is64 ? 8 : 4, w);
			uint64_t bytes = symbols_le(e, is64 ? 16 : 8, w);
			struct symbol *s;

			if (name >= str_size || !memchr(str + name, '\0', str_size - name))
				continue;
			if (!strcmp(str + name, "linux_banner")) {
				banner = true;
				banner_at = value;
			}
			if (!bytes)
				continue;
			s = symbols_at(tab, value, str + name);
			if (s)
				s->size = bytes;
		}
		break;
	}
	/* linux_banner's text, from the section that holds it in the file. */
	for (uint64_t i = 0; banner && i < shnum; i++) {
		const uint8_t *h = sh + i * want_sh;
		uint64_t addr = symbols_le(h, is64 ? 0x10 : 0x0c, w);
		uint64_t off = symbols_le(h, is64 ? 0x18 : 0x10, w);
		uint64_t size = symbols_le(h, is64 ? 0x20 : 0x14, w);
		char *v = tab->version;
		ssize_t got;

		if (symbols_le(h, 4, 4) != SHT_PROGBITS || banner_at < addr ||
		    banner_at - addr >= size || !symbols_elf_fits(off, size, 1, fsize))
			continue;
		size -= banner_at - addr;
		got = pread(fd, v, size < SYMBOLS_VERSION_MAX - 1 ? size : SYMBOLS_VERSION_MAX - 1,
			    (off_t)(off + (banner_at - addr)));
		v[got > 0 ? got : 0] = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (strncmp(v, "Linux version ", 14))
			v[0] = '\0';
		break;
	}
	free(str);
	free(sym);
	free(sh);
}

void symbols_format(const struct symtab *tab, uint64_t addr, char *buf, size_t len)
{
	const struct symbol *s = symbols_lookup(tab, addr);

	if (!len)
		return;
	if (!s)
		buf[0] = '\0';
	else if (s->addr == addr)
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "%s+%#llx", s->name, (unsigned long long)(addr - s->addr));
}

#define SYMBOLS_MAP_LINE 4096 /* longest System.map line taken */

/* Adds more's symbols to tab (more is emptied). */
static int symbols_merge(struct symtab *tab, struct symtab *more)
{
	struct symbol *v;

	if (tab->nr + more->nr > SYMBOLS_MAX)
		return err_set(E2BIG, "more than %u symbols together", SYMBOLS_MAX);
	v = realloc(tab->syms, (tab->nr + more->nr + 1) * sizeof(*v));
	if (!v)
		return err_set(ENOMEM, "out of memory reading symbols");
	memcpy(v + tab->nr, more->syms, more->nr * sizeof(*v));
	if (more->version[0])
		memcpy(tab->version, more->version, sizeof(tab->version));
	tab->syms = v;
	tab->nr += more->nr;
	free(more->syms);
	*more = (struct symtab){ 0 };
	qsort(tab->syms, tab->nr, sizeof(*tab->syms), symbols_cmp);
	return 0;
}

/* One "ADDRESS TYPE NAME" line into *s (1), or a type with no address to
 * keep (0: undefined, absolute, debugging), or -1 if it is not such a line. */
static int symbols_map_line(char *line, struct symbol *s)
{
	char *p = line, *end, type;
	unsigned long long addr;

	errno = 0;
	addr = strtoull(p, &end, 16);
	if (end == p || errno || !isspace((unsigned char)*end))
		return -1;
	p = end;
	while (*p == ' ' || *p == '\t')
		p++;
	type = *p++;
	if (!isalpha((unsigned char)type) && type != '?' && type != '-')
		return -1;
	if (*p != ' ' && *p != '\t')
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strcspn(p, " \t\r\n");
	if (end == p)
		return -1;
	*end = '\0';
	if (strchr("UuNnAaw?-", type))
		return 0;
	*s = (struct symbol){ .addr = addr };
	if (type == 't' || type == 'T')
		s->kind = 'T';
	else if (strchr("dDbBrRgGsSvV", type))
		s->kind = 'D';
	s->name = symbols_name(p, (size_t)(end - p));
	return s->name ? 1 : -ENOMEM;
}

/* A System.map: its symbols end where the next one begins. */
static int symbols_load_map(struct symtab *tab, const char *path, int fd)
{
	/* (libbfd read through a duplicate: the same file offset.) */
	FILE *f = lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "r") : NULL;
	char line[SYMBOLS_MAP_LINE];
	struct symtab map = { 0 };
	size_t cap = 0, lineno = 0;
	long at, next;
	int r = 0;

	if (!f) {
		close(fd);
		return err_set(errno, "%s: %s", path, strerror(errno));
	}
	at = ftell(f);
	while (fgets(line, sizeof(line), f)) {
		struct symbol s;
		int k;

		lineno++;
		/* What fgets read, NUL bytes and all: where the file now is. */
		next = ftell(f);
		if (next - at > (long)strlen(line)) {
			r = err_set(EINVAL, "%s:%zu: a NUL byte in the line (not a text file?)", path,
				    lineno);
			break;
		}
		at = next;
		if (!strchr(line, '\n') && !feof(f)) {
			r = err_set(EINVAL, "%s:%zu: line longer than %d bytes", path, lineno,
				    SYMBOLS_MAP_LINE - 1);
			break;
		}
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		k = symbols_map_line(line, &s);
		if (k < 0) {
			r = k == -ENOMEM ? err_set(ENOMEM, "out of memory reading symbols")
					 : err_set(EINVAL, "%s:%zu: not a symbol table line (want "
						   "'ADDRESS TYPE NAME', as in System.map or nm's "
						   "output)", path, lineno);
			break;
		}
		if (!k)
			continue;
		if (map.nr == cap) {
			struct symbol *v;

			cap = cap ? 2 * cap : 1024;
			if (cap > SYMBOLS_MAX || !(v = realloc(map.syms, cap * sizeof(*v)))) {
				free(s.name);
				r = err_set(cap > SYMBOLS_MAX ? E2BIG : ENOMEM, "%s: more than %u "
					    "symbols, or out of memory", path, SYMBOLS_MAX);
				break;
			}
			map.syms = v;
		}
		map.syms[map.nr++] = s;
	}
	fclose(f);
	if (r == 0 && map.nr == 0)
		r = err_set(EINVAL, "%s: no symbols in it (an ELF with a symbol table, or a "
			    "System.map)", path);
	/* Debian's /boot/System.map-*: one line saying where the real one is. */
	if (r == 0 && map.nr == 1 && map.syms[0].addr == UINT64_MAX)
		r = err_set(EINVAL, "%s: a placeholder, not a symbol table (Debian's real "
			    "System.map is in the linux-image-VERSION-dbg package; or use "
			    "/proc/kallsyms of that kernel booted with nokaslr)", path);
	if (r < 0) {
		symbols_free(&map);
		return r;
	}
	qsort(map.syms, map.nr, sizeof(*map.syms), symbols_cmp);
	for (size_t i = 0, j = 0; i < map.nr; i++) {
		while (j < map.nr && map.syms[j].addr <= map.syms[i].addr)
			j++;
		map.syms[i].end = j < map.nr ? map.syms[j].addr : map.syms[i].addr + 0x1000;
		if (map.syms[i].end < map.syms[i].addr)
			map.syms[i].end = UINT64_MAX;
	}
	r = symbols_merge(tab, &map);
	symbols_free(&map);
	return r;
}

const char *symbols_release(const char *version, size_t *len)
{
	if (!strncmp(version, "Linux version ", 14))
		version += 14;
	*len = strcspn(version, " \t\n");
	return version;
}

/* What the file's name says of its kernel: /proc/kallsyms is the running
 * kernel's (/proc/version), System.map-RELEASE that release's. */
static void symbols_version_by_name(struct symtab *tab, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *real = realpath(path, NULL);

	if (real && !strcmp(real, "/proc/kallsyms")) {
		FILE *f = fopen("/proc/version", "re");

		if (f && fgets(tab->version, sizeof(tab->version), f))
			tab->version[strcspn(tab->version, "\n")] = '\0';
		else
			tab->version[0] = '\0';
		if (f)
			fclose(f);
	} else if (!strncmp(base, "System.map-", 11) && base[11]) {
		snprintf(tab->version, sizeof(tab->version), "%s", base + 11);
	}
	free(real);
}

int symbols_load_file(struct symtab *tab, const char *path)
{
	struct symtab more;
	struct stat st;
	bfd *abfd;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return err_set(errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(EINVAL, "%s is not a regular file", path);
	}
	int copy = dup(fd);

	abfd = copy < 0 ? NULL : symbols_bfd_open(path, copy);
	if (!abfd && copy >= 0)
		close(copy);
	if (abfd && bfd_check_format(abfd, bfd_object)) {
		r = symbols_load(&more, abfd);
		bfd_close(abfd);
		if (r == 0)
			symbols_elf_extras(&more, fd);
		if (r == 0 && !more.version[0])
			symbols_version_by_name(&more, path);
		close(fd);
		if (r == 0 && more.nr == 0)
			r = err_set(EINVAL, "%s: an ELF without symbols", path);
		if (r == 0)
			r = symbols_merge(tab, &more);
		symbols_free(&more);
		return r;
	}
	/* As in the loader: a failed bfd_close leaves the copy to us. */
	if (abfd && !bfd_close(abfd) && fcntl(copy, F_GETFD) != -1)
		close(copy);
	r = symbols_load_map(tab, path, fd);
	if (r == 0)
		symbols_version_by_name(tab, path);
	return r;
}
