/* Call chains from frame pointers, as gdb finds them without debug info. */
#include "../arch.h"
#include <linux/kvm.h>
#include <string.h>
#include "../symbols.h"
#include "x86.h"

/* Where the function's own code starts after an endbr64/endbr32. */
static unsigned frames_endbr(const uint8_t *b)
{
	return b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && (b[3] == 0xfa || b[3] == 0xfb)
		       ? 4 : 0;
}

unsigned arch_backtrace(struct vcpu *vcpu, const struct symtab *syms, arch_reader read,
			void *opaque, uint64_t *pcs, unsigned max)
{
	struct kvm_regs *regs = x86_regs(vcpu);
	unsigned bits = arch_code_bits(vcpu), w = bits / 8, n = 0;
	uint64_t mask = bits == 64 ? UINT64_MAX : 0xffffffffULL, sp, fp, next, ret;
	const struct symbol *sym;

	if (!max)
		return 0;
	pcs[n++] = arch_pc(vcpu);
	if (!regs || bits == 16)
		return n;
	sp = regs->rsp & mask;
	fp = regs->rbp & mask;
	/* In the prologue the frame pointer is still the caller's: the return
	 * address is at the stack pointer, or one word up after "push %rbp". */
	sym = symbols_lookup(syms, pcs[0]);
	if (sym && n < max) {
		uint8_t b[5] = { 0 };

		if (read(opaque, sym->addr, b, sizeof(b)) == 0) {
			uint64_t body = sym->addr + frames_endbr(b), at = 0;
			bool entry = pcs[0] <= body, pushed = b[body - sym->addr] == 0x55 &&
							      pcs[0] == body + 1;

			if ((entry || pushed) && read(opaque, sp + (entry ? 0 : w), &at, w) == 0 && at)
				pcs[n++] = at;
		}
	}
	while (n < max) {
		ret = next = 0;
		if (!fp || fp % w || read(opaque, fp, &next, w) < 0 ||
		    read(opaque, fp + w, &ret, w) < 0 || !ret)
			break;
		pcs[n++] = ret;
		/* Frames go up the stack: anything else is not a chain. */
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}
