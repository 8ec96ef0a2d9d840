/*
 * Fuzzes symbol files that are not ELF: any bytes as a System.map (or
 * /proc/kallsyms) through symbols_load_file(), in a file named as Debian
 * names them (System.map-RELEASE, where the kernel's release is read from),
 * then looked up as the console and the stub do: by address (the input's
 * last bytes), by name, formatted, and moved as for KASLR.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/symbols.h"
#include "fuzz.h"

static char dir[] = "/tmp/kvmdbg-fuzz-map.XXXXXX";
static char path[sizeof(dir) + 64];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/System.map-6.1.0-57-amd64", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab tab = { 0 };
	char buf[256];
	uint64_t addr = 0, found;
	size_t len;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (symbols_load_file(&tab, path) == 0) {
		for (size_t i = 0; i < 8 && i < size; i++)
			addr = addr << 8 | data[size - 1 - i];
		symbols_lookup(&tab, addr);
		symbols_format(&tab, addr, buf, sizeof(buf));
		if (tab.nr) {
			const struct symbol *s = &tab.syms[tab.nr / 2];

			if (symbols_find(&tab, s->name, &found) < 0 || !symbols_by_name(&tab, s->name))
				abort(); /* a symbol loaded is found by its name */
			symbols_format(&tab, s->addr, buf, sizeof(buf));
			symbols_relocate(&tab, s->addr, addr, addr - s->addr);
			symbols_lookup(&tab, s->addr);
		}
		symbols_release(tab.version, &len);
	}
	symbols_free(&tab);
	return 0;
}
