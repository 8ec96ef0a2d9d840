#include "loader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bfdinc.h"
#include "devices/layout.h"
#include "err.h"
#include "vm.h"

/* Boot structures go at the lowest free 4 KiB-aligned spot from here up. */
#define LOADER_AREA_START 0x10000ULL
#define LOADER_PAGE 0x1000ULL

/* ELF e_machine values people are likely to hand us by mistake. */
static const struct {
	unsigned machine;
	const char *name;
} loader_machines[] = {
	{ 2, "SPARC" }, { 8, "MIPS" },  { 20, "PowerPC" }, { 21, "PowerPC64" },
	{ 22, "S/390" }, { 40, "ARM" }, { 50, "IA-64" },   { 183, "AArch64" },
	{ 243, "RISC-V" }, { 258, "LoongArch" },
};

static int loader_add_range(struct image *img, uint64_t start, uint64_t end, const char *name)
{
	struct image_range *r = realloc(img->ranges, (img->nr_ranges + 1) * sizeof(*r));

	if (!r)
		return err_set(ENOMEM, "out of memory");
	img->ranges = r;
	r = &img->ranges[img->nr_ranges++];
	r->start = start;
	r->end = end;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

/* The lowest start and highest end of what the image occupies (0, 0: nothing). */
static void loader_span(const struct image *img, uint64_t *start, uint64_t *end)
{
	*start = *end = 0;
	for (unsigned i = 0; i < img->nr_ranges; i++) {
		if (i == 0 || img->ranges[i].start < *start)
			*start = img->ranges[i].start;
		if (img->ranges[i].end > *end)
			*end = img->ranges[i].end;
	}
}

static int loader_outside_ram(const struct vm *vm, const struct image *img, const char *what,
			      uint64_t start, uint64_t end)
{
	return err_set(ERANGE, "%s: %s at %#llx-%#llx is outside guest RAM (%#llx bytes at 0%s) "
		       "— link the guest inside RAM or give more with -m", img->name, what,
		       (unsigned long long)start, (unsigned long long)end,
		       (unsigned long long)vm->mem.low_size,
		       vm->mem.size > vm->mem.low_size ? ", the rest at 4 GiB" : "");
}

/* The first range of the image that [start, end) overlaps, or NULL. */
static const struct image_range *loader_overlap(const struct image *img, uint64_t start,
						uint64_t end)
{
	for (unsigned i = 0; i < img->nr_ranges; i++)
		if (start < img->ranges[i].end && img->ranges[i].start < end)
			return &img->ranges[i];
	return NULL;
}

/*
 * The first address from `from` (aligned to align, a power of two) where size
 * bytes fit in low RAM overlapping neither the image nor what a PC reserves
 * below 1 MiB (the EBDA, VGA memory, the BIOS area, where the MP table goes);
 * UINT64_MAX if there is none.
 */
static uint64_t loader_room(const struct vm *vm, const struct image *img, uint64_t from,
			    uint64_t size, uint64_t align)
{
	uint64_t at = (from + align - 1) & ~(align - 1), end = vm->mem.low_size;
	const struct image_range *r;

	while (at >= from && at <= end && size <= end - at) {
		if (at < LAYOUT_HIGH_MEM && at + size > LAYOUT_EBDA) {
			at = LAYOUT_HIGH_MEM;
			continue;
		}
		r = loader_overlap(img, at, at + (size ? size : 1));
		if (!r)
			return at;
		from = r->end;
		at = (from + align - 1) & ~(align - 1);
	}
	return UINT64_MAX;
}

/* Finds room for the boot structures that overlaps nothing the image holds. */
static int loader_place_area(const struct vm *vm, struct image *img)
{
	uint64_t size = arch_boot_area_size(&vm->mem, img->boot.mode);
	uint64_t at = LOADER_AREA_START, ts, te;
	const struct image_range *r;

	arch_tables_range(&ts, &te);
	img->boot.tables = te <= vm->mem.low_size && !loader_overlap(img, ts, te);
	if (!size)
		return 0;
	while (at + size <= vm->mem.low_size) {
		r = loader_overlap(img, at, at + size);
		if (!r) {
			img->boot.area = at;
			/* The area goes first; the tables only where it is not. */
			img->boot.tables &= at >= te || at + size <= ts;
			return 0;
		}
		at = (r->end + LOADER_PAGE - 1) & ~(LOADER_PAGE - 1);
	}
	return err_set(ENOSPC, "%s: no room in guest RAM for the boot structures (%llu KiB) "
		       "outside the image — give more memory with -m", img->name,
		       (unsigned long long)(size >> 10));
}

static const char *loader_machine_name(unsigned machine)
{
	for (size_t i = 0; i < sizeof(loader_machines) / sizeof(loader_machines[0]); i++)
		if (loader_machines[i].machine == machine)
			return loader_machines[i].name;
	return NULL;
}

/* Says which machine a non-x86 ELF is for, from its header. */
static int loader_wrong_machine(const struct image *img, int fd)
{
	unsigned char hdr[20];
	unsigned machine;
	const char *name;

	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || memcmp(hdr, "\177ELF", 4))
		return err_set(ENOEXEC, "%s: not an x86 executable", img->name);
	machine = hdr[5] == 2 ? (unsigned)hdr[18] << 8 | hdr[19] : (unsigned)hdr[19] << 8 | hdr[18];
	name = loader_machine_name(machine);
	if (name)
		return err_set(ENOEXEC, "%s: ELF for %s (e_machine %u), not x86 — kvmdbg runs "
			       "x86-64 and i386 guests", img->name, name, machine);
	return err_set(ENOEXEC, "%s: ELF for machine %u, not x86 — kvmdbg runs x86-64 and "
		       "i386 guests", img->name, machine);
}

