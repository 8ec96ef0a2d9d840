/*
 * The loader and libbfd (src/loader.c, src/symbols.c): a guest file read
 * through a read-write descriptor (the built-in guest's memfd is one) is read
 * only. libbfd opens such a descriptor for update when asked through
 * bfd_fdopenr, and then bfd_close fails on a file it found no format in and
 * keeps the bfd for good: memory per load, and a longer list libbfd walks at
 * every open. Checked here: loads that fail leave no descriptor and no memory
 * behind, a valid ELF loads the same way, again and again. No KVM: guest
 * memory is a plain buffer. Argument: a built guest ELF (guests/ticker.elf).
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/loader.h"
#include "../../src/vm.h"
#include "unit.h"

#ifdef __SANITIZE_ADDRESS__
/* ASan's allocator (its header comes with clang, not with gcc). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static size_t heap_in_use(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

/* A read-write descriptor (a memfd, as the built-in guest's) holding LEN bytes. */
static int rw_file(const void *data, size_t len)
{
	int fd = memfd_create("loader-test", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static bool closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1;
}

/* Loads DATA as an ELF through a read-write descriptor: the result, and
 * whether the descriptor was closed either way. */
static int load(struct vm *vm, const void *data, size_t len, bool *was_closed)
{
	struct image img;
	int fd = rw_file(data, len), r;

	r = loader_load_elf_fd(vm, &img, "test.elf", fd);
	if (r == 0)
		image_free(&img);
	*was_closed = closed(fd);
	return r;
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (*len = (size_t)ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc(*len)) && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static const char garbage[] = "not an ELF file, not anything libbfd knows";
	static const unsigned char elf_header[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	struct vm vm = { .sys_fd = -1, .fd = -1 };
	size_t elf_len = 0, before;
	void *elf = argc > 1 ? read_all(argv[1], &elf_len) : NULL;
	bool was_closed;

	if (mem_init(&vm.mem, 4 << 20) < 0)
		abort();
	CHECK(elf != NULL);

	/* Refused, and the descriptor is gone: nothing, no format, a bad header. */
	CHECK(load(&vm, "", 0, &was_closed) < 0 && was_closed);
	CHECK(load(&vm, garbage, sizeof(garbage), &was_closed) < 0 && was_closed);
	CHECK(load(&vm, elf_header, sizeof(elf_header), &was_closed) < 0 && was_closed);
	if (elf) {
		CHECK(load(&vm, elf, elf_len, &was_closed) == 0 && was_closed);
	}

	/* Again and again: the heap stays where it was (a kept bfd is some
	 * kilobytes: 500 of them would be megabytes). */
	before = heap_in_use();
	for (int i = 0; i < 500; i++) {
		bool a, b, c = true;

		load(&vm, garbage, sizeof(garbage), &a);
		load(&vm, elf_header, sizeof(elf_header), &b);
		if (elf)
			load(&vm, elf, elf_len, &c);
		if (!a || !b || !c) {
			CHECK(!"a load left its descriptor open");
			break;
		}
	}
	CHECK(heap_in_use() < before + (256 << 10));
	if (heap_in_use() >= before + (256 << 10))
		fprintf(stderr, "heap grew by %zu bytes over 500 rounds of loads\n", heap_in_use() - before);
	free(elf);
	return unit_done();
}
