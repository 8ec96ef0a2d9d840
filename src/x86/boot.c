/*
 * The CPU state a guest starts in: real mode, flat 32-bit protected mode
 * (the multiboot state), or 64-bit long mode with identity-mapped page tables.
 */
#include "../arch.h"

#include <errno.h>
#include <string.h>

#include "../devices/layout.h"
#include "../err.h"
#include "../mem.h"
#include "../vcpu.h"
#include "../vm.h"
#include "x86.h"

/* Layout of the boot area (arch_boot_area_size bytes at boot->area). */
#define AREA_STACK_TOP 0x4000 /* 16 KiB stack below this offset */
#define AREA_GDT 0x4000
#define AREA_MBI 0x5000       /* multiboot information (32-bit guests) */
#define AREA_PML4 0x6000
#define AREA_PDPT 0x7000
#define AREA_PD 0x8000        /* one page directory per GiB mapped */
#define AREA_32BIT_SIZE AREA_PML4

#define GIB (1ULL << 30)
#define PAGE_2M (2ULL << 20)

/* Multiboot information (multiboot spec 0.6.96, section 3.3). */
#define MBI_FLAG_MEM (1U << 0)
#define MBI_FLAG_CMDLINE (1U << 2)
#define MBI_FLAG_MODS (1U << 3)
#define MBI_FLAG_MMAP (1U << 6)
#define MBI_FLAG_LOADER_NAME (1U << 9)
#define MBI_LOADER_NAME_OFF 0x100
#define MBI_MMAP_OFF 0x200
#define MBI_MODS_OFF 0x300

