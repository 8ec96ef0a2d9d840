/* Guest symbols: address ↔ name, read from the guest image with libbfd. */
#ifndef KVMDBG_SYMBOLS_H
#define KVMDBG_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct bfd;

struct symbol {
	uint64_t addr; /* value (the address the image was linked for) */
	uint64_t end;  /* end of the symbol's section: lookups stop there */
	uint64_t size; /* the object's size from an ELF's symbol table; 0: not known */
	char kind;     /* 'T' code, 'D' data, 0 not known (a bare label) */
	char *name;    /* owned by the table */
};

#define SYMBOLS_VERSION_MAX 320 /* longest kernel version line kept */

struct symtab {
	struct symbol *syms; /* sorted by address, then name */
	size_t nr;           /* number of symbols */
	/* The Linux kernel the symbols are for, where the file says: its banner
	 * ("Linux version 6.1.0-57-amd64 (...) #1 SMP ...": an ELF's linux_banner,
	 * /proc/version for /proc/kallsyms) or its release alone (a
	 * System.map-RELEASE's name); "" if unknown. */
	char version[SYMBOLS_VERSION_MAX];
};

/* The release in a version line: "6.1.0-57-amd64" of a banner, of a
 * release, or of a bzImage's version string; its length in *len. */
const char *symbols_release(const char *version, size_t *len);

/* Sets libbfd up (once; its own warnings go nowhere) and gives a read-only bfd on FD, which it owns from then on (bfd_close closes it);
 * NULL if libbfd cannot open it. */
struct bfd *symbols_bfd_open(const char *name, int fd);
int symbols_load(struct symtab *tab, struct bfd *abfd);
/* Adds to tab the symbols of the file at path: an ELF's symbol table, or a
 * System.map ("ADDRESS TYPE NAME" lines, as nm prints them); -errno with a
 * message naming the file (and line). */
int symbols_load_file(struct symtab *tab, const char *path);
/* Reads the sizes of tab's symbols from the ELF symbol table of the file
 * open at fd (libbfd's public interface has no st_size), and the text of its
 * linux_banner as tab's version; a file that is not a well-formed ELF
 * executable leaves them unknown. */
void symbols_elf_extras(struct symtab *tab, int fd);
void symbols_free(struct symtab *tab);
/* Moves the symbols in [lo, hi) by delta (a kernel KASLR moved). */
void symbols_relocate(struct symtab *tab, uint64_t lo, uint64_t hi, uint64_t delta);
/* The symbol at or below addr within the same section, or NULL (also for tab NULL). */
const struct symbol *symbols_lookup(const struct symtab *tab, uint64_t addr);
/* The address of the symbol called name; -ENOENT if there is none. */
int symbols_find(const struct symtab *tab, const char *name, uint64_t *addr);
/* The symbol called name, or NULL. */
const struct symbol *symbols_by_name(const struct symtab *tab, const char *name);
/* "name" or "name+0x12" into buf, or "" when no symbol covers addr. */
void symbols_format(const struct symtab *tab, uint64_t addr, char *buf, size_t len);

#endif
