/*
 * REP MOVS and STOS of every width, both directions, overlapping and across
 * page boundaries (elements straddling them too), 1 MiB cleared in one
 * instruction. The string instructions have a page of their own
 * (strings_page): a read watchpoint there makes kvmdbg run them by single
 * steps. Prints a checksum of the buffers and of the registers each
 * instruction leaves, which must not depend on how they were run.
 */
#include "lib/guest.h"

#define BIG (1024 * 1024)
#define SMALL (16 * 4096)

static uint64_t big[BIG / 8] __attribute__((aligned(4096)));
static uint8_t small[SMALL] __attribute__((aligned(4096)));

/* Each takes (destination, source or value, count) and returns the final
 * rdi + 3 * rsi, so the registers' ends are checked as well. */
uint64_t stosq_fwd(void *dst, uint64_t value, uint64_t n);
uint64_t stosb_back(void *dst, uint64_t value, uint64_t n);
uint64_t stosl_fwd(void *dst, uint64_t value, uint64_t n);
uint64_t stosw_back(void *dst, uint64_t value, uint64_t n);
uint64_t movsb_fwd_fs(void *dst, const void *src, uint64_t n);
uint64_t movsq_back(void *dst, const void *src, uint64_t n);
uint64_t movsw_fwd(void *dst, const void *src, uint64_t n);
uint64_t movsl_back(void *dst, const void *src, uint64_t n);

__asm__(".section .text.strings, \"ax\"\n"
	".balign 4096\n"
	".globl strings_page\n"
	"strings_page:\n"
#define STRING(name, dir, insn)                                                                      \
	".globl " #name "\n" #name ":\n"                                                             \
	"mov %rsi, %rax\n"                                                                           \
	"mov %rdx, %rcx\n" dir "\n" insn "\n"                                                        \
	"cld\n"                                                                                      \
	"lea (%rdi,%rsi,2), %rax\n"                                                                  \
	"add %rsi, %rax\n"                                                                           \
	"ret\n"
	STRING(stosq_fwd, "cld", "rep stosq")
	STRING(stosb_back, "std", "rep stosb")
	STRING(stosl_fwd, "cld", "rep stosl")
	STRING(stosw_back, "std", "rep stosw")
	STRING(movsb_fwd_fs, "cld", "rep movsb %fs:(%rsi), %es:(%rdi)")
	STRING(movsq_back, "std", "rep movsq")
	STRING(movsw_fwd, "cld", "rep movsw")
	STRING(movsl_back, "std", "rep movsl")
	".balign 4096\n"
	".text\n");

static uint64_t sum;

static void fold(uint64_t v)
{
	sum = (sum ^ v) * 0x100000001b3ULL;
}

int main(void)
{
	uint64_t base = (uint64_t)small;

	serial_init();
	/* 1 MiB in one instruction. */
	fold(stosq_fwd(big, 0x0123456789abcdefULL, BIG / 8) - (uint64_t)big);
	for (unsigned i = 0; i < SMALL; i++)
		small[i] = (uint8_t)(i * 7 + i / 251);
	/* Backwards from inside the third page down into the first, unaligned. */
	fold(stosb_back(small + 3 * 4096 - 5, 0x5a, 9000) - base);
	/* Dwords straddling a page boundary (4094..4097) and many pages after. */
	fold(stosl_fwd(small + 4096 - 2, 0xa5a5c3c3, 5000) - base);
	fold(stosw_back(small + 8 * 4096 + 1, 0x1234, 7000) - base);
	for (unsigned i = 0; i < SMALL; i++)
		small[i] ^= (uint8_t)(i * 13 + 1);
	/* Overlapping forwards by one byte: the first byte repeats. */
	fold(movsb_fwd_fs(small + 1, small, 9000) - 4 * base);
	/* Backwards, not overlapping, unaligned source across pages. */
	fold(movsq_back(small + 15 * 4096, small + 10 * 4096 + 3, 2000) - 4 * base);
	/* Overlapping forwards, destination below the source. */
	fold(movsw_fwd(small + 4095, small + 4097, 6000) - 4 * base);
	/* Overlapping backwards, destination above the source. */
	fold(movsl_back(small + 12 * 4096 + 2, small + 12 * 4096 - 6, 3000) - 4 * base);
	for (unsigned i = 0; i < BIG / 8; i += 61)
		fold(big[i] + i);
	for (unsigned i = 0; i < SMALL / 8; i++)
		fold(((uint64_t *)small)[i]);
	serial_puts("strings: checksum ");
	serial_put_hex(sum);
	serial_puts("\n");
	return 0;
}
