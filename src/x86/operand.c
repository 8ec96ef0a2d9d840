/*
 * The memory an instruction reads through an explicit operand, worked out
 * from its AT&T disassembly and the registers. A read watchpoint needs it
 * for the instructions kvmdbg runs from a page it lent back (code that
 * shares a page with watched data): their reads of that page do not exit.
 */
#include "../arch.h"

#include <stdlib.h>
#include <string.h>

#include "../disasm.h"
#include "x86.h"

/* The registers an instruction starts with. */
struct operand_ctx {
	const struct kvm_regs *r;
	const struct kvm_sregs *s;
};

/* A register name (without '%'), its width in bytes and, for the ones that
 * form addresses, its value. */
static bool operand_reg(const struct operand_ctx *c, const char *name, size_t len, unsigned *width,
			uint64_t *value)
{
	static const char *const r64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi" };
	static const char *const r16[] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
	static const char *const r8[] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh",
					  "spl", "bpl", "sil", "dil" };
	const struct kvm_regs *r = c->r;
	char n[8];
	int idx = -1;

	if (!r || len == 0 || len >= sizeof(n))
		return false;
	memcpy(n, name, len);
	n[len] = '\0';
	const uint64_t gpr[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				   r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };

	*value = 0;
	if (!strcmp(n, "rip")) {
		*width = 8;
		*value = r->rip;
		return true;
	}
	if (!strcmp(n, "eip")) {
		*width = 4;
		*value = r->rip & 0xffffffff;
		return true;
	}
	for (int i = 0; i < 8; i++) {
		if (!strcmp(n, r64[i])) {
			*width = 8;
			idx = i;
		} else if (n[0] == 'e' && !strcmp(n + 1, r16[i])) {
			*width = 4;
			idx = i;
		} else if (!strcmp(n, r16[i])) {
			*width = 2;
			idx = i;
		}
	}
	for (int i = 0; i < 12 && idx < 0; i++)
		if (!strcmp(n, r8[i])) {
			*width = 1;
			return true;
		}
	if (idx < 0 && n[0] == 'r' && n[1] >= '0' && n[1] <= '9') {
		char *end;
		long k = strtol(n + 1, &end, 10);

		if (k < 8 || k > 15)
			return false;
		idx = (int)k;
		*width = !*end ? 8 : !strcmp(end, "d") ? 4 : !strcmp(end, "w") ? 2 :
			 (!strcmp(end, "b") || !strcmp(end, "l")) ? 1 : 0;
		if (!*width)
			return false;
	}
	if (idx >= 0) {
		*value = *width == 8 ? gpr[idx] : gpr[idx] & ((1ULL << (*width * 8)) - 1);
		return true;
	}
	/* Vector and x87 registers: their width, no address. */
	if (!strncmp(n, "xmm", 3))
		*width = 16;
	else if (!strncmp(n, "ymm", 3))
		*width = 32;
	else if (!strncmp(n, "st", 2))
		*width = 10;
	else if (!strncmp(n, "mm", 2))
		*width = 8;
	else
		return false;
	return true;
}

/* The base of a segment register named in an override, or of the default one. */
static uint64_t operand_seg_base(const struct operand_ctx *c, const char *seg, bool stack)
{
	const struct kvm_sregs *s = c->s;
	bool long_mode = s && (s->efer & EFER_LMA) && s->cs.l;

	if (!s)
		return 0;
	if (seg && !strncmp(seg, "fs", 2))
		return s->fs.base;
	if (seg && !strncmp(seg, "gs", 2))
		return s->gs.base;
	if (long_mode)
		return 0;
	if (seg && !strncmp(seg, "es", 2))
		return s->es.base;
	if (seg && !strncmp(seg, "cs", 2))
		return s->cs.base;
	if ((seg && !strncmp(seg, "ss", 2)) || (!seg && stack))
		return s->ss.base;
	return s->ds.base;
}

/* Address of a memory operand "[%seg:][disp][(base[,index[,scale]])]". */
static bool operand_address(const struct operand_ctx *c, const char *op, unsigned bits, uint64_t next_pc,
			    uint64_t *la)
{
	const char *seg = NULL, *p = op;
	uint64_t disp = 0, base = 0, index = 0, scale = 1, v;
	unsigned w;
	bool stack = false;
	char *end;

	if (*p == '*')
		p++;
	if (p[0] == '%' && p[3] == ':') {
		seg = p + 1;
		p += 4;
	}
	if (*p && *p != '(') {
		disp = strtoull(p, &end, 0);
		if (*p == '-')
			disp = (uint64_t)strtoll(p, &end, 0);
		if (end == p)
			return false;
		p = end;
	}
	if (*p == '(') {
		const char *q = ++p;

		if (*q == '%') {
			size_t n = strcspn(q + 1, ",)");

			if (!strncmp(q + 1, "rip", 3) || !strncmp(q + 1, "eip", 3)) {
				base = next_pc;
			} else if (operand_reg(c, q + 1, n, &w, &v)) {
				base = v;
				stack = !strncmp(q + 2, "sp", 2) || !strncmp(q + 2, "bp", 2) ||
					!strncmp(q + 1, "sp", 2) || !strncmp(q + 1, "bp", 2);
			} else {
				return false;
			}
			q += 1 + n;
		}
		if (*q == ',') {
			q++;
			if (*q == '%') {
				size_t n = strcspn(q + 1, ",)");

				if (!operand_reg(c, q + 1, n, &w, &index))
					return false;
				q += 1 + n;
			}
			if (*q == ',')
				scale = strtoull(q + 1, NULL, 0);
		}
	}
	v = base + index * scale + disp;
	if (bits == 32)
		v &= 0xffffffff;
	else if (bits == 16)
		v &= 0xffff;
	*la = operand_seg_base(c, seg, stack) + v;
	if (bits != 64)
		*la &= 0xffffffff;
	return true;
}

