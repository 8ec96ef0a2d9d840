/* Puts a guest image into RAM and says how it starts: ELF via libbfd, or raw. */
#ifndef KVMDBG_LOADER_H
#define KVMDBG_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "arch.h"
#include "symbols.h"

struct vm;
struct vcpu;

/* A guest-physical range the image occupies. */
struct image_range {
	uint64_t start, end; /* [start, end) */
	char name[32];       /* section name, for messages */
};

struct image {
	char name[256];             /* file name (or "built-in demo"), for messages */
	struct boot_info boot;      /* mode, entry and boot area */
	struct symtab symbols;      /* empty for raw images */
	struct image_range *ranges; /* what the image occupies */
	unsigned nr_ranges;
	/* The kernel as loaded, for fw_cfg's kernel items: guest RAM [kernel,
	 * kernel + kernel_size) (an ELF: lowest to highest section; a bzImage: its
	 * protected-mode part), and a bzImage's real-mode setup part, which is
	 * not loaded (malloc'd, setup_size bytes; else NULL). */
	uint64_t kernel, kernel_size;
	uint8_t *setup;
	size_t setup_size;
	/* A bzImage's version string (its setup header's kernel_version:
	 * "6.1.0-57-amd64 (debian-kernel@...) #1 SMP ..."); "" if none. */
	char version[SYMBOLS_VERSION_MAX];
	/* The files it was loaded from, as they were then. */
	struct image_file {
		char *path;
		struct stat st;
	} *files;
	unsigned nfiles;
};

/* Loads an x86-64 (long mode) or i386 (32-bit protected mode) ELF executable. */
int loader_load_elf(struct vm *vm, struct image *img, const char *path);
/* Same, from an open descriptor (taken over); name is for messages. */
int loader_load_elf_fd(struct vm *vm, struct image *img, const char *name, int fd);
/* Loads a flat image at guest-physical addr; it starts in real mode there. */
int loader_load_raw(struct vm *vm, struct image *img, const char *path, uint64_t addr);
/*
 * A kernel's command line and modules. Multiboot: the command line as QEMU
 * builds it ("IMAGE APPEND"; just the image's name without append), mods[i]
 * "FILE[ STRING]" loaded page-aligned above the image and the boot area, with
 * that whole text as its string. Linux (bzImage): append as it is, one initrd
 * as high in RAM as the kernel allows. -errno with a message.
 */
int loader_boot_extras(struct vm *vm, struct image *img, const char *append,
			    const char *const *mods, unsigned nmods);
/* The file name that starts a module's "FILE[ STRING]" text (in path, len
 * bytes); -errno with a message. */
int loader_module_path(const char *spec, char *path, size_t len);
/* Writes the boot structures and sets the vCPU's registers for img. */
int loader_boot(struct vcpu *vcpu, const struct image *img);
/* Whether the files img was loaded from are as they were then: 0, or
 * -errno with a message naming the first that changed or went. */
int image_unchanged(const struct image *img);
/* path opened again if img was loaded from it and it is as it was then; -1
 * if not. */
int image_reopen(const struct image *img, const char *path);
void image_free(struct image *img);

#endif