static int loader_mode(bfd *abfd, struct image *img, int fd)
{
	if (bfd_get_flavour(abfd) != bfd_target_elf_flavour)
		return err_set(ENOEXEC, "%s: a %s file, not ELF — use --raw FILE@ADDR for a flat "
			       "image", img->name, bfd_get_target(abfd));
	if (bfd_get_arch(abfd) != bfd_arch_i386)
		return loader_wrong_machine(img, fd);
	if (!(bfd_get_file_flags(abfd) & EXEC_P))
		return err_set(ENOEXEC, "%s: not an executable (a relocatable object or shared "
			       "library?) — link it first", img->name);
	if (bfd_get_arch_size(abfd) == 64 && bfd_get_mach(abfd) & bfd_mach_x86_64) {
		img->boot.mode = BOOT_LONG64;
		return 0;
	}
	if (bfd_get_arch_size(abfd) == 32 && bfd_get_mach(abfd) & bfd_mach_i386_i386) {
		img->boot.mode = BOOT_PROT32;
		return 0;
	}
	return err_set(ENOEXEC, "%s: %s ELF is not supported (x86-64 and i386 only)", img->name,
		       bfd_printable_name(abfd));
}

static int loader_copy_sections(struct vm *vm, bfd *abfd, struct image *img)
{
	bool entry_ok = false;
	int r;

	for (asection *sec = abfd->sections; sec; sec = sec->next) {
		flagword flags = bfd_section_flags(sec);
		uint64_t start = bfd_section_lma(sec), size = bfd_section_size(sec);
		uint64_t vma = bfd_section_vma(sec);
		const struct image_range *other;
		void *dst;

		/* (Thread-local bss takes no memory of its own: it overlaps by design.) */
		if (!(flags & SEC_ALLOC) || !size || ((flags & SEC_THREAD_LOCAL) && !(flags & SEC_LOAD)))
			continue;
		dst = mem_ptr(&vm->mem, start, size);
		if (!dst)
			return loader_outside_ram(vm, img, sec->name, start, start + size);
		other = loader_overlap(img, start, start + size);
		if (other)
			return err_set(ENOEXEC, "%s: sections %s (%#llx-%#llx) and %s (%#llx-%#llx) "
				       "overlap — not a well-formed executable", img->name,
				       other->name, (unsigned long long)other->start,
				       (unsigned long long)other->end, sec->name,
				       (unsigned long long)start, (unsigned long long)(start + size));
		if ((flags & SEC_LOAD) && (flags & SEC_HAS_CONTENTS)) {
			if (!bfd_get_section_contents(abfd, sec, dst, 0, size))
				return err_set(EIO, "%s: cannot read section %s: %s", img->name,
					       sec->name, bfd_errmsg(bfd_get_error()));
		} else {
			memset(dst, 0, size);
		}
		r = loader_add_range(img, start, start + size, sec->name);
		if (r < 0)
			return r;
		/* The entry point is a link-time address: translate it to where it loads. */
		if ((flags & SEC_CODE) && img->boot.entry >= vma && img->boot.entry - vma < size) {
			img->boot.entry = img->boot.entry - vma + start;
			entry_ok = true;
		}
	}
	if (!img->nr_ranges)
		return err_set(ENOEXEC, "%s: nothing to load (no allocated sections)", img->name);
	if (!entry_ok)
		return err_set(ENOEXEC, "%s: entry point %#llx is not in any loaded code section",
			       img->name, (unsigned long long)img->boot.entry);
	return 0;
}

