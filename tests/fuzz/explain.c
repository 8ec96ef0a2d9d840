/*
 * Fuzzes the shutdown explanation (src/x86/explain.c) with state a guest
 * controls: the input is the general and system registers as KVM gives them
 * (struct kvm_regs, struct kvm_sregs), then guest RAM from physical address
 * 0 (page tables, descriptor tables, code, stacks: whatever the registers
 * point at). No KVM. The explanation must end within its buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "../../src/mem.h"
#include "../../src/x86/x86.h"
#include "fuzz.h"

#define RAM (1u << 20)

static struct mem mem;
static uint8_t zero[RAM];
static size_t last; /* RAM the last input wrote */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mem_init(&mem, RAM) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_regs r = { 0 };
	struct kvm_sregs s = { 0 };
	char out[1024];
	size_t n = sizeof(r) + sizeof(s), len;

	if (size < n)
		return 0;
	memcpy(&r, data, sizeof(r));
	memcpy(&s, data + sizeof(r), sizeof(s));
	if (mem_write(&mem, 0, zero, last) < 0)
		abort();
	last = size - n < RAM ? size - n : RAM;
	if (mem_write(&mem, 0, data + n, last) < 0)
		abort();
	memset(out, 0x55, sizeof(out));
	len = x86_explain(&mem, &r, &s, NULL, out, sizeof(out));
	if (len >= sizeof(out) || strlen(out) != len)
		abort();
	return 0;
}
