/*
 * QEMU's fw_cfg through its two ports (layout.h: FWCFG_*), for firmware and
 * test kernels that ask the machine how much memory and how many CPUs it has
 * (kvm-unit-tests reads keys 3 and 5) and for its e820 map.
 */
#include "devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../err.h"
#include "../mem.h"
#include "layout.h"

/* Adds an item (silently nothing past the room: the items are ours). */
static void fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, uint32_t size)
{
	if (f->nitems == sizeof(f->items) / sizeof(f->items[0]) || size > FWCFG_ITEMS_SIZE - f->used)
		return;
	f->items[f->nitems++] = (struct fwcfg_item){ .key = key, .size = size, .at = f->used,
						     .fd = -1 };
	memcpy(f->data + f->used, data, size);
	f->used += size;
}

/* Adds an item with its own copy of size bytes: from data, or (data NULL)
 * from guest RAM at gpa. */
static int fwcfg_add_copy(struct fwcfg *f, const struct mem *mem, uint16_t key, const void *data,
			  uint64_t gpa, uint64_t size, const char *what)
{
	uint8_t *own;

	if (f->nitems == sizeof(f->items) / sizeof(f->items[0]))
		return err_set(ENOSPC, "fw_cfg: no room for the %s item", what);
	if (size > UINT32_MAX)
		return err_set(EFBIG, "fw_cfg: the %s is %llu bytes, more than an item holds", what,
			       (unsigned long long)size);
	own = malloc(size ? size : 1);
	if (!own)
		return err_set(ENOMEM, "fw_cfg: out of memory for the %s (%llu bytes)", what,
			       (unsigned long long)size);
	if (data) {
		memcpy(own, data, size);
	} else if (mem_read(mem, gpa, own, size) < 0) {
		free(own);
		return err_set(EFAULT, "fw_cfg: the %s at %#llx-%#llx is not all RAM", what,
			       (unsigned long long)gpa, (unsigned long long)(gpa + size));
	}
	f->items[f->nitems++] = (struct fwcfg_item){ .key = key, .size = (uint32_t)size, .own = own,
						     .fd = -1 };
	return 0;
}

/* Adds an item read from fd (taken over, closed on failure) at off. */
static int fwcfg_add_file(struct fwcfg *f, uint16_t key, int fd, uint64_t off, uint64_t size,
			  const char *what)
{
	if (f->nitems == sizeof(f->items) / sizeof(f->items[0]) || size > UINT32_MAX) {
		close(fd);
		return err_set(size > UINT32_MAX ? EFBIG : ENOSPC, "fw_cfg: no room for the %s "
			       "item, or more than an item holds", what);
	}
	f->items[f->nitems++] = (struct fwcfg_item){ .key = key, .size = (uint32_t)size, .fd = fd,
						     .file_off = off };
	return 0;
}

/* Byte at of file item i (0 where the file cannot give it). */
static uint8_t fwcfg_file_byte(struct fwcfg *f, unsigned i, uint32_t at)
{
	const struct fwcfg_item *it = &f->items[i];

	if (f->chunk_item != (int)i || at < f->chunk_at || at - f->chunk_at >= f->chunk_len) {
		ssize_t n = pread(it->fd, f->chunk, sizeof(f->chunk), (off_t)(it->file_off + at));

		f->chunk_item = n > 0 ? (int)i : -1;
		f->chunk_at = at;
		f->chunk_len = n > 0 ? (uint32_t)n : 0;
		if (n <= 0)
			return 0;
	}
	return f->chunk[at - f->chunk_at];
}

static void fwcfg_put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void fwcfg_put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A 32-bit item: an address or a size. */
static void fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint64_t v)
{
	uint8_t buf[4];

	fwcfg_put_le(buf, v, 4);
	fwcfg_add(f, key, buf, 4);
}

void fwcfg_init(struct fwcfg *f, const struct mem *mem, unsigned ncpus)
{
	struct mem_map_entry map[MEM_MAP_MAX];
	unsigned n = mem_map(mem, map);
	uint8_t buf[64], e820[MEM_MAP_MAX * 20], dir[4 + 64];

	memset(f, 0, sizeof(*f));
	f->chunk_item = -1;
	fwcfg_add(f, FWCFG_SIGNATURE, "QEMU", 4);
	fwcfg_add_u32(f, FWCFG_ID, 1);
	memset(buf, 0, 16);
	fwcfg_add(f, FWCFG_UUID, buf, 16);
	fwcfg_put_le(buf, mem->size, 8);
	fwcfg_add(f, FWCFG_RAM_SIZE, buf, 8);
	fwcfg_put_le(buf, ncpus, 2);
	fwcfg_add(f, FWCFG_NB_CPUS, buf, 2);
	fwcfg_add(f, FWCFG_MAX_CPUS, buf, 2);
	for (unsigned i = 0; i < n; i++) {
		fwcfg_put_le(e820 + 20 * i, map[i].addr, 8);
		fwcfg_put_le(e820 + 20 * i + 8, map[i].len, 8);
		fwcfg_put_le(e820 + 20 * i + 16, map[i].type, 4);
	}
	/* The directory: one file. */
	memset(dir, 0, sizeof(dir));
	fwcfg_put_be(dir, 1, 4);
	fwcfg_put_be(dir + 4, 20 * n, 4);
	fwcfg_put_be(dir + 8, FWCFG_FILE_FIRST, 2);
	memcpy(dir + 12, "etc/e820", sizeof("etc/e820"));
	fwcfg_add(f, FWCFG_FILE_DIR, dir, sizeof(dir));
	fwcfg_add(f, FWCFG_FILE_FIRST, e820, 20 * n);
}

