/*
 * Ranges [addr, addr + len) that a client, a guest image or a guest supplies.
 * Every length from outside is checked here before any arithmetic on it: the
 * range is not empty, does not wrap past 2^64, and is at most max long.
 */
#ifndef KVMDBG_SPAN_H
#define KVMDBG_SPAN_H

#include <stdbool.h>
#include <stdint.h>

static inline bool span_ok(uint64_t addr, uint64_t len, uint64_t max)
{
	return len && len <= max && len - 1 <= UINT64_MAX - addr;
}

/* The last byte of a range that span_ok accepted. */
static inline uint64_t span_last(uint64_t addr, uint64_t len)
{
	return addr + (len - 1);
}

/* How many pages of size page (a power of two) a range that span_ok accepted touches. */
static inline uint64_t span_pages(uint64_t addr, uint64_t len, uint64_t page)
{
	return span_last(addr, len) / page - addr / page + 1;
}

/* span_ok, or -EINVAL (empty or wrapping) / -E2BIG (longer than max) with a
 * message that names what the range is ("watchpoint", "segment 2"). */
int span_check(uint64_t addr, uint64_t len, uint64_t max, const char *what);

#endif
