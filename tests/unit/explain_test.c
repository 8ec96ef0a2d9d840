/*
 * Unit test of the shutdown explanation (src/x86/explain.c, x86_explain) on a
 * long-mode machine built here in guest RAM (src/mem.c): identity-mapped low
 * 16 MiB, a GDT with kvmdbg's 64-bit code segment 0x18, a load from an
 * address PML4 entry 254 does not map, and each way its #PF's delivery
 * fails. No KVM.
 */
#include <string.h>

#include "../../src/mem.h"
#include "../../src/x86/x86.h"
#include "unit.h"

static struct mem mem;
static struct kvm_regs regs;
static struct kvm_sregs sregs;

#define PML4 0x1000
#define GDT 0x5000
#define IDT 0x6000
#define CODE 0x100000
#define HANDLER 0x100100

static void put(uint64_t pa, const void *p, size_t n)
{
	CHECK(mem_write(&mem, pa, p, n) == 0);
}

static void put64(uint64_t pa, uint64_t v)
{
	put(pa, &v, 8);
}

/* A 64-bit interrupt gate (type 0xe, present) for vector v. */
static void gate(unsigned v, uint16_t sel, uint64_t off, uint8_t attr)
{
	uint8_t g[16] = { (uint8_t)off, (uint8_t)(off >> 8), (uint8_t)sel, (uint8_t)(sel >> 8), 0,
			  attr, (uint8_t)(off >> 16), (uint8_t)(off >> 24), (uint8_t)(off >> 32),
			  (uint8_t)(off >> 40), (uint8_t)(off >> 48), (uint8_t)(off >> 56) };

	put(IDT + v * 16, g, sizeof(g));
}

/* The machine as kvmdbg's loader leaves it, with code at CODE. */
static void machine(const void *code, size_t n)
{
	static const uint8_t zero[0x1000];

	put(IDT, zero, sizeof(zero));
	put(CODE, zero, 16);
	put(CODE, code, n);
	put64(PML4, 0x2000 | PTE_P | PTE_RW);
	put64(0x2000, 0x3000 | PTE_P | PTE_RW);
	for (uint64_t i = 0; i < 8; i++)
		put64(0x3000 + i * 8, (i << 21) | PTE_P | PTE_RW | PTE_PS);
	put64(GDT + 0x18, 0x00af9b000000ffffULL);
	regs = (struct kvm_regs){ .rip = CODE, .rcx = 0x7f0000000040ULL, .rsp = 0x80000,
				  .rflags = 2 };
	sregs = (struct kvm_sregs){ .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE, .cr3 = PML4,
				    .efer = EFER_LME | EFER_LMA };
	sregs.cs = (struct kvm_segment){ .selector = 0x18, .l = 1, .s = 1, .present = 1, .type = 0xb };
	sregs.ss = (struct kvm_segment){ .selector = 0x10, .db = 1, .s = 1, .present = 1, .type = 3 };
	sregs.gdt.base = GDT, sregs.gdt.limit = 0x37;
	sregs.idt.base = IDT, sregs.idt.limit = 0;
}

static void expect(const char *want)
{
	char out[1024];
	size_t n = x86_explain(&mem, &regs, &sregs, NULL, out, sizeof(out));

	CHECK(n == strlen(out));
	if (strcmp(out, want)) {
		fprintf(stderr, "got:  %s\nwant: %s\n", out, want);
		CHECK(!"explanation as expected");
	}
}

static const uint8_t load[] = { 0x48, 0x8b, 0x01 }; /* mov (%rcx),%rax */
#define PF_AT "#PF at 0x100000 reading 0x7f0000000040: PML4 entry 254 not present; delivering #PF: "

