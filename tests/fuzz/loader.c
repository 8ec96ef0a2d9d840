/*
 * Fuzzes the guest loader (src/loader.c, src/symbols.c and libbfd under
 * them): any bytes as an ELF file, and as a raw image. Guest memory is a
 * plain buffer shaped as the VM's (RAM at 0 and 4 GiB): the loader only
 * copies into it, so no KVM is needed. Checks besides not crashing: the
 * loader closes the descriptor it was given, on success and failure alike.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/loader.h"
#include "../../src/vm.h"
#include "fuzz.h"
#include "nokvm.h"

#define FUZZ_RAM (4ULL << 20) /* our guests load at 1 MiB; more RAM only slows big bss */

static struct vm vm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mem_init(&vm.mem, FUZZ_RAM) < 0)
		abort();
	vm.sys_fd = vm.fd = -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image img;
	char path[64];
	int fd;

	/* As an ELF: the loader owns the descriptor from here. */
	fd = nokvm_file(data, size);
	if (loader_load_elf_fd(&vm, &img, "fuzz.elf", fd) == 0)
		image_free(&img);
	if (fcntl(fd, F_GETFD) != -1) {
		fprintf(stderr, "loader_load_elf_fd left its descriptor open\n");
		abort();
	}
	/* As a raw image at an address the first bytes choose. */
	fd = nokvm_file(data, size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (loader_load_raw(&vm, &img, path, size >= 2 ? (uint64_t)(data[0] | data[1] << 8) << 4 : 0x7c00) == 0)
		image_free(&img);
	close(fd);
	return 0;
}
