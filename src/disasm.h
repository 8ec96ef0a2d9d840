/* Disassembly with libopcodes, in the CPU mode's code size. */
#ifndef KVMDBG_DISASM_H
#define KVMDBG_DISASM_H

#include <stddef.h>
#include <stdint.h>

struct symtab;

/*
 * Disassembles the instruction at addr whose bytes start at bytes[0] (len
 * available) in 16-, 32- or 64-bit code (bits), AT&T syntax. Writes the text
 * (with symbols beside branch targets) to buf; returns the instruction's length,
 * or -errno when the bytes do not make one.
 */
int disasm_one(unsigned bits, uint64_t addr, const uint8_t *bytes, size_t len,
	       const struct symtab *syms, char *buf, size_t buflen);

#endif
