#include "symbols.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfdinc.h"
#include "err.h"

#define SYMBOLS_MAX (1u << 22) /* symbols one guest may have */

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
		out->name = strdup(s->name);
		if (!out->name) {
			r = err_set(ENOMEM, "out of memory reading symbols");
			goto out;
		}
		out->addr = bfd_asymbol_value(s);
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

int symbols_find(const struct symtab *tab, const char *name, uint64_t *addr)
{
	for (size_t i = 0; i < tab->nr; i++) {
		if (!strcmp(tab->syms[i].name, name)) {
			*addr = tab->syms[i].addr;
			return 0;
		}
	}
	return -ENOENT;
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