struct mbi {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mbi_mmap {
	uint32_t size; /* of the rest of the entry */
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

/* GiB of address space the 64-bit page tables map: RAM, and at least 4 GiB. */
static uint64_t boot_gib_mapped(const struct mem *mem)
{
	uint64_t end = mem_end(mem);

	if (end < 4 * GIB)
		end = 4 * GIB;
	return (end + GIB - 1) / GIB;
}

uint64_t arch_boot_area_size(const struct mem *mem, enum boot_mode mode)
{
	switch (mode) {
	case BOOT_REAL16:
		return 0;
	case BOOT_PROT32:
		return AREA_32BIT_SIZE;
	case BOOT_LONG64:
	case BOOT_LINUX64:
		return AREA_PD + boot_gib_mapped(mem) * 4096;
	}
	return 0;
}

static void boot_segment(struct kvm_segment *seg, uint16_t sel, uint8_t type, bool code64,
			 bool db)
{
	*seg = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .l = code64, .db = db, .g = 1,
	};
}

static void boot_real_segment(struct kvm_segment *seg, uint16_t sel, uint8_t type)
{
	*seg = (struct kvm_segment){
		.base = (uint64_t)sel << 4, .limit = 0xffff, .selector = sel, .type = type,
		.present = 1, .s = 1,
	};
}

static int boot_write_gdt(struct mem *mem, struct kvm_sregs *sregs, uint64_t gdt, bool linux)
{
	const uint64_t ours[GDT_ENTRIES] = {
		[GDT_SEL_CODE32 / 8] = 0x00cf9b000000ffffULL, /* 32-bit code, 4 GiB */
		[GDT_SEL_DATA / 8] = 0x00cf93000000ffffULL,   /* data, 4 GiB */
		[GDT_SEL_CODE64 / 8] = 0x00af9b000000ffffULL, /* 64-bit code */
	};
	/* Linux's boot protocol: __BOOT_CS 0x10 and __BOOT_DS 0x18. */
	const uint64_t theirs[GDT_ENTRIES] = {
		[LINUX_BOOT_CS / 8] = 0x00af9b000000ffffULL,
		[LINUX_BOOT_DS / 8] = 0x00cf93000000ffffULL,
	};
	const uint64_t *entries = linux ? theirs : ours;

	sregs->gdt.base = gdt;
	sregs->gdt.limit = sizeof(ours) - 1;
	return mem_write(mem, gdt, entries, sizeof(ours));
}

struct mbi_module {
	uint32_t start, end, string, reserved;
} __attribute__((packed));

static int boot_write_mbi(struct mem *mem, uint64_t at, const struct boot_info *boot)
{
	static const char name[] = "kvmdbg";
	struct mem_map_entry ram[MEM_MAP_MAX];
	struct mbi_mmap map[MEM_MAP_MAX];
	unsigned nmap = mem_map(mem, ram);

	for (unsigned i = 0; i < nmap; i++)
		map[i] = (struct mbi_mmap){ .size = 20, .base = ram[i].addr, .len = ram[i].len,
					    .type = ram[i].type };
	uint64_t upper = (mem->low_size > (1 << 20) ? mem->low_size - (1 << 20) : 0) >> 10;
	struct mbi mbi = {
		.flags = MBI_FLAG_MEM | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME,
		.mem_lower = 640,
		.mem_upper = upper > 0xffffffffULL ? 0xffffffffU : (uint32_t)upper,
		.mmap_length = nmap * (uint32_t)sizeof(map[0]),
		.mmap_addr = (uint32_t)(at + MBI_MMAP_OFF),
		.boot_loader_name = (uint32_t)(at + MBI_LOADER_NAME_OFF),
	};
	int r;

	if (boot->cmdline) {
		mbi.flags |= MBI_FLAG_CMDLINE;
		mbi.cmdline = (uint32_t)boot->cmdline;
	}
	if (boot->nmods) {
		mbi.flags |= MBI_FLAG_MODS;
		mbi.mods_count = boot->nmods;
		mbi.mods_addr = (uint32_t)(at + MBI_MODS_OFF);
	}
	r = mem_write(mem, at, &mbi, sizeof(mbi));
	for (unsigned i = 0; i < boot->nmods && i < BOOT_MAX_MODULES && !r; i++) {
		struct mbi_module m = { .start = (uint32_t)boot->mods[i].start,
					.end = (uint32_t)boot->mods[i].end,
					.string = (uint32_t)boot->mods[i].string };

		r = mem_write(mem, at + MBI_MODS_OFF + i * sizeof(m), &m, sizeof(m));
	}
	if (!r)
		r = mem_write(mem, at + MBI_LOADER_NAME_OFF, name, sizeof(name));
	if (!r)
		r = mem_write(mem, at + MBI_MMAP_OFF, map, nmap * sizeof(map[0]));
	return r;
}

/*
 * The zero page (struct boot_params) of Linux's boot protocol
 * (Documentation/arch/x86/boot.rst): the kernel's setup header as its file
 * has it, what the loader fills in, and the e820 map.
 */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_SETUP_HEADER 0x1f1
#define ZP_TYPE_OF_LOADER 0x210
#define ZP_RAMDISK_IMAGE 0x218
#define ZP_RAMDISK_SIZE 0x21c
#define ZP_CMD_LINE_PTR 0x228
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_MAX 128

static void boot_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int boot_write_zero_page(struct mem *mem, uint64_t at, const struct boot_info *boot)
{
	uint8_t zp[4096] = { 0 };
	struct mem_map_entry map[MEM_MAP_MAX];
	unsigned n = mem_map(mem, map);
	/* The header's length: 0x202 plus the byte at 0x201 (its jump). */
	size_t hdr_len = 0x202 + boot->linux_hdr[0x201 - ZP_SETUP_HEADER] - ZP_SETUP_HEADER;

	if (hdr_len > sizeof(boot->linux_hdr))
		hdr_len = sizeof(boot->linux_hdr);
	memcpy(zp + ZP_SETUP_HEADER, boot->linux_hdr, hdr_len);
	zp[ZP_TYPE_OF_LOADER] = 0xff; /* a loader without an assigned number */
	boot_put32(zp + ZP_CMD_LINE_PTR, (uint32_t)boot->cmdline);
	boot_put32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(boot->cmdline >> 32));
	if (boot->nmods) {
		uint64_t size = boot->mods[0].end - boot->mods[0].start;

		boot_put32(zp + ZP_RAMDISK_IMAGE, (uint32_t)boot->mods[0].start);
		boot_put32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(boot->mods[0].start >> 32));
		boot_put32(zp + ZP_RAMDISK_SIZE, (uint32_t)size);
		boot_put32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(size >> 32));
	}
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + 20 * i;

		memcpy(e, &map[i].addr, 8);
		memcpy(e + 8, &map[i].len, 8);
		boot_put32(e + 16, map[i].type);
	}
	return mem_write(mem, at, zp, sizeof(zp));
}

static int boot_write_page_tables(struct mem *mem, uint64_t area)
{
	uint64_t gib = boot_gib_mapped(mem);
	uint64_t *pml4 = mem_ptr(mem, area + AREA_PML4, 4096);
	uint64_t *pdpt = mem_ptr(mem, area + AREA_PDPT, 4096);
	uint64_t *pd = mem_ptr(mem, area + AREA_PD, gib * 4096);

	if (!pml4 || !pdpt || !pd)
		return err_set(EFAULT, "boot page tables at %#llx do not fit in RAM",
			       (unsigned long long)area);
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = (area + AREA_PDPT) | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < gib; g++) {
		pdpt[g] = (area + AREA_PD + g * 4096) | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < 512; i++)
			pd[g * 512 + i] = (g * GIB + i * PAGE_2M) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}

static void boot_real(struct kvm_regs *regs, struct kvm_sregs *sregs, uint64_t entry)
{
	uint16_t sel = (uint16_t)((entry & 0xf0000) >> 4);

	boot_real_segment(&sregs->cs, sel, SEG_TYPE_CODE_RX_A);
	boot_real_segment(&sregs->ds, sel, SEG_TYPE_DATA_RW_A);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->cr0 = CR0_ET;
	sregs->cr4 = 0;
	sregs->efer = 0;
	regs->rip = entry & 0xffff;
	/* The stack grows down from the image start, as below a boot sector. */
	regs->rsp = entry & 0xffff;
	regs->rdx = 0x80; /* boot drive, as a BIOS passes it */
}

