/* Guest symbols: address ↔ name, read from the guest image with libbfd. */
#ifndef KVMDBG_SYMBOLS_H
#define KVMDBG_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct bfd;

struct symbol {
	uint64_t addr; /* value (the address the image was linked for) */
	uint64_t end;  /* end of the symbol's section: lookups stop there */
	char *name;    /* owned by the table */
};

struct symtab {
	struct symbol *syms; /* sorted by address, then name */
	size_t nr;           /* number of symbols */
};

/* Sets libbfd up (once; its own warnings go nowhere). */
void symbols_bfd_init(void);
int symbols_load(struct symtab *tab, struct bfd *abfd);
/* Adds to tab the symbols of the file at path: an ELF's symbol table, or a
 * System.map ("ADDRESS TYPE NAME" lines, as nm prints them); -errno with a
 * message naming the file (and line). */
int symbols_load_file(struct symtab *tab, const char *path);
void symbols_free(struct symtab *tab);
/* The symbol at or below addr within the same section, or NULL (also for tab NULL). */
const struct symbol *symbols_lookup(const struct symtab *tab, uint64_t addr);
/* The address of the symbol called name; -ENOENT if there is none. */
int symbols_find(const struct symtab *tab, const char *name, uint64_t *addr);
/* "name" or "name+0x12" into buf, or "" when no symbol covers addr. */
void symbols_format(const struct symtab *tab, uint64_t addr, char *buf, size_t len);

#endif