/* Whether mnemonic m writes its last operand without reading it. */
static bool operand_store_only(const char *m)
{
	return !strncmp(m, "mov", 3) || !strncmp(m, "set", 3) || !strncmp(m, "pop", 3) ||
	       !strncmp(m, "stos", 4) || !strncmp(m, "lea", 3) || !strncmp(m, "nop", 3) ||
	       !strncmp(m, "fst", 3) || !strncmp(m, "sgdt", 4) || !strncmp(m, "sidt", 4);
}

bool x86_operand_access(const struct kvm_regs *r, const struct kvm_sregs *s, unsigned bits,
			uint64_t pc, const uint8_t *insn, size_t n, uint64_t *la, unsigned *size,
			bool *store)
{
	static const char *const prefixes[] = { "rep", "repz", "repnz", "repe", "repne", "lock",
						"data16", "data32", "addr16", "addr32", "notrack",
						"bnd", "cs", "ds", "es", "ss", "fs", "gs", NULL };
	const struct operand_ctx ctx = { r, s }, *c = &ctx;
	char text[200], *ops[3], *m, *save = NULL;
	unsigned nops = 0, width = 0, w;
	int len, mem = -1;
	uint64_t v;

	len = disasm_one(bits, pc, insn, n, NULL, text, sizeof(text));
	if (len <= 0)
		return false;
	text[strcspn(text, "#")] = '\0';
	m = strtok_r(text, " ", &save);
	for (unsigned i = 0; m && prefixes[i]; i++)
		if (!strcmp(m, prefixes[i]) || !strncmp(m, "rex", 3)) {
			m = strtok_r(NULL, " ", &save);
			i = (unsigned)-1;
		}
	/* Port I/O's (%dx) is no memory; direct branches name their target. */
	if (!m || !strncmp(m, "lea", 3) || !strncmp(m, "nop", 3) || !strcmp(m, "in") ||
	    !strcmp(m, "out"))
		return false;
	bool branch = m[0] == 'j' || !strncmp(m, "call", 4) || !strncmp(m, "loop", 4) ||
		      !strncmp(m, "xbegin", 6);

	/* Operands split at commas outside parentheses. */
	char *p = strtok_r(NULL, " ", &save);

	for (int depth = 0; p && *p && nops < 3;) {
		ops[nops++] = p;
		for (; *p; p++) {
			depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
			if (*p == ',' && !depth) {
				*p++ = '\0';
				break;
			}
		}
	}
	/* A shift's or rotate's %cl is its count, not its size. */
	bool shift = !strncmp(m, "sh", 2) || !strncmp(m, "sa", 2) || !strncmp(m, "ro", 2) ||
		     !strncmp(m, "rc", 2);

	for (unsigned i = 0; i < nops; i++) {
		const char *o = ops[i];

		if (o[0] == '%' && o[3] != ':') {
			if (!(shift && !strcmp(o, "%cl")) &&
			    operand_reg(c, o + 1, strlen(o + 1), &w, &v) && !width)
				width = w;
		} else if (o[0] != '$' && mem < 0 && strcmp(o, "(%dx)") && (!branch || o[0] == '*')) {
			mem = (int)i;
		}
	}
	/* A memory destination alone (also as the only operand: set, pop, sgdt). */
	bool only = mem >= 0 && mem == (int)nops - 1 && operand_store_only(m);

	if (mem < 0 || (only && !store))
		return false;
	if (store)
		*store = only;
	if (!operand_address(c, ops[mem], bits, pc + (uint64_t)len, la))
		return false;
	/* movzbl, movswq, ...: the source size is the first suffix letter. */
	size_t ml = strlen(m);
	char suffix = m[ml - 1];

	if ((!strncmp(m, "movz", 4) || !strncmp(m, "movs", 4)) && ml == 6)
		suffix = m[4];
	else if (width || !strcmp(m, "call"))
		suffix = 0;
	switch (suffix) {
	case 'b': width = 1; break;
	case 'w': width = 2; break;
	case 'l': width = 4; break;
	case 'q': width = 8; break;
	default: break;
	}
	*size = width ? width : bits / 8;
	return true;
}

bool x86_operand_read(const struct kvm_regs *r, const struct kvm_sregs *s, unsigned bits,
		      uint64_t pc, const uint8_t *insn, size_t n, uint64_t *la, unsigned *size)
{
	return x86_operand_access(r, s, bits, pc, insn, n, la, size, NULL);
}

bool arch_insn_reads(struct vcpu *vcpu, uint64_t pc, uint64_t *la, unsigned *size)
{
	const struct kvm_regs *r = x86_regs(vcpu);
	const struct kvm_sregs *s = x86_sregs(vcpu);
	uint8_t insn[16];

	return r && s && x86_read_insn(vcpu, pc, insn, sizeof(insn)) &&
	       x86_operand_read(r, s, arch_code_bits(vcpu), pc, insn, sizeof(insn), la, size);
}