int arch_boot(struct vcpu *vcpu, const struct boot_info *boot)
{
	struct mem *mem = vcpu->arch->mem;
	struct kvm_regs *regs = x86_regs(vcpu);
	struct kvm_sregs *sregs = x86_sregs(vcpu);
	int r;

	if (!regs || !sregs)
		return -EIO;
	memset(regs, 0, sizeof(*regs));
	regs->rflags = RFLAGS_FIXED;

	switch (boot->mode) {
	case BOOT_REAL16:
		if (boot->entry >= 0x100000)
			return err_set(EINVAL, "real-mode entry %#llx is above 1 MiB",
				       (unsigned long long)boot->entry);
		boot_real(regs, sregs, boot->entry);
		break;
	case BOOT_PROT32:
		r = boot_write_gdt(mem, sregs, boot->area + AREA_GDT, boot->mode == BOOT_LINUX64);
		if (!r)
			r = boot_write_mbi(mem, boot->area + AREA_MBI, boot);
		if (r)
			return r;
		boot_segment(&sregs->cs, GDT_SEL_CODE32, SEG_TYPE_CODE_RX_A, false, true);
		boot_segment(&sregs->ds, GDT_SEL_DATA, SEG_TYPE_DATA_RW_A, false, true);
		sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
		sregs->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_MP;
		sregs->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
		sregs->efer = 0;
		regs->rip = boot->entry;
		regs->rsp = boot->area + AREA_STACK_TOP;
		regs->rax = MULTIBOOT_BOOTLOADER_MAGIC;
		regs->rbx = boot->area + AREA_MBI;
		break;
	case BOOT_LONG64:
	case BOOT_LINUX64: {
		bool linux = boot->mode == BOOT_LINUX64;

		r = boot_write_gdt(mem, sregs, boot->area + AREA_GDT, linux);
		if (!r)
			r = boot_write_page_tables(mem, boot->area);
		if (!r && linux)
			r = boot_write_zero_page(mem, boot->area + AREA_MBI, boot);
		if (r)
			return r;
		boot_segment(&sregs->cs, linux ? LINUX_BOOT_CS : GDT_SEL_CODE64, SEG_TYPE_CODE_RX_A,
			     true, false);
		boot_segment(&sregs->ds, linux ? LINUX_BOOT_DS : GDT_SEL_DATA, SEG_TYPE_DATA_RW_A,
			     false, true);
		/* The zero page in rsi, as the 64-bit boot protocol passes it. */
		if (linux)
			regs->rsi = boot->area + AREA_MBI;
		sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
		sregs->cr3 = boot->area + AREA_PML4;
		sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		sregs->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE | CR0_MP | CR0_WP;
		sregs->efer = EFER_LME | EFER_LMA;
		regs->rip = boot->entry;
		regs->rsp = boot->area + AREA_STACK_TOP;
		break;
	}
	}
	/* With interrupt controllers to describe (not for real-mode firmware,
	 * which brings its own). */
	if (boot->mode != BOOT_REAL16 && boot->tables && vcpu->arch->irqchip &&
	    (r = x86_mptable_write(mem, vcpu->vm->ncpus)) < 0)
		return r;
	if (boot->mode != BOOT_REAL16 && boot->tables && !vcpu->vm->no_acpi &&
	    (r = x86_acpi_write(mem, vcpu->vm->ncpus, vcpu->arch->irqchip)) < 0)
		return r;
	/* Real mode keeps the reset IDTR (base 0, limit 0xffff, SDM Table 9-1):
	 * the IVT at 0 is what int n reads. Elsewhere no IDT until the guest
	 * loads one, so a stray exception shuts down rather than jumping to
	 * whatever lies at 0. */
	sregs->idt.base = 0;
	sregs->idt.limit = boot->mode == BOOT_REAL16 ? 0xffff : 0;
	x86_regs_changed(vcpu);
	x86_sregs_changed(vcpu);
	return arch_regs_flush(vcpu);
}

/* Linux maps its image at __START_KERNEL_map + physical address (1 GiB,
 * KERNEL_IMAGE_SIZE); loaded at its preferred address, without KASLR, its
 * phys_base is 0. */
#define LINUX_START_KERNEL_MAP 0xffffffff80000000ULL
#define LINUX_KERNEL_IMAGE_SIZE (1ULL << 30)
/* KASLR moves the image (virtually) by multiples of CONFIG_PHYSICAL_ALIGN,
 * 2 MiB in x86-64 distributions' kernels (its minimum there). */
#define LINUX_PHYSICAL_ALIGN (2ULL << 20)

bool arch_kernel_map(const struct boot_info *boot, uint64_t *va, uint64_t *pa, uint64_t *size,
		     uint64_t *align)
{
	if (boot->mode != BOOT_LINUX64)
		return false;
	*va = LINUX_START_KERNEL_MAP;
	*pa = 0;
	*size = LINUX_KERNEL_IMAGE_SIZE;
	*align = LINUX_PHYSICAL_ALIGN;
	return true;
}