static void deliveries(void)
{
	/* The IDT's limit holds no vector (kvmdbg's loader leaves it 0). */
	machine(load, sizeof(load));
	expect(PF_AT "IDT limit 0x0 cannot hold vector 14 → #GP(0x73) → #DF: "
		     "IDT limit 0x0 cannot hold vector 8 → shutdown");
	/* Empty gates: their type is checked first. */
	sregs.idt.limit = 0xfff;
	expect(PF_AT "gate 14 has type 0x0, not a 64-bit interrupt or trap gate → #GP(0x73) → #DF: "
		     "gate 8 has type 0x0, not a 64-bit interrupt or trap gate → shutdown");
	/* Gates not present. */
	gate(14, 0x18, HANDLER, 0x0e);
	gate(8, 0x18, HANDLER, 0x0e);
	expect(PF_AT "gate 14 is not present → #NP(0x73) → #DF: gate 8 is not present → shutdown");
	/* A selector beyond the GDT. */
	gate(14, 0xfff8, HANDLER, 0x8e);
	gate(8, 0xfff8, HANDLER, 0x8e);
	expect(PF_AT "gate 14's selector 0xfff8 is beyond the GDT's limit 0x37 → #GP(0xfff9) → "
		     "#DF: gate 8's selector 0xfff8 is beyond the GDT's limit 0x37 → shutdown");
	/* #DF through a call gate. */
	gate(8, 0x18, HANDLER, 0x8c);
	expect(PF_AT "gate 14's selector 0xfff8 is beyond the GDT's limit 0x37 → #GP(0xfff9) → "
		     "#DF: gate 8 has type 0xc, not a 64-bit interrupt or trap gate → shutdown");
	/* A data segment as the handler's. */
	gate(14, 0x10, HANDLER, 0x8e);
	put64(GDT + 0x10, 0x00cf93000000ffffULL);
	expect(PF_AT "gate 14's selector 0x10 is not a code segment (descriptor type 0x13) → "
		     "#GP(0x11) → #DF: gate 8 has type 0xc, not a 64-bit interrupt or trap gate → "
		     "shutdown");
	/* Good gates, the stack not mapped: the frames. */
	gate(14, 0x18, HANDLER, 0x8e);
	gate(8, 0x18, HANDLER, 0x8e);
	regs.rsp = 0x7f0000100008ULL;
	expect(PF_AT "pushing the frame at 0x7f00000fffd0: PML4 entry 254 not present → #PF → #DF: "
		     "pushing the frame at 0x7f00000fffd0: PML4 entry 254 not present → shutdown");
	/* ... with an IST stack for #DF: the #DF is delivered. */
	sregs.tr.base = 0x7000, sregs.tr.limit = 0x67;
	put64(0x7000 + 0x24, 0x300000);
	put(IDT + 8 * 16 + 4, "\x01", 1);
	expect(PF_AT "pushing the frame at 0x7f00000fffd0: PML4 entry 254 not present → #PF → #DF: "
		     "gate 8 leads to 0x100100 (kvmdbg does not see why that fails)");
	/* A good stack: the #PF is delivered. */
	regs.rsp = 0x80000;
	expect(PF_AT "gate 14 leads to 0x100100 (kvmdbg does not see why that fails)");
	/* A read-only stack page with CR0.WP. */
	put64(0x3000, PTE_P | PTE_PS);
	sregs.cr0 |= CR0_WP;
	expect(PF_AT "pushing the frame at 0x7ffd0: a read-only page → #PF → #DF: gate 8 leads "
		     "to 0x100100 (kvmdbg does not see why that fails)");
}

