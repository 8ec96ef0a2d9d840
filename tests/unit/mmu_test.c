/*
 * Unit test of the guest page-table walk (src/x86/mmu.c, x86_walk): real
 * mode, 32-bit protected mode without paging, 32-bit paging with 4 KiB and
 * 4 MiB pages, PAE, 4-level and 5-level long mode, on tables built here in
 * guest RAM (src/mem.c). No KVM.
 */
#include <errno.h>
#include <string.h>

#include "../../src/mem.h"
#include "../../src/x86/x86.h"
#include "unit.h"

static struct mem mem;

static void put64(uint64_t pa, uint64_t v)
{
	CHECK(mem_write(&mem, pa, &v, 8) == 0);
}

static void put32(uint64_t pa, uint32_t v)
{
	CHECK(mem_write(&mem, pa, &v, 4) == 0);
}

/* Translates va; the physical address, or ~0 if the walk failed. */
static uint64_t walk(const struct kvm_sregs *s, uint64_t va)
{
	uint64_t pa = 0;
	int r = x86_walk(&mem, s, va, &pa);

	if (r == 0)
		return pa;
	CHECK(r == -EFAULT);
	return ~0ULL;
}

#define FAIL (~0ULL)

static void real_and_flat(void)
{
	struct kvm_sregs s = { 0 };

	/* Real mode: linear is physical. */
	CHECK(walk(&s, 0x12345) == 0x12345);
	CHECK(walk(&s, 0xffff0) == 0xffff0);
	/* Protected mode without paging: linear addresses are 32 bits. */
	s.cr0 = CR0_PE;
	CHECK(walk(&s, 0x100001234ULL) == 0x1234);
	CHECK(walk(&s, 0xfffff000) == 0xfffff000);
}

static void paging32(void)
{
	struct kvm_sregs s = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x10000 };

	put32(0x10000 + 1 * 4, 0x11000 | PTE_P | PTE_RW);     /* PDE 1: va 4 MiB.. */
	put32(0x11000 + 2 * 4, 0x200000 | PTE_P);             /* PTE 2 */
	put32(0x10000 + 3 * 4, 0x00c00000 | (0x5 << 13) | PTE_P | PTE_PS); /* 4 MiB, phys 0x5_00c00000 */
	CHECK(walk(&s, 0x00402abc) == 0x200abc);
	CHECK(walk(&s, 0x00403abc) == FAIL);                 /* PTE 3 not present */
	CHECK(walk(&s, 0x00000abc) == FAIL);                 /* PDE 0 not present */
	/* Upper bits of a 64-bit address play no part in 32-bit paging. */
	CHECK(walk(&s, 0xffffffff00402abcULL) == 0x200abc);
	/* PS means a 4 MiB page only with CR4.PSE, which also gives bits 32-39. */
	CHECK(walk(&s, 0x00c12345) == FAIL);
	s.cr4 = CR4_PSE;
	CHECK(walk(&s, 0x00c12345) == 0x500c12345ULL);
	CHECK(walk(&s, 0x00402abc) == 0x200abc);
	/* Tables outside RAM. */
	s.cr3 = 0x40000000;
	CHECK(walk(&s, 0x00402abc) == FAIL);
}

static void pae(void)
{
	struct kvm_sregs s = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE, .cr3 = 0x20020 };

	put64(0x20020 + 0 * 8, 0x21000 | PTE_P);              /* PDPTE 0: va 0..1 GiB */
	put64(0x21000 + 1 * 8, 0x22000 | PTE_P);              /* PDE 1: va 2 MiB.. */
	put64(0x22000 + 3 * 8, 0x300000 | PTE_P);             /* PTE 3 */
	put64(0x21000 + 2 * 8, 0x600000 | PTE_P | PTE_PS);    /* PDE 2: a 2 MiB page */
	put64(0x20020 + 2 * 8, 0x23000 | PTE_P);              /* PDPTE 2: va 2..3 GiB */
	put64(0x23000 + 0 * 8, 0x1234600000ULL | PTE_P | PTE_PS); /* above 4 GiB */
	CHECK(walk(&s, 0x00203456) == 0x300456);
	CHECK(walk(&s, 0x00412345) == 0x612345);
	CHECK(walk(&s, 0x80012345) == 0x1234612345ULL);
	CHECK(walk(&s, 0x00204456) == FAIL);                 /* PTE 4 */
	CHECK(walk(&s, 0x40000000) == FAIL);                 /* PDPTE 1 */
	CHECK(walk(&s, 0xc0000000) == FAIL);                 /* PDPTE 3 */
}

static void long4(void)
{
	struct kvm_sregs s = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE,
			       .efer = EFER_LME | EFER_LMA, .cr3 = 0x30000 };

	put64(0x30000 + 0 * 8, 0x31000 | PTE_P);              /* PML4 0 */
	put64(0x31000 + 0 * 8, 0x32000 | PTE_P);              /* PDPT 0 */
	put64(0x32000 + 0 * 8, 0x33000 | PTE_P);              /* PD 0 */
	put64(0x33000 + 5 * 8, 0x500000 | PTE_P);             /* PT 5 */
	put64(0x31000 + 1 * 8, 0x40000000 | PTE_P | PTE_PS);  /* PDPT 1: a 1 GiB page */
	put64(0x30000 + 511 * 8, 0x34000 | PTE_P);            /* the top 512 GiB */
	put64(0x34000 + 511 * 8, 0x35000 | PTE_P);
	put64(0x35000 + 511 * 8, 0xa00000 | PTE_P | PTE_PS);  /* a 2 MiB page */
	CHECK(walk(&s, 0x5123) == 0x500123);
	CHECK(walk(&s, 0x40001234) == 0x40001234);
	CHECK(walk(&s, 0x7fff1234) == 0x7fff1234);
	CHECK(walk(&s, 0xffffffffffe01234ULL) == 0xa01234);
	CHECK(walk(&s, 0x6123) == FAIL);                     /* PT 6 */
	CHECK(walk(&s, 0x80000000) == FAIL);                 /* PDPT 2 */
	CHECK(walk(&s, 0x0000008000000000ULL) == FAIL);      /* PML4 1 */
	/* The physical address bits of an entry stop at bit 51. */
	put64(0x33000 + 7 * 8, 0xfff0000000507000ULL | PTE_P);
	CHECK(walk(&s, 0x7abc) == 0x507abc);
}

static void long5(void)
{
	struct kvm_sregs s = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE | CR4_LA57,
			       .efer = EFER_LME | EFER_LMA, .cr3 = 0x50000 };
	uint64_t va = 0x0001000000012345ULL; /* PML5 index 1 */

	put64(0x50000 + 1 * 8, 0x51000 | PTE_P);              /* PML5 1 */
	put64(0x51000 + 0 * 8, 0x52000 | PTE_P);              /* PML4 0 */
	put64(0x52000 + 0 * 8, 0x53000 | PTE_P);              /* PDPT 0 */
	put64(0x53000 + 0 * 8, 0x800000 | PTE_P | PTE_PS);    /* PD 0: a 2 MiB page */
	CHECK(walk(&s, va) == 0x812345);
	CHECK(walk(&s, 0x12345) == FAIL);                    /* PML5 0 */
	/* The same tables read as 4-level: cr3 is then a PML4 whose entry 0 is absent. */
	s.cr4 = CR4_PAE;
	CHECK(walk(&s, va) == FAIL);
}

int main(void)
{
	if (mem_init(&mem, 16 << 20) < 0)
		return 2;
	real_and_flat();
	paging32();
	pae();
	long4();
	long5();
	mem_free(&mem);
	return unit_done();
}
