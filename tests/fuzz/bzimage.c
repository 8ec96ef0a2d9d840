/*
 * Fuzzes the Linux boot path without KVM: each input is made into a bzImage
 * (its setup header from the input, with the boot flag and "HdrS" always
 * there, and most of the time a boot protocol and a load address the loader
 * takes, so that inputs get past the first checks), loaded by the loader,
 * given a command line and an initrd from the input (loader_boot_extras),
 * and set up for boot (loader_boot: the zero page with its e820 map and
 * setup header, the GDT, the page tables) in RAM.
 *
 * Input: flags (1 byte), the setup header (file bytes 0x1f1-0x28f), the
 * command line's length (1 byte) and text, the initrd's length (2 bytes) and
 * bytes, then the protected-mode part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/loader.h"
#include "fuzz.h"
#include "nokvm.h"

#define FUZZ_RAM (32ULL << 20)
#define HDR_AT 0x1f1
#define HDR_END 0x290

static struct vm vm;
static struct vcpu vcpu;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	nokvm_init(&vm, &vcpu, FUZZ_RAM);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at = 0, setup, body, len;
	uint8_t flags, *file;
	char append[256], initrd_path[64];
	const char *mods[1];
	struct image img;
	int fd, initrd_fd = -1;

	if (size < 1 + (HDR_END - HDR_AT))
		return 0;
	flags = data[at++];
	/* The setup part: its header from the input, the rest zero. */
	uint8_t hdr[HDR_END - HDR_AT];

	memcpy(hdr, data + at, sizeof(hdr));
	at += sizeof(hdr);
	hdr[0x1fe - HDR_AT] = 0x55;
	hdr[0x1ff - HDR_AT] = 0xaa;
	memcpy(&hdr[0x202 - HDR_AT], "HdrS", 4);
	if (flags & 1) {
		/* A protocol and a 64-bit entry point the loader accepts. */
		put16(&hdr[0x206 - HDR_AT], 0x020f);
		hdr[0x236 - HDR_AT] |= 1;
	}
	if (flags & 2) {
		/* A load address in RAM and an init_size that fits. */
		put32(&hdr[0x258 - HDR_AT], 0x100000u << (flags >> 6));
		put32(&hdr[0x25c - HDR_AT], 0);
		put32(&hdr[0x260 - HDR_AT], hdr[0x260 - HDR_AT] << 16);
	}
	/* The command line and the initrd. */
	len = at < size ? data[at++] : 0;
	if (len > size - at)
		len = size - at;
	if (len > sizeof(append) - 1)
		len = sizeof(append) - 1;
	memcpy(append, data + at, len);
	append[len] = '\0';
	at += len;
	len = at + 2 <= size ? (size_t)(data[at] | data[at + 1] << 8) : 0;
	at += at + 2 <= size ? 2 : 0;
	if (len > size - at)
		len = size - at;
	if (flags & 4) {
		initrd_fd = nokvm_file(data + at, len);
		snprintf(initrd_path, sizeof(initrd_path), "/proc/self/fd/%d", initrd_fd);
		at += len;
	}
	mods[0] = initrd_path;
	/* The file: setup sectors (setup_sects, 0 meaning 4) + 1, then the body. */
	setup = ((size_t)(hdr[0] ? hdr[0] : 4) + 1) * 512;
	body = size - at;
	file = calloc(1, setup + body);
	if (!file)
		abort();
	memcpy(file + HDR_AT, hdr, sizeof(hdr));
	memcpy(file + setup, data + at, body);
	fd = nokvm_file(file, setup + body);
	free(file);
	if (loader_load_elf_fd(&vm, &img, "fuzz-bzImage", fd) == 0) {
		if (loader_boot_extras(&vm, &img, (flags & 8) ? append : NULL, mods,
				       initrd_fd >= 0) == 0)
			loader_boot(&vcpu, &img);
		image_free(&img);
	}
	if (initrd_fd >= 0)
		close(initrd_fd);
	return 0;
}
