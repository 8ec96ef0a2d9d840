/*
 * A 32-bit multiboot kernel linked at 1 MiB: prints what the loader handed
 * over (magic, memory sizes, loader name) and exits 0 if it looks right.
 */
#include "lib/guest.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002U
#define MBI_FLAG_MEM (1U << 0)
#define MBI_FLAG_LOADER_NAME (1U << 9)

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
	return 0;
}