int fwcfg_add_boot(struct fwcfg *f, const struct mem *mem, const struct fwcfg_boot *b)
{
	uint64_t len = 0;
	int r = 0;

	if (b->kernel_size) {
		fwcfg_add_u32(f, FWCFG_KERNEL_ADDR, b->kernel);
		fwcfg_add_u32(f, FWCFG_KERNEL_SIZE, b->kernel_size);
		fwcfg_add_u32(f, FWCFG_KERNEL_ENTRY, b->entry);
		r = b->kernel_fd >= 0
			? fwcfg_add_file(f, FWCFG_KERNEL_DATA, b->kernel_fd, b->kernel_off,
					 b->kernel_size, "kernel")
			: fwcfg_add_copy(f, mem, FWCFG_KERNEL_DATA, NULL, b->kernel, b->kernel_size,
					 "kernel");
	}
	if (r == 0 && b->cmdline) {
		/* Its length: up to the NUL the loader put there. */
		for (uint8_t c = 1; c && len < (1u << 20); len++)
			if (mem_read(mem, b->cmdline + len, &c, 1) < 0)
				return err_set(EFAULT, "fw_cfg: the command line at %#llx runs out of RAM",
					       (unsigned long long)b->cmdline);
		fwcfg_add_u32(f, FWCFG_CMDLINE_ADDR, b->cmdline);
		fwcfg_add_u32(f, FWCFG_CMDLINE_SIZE, len);
		r = fwcfg_add_copy(f, mem, FWCFG_CMDLINE_DATA, NULL, b->cmdline, len, "command line");
	}
	if (r == 0 && b->initrd_size) {
		fwcfg_add_u32(f, FWCFG_INITRD_ADDR, b->initrd);
		fwcfg_add_u32(f, FWCFG_INITRD_SIZE, b->initrd_size);
		r = b->initrd_fd >= 0
			? fwcfg_add_file(f, FWCFG_INITRD_DATA, b->initrd_fd, 0, b->initrd_size, "initrd")
			: fwcfg_add_copy(f, mem, FWCFG_INITRD_DATA, NULL, b->initrd, b->initrd_size,
					 "initrd");
	}
	if (r == 0 && b->setup_size) {
		fwcfg_add_u32(f, FWCFG_SETUP_SIZE, b->setup_size);
		r = fwcfg_add_copy(f, mem, FWCFG_SETUP_DATA, b->setup, 0, b->setup_size, "setup");
	}
	return r;
}

void devices_free(struct devices *devs)
{
	struct fwcfg *f = &devs->fwcfg;

	free(devs->pc_testdev);
	devs->pc_testdev = NULL;
	for (unsigned i = 0; i < f->nitems; i++) {
		free(f->items[i].own);
		f->items[i].own = NULL;
		if (f->items[i].fd >= 0)
			close(f->items[i].fd);
		f->items[i].fd = -1;
	}
}

const char *fwcfg_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	return offset == 0 ? "SELECTOR" : "DATA";
}

enum io_result fwcfg_access(void *opaque, struct io_access *acc)
{
	struct fwcfg *f = opaque;

	if (acc->offset == 0) {
		/* The selector: a write picks an item and rewinds it. */
		if (acc->is_write) {
			f->key = (uint16_t)acc->value;
			f->offset = 0;
		} else {
			acc->value = 0;
		}
		return IO_DONE;
	}
	if (acc->is_write)
		return IO_DONE;
	/* Data: one byte per read (wider reads take as many, in order). */
	acc->value = 0;
	for (unsigned b = 0; b < acc->size; b++) {
		uint8_t byte = 0;

		for (unsigned i = 0; i < f->nitems; i++) {
			const struct fwcfg_item *it = &f->items[i];

			if (it->key != f->key || f->offset >= it->size)
				continue;
			byte = it->own ? it->own[f->offset]
			       : it->fd >= 0 ? fwcfg_file_byte(f, i, f->offset)
			       : f->data[it->at + f->offset];
		}
		if (f->offset < UINT32_MAX)
			f->offset++;
		acc->value |= (uint64_t)byte << (8 * b);
	}
	return IO_DONE;
}
