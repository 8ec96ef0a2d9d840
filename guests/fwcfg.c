/*
 * Reads QEMU's fw_cfg (layout.h: FWCFG_*) and prints what it says: the
 * signature and interface, RAM size, CPUs, and the e820 map found through the
 * file directory; and what reads past an item's end, or of an unknown key,
 * give. Then the loader's items, where given: the kernel, its command line
 * and the initrd (where each is, its size, and whether the bytes fw_cfg
 * gives are those in RAM there). Built 64-bit and as a 32-bit multiboot
 * kernel (fwcfg32.elf, which takes --append and --initrd). Exits 0 if all of
 * it was there and matched, 1 if not.
 */
#include <stdbool.h>

#include "lib/guest.h"

extern char _start[];

static void fwcfg_select(uint16_t key)
{
	outw(LAYOUT_FWCFG_PORT, key);
}

static uint64_t fwcfg_read_le(unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)inb(LAYOUT_FWCFG_PORT + 1) << (8 * i);
	return v;
}

static uint64_t fwcfg_read_be(unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | inb(LAYOUT_FWCFG_PORT + 1);
	return v;
}

/* The item size_key sizes, addr_key places and data_key holds: prints
 * "NAME ADDR SIZE" and whether the first bytes (up to 256: a kernel's data
 * changes as it runs) are those in RAM at ADDR; the command line's text too.
 * Whether so; true if the item is not there. */
static bool fwcfg_loaded(const char *name, uint16_t addr_key, uint16_t size_key,
			 uint16_t data_key)
{
	uint32_t addr, size;
	bool same = true;

	fwcfg_select(size_key);
	size = (uint32_t)fwcfg_read_le(4);
	if (!size)
		return true;
	fwcfg_select(addr_key);
	addr = (uint32_t)fwcfg_read_le(4);
	serial_puts(name);
	serial_puts(" ");
	serial_put_hex(addr);
	serial_puts(" ");
	serial_put_hex(size);
	fwcfg_select(data_key);
	for (uint32_t i = 0; i < size && i < 256; i++)
		if (inb(LAYOUT_FWCFG_PORT + 1) != ((const volatile uint8_t *)(uintptr_t)addr)[i])
			same = false;
	serial_puts(same ? " same as RAM" : " differs from RAM");
	if (data_key == FWCFG_CMDLINE_DATA) {
		serial_puts(": ");
		serial_puts((const char *)(uintptr_t)addr);
	}
	serial_puts("\n");
	return same;
}

int main(void)
{
	char sig[5] = { 0 }, name[FWCFG_FILE_NAME];
	uint16_t e820 = 0;
	uint32_t e820_size = 0;

	serial_init();
	fwcfg_select(FWCFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(LAYOUT_FWCFG_PORT + 1);
	serial_puts("signature ");
	serial_puts(sig);
	serial_puts(" then ");
	serial_put_hex(fwcfg_read_le(2)); /* past the end of the item */
	fwcfg_select(0x1234);
	serial_puts(" unknown ");
	serial_put_hex(fwcfg_read_le(4));
	fwcfg_select(FWCFG_ID);
	serial_puts(" id ");
	serial_put_dec((unsigned long)fwcfg_read_le(4));
	fwcfg_select(FWCFG_RAM_SIZE);
	serial_puts("\nram ");
	serial_put_hex(fwcfg_read_le(8));
	fwcfg_select(FWCFG_NB_CPUS);
	serial_puts("\ncpus ");
	serial_put_dec((unsigned long)fwcfg_read_le(2));
	serial_puts("\n");
	fwcfg_select(FWCFG_FILE_DIR);
	for (uint32_t n = (uint32_t)fwcfg_read_be(4); n; n--) {
		uint32_t size = (uint32_t)fwcfg_read_be(4);
		uint16_t key = (uint16_t)fwcfg_read_be(2);

		fwcfg_read_be(2);
		for (int i = 0; i < FWCFG_FILE_NAME; i++)
			name[i] = (char)inb(LAYOUT_FWCFG_PORT + 1);
		name[FWCFG_FILE_NAME - 1] = 0;
		serial_puts("file ");
		serial_puts(name);
		serial_puts("\n");
		if (!__builtin_strcmp(name, "etc/e820")) {
			e820 = key;
			e820_size = size;
		}
	}
	if (!e820)
		guest_exit(1);
	fwcfg_select(e820);
	for (uint32_t i = 0; i + 20 <= e820_size; i += 20) {
		uint64_t addr = fwcfg_read_le(8), len = fwcfg_read_le(8);
		uint32_t type = (uint32_t)fwcfg_read_le(4);

		serial_puts("e820 ");
		serial_put_hex(addr);
		serial_puts(" ");
		serial_put_hex(len);
		serial_puts(" ");
		serial_put_dec(type);
		serial_puts("\n");
	}
	fwcfg_select(FWCFG_KERNEL_ENTRY);
	uint32_t entry = (uint32_t)fwcfg_read_le(4);

	serial_puts("entry ");
	serial_put_hex(entry);
	serial_puts(entry == (uintptr_t)_start ? " (_start)\n" : "\n");
	bool same = fwcfg_loaded("kernel", FWCFG_KERNEL_ADDR, FWCFG_KERNEL_SIZE, FWCFG_KERNEL_DATA);
	same &= fwcfg_loaded("cmdline", FWCFG_CMDLINE_ADDR, FWCFG_CMDLINE_SIZE, FWCFG_CMDLINE_DATA);
	same &= fwcfg_loaded("initrd", FWCFG_INITRD_ADDR, FWCFG_INITRD_SIZE, FWCFG_INITRD_DATA);
	return sig[0] == 'Q' && same ? 0 : 1;
}
