/*
 * Reads the registers the SDM gives a power-on value for, as the guest sees
 * them before touching any: the x87 control, status and tag words, MXCSR,
 * DR6 and DR7, XCR0 (where CPUID has XSAVE), PAT and the MTRR default type.
 * Prints them on one line and exits with status 0. (FXSAVE rather than
 * fnstenv and stmxcsr: where KVM emulates CPL 0 code, as on PVM, its
 * emulator has FXSAVE but not those.)
 */
#include "lib/guest.h"

#define CPUID_1_ECX_XSAVE (1U << 26)
#define CR4_OSXSAVE (1UL << 18)
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff

static uint64_t rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static void show(const char *name, uint64_t v)
{
	serial_puts(" ");
	serial_puts(name);
	serial_puts(" ");
	serial_put_hex(v);
}

/* The full x87 tag word from FXSAVE's abridged one: empty (3) where its bit
 * is clear; a register in use reads valid (0), the image does not say more. */
static uint16_t full_tags(uint8_t abridged)
{
	uint16_t ftw = 0;

	for (int i = 0; i < 8; i++)
		if (!(abridged >> i & 1))
			ftw |= 3 << (2 * i);
	return ftw;
}

int main(void)
{
	static uint8_t fx[512] __attribute__((aligned(16)));
	uint16_t fcw, fsw;
	uint32_t mxcsr, eax, ebx, ecx, edx;
	unsigned long dr6, dr7, cr4;

	__asm__ volatile("fnstcw %0; fnstsw %1; fxsave %2" : "=m"(fcw), "=m"(fsw), "=m"(fx));
	mxcsr = (uint32_t)fx[24] | (uint32_t)fx[25] << 8 | (uint32_t)fx[26] << 16 |
		(uint32_t)fx[27] << 24;
	__asm__ volatile("mov %%dr6, %0; mov %%dr7, %1" : "=r"(dr6), "=r"(dr7));
	serial_init();
	serial_puts("reset");
	show("fcw", fcw);
	show("fsw", fsw);
	show("ftw", full_tags(fx[4]));
	show("mxcsr", mxcsr);
	show("dr6", dr6);
	show("dr7", dr7);
	__asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
	if (ecx & CPUID_1_ECX_XSAVE) {
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
		__asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
		show("xcr0", (uint64_t)edx << 32 | eax);
	} else {
		serial_puts(" xcr0 none");
	}
	show("pat", rdmsr(MSR_PAT));
	show("mtrrdef", rdmsr(MSR_MTRR_DEF_TYPE));
	serial_puts("\n");
	return 0;
}
