/*
 * x86 pieces of instruction counting: REP string instructions, the interrupt
 * table, and telling a fault from a trap by the frame an exception pushed.
 */
#include "../arch.h"

#include <errno.h>
#include <string.h>

#include "../disasm.h"
#include "../mem.h"
#include "x86.h"

#define X86_HLT 0xf4

/* Where iret at pc returns to: the address on top of the stack. */
static bool x86_iret_target(struct vcpu *vcpu, unsigned width, uint64_t *target)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	uint64_t ret = 0;
	uint16_t cs = 0;

	if (!r || !s || !x86_read_virt(vcpu, s->ss.base + r->rsp, &ret, width))
		return false;
	if (!(s->cr0 & CR0_PE)) {
		if (!x86_read_virt(vcpu, s->ss.base + r->rsp + 2, &cs, 2))
			return false;
		ret = ((uint64_t)cs << 4) + (ret & 0xffff);
	}
	*target = ret;
	return true;
}

/* rip moves over the hlt (1) or back onto it (-1). */
static int x86_halt_move(struct vcpu *vcpu, int by)
{
	struct kvm_regs *r = x86_regs(vcpu);

	if (!r)
		return -EIO;
	r->rip += (uint64_t)(int64_t)by; /* hlt: one byte */
	x86_regs_changed(vcpu);
	return 0;
}

int arch_skip_halt(struct vcpu *vcpu)
{
	return x86_halt_move(vcpu, 1);
}

int arch_halt_again(struct vcpu *vcpu)
{
	return x86_halt_move(vcpu, -1);
}

/* What arch_frame_untrace() compares a frame with: the flags and cs before the step. */
static void x86_step_note(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);

	a->step_known = r && s;
	if (a->step_known) {
		a->step_flags = r->rflags;
		a->step_cs = s->cs.selector;
	}
}

void arch_frame_untrace(struct vcpu *vcpu)
{
	struct arch_vcpu *a = vcpu->arch;
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	uint64_t slot[4] = { 0 }, base, mask, pa;
	unsigned width, tries = 2;

	if (!a->step_known || (a->step_flags & RFLAGS_TF) || !r || !s)
		return;
	a->step_known = false;
	if (!(s->cr0 & CR0_PE)) {
		width = 2; /* real mode: ip, cs, flags; no error code */
		tries = 1;
		base = s->ss.base + (r->rsp & 0xffff);
	} else {
		width = s->efer & EFER_LMA ? 8 : 4;
		base = s->ss.base + r->rsp;
	}
	mask = width == 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
	for (unsigned i = 0; i < tries + 2; i++)
		if (!x86_read_virt(vcpu, base + i * width, &slot[i], width))
			return;
	/* The return address, then cs, then the flags: on top, or above an
	 * error code. The flags are the guest's but for TF and RF. */
	for (unsigned i = 0; i < tries; i++) {
		uint64_t flags = slot[i + 2];

		if ((slot[i + 1] & 0xffff) != a->step_cs || !(flags & RFLAGS_TF) ||
		    ((flags ^ a->step_flags) & mask & ~(RFLAGS_TF | RFLAGS_RF)))
			continue;
		flags &= ~RFLAGS_TF;
		if (arch_virt_to_phys(vcpu, base + (i + 2) * width, &pa) == 0)
			mem_write(a->mem, pa, &flags, width);
		return;
	}
}

size_t x86_prefixes(const uint8_t *insn, size_t n, unsigned bits, struct x86_prefixes *p)
{
	*p = (struct x86_prefixes){ 0 };
	for (; p->len < n && p->len < X86_MAX_PREFIXES; p->len++) {
		uint8_t b = insn[p->len];

		/* REX counts only right before the opcode. */
		if (bits == 64 && (b & 0xf0) == 0x40) {
			p->rex = b;
			continue;
		}
		switch (b) {
		case 0xf3: p->rep = true; break;
		case 0xf2: p->repne = true; break;
		case 0xf0: p->lock = true; break;
		case 0x66: p->opsize = true; break;
		case 0x67: p->addrsize = true; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			p->seg = b;
			break;
		default:
			return p->len;
		}
		p->rex = 0;
	}
	return p->len;
}