/* Opens path as a regular file, with a message that says what is wrong
 * (opt: the option that named it; NULL: the guest); its stat in *st. */
static int loader_open(const char *opt, const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return opt ? err_set(errno, "%s: cannot open %s: %s", opt, path, strerror(errno))
			   : err_set(errno, "cannot open guest %s: %s", path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return opt ? err_set(EINVAL, "%s: %s is not a regular file", opt, path)
			   : err_set(EINVAL, "guest %s is not a regular file", path);
	}
	return fd;
}

/* Keeps what path was when it was loaded (image_unchanged() compares). */
static int loader_note_file(struct image *img, const char *path, const struct stat *st)
{
	struct image_file *v = realloc(img->files, (img->nfiles + 1) * sizeof(*v));

	if (!v)
		return err_set(ENOMEM, "out of memory");
	img->files = v;
	v[img->nfiles] = (struct image_file){ .path = strdup(path), .st = *st };
	if (!v[img->nfiles].path)
		return err_set(ENOMEM, "out of memory");
	img->nfiles++;
	return 0;
}

/* A module's file, opened and noted; its size in *size. */
static int loader_open_file(struct image *img, const char *opt, const char *path, uint64_t *size)
{
	struct stat st;
	int fd = loader_open(opt, path, &st);

	if (fd >= 0 && loader_note_file(img, path, &st) < 0) {
		close(fd);
		return -ENOMEM;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Copies size bytes from fd's offset off to guest-physical at (RAM below 4
 * GiB); takes fd over. */
static int loader_copy_file(struct vm *vm, const char *opt, const char *path, int fd, uint64_t off,
			    uint64_t at, uint64_t size)
{
	uint8_t *dst = size <= vm->mem.low_size && at <= vm->mem.low_size - size
		       ? mem_ptr(&vm->mem, at, size ? size : 1) : NULL;
	int r = 0;

	if (!dst) {
		close(fd);
		return err_set(ENOSPC, "%s: %s (%llu KiB) does not fit in guest RAM below the MMIO "
			       "hole at %#llx: give more memory with -m", opt, path,
			       (unsigned long long)(size >> 10), (unsigned long long)at);
	}
	for (uint64_t done = 0; done < size;) {
		ssize_t n = pread(fd, dst + done, size - done, (off_t)(off + done));

		if (n <= 0) {
			r = err_set(EIO, "%s: reading %s: %s", opt, path,
				    n < 0 ? strerror(errno) : "it shrank");
			break;
		}
		done += (uint64_t)n;
	}
	close(fd);
	if (r == 0)
		mem_mark(&vm->mem, at, size);
	return r;
}

static uint32_t loader_le(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* A field of the Linux setup header by its offset in the file. */
#define LINUX_HDR(img, off, bytes) loader_le(&(img)->boot.linux_hdr[(off) - 0x1f1], bytes)

/* Whether fd holds a Linux kernel (a bzImage: boot flag and "HdrS"); its
 * setup header (file bytes 0x1f1 on) in hdr. */
static bool loader_is_bzimage(int fd, uint8_t *hdr, size_t len)
{
	return pread(fd, hdr, len, 0x1f1) == (ssize_t)len && hdr[0x1fe - 0x1f1] == 0x55 &&
	       hdr[0x1ff - 0x1f1] == 0xaa && !memcmp(&hdr[0x202 - 0x1f1], "HdrS", 4);
}

/* The setup header's kernel_version: a string in the setup part, 0x200
 * bytes before where the field points (boot protocol 2.00 on). */
static void loader_bzimage_version(struct image *img)
{
	uint64_t at = LINUX_HDR(img, 0x20e, 2) + 0x200ULL;
	size_t n = 0;

	img->version[0] = '\0';
	if (at == 0x200 || at >= img->setup_size)
		return;
	while (at + n < img->setup_size && n < sizeof(img->version) - 1 && img->setup[at + n] &&
	       isprint(img->setup[at + n]))
		n++;
	if (at + n < img->setup_size && img->setup[at + n] == '\0') {
		memcpy(img->version, img->setup + at, n);
		img->version[n] = '\0';
	}
}

/*
 * A bzImage (Linux's boot protocol, Documentation/arch/x86/boot.rst): its
 * protected-mode part at the kernel's preferred address, entered at its
 * 64-bit entry point (offset 0x200) in long mode.
 */
static int loader_load_bzimage(struct vm *vm, struct image *img, int fd)
{
	uint8_t *hdr = img->boot.linux_hdr;
	struct stat st;
	uint64_t setup, load, need, ksize;
	unsigned version = LINUX_HDR(img, 0x206, 2);

	if (fstat(fd, &st) < 0) {
		close(fd);
		return err_set(errno, "%s: %s", img->name, strerror(errno));
	}
	if (version < 0x020c || !(LINUX_HDR(img, 0x236, 2) & 1)) {
		close(fd);
		return err_set(ENOEXEC, "%s: a Linux kernel without a 64-bit entry point (boot "
			       "protocol %u.%02u; kvmdbg needs 2.12 or later with XLF_KERNEL_64)",
			       img->name, version >> 8, version & 0xff);
	}
	setup = ((uint64_t)(hdr[0] ? hdr[0] : 4) + 1) * 512;
	if ((uint64_t)st.st_size <= setup + 0x200) {
		close(fd);
		return err_set(ENOEXEC, "%s: the setup header says the kernel starts at %#llx, "
			       "but the file is %llu bytes", img->name, (unsigned long long)setup,
			       (unsigned long long)st.st_size);
	}
	ksize = (uint64_t)st.st_size - setup;
	load = ((uint64_t)LINUX_HDR(img, 0x25c, 4) << 32) | LINUX_HDR(img, 0x258, 4);
	need = LINUX_HDR(img, 0x260, 4) > ksize ? LINUX_HDR(img, 0x260, 4) : ksize;
	if (load < (1 << 20) || load >= vm->mem.low_size || need > vm->mem.low_size - load) {
		close(fd);
		return err_set(ENOSPC, "%s: the kernel wants RAM at %#llx-%#llx (its preferred "
			       "address and init_size): give it more with -m (now %llu MiB below the "
			       "MMIO hole)", img->name, (unsigned long long)load,
			       (unsigned long long)(load + need),
			       (unsigned long long)(vm->mem.low_size >> 20));
	}
	img->setup = malloc(setup);
	if (!img->setup || pread(fd, img->setup, setup, 0) != (ssize_t)setup) {
		close(fd);
		return err_set(img->setup ? EIO : ENOMEM, "%s: cannot read its setup part",
			       img->name);
	}
	img->setup_size = setup;
	loader_bzimage_version(img);
	img->kernel = load;
	img->kernel_size = ksize;
	int r = loader_copy_file(vm, "kernel", img->name, fd, setup, load, ksize);

	if (r == 0)
		r = loader_add_range(img, load, load + need, "kernel");
	if (r < 0)
		return r;
	img->boot.mode = BOOT_LINUX64;
	img->boot.entry = load + 0x200;
	return loader_place_area(vm, img);
}

int loader_load_elf_fd(struct vm *vm, struct image *img, const char *name, int fd)
{
	bfd *abfd;
	uint64_t end;
	int r;

	*img = (struct image){ 0 };
	snprintf(img->name, sizeof(img->name), "%s", name);
	if (loader_is_bzimage(fd, img->boot.linux_hdr, sizeof(img->boot.linux_hdr))) {
		r = loader_load_bzimage(vm, img, fd);
		if (r < 0)
			image_free(img);
		return r;
	}
	abfd = symbols_bfd_open(name, fd);
	if (!abfd) {
		close(fd);
		return err_set(EIO, "%s: %s", name, bfd_errmsg(bfd_get_error()));
	}
	if (!bfd_check_format(abfd, bfd_object)) {
		r = err_set(ENOEXEC, "%s: not an ELF executable (%s) — use --raw FILE@ADDR for a "
			    "flat image", name, bfd_errmsg(bfd_get_error()));
		goto out;
	}
	r = loader_mode(abfd, img, fd);
	if (r < 0)
		goto out;
	img->boot.entry = bfd_get_start_address(abfd);
	r = loader_copy_sections(vm, abfd, img);
	if (r < 0)
		goto out;
	loader_span(img, &img->kernel, &end);
	img->kernel_size = end - img->kernel;
	r = loader_place_area(vm, img);
	if (r < 0)
		goto out;
	r = symbols_load(&img->symbols, abfd);
	if (r == 0)
		symbols_elf_extras(&img->symbols, fd);
out:
	/* bfd_close closes the descriptor unless it fails, and then the
	 * loader still owns it. (Loading happens before any other thread could
	 * have reused the number.) */
	if (!bfd_close(abfd) && fcntl(fd, F_GETFD) != -1)
		close(fd);
	if (r < 0)
		image_free(img);
	return r;
}

int loader_load_elf(struct vm *vm, struct image *img, const char *path)
{
	struct stat st;
	int fd = loader_open(NULL, path, &st), r;

	if (fd < 0)
		return fd;
	r = loader_load_elf_fd(vm, img, path, fd);
	if (r == 0 && (r = loader_note_file(img, path, &st)) < 0)
		image_free(img);
	return r;
}

int loader_load_raw(struct vm *vm, struct image *img, const char *path, uint64_t addr)
{
	struct stat st;
	void *dst;
	int fd, r;

	*img = (struct image){ .boot = { .mode = BOOT_REAL16, .entry = addr } };
	snprintf(img->name, sizeof(img->name), "%s", path);
	fd = loader_open(NULL, path, &st);
	if (fd < 0)
		return fd;
	r = loader_note_file(img, path, &st);
	if (r < 0)
		goto out;
	if (st.st_size == 0) {
		r = err_set(EINVAL, "%s: empty image", path);
		goto out;
	}
	if (addr >= 0x100000) {
		r = err_set(EINVAL, "%s: load address %#llx is above 1 MiB, out of reach in real "
			    "mode", path, (unsigned long long)addr);
		goto out;
	}
	dst = mem_ptr(&vm->mem, addr, (uint64_t)st.st_size);
	if (!dst) {
		r = loader_outside_ram(vm, img, "image", addr, addr + (uint64_t)st.st_size);
		goto out;
	}
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = pread(fd, (char *)dst + done, (size_t)(st.st_size - done), done);

		if (n <= 0) {
			r = err_set(n < 0 ? errno : EIO, "%s: read failed: %s", path,
				    n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		done += n;
	}
	img->kernel = addr;
	img->kernel_size = (uint64_t)st.st_size;
	r = loader_add_range(img, addr, addr + (uint64_t)st.st_size, "image");
out:
	close(fd);
	if (r < 0)
		image_free(img);
	return r;
}

/* Copies len bytes of text (and a NUL) to *top in low RAM, or (img given)
 * the first room from there that holds neither the image nor a reserved
 * range; its address in *at. */
static int loader_put_text(struct vm *vm, const struct image *img, uint64_t *top, const char *text,
			   size_t len, uint64_t *at)
{
	char *p;

	if (img)
		*top = loader_room(vm, img, *top, len + 1, 16);
	p = *top == UINT64_MAX ? NULL : mem_ptr(&vm->mem, *top, len + 1);

	if (!p || *top + len + 1 > vm->mem.low_size)
		return err_set(ENOSPC, "no room in guest RAM for the multiboot command line and "
			       "modules (%zu bytes at %#llx): give more memory with -m", len + 1,
			       (unsigned long long)*top);
	memcpy(p, text, len);
	p[len] = '\0';
	mem_mark(&vm->mem, *top, len + 1);
	*at = *top;
	*top = (*top + len + 1 + 15) & ~15ULL;
	return 0;
}

int loader_module_path(const char *spec, char *path, size_t len)
{
	size_t plen = strcspn(spec, " ");

	if (!plen || plen >= len)
		return err_set(EINVAL, "--initrd: '%s' does not start with a file name", spec);
	memcpy(path, spec, plen);
	path[plen] = '\0';
	return 0;
}

/* Loads one multiboot module, "FILE[ STRING]", page-aligned from *top on,
 * clear of the image and the PC's reserved range below 1 MiB. */
static int loader_module(struct vm *vm, struct image *img, uint64_t *top, const char *spec,
			 struct boot_module *m)
{
	char path[4096];
	uint64_t size, at;
	int fd, r = loader_module_path(spec, path, sizeof(path));

	if (r < 0 || (fd = loader_open_file(img, "--initrd", path, &size)) < 0)
		return r < 0 ? r : fd;
	at = loader_room(vm, img, *top, size, LOADER_PAGE);
	if (at == UINT64_MAX) {
		close(fd);
		return err_set(ENOSPC, "--initrd: %s (%llu KiB) does not fit in guest RAM below the "
			       "MMIO hole beside the image, the modules before it and the PC's "
			       "reserved range (%#llx-%#llx): give more memory with -m", path,
			       (unsigned long long)(size >> 10), LAYOUT_EBDA, LAYOUT_HIGH_MEM - 1);
	}
	r = loader_copy_file(vm, "--initrd", path, fd, 0, at, size);
	if (r < 0)
		return r;
	m->start = at;
	m->end = at + size;
	*top = at + size;
	r = loader_add_range(img, m->start, m->end ? m->end : m->start + 1, "module");
	return r < 0 ? r : loader_put_text(vm, img, top, spec, strlen(spec), &m->string);
}

/*
 * A Linux kernel's command line and initrd: the initrd as high in low RAM as
 * the kernel allows (initrd_addr_max), the command line a page below it.
 */
static int loader_linux_extras(struct vm *vm, struct image *img, const char *append,
			       const char *const *mods, unsigned nmods)
{
	uint64_t top = vm->mem.low_size, floor, size = 0, start;
	uint64_t max = (uint64_t)LINUX_HDR(img, 0x22c, 4) + 1, cmax = LINUX_HDR(img, 0x238, 4);
	size_t len = append ? strlen(append) : 0;
	char path[4096];
	int fd = -1, r;

	if (nmods > 1)
		return err_set(EINVAL, "--initrd: a Linux kernel takes one initrd, not %u", nmods);
	if (len > cmax)
		return err_set(E2BIG, "--append: %zu bytes, and this kernel takes %llu at most",
			       len, (unsigned long long)cmax);
	loader_span(img, &start, &floor);
	if (img->boot.area + arch_boot_area_size(&vm->mem, img->boot.mode) > floor)
		floor = img->boot.area + arch_boot_area_size(&vm->mem, img->boot.mode);
	if (max > 1 && top > max)
		top = max;
	top &= ~(LOADER_PAGE - 1);
	if (nmods) {
		r = loader_module_path(mods[0], path, sizeof(path));
		if (r < 0 || (fd = loader_open_file(img, "--initrd", path, &size)) < 0)
			return r < 0 ? r : fd;
		if (!size) {
			close(fd);
			return err_set(EINVAL, "--initrd: %s is empty: Linux would boot without an "
				       "initramfs", path);
		}
		if (size + LOADER_PAGE > top - floor) {
			close(fd);
			return err_set(ENOSPC, "--initrd: %s (%llu KiB) does not fit between the "
				       "kernel and the end of RAM below the MMIO hole: give more "
				       "memory with -m", path, (unsigned long long)(size >> 10));
		}
		top = (top - size) & ~(LOADER_PAGE - 1);
		r = loader_copy_file(vm, "--initrd", path, fd, 0, top, size);
		if (r < 0)
			return r;
		img->boot.mods[0] = (struct boot_module){ .start = top, .end = top + size };
		img->boot.nmods = 1;
		r = loader_add_range(img, top, top + (size ? size : 1), "initrd");
		if (r < 0)
			return r;
	}
	if (top < floor + LOADER_PAGE + ((len + LOADER_PAGE) & ~(LOADER_PAGE - 1)))
		return err_set(ENOSPC, "no room for the kernel's command line: give more memory with -m");
	top -= (len + LOADER_PAGE) & ~(LOADER_PAGE - 1);
	return loader_put_text(vm, NULL, &top, append ? append : "", len, &img->boot.cmdline);
}

int loader_boot_extras(struct vm *vm, struct image *img, const char *append,
			    const char *const *mods, unsigned nmods)
{
	uint64_t top = img->boot.area + arch_boot_area_size(&vm->mem, img->boot.mode), start, end;
	char *cmdline;
	int r;

	if (img->boot.mode == BOOT_LINUX64)
		return loader_linux_extras(vm, img, append, mods, nmods);
	if (img->boot.mode != BOOT_PROT32)
		return err_set(EINVAL, "--append and --initrd are for multiboot kernels (an i386 "
			       "ELF) and Linux's bzImage; %s is neither", img->name);
	if (nmods > BOOT_MAX_MODULES)
		return err_set(E2BIG, "--initrd: %u modules, at most %d", nmods, BOOT_MAX_MODULES);
	loader_span(img, &start, &end);
	if (end > top)
		top = end;
	if (asprintf(&cmdline, "%s%s%s", img->name, append && *append ? " " : "",
		     append ? append : "") < 0)
		return err_set(ENOMEM, "out of memory");
	r = loader_put_text(vm, img, &top, cmdline, strlen(cmdline), &img->boot.cmdline);
	free(cmdline);
	for (unsigned i = 0; i < nmods && r == 0; i++) {
		r = loader_module(vm, img, &top, mods[i], &img->boot.mods[i]);
		img->boot.nmods = r == 0 ? i + 1 : img->boot.nmods;
	}
	return r;
}

int loader_boot(struct vcpu *vcpu, const struct image *img)
{
	return arch_boot(vcpu, &img->boot);
}

/* Whether a file is now as f was when loaded: the same inode, size and time. */
static bool image_file_same(const struct image_file *f, const struct stat *now)
{
	return now->st_dev == f->st.st_dev && now->st_ino == f->st.st_ino &&
	       now->st_size == f->st.st_size && now->st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
	       now->st_mtim.tv_nsec == f->st.st_mtim.tv_nsec;
}

int image_unchanged(const struct image *img)
{
	for (unsigned i = 0; i < img->nfiles; i++) {
		const struct image_file *f = &img->files[i];
		struct stat now;

		if (stat(f->path, &now) < 0)
			return err_set(errno, "%s: %s since kvmdbg loaded it", f->path, strerror(errno));
		if (!image_file_same(f, &now))
			return err_set(ESTALE, "%s has changed since kvmdbg loaded it", f->path);
	}
	return 0;
}

int image_reopen(const struct image *img, const char *path)
{
	struct stat now;
	int fd;

	for (unsigned i = 0; i < img->nfiles; i++) {
		if (strcmp(img->files[i].path, path))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &now) < 0 || !image_file_same(&img->files[i], &now))) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	return -1;
}

void image_free(struct image *img)
{
	for (unsigned i = 0; i < img->nfiles; i++)
		free(img->files[i].path);
	free(img->files);
	img->files = NULL;
	img->nfiles = 0;
	symbols_free(&img->symbols);
	free(img->setup);
	img->setup = NULL;
	img->setup_size = 0;
	free(img->ranges);
	img->ranges = NULL;
	img->nr_ranges = 0;
}
