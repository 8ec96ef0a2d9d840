/* Named bits of x86 registers, and printing them as "[ PE PG ]". */
#ifndef KVMDBG_X86_BITS_H
#define KVMDBG_X86_BITS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct x86_bit {
	unsigned bit;     /* bit number */
	const char *name; /* its name */
};

/* A table and its length. */
struct x86_bits {
	const struct x86_bit *bits;
	size_t n;
};

extern const struct x86_bits x86_rflags_bits, x86_cr0_bits, x86_cr4_bits, x86_efer_bits;

/* Prints "[ A B ]" with the names of the bits set in value. */
void x86_bits_print(FILE *out, uint64_t value, struct x86_bits bits);

#endif