static void first_faults(void)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b }, int3[] = { 0xcc }, bad[] = { 0x06 },
			     store[] = { 0x48, 0x89, 0x01 }, nop[] = { 0x90 };

	machine(ud2, sizeof(ud2));
	expect("#UD at 0x100000: ud2; delivering #UD: IDT limit 0x0 cannot hold vector 6 → "
	       "#GP(0x33); delivering #GP(0x33): IDT limit 0x0 cannot hold vector 13 → #GP(0x6b) → "
	       "#DF: IDT limit 0x0 cannot hold vector 8 → shutdown");
	/* A software interrupt's #GP has no EXT bit. */
	machine(int3, sizeof(int3));
	expect("#BP at 0x100000; delivering #BP: IDT limit 0x0 cannot hold vector 3 → #GP(0x1a); "
	       "delivering #GP(0x1a): IDT limit 0x0 cannot hold vector 13 → #GP(0x6b) → #DF: IDT "
	       "limit 0x0 cannot hold vector 8 → shutdown");
	/* No instruction in 64-bit code (push %es). */
	machine(bad, sizeof(bad));
	expect("#UD at 0x100000: no instruction (06 00 00); delivering #UD: IDT limit 0x0 cannot "
	       "hold vector 6 → #GP(0x33); delivering #GP(0x33): IDT limit 0x0 cannot hold vector "
	       "13 → #GP(0x6b) → #DF: IDT limit 0x0 cannot hold vector 8 → shutdown");
	/* A store; a non-canonical address. */
	machine(store, sizeof(store));
	expect("#PF at 0x100000 writing 0x7f0000000040: PML4 entry 254 not present; delivering #PF: "
	       "IDT limit 0x0 cannot hold vector 14 → #GP(0x73) → #DF: IDT limit 0x0 cannot hold "
	       "vector 8 → shutdown");
	regs.rcx = 0x8000000000000000ULL;
	expect("#GP(0) at 0x100000 writing 0x8000000000000000: not a canonical address; delivering "
	       "#GP(0): IDT limit 0x0 cannot hold vector 13 → #GP(0x6b) → #DF: IDT limit 0x0 cannot "
	       "hold vector 8 → shutdown");
	/* The fetch. */
	regs.rip = 0x7f0000000000ULL;
	expect("#PF fetching the instruction at 0x7f0000000000: PML4 entry 254 not present; "
	       "delivering #PF: IDT limit 0x0 cannot hold vector 14 → #GP(0x73) → #DF: IDT limit "
	       "0x0 cannot hold vector 8 → shutdown");
	/* No fault to see: what a #DF would meet. */
	machine(nop, sizeof(nop));
	expect("no fault kvmdbg can see in the instruction at 0x100000; a #DF: IDT limit 0x0 "
	       "cannot hold vector 8 → shutdown");
}

/* Real mode: the IVT; protected mode: 8-byte gates, a 32-bit stack. */
static void other_modes(void)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	uint32_t ivt6 = 0xf000e2c3;

	machine(ud2, sizeof(ud2));
	sregs = (struct kvm_sregs){ 0 };
	sregs.cs.base = 0xffff0, sregs.idt.limit = 0x3ff;
	regs = (struct kvm_regs){ .rip = CODE - 0xffff0, .rsp = 0x7000, .rflags = 2 };
	put(6 * 4, &ivt6, 4);
	expect("#UD at 0x100000: ud2; delivering #UD: IVT entry 6 leads to f000:e2c3 (kvmdbg does "
	       "not see why that fails)");
	sregs.idt.limit = 0x17;
	expect("#UD at 0x100000: ud2; delivering #UD: the IVT's limit 0x17 cannot hold vector 6 → "
	       "#GP; delivering #GP: the IVT's limit 0x17 cannot hold vector 13 → #GP → #DF: the "
	       "IVT's limit 0x17 cannot hold vector 8 → shutdown");
	/* Flat 32-bit protected mode without paging. */
	uint64_t code32 = 0x00cf9b000000ffffULL, gate14 = 0x00108e0000080100ULL;

	sregs.cr0 = CR0_PE;
	sregs.cs = (struct kvm_segment){ .selector = 8, .db = 1, .s = 1, .present = 1, .type = 0xb };
	sregs.ss = (struct kvm_segment){ .selector = 0x10, .db = 1, .s = 1, .present = 1, .type = 3 };
	sregs.gdt.base = GDT, sregs.gdt.limit = 0x17;
	sregs.idt.base = IDT, sregs.idt.limit = 0x7ff;
	put64(GDT + 8, code32);
	put64(IDT + 6 * 8, gate14);
	regs.rip = CODE;
	regs.rsp = 0x80000;
	expect("#UD at 0x100000: ud2; delivering #UD: gate 6 leads to 0x100100 (kvmdbg does not see "
	       "why that fails)");
	put64(IDT + 6 * 8, gate14 & ~(1ULL << 47));
	expect("#UD at 0x100000: ud2; delivering #UD: gate 6 is not present → #NP(0x33); delivering "
	       "#NP(0x33): gate 11 has type 0x0, not an interrupt or trap gate → #GP(0x5b) → #DF: "
	       "gate 8 has type 0x0, not an interrupt or trap gate → shutdown");
}

int main(void)
{
	if (mem_init(&mem, 16 << 20) < 0)
		return 2;
	deliveries();
	first_faults();
	other_modes();
	return unit_done();
}
