/*
 * A 32-bit multiboot kernel linked at 1 MiB: prints what the loader handed
 * over (magic, memory sizes, loader name, command line, modules with their
 * first bytes) and exits 0 if it looks right.
 */
#include "lib/guest.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002U
#define MBI_FLAG_MEM (1U << 0)
#define MBI_FLAG_CMDLINE (1U << 2)
#define MBI_FLAG_MODS (1U << 3)
#define MBI_FLAG_LOADER_NAME (1U << 9)

struct mbi_module {
	uint32_t start, end, string, reserved;
};

struct mbi {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

int main(void)
{
	const struct mbi *mbi = (const struct mbi *)multiboot_info;
	uint32_t cr0;

	serial_init();
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	serial_puts("multiboot magic ");
	serial_put_hex(multiboot_magic);
	serial_puts(", cr0 ");
	serial_put_hex(cr0);
	serial_puts(", loaded at ");
	serial_put_hex((uintptr_t)&main);
	serial_putc('\n');
	if (multiboot_magic != MULTIBOOT_BOOTLOADER_MAGIC)
		return 1;
	if (mbi->flags & MBI_FLAG_MEM) {
		serial_puts("mem_lower ");
		serial_put_dec(mbi->mem_lower);
		serial_puts(" KiB, mem_upper ");
		serial_put_dec(mbi->mem_upper);
		serial_puts(" KiB\n");
	}
	if (mbi->flags & MBI_FLAG_LOADER_NAME) {
		serial_puts("boot loader: ");
		serial_puts((const char *)mbi->boot_loader_name);
		serial_putc('\n');
	}
	if (mbi->flags & MBI_FLAG_CMDLINE) {
		serial_puts("cmdline: ");
		serial_puts((const char *)mbi->cmdline);
		serial_putc('\n');
	}
	if (mbi->flags & MBI_FLAG_MODS) {
		const struct mbi_module *m = (const struct mbi_module *)mbi->mods_addr;

		for (uint32_t i = 0; i < mbi->mods_count; i++) {
			serial_puts("module ");
			serial_put_dec(i);
			serial_puts(": ");
			serial_put_dec(m[i].end - m[i].start);
			serial_puts(" bytes at ");
			serial_put_hex(m[i].start);
			serial_puts(" '");
			serial_puts((const char *)m[i].string);
			serial_puts("' begins '");
			for (uint32_t j = 0; j < 4 && m[i].start + j < m[i].end; j++)
				serial_putc(((const char *)m[i].start)[j]);
			serial_puts("'\n");
		}
	}
	return 0;
}