void arch_step_info(struct vcpu *vcpu, struct arch_step_info *info)
{
	uint8_t insn[X86_MAX_PREFIXES + 3];
	uint64_t pc = arch_pc(vcpu);
	unsigned bits = arch_code_bits(vcpu);
	struct x86_prefixes pre;
	bool rep, rex_w;
	size_t i;
	char text[128];
	int len;

	*info = (struct arch_step_info){ 0 };
	x86_step_note(vcpu);
	if (!x86_read_insn(vcpu, pc, insn, sizeof(insn)))
		return;
	i = x86_prefixes(insn, X86_MAX_PREFIXES, bits, &pre);
	rep = pre.rep || pre.repne;
	rex_w = pre.rex & 0x08;
	/* rdtsc, rdpmc; rdtscp; rdrand, rdseed, rdpid (0f c7 /6, /7 on a register). */
	if (insn[i] == 0x0f) {
		bool two = insn[i + 1] == 0x31 || insn[i + 1] == 0x33;

		info->nondet = two || (insn[i + 1] == 0x01 && insn[i + 2] == 0xf9) ||
			       (insn[i + 1] == 0xc7 && (insn[i + 2] >> 6) == 3 &&
				((insn[i + 2] >> 3) & 7) >= 6);
		/* A host that emulates it may let the step run on one more
		 * instruction (PVM, rdrand): a stop after it keeps the count. */
		if (info->nondet && !two) {
			info->delayed = true;
			info->next = pc + i + 3;
		}
	}
	switch (insn[i]) {
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: /* ins, outs */
	case 0xa4: case 0xa5: case 0xa6: case 0xa7: /* movs, cmps */
	case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf: /* stos, lods, scas */
		info->rep_string = rep;
		break;
	case X86_HLT:
		info->halt = true;
		break;
	case 0xcf: /* iret */
		info->delayed = x86_iret_target(vcpu, bits == 64 ? (rex_w ? 8 : 4) : bits / 8,
						&info->next);
		break;
	case 0x9d: /* popf */
	case 0x17: /* pop ss */
	/* sti: nested SVM (QEMU's SVM, Linux 6.1) delivers the step's trap one
	 * instruction late, inside the interrupt shadow: the step ran sti and
	 * the next instruction (a hlt there exited as KVM_EXIT_HLT). PVM
	 * traps right after it; either way the count stays exact. */
	case 0xfb:
		info->delayed = true;
		info->next = pc + i + 1;
		break;
	case 0x8e: /* mov to a segment register: ss is reg field 2 */
		if (((insn[i + 1] >> 3) & 7) != 2)
			break;
		len = disasm_one(bits, pc, insn, sizeof(insn), NULL, text, sizeof(text));
		if (len > 0) {
			info->delayed = true;
			info->next = pc + (uint64_t)len;
		}
		break;
	}
}

bool arch_step_loads_flags(struct vcpu *vcpu)
{
	uint8_t insn[X86_MAX_PREFIXES + 1];
	struct x86_prefixes pre;
	size_t i;

	if (!x86_read_insn(vcpu, arch_pc(vcpu), insn, sizeof(insn)))
		return false;
	i = x86_prefixes(insn, X86_MAX_PREFIXES, arch_code_bits(vcpu), &pre);
	return i < sizeof(insn) && (insn[i] == 0xcf || insn[i] == 0x9d);
}

int arch_idt(struct vcpu *vcpu, uint64_t *base, unsigned *size)
{
	struct kvm_sregs *s = x86_sregs(vcpu);

	if (!s)
		return -1;
	*base = s->idt.base;
	*size = (unsigned)s->idt.limit + 1;
	return 0;
}

bool arch_gate_target(struct vcpu *vcpu, const uint8_t *idt, unsigned size, unsigned vector,
		      uint64_t *target)
{
	struct kvm_sregs *s = x86_sregs(vcpu);
	unsigned gate;
	const uint8_t *g;

	if (!s)
		return false;
	if (!(s->cr0 & CR0_PE)) {
		/* Real mode: the IVT holds segment:offset pairs. */
		uint16_t off, seg;

		if ((uint64_t)vector * 4 + 4 > size)
			return false;
		memcpy(&off, idt + vector * 4, 2);
		memcpy(&seg, idt + vector * 4 + 2, 2);
		*target = ((uint64_t)seg << 4) + off;
		return true;
	}
	gate = s->efer & EFER_LMA ? 16 : 8;
	if ((uint64_t)vector * gate + gate > size)
		return false;
	g = idt + vector * gate;
	if (!(g[5] & 0x80)) /* not present */
		return false;
	*target = (uint64_t)(g[0] | g[1] << 8) | (uint64_t)(g[6] | g[7] << 8) << 16;
	if (gate == 16)
		*target |= (uint64_t)(g[8] | g[9] << 8 | g[10] << 16 | (uint32_t)g[11] << 24) << 32;
	/* Flat code segments are all kvmdbg's guests use: base 0. */
	return true;
}

unsigned arch_idt_targets(struct vcpu *vcpu, const uint8_t *idt, unsigned size,
			  uint64_t *targets, unsigned max)
{
	unsigned n = 0;

	for (unsigned v = 0; v < size / 4 && n < max; v++)
		if (arch_gate_target(vcpu, idt, size, v, &targets[n]))
			n++;
	return n;
}

bool arch_fault_frame(struct vcpu *vcpu, uint64_t prev_pc)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	uint64_t slot[2] = { 0, 0 };
	unsigned width;

	if (!r || !s)
		return false;
	if (!(s->cr0 & CR0_PE)) {
		uint16_t ip;

		return x86_read_virt(vcpu, s->ss.base + (r->rsp & 0xffff), &ip, 2) &&
		       s->cs.base + ip == prev_pc;
	}
	width = s->efer & EFER_LMA ? 8 : 4;
	/* The return address is on top, or just above an error code. */
	for (unsigned i = 0; i < 2; i++)
		if (!x86_read_virt(vcpu, s->ss.base + r->rsp + i * width, &slot[i], width))
			return false;
	return slot[0] == prev_pc || slot[1] == prev_pc;
}

size_t arch_result_get(struct vcpu *vcpu, void *buf)
{
	const struct kvm_regs *r = x86_regs(vcpu);

	if (!r)
		return 0;
	memcpy(buf, r, sizeof(*r));
	return sizeof(*r);
}

int arch_result_put(struct vcpu *vcpu, const void *buf)
{
	struct kvm_regs *r = x86_regs(vcpu);

	if (!r)
		return -EIO;
	memcpy(r, buf, sizeof(*r));
	x86_regs_changed(vcpu);
	return 0;
}
