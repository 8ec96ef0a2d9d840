/*
 * Unit test of the trace-back that finds the instruction behind a write exit
 * whose rip is past it (src/x86/exitpc.c: x86_trace_back, x86_decode_to),
 * on code whose bytes could be read from several starting points. No KVM.
 */
#include <string.h>

#include "../../src/x86/x86.h"
#include "unit.h"

#define AFTER 0x401000ULL

/* code: the instructions before AFTER (ending there), then what follows. */
static bool trace(unsigned bits, const char *before, size_t n, const char *next, size_t m,
		  uint64_t *start)
{
	uint8_t buf[X86_TRACE_BACK + 16];

	memset(buf, 0x90, sizeof(buf)); /* nops before the code */
	memcpy(buf + X86_TRACE_BACK - n, before, n);
	memcpy(buf + X86_TRACE_BACK, next, m);
	return x86_trace_back(bits, AFTER, buf, start);
}

#define TRACE(bits, before, next, want)                                                  \
	do {                                                                             \
		uint64_t start = 0;                                                      \
		CHECK(trace(bits, before, sizeof(before) - 1, next, sizeof(next) - 1, &start) && \
		      start == (want));                                                  \
	} while (0)

int main(void)
{
	/* mov $1,%rax; mov %rax,(%rbx) | hlt */
	TRACE(64, "\x48\xc7\xc0\x01\x00\x00\x00\x48\x89\x03", "\xf4", AFTER - 3);
	/* An immediate holding the bytes of a store (89 03) just before the real one. */
	TRACE(64, "\x48\xb8\x00\x00\x89\x03\x89\x03\x89\x03\x89\x03", "\xf4", AFTER - 2);
	/* movb %al,0x3000 after an out, in 16-bit code (PVM reports out this way too). */
	TRACE(16, "\xe6\x80\xa2\x00\x30", "\xf4", AFTER - 3);
	/* out %al,$0x80 itself. */
	TRACE(16, "\x90\xe6\x80", "\xa2\x00\x30", AFTER - 2);
	/* 32-bit: movl $0x12345678,0x3000 (10 bytes). */
	TRACE(32, "\xc7\x05\x00\x30\x00\x00\x78\x56\x34\x12", "\xf4", AFTER - 10);

	/* Decoding forward from a known start (a symbol) ends exactly at after. */
	const uint8_t fn[] = "\x55\x48\x89\xe5\x48\x89\x03\x5d\xc3" "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
	uint64_t found = 0;

	CHECK(x86_decode_to(64, 0x1000, fn, 7, &found) && found == 0x1004); /* mov %rax,(%rbx) */
	CHECK(x86_decode_to(64, 0x1000, fn, 1, &found) && found == 0x1000); /* push %rbp */
	CHECK(!x86_decode_to(64, 0x1000, fn, 6, &found));                   /* mid-instruction */
	return unit_done();
}
