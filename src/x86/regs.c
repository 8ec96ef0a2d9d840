/* The x86 register table, register views for the console, CPU mode in words. */
#include "../arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "../symbols.h"
#include "../vcpu.h"
#include "bits.h"
#include "msr.h"
#include "x86.h"

/* In gdb's amd64 order (general registers, then i386/amd64 system ones). */
enum x86_reg {
	R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
	R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
	R_RIP, R_EFLAGS, R_CS, R_SS, R_DS, R_ES, R_FS, R_GS,
	R_FS_BASE, R_GS_BASE, R_K_GS_BASE, R_CR0, R_CR2, R_CR3, R_CR4, R_CR8, R_EFER,
	R_COUNT
};

const struct arch_reg arch_regs[] = {
	[R_RAX] = { "rax", 64 }, [R_RBX] = { "rbx", 64 }, [R_RCX] = { "rcx", 64 },
	[R_RDX] = { "rdx", 64 }, [R_RSI] = { "rsi", 64 }, [R_RDI] = { "rdi", 64 },
	[R_RBP] = { "rbp", 64 }, [R_RSP] = { "rsp", 64 }, [R_R8] = { "r8", 64 },
	[R_R9] = { "r9", 64 },   [R_R10] = { "r10", 64 }, [R_R11] = { "r11", 64 },
	[R_R12] = { "r12", 64 }, [R_R13] = { "r13", 64 }, [R_R14] = { "r14", 64 },
	[R_R15] = { "r15", 64 }, [R_RIP] = { "rip", 64 }, [R_EFLAGS] = { "eflags", 32 },
	[R_CS] = { "cs", 32 },   [R_SS] = { "ss", 32 },   [R_DS] = { "ds", 32 },
	[R_ES] = { "es", 32 },   [R_FS] = { "fs", 32 },   [R_GS] = { "gs", 32 },
	[R_FS_BASE] = { "fs_base", 64 }, [R_GS_BASE] = { "gs_base", 64 },
	[R_K_GS_BASE] = { "k_gs_base", 64 }, [R_CR0] = { "cr0", 64 },
	[R_CR2] = { "cr2", 64 }, [R_CR3] = { "cr3", 64 }, [R_CR4] = { "cr4", 64 },
	[R_CR8] = { "cr8", 64 }, [R_EFER] = { "efer", 64 },
};
const unsigned arch_nregs = R_COUNT;

int arch_reg_find(const char *name, uint64_t *mask)
{
	static const struct {
		const char *alias;
		enum x86_reg reg;
	} aliases[] = {
		{ "pc", R_RIP }, { "sp", R_RSP }, { "fp", R_RBP }, { "rflags", R_EFLAGS },
		{ "flags", R_EFLAGS },
	};
	/* The 32- and 16-bit names of the first eight registers and rip. */
	static const char *const narrow[][2] = {
		{ "eax", "ax" }, { "ebx", "bx" }, { "ecx", "cx" }, { "edx", "dx" },
		{ "esi", "si" }, { "edi", "di" }, { "ebp", "bp" }, { "esp", NULL },
	};

	*mask = ~0ULL;
	for (unsigned i = 0; i < R_COUNT; i++)
		if (!strcasecmp(name, arch_regs[i].name))
			return (int)i;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].alias))
			return aliases[i].reg;
	for (unsigned i = 0; i < sizeof(narrow) / sizeof(narrow[0]); i++) {
		if (!strcasecmp(name, narrow[i][0])) {
			*mask = 0xffffffffULL;
			return (int)i;
		}
		if (narrow[i][1] && !strcasecmp(name, narrow[i][1])) {
			*mask = 0xffffULL;
			return (int)i;
		}
	}
	if (!strcasecmp(name, "eip") || !strcasecmp(name, "ip")) {
		*mask = name[0] == 'e' || name[0] == 'E' ? 0xffffffffULL : 0xffffULL;
		return R_RIP;
	}
	return -1;
}

/* Where a register lives in the cached kvm_regs / kvm_sregs, or NULL. */
static __u64 *x86_reg_slot(struct kvm_regs *r, struct kvm_sregs *s, unsigned idx)
{
	__u64 *gpr[] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
		&r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
		&r->rip, &r->rflags,
	};

	if (idx < sizeof(gpr) / sizeof(gpr[0]))
		return gpr[idx];
	switch (idx) {
	case R_FS_BASE: return &s->fs.base;
	case R_GS_BASE: return &s->gs.base;
	case R_CR0: return &s->cr0;
	case R_CR2: return &s->cr2;
	case R_CR3: return &s->cr3;
	case R_CR4: return &s->cr4;
	case R_CR8: return &s->cr8;
	case R_EFER: return &s->efer;
	default: return NULL;
	}
}

static struct kvm_segment *x86_seg(struct kvm_sregs *s, unsigned idx)
{
	switch (idx) {
	case R_CS: return &s->cs;
	case R_SS: return &s->ss;
	case R_DS: return &s->ds;
	case R_ES: return &s->es;
	case R_FS: return &s->fs;
	case R_GS: return &s->gs;
	default: return NULL;
	}
}

int arch_reg_get(struct vcpu *vcpu, unsigned idx, uint64_t *value)
{
	struct kvm_regs *r = vcpu_regs(vcpu);
	struct kvm_sregs *s = vcpu_sregs(vcpu);
	struct kvm_segment *seg;
	__u64 *slot;

	if (!r || !s)
		return -EIO;
	if (idx >= R_COUNT)
		return err_set(EINVAL, "no register %u", idx);
	if (idx == R_K_GS_BASE)
		return msr_read(vcpu, MSR_KERNEL_GS_BASE, value);
	seg = x86_seg(s, idx);
	if (seg) {
		*value = seg->selector;
		return 0;
	}
	slot = x86_reg_slot(r, s, idx);
	*value = *slot;
	return 0;
}

int arch_reg_set(struct vcpu *vcpu, unsigned idx, uint64_t value)
{
	struct kvm_regs *r = vcpu_regs(vcpu);
	struct kvm_sregs *s = vcpu_sregs(vcpu);
	struct kvm_segment *seg;

	if (!r || !s)
		return -EIO;
	if (idx >= R_COUNT)
		return err_set(EINVAL, "no register %u", idx);
	if (idx == R_K_GS_BASE)
		return msr_write(vcpu, MSR_KERNEL_GS_BASE, value);
	seg = x86_seg(s, idx);
	if (seg) {
		seg->selector = (uint16_t)value;
		vcpu_sregs_changed(vcpu);
		return 0;
	}
	*x86_reg_slot(r, s, idx) = value;
	if (idx <= R_EFLAGS)
		vcpu_regs_changed(vcpu);
	else
		vcpu_sregs_changed(vcpu);
	return 0;
}

int arch_print_regs(struct vcpu *vcpu, FILE *out, const struct symtab *syms)
{
	struct kvm_regs *r = vcpu_regs(vcpu);
	struct kvm_sregs *s = vcpu_sregs(vcpu);
	char sym[128];

	if (!r || !s)
		return -EIO;
	for (unsigned i = 0; i <= R_GS; i++) {
		uint64_t v;

		arch_reg_get(vcpu, i, &v);
		fprintf(out, "%-15s0x%-18llx", arch_regs[i].name, (unsigned long long)v);
		if (i == R_EFLAGS) {
			x86_bits_print(out, v, x86_rflags_bits);
		} else if (i == R_RIP) {
			symbols_format(syms, arch_pc(vcpu), sym, sizeof(sym));
			fprintf(out, "0x%llx%s%s%s", (unsigned long long)v, *sym ? " <" : "", sym,
				*sym ? ">" : "");
		} else if (i == R_RSP || i == R_RBP) {
			fprintf(out, "0x%llx", (unsigned long long)v);
		} else {
			fprintf(out, "%lld", (long long)v);
		}
		fputc('\n', out);
	}
	fprintf(out, "%-15s0x%-18llx0x%llx\n", "fs_base", (unsigned long long)s->fs.base,
		(unsigned long long)s->fs.base);
	fprintf(out, "%-15s0x%-18llx0x%llx\n", "gs_base", (unsigned long long)s->gs.base,
		(unsigned long long)s->gs.base);
	return 0;
}

static const char *x86_seg_type(const struct kvm_segment *seg)
{
	static const char *const data[8] = {
		"data ro", "data ro,accessed", "data rw", "data rw,accessed",
		"data ro,expand-down", "data ro,expand-down,accessed",
		"data rw,expand-down", "data rw,expand-down,accessed",
	};
	static const char *const code[8] = {
		"code xo", "code xo,accessed", "code xr", "code xr,accessed",
		"code xo,conforming", "code xo,conforming,accessed",
		"code xr,conforming", "code xr,conforming,accessed",
	};
	static const char *const sys[16] = {
		"reserved", "tss16 avail", "ldt", "tss16 busy", "call16", "task gate",
		"int16", "trap16", "reserved", "tss avail", "reserved", "tss busy",
		"call gate", "reserved", "int gate", "trap gate",
	};

	if (!seg->s)
		return sys[seg->type & 15];
	return seg->type & 8 ? code[seg->type & 7] : data[seg->type & 7];
}

static void x86_print_seg(FILE *out, const char *name, const struct kvm_segment *seg)
{
	fprintf(out, "%-4s 0x%04x  base 0x%016llx  limit 0x%08x  type 0x%x %-28s dpl %u%s%s%s%s%s\n",
		name, seg->selector, (unsigned long long)seg->base, seg->limit, seg->type,
		x86_seg_type(seg), seg->dpl, seg->present ? " P" : "",
		seg->l ? " L" : "", seg->db ? " D" : "", seg->g ? " G" : "",
		seg->unusable ? " unusable" : "");
}

static void x86_print_cr(FILE *out, const char *name, uint64_t v, const struct x86_bits *bits)
{
	fprintf(out, "%-4s 0x%016llx ", name, (unsigned long long)v);
	if (bits)
		x86_bits_print(out, v, *bits);
	fputc('\n', out);
}

void arch_describe_mode(struct vcpu *vcpu, char *buf, size_t len)
{
	struct kvm_regs *r = vcpu_regs(vcpu);
	struct kvm_sregs *s = vcpu_sregs(vcpu);
	const char *mode, *paging;

	if (!r || !s) {
		snprintf(buf, len, "unknown (%s)", err_msg());
		return;
	}
	if (!(s->cr0 & CR0_PE))
		mode = "16-bit real mode";
	else if (r->rflags & RFLAGS_VM)
		mode = "virtual-8086 mode";
	else if ((s->efer & EFER_LMA) && s->cs.l)
		mode = "64-bit long mode";
	else if (s->efer & EFER_LMA)
		mode = s->cs.db ? "32-bit compatibility mode" : "16-bit compatibility mode";
	else
		mode = s->cs.db ? "32-bit protected mode" : "16-bit protected mode";
	if (!(s->cr0 & CR0_PG))
		paging = "paging off";
	else if (s->efer & EFER_LMA)
		paging = s->cr4 & CR4_LA57 ? "paging 5-level" : "paging 4-level";
	else if (s->cr4 & CR4_PAE)
		paging = "paging PAE";
	else
		paging = "paging 32-bit";
	if (!(s->cr0 & CR0_PE))
		snprintf(buf, len, "%s", mode);
	else
		snprintf(buf, len, "%s, CPL %u, %s", mode, s->cs.dpl, paging);
}

int arch_print_sregs(struct vcpu *vcpu, FILE *out)
{
	struct kvm_sregs *s = vcpu_sregs(vcpu);
	char mode[96];

	if (!s)
		return -EIO;
	x86_print_seg(out, "cs", &s->cs);
	x86_print_seg(out, "ss", &s->ss);
	x86_print_seg(out, "ds", &s->ds);
	x86_print_seg(out, "es", &s->es);
	x86_print_seg(out, "fs", &s->fs);
	x86_print_seg(out, "gs", &s->gs);
	x86_print_seg(out, "tr", &s->tr);
	x86_print_seg(out, "ldt", &s->ldt);
	fprintf(out, "gdt  base 0x%016llx  limit 0x%04x\n", (unsigned long long)s->gdt.base,
		s->gdt.limit);
	fprintf(out, "idt  base 0x%016llx  limit 0x%04x\n", (unsigned long long)s->idt.base,
		s->idt.limit);
	x86_print_cr(out, "cr0", s->cr0, &x86_cr0_bits);
	x86_print_cr(out, "cr2", s->cr2, NULL);
	x86_print_cr(out, "cr3", s->cr3, NULL);
	x86_print_cr(out, "cr4", s->cr4, &x86_cr4_bits);
	x86_print_cr(out, "cr8", s->cr8, NULL);
	x86_print_cr(out, "efer", s->efer, &x86_efer_bits);
	fprintf(out, "apic_base 0x%llx", (unsigned long long)s->apic_base);
	msr_print_fields(out, MSR_IA32_APIC_BASE, s->apic_base);
	arch_describe_mode(vcpu, mode, sizeof(mode));
	fprintf(out, "\nmode: %s\n", mode);
	return 0;
}

unsigned arch_code_bits(struct vcpu *vcpu)
{
	struct kvm_sregs *s = vcpu_sregs(vcpu);

	if (!s || !(s->cr0 & CR0_PE))
		return 16;
	if ((s->efer & EFER_LMA) && s->cs.l)
		return 64;
	return s->cs.db ? 32 : 16;
}

static void x86_print_hex_le(FILE *out, const uint8_t *p, size_t n)
{
	fputs("0x", out);
	while (n--)
		fprintf(out, "%02x", p[n]);
}

int arch_print_fpu(struct vcpu *vcpu, FILE *out)
{
	struct kvm_fpu fpu;

	if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) < 0)
		return err_set(errno, "KVM_GET_FPU: %s", strerror(errno));
	for (int i = 0; i < 8; i++) {
		long double v;

		memcpy(&v, fpu.fpr[i], 10);
		fprintf(out, "st%d  ", i);
		x86_print_hex_le(out, fpu.fpr[i], 10);
		fprintf(out, "  %Lg%s\n", v, fpu.ftwx & (1 << i) ? "" : "  (empty)");
	}
	fprintf(out, "fctrl 0x%04x  fstat 0x%04x (top %u)  ftag 0x%02x  fop 0x%04x\n", fpu.fcw,
		fpu.fsw, (fpu.fsw >> 11) & 7, fpu.ftwx, fpu.last_opcode);
	fprintf(out, "fioff 0x%016llx  fooff 0x%016llx  mxcsr 0x%08x\n",
		(unsigned long long)fpu.last_ip, (unsigned long long)fpu.last_dp, fpu.mxcsr);
	return 0;
}

int arch_print_xmm(struct vcpu *vcpu, FILE *out)
{
	struct kvm_fpu fpu;

	if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) < 0)
		return err_set(errno, "KVM_GET_FPU: %s", strerror(errno));
	for (int i = 0; i < 16; i++) {
		uint32_t w[4];

		memcpy(w, fpu.xmm[i], sizeof(w));
		fprintf(out, "xmm%-2d ", i);
		x86_print_hex_le(out, fpu.xmm[i], 16);
		fprintf(out, "  v4_int32 {0x%x, 0x%x, 0x%x, 0x%x}\n", w[0], w[1], w[2], w[3]);
	}
	fprintf(out, "mxcsr 0x%08x\n", fpu.mxcsr);
	return 0;
}

int arch_print_dregs(struct vcpu *vcpu, FILE *out)
{
	static const char *const rw[4] = { "exec", "write", "io", "access" };
	static const unsigned len[4] = { 1, 2, 8, 4 };
	struct kvm_debugregs d;

	if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &d) < 0)
		return err_set(errno, "KVM_GET_DEBUGREGS: %s", strerror(errno));
	for (int i = 0; i < 4; i++) {
		bool on = d.dr7 & (DR7_L(i) | DR7_G(i));

		fprintf(out, "dr%d  0x%016llx", i, (unsigned long long)d.db[i]);
		if (on)
			fprintf(out, "  %s%s %s len %u", d.dr7 & DR7_L(i) ? "L" : "",
				d.dr7 & DR7_G(i) ? "G" : "", rw[(d.dr7 >> DR7_RW_SHIFT(i)) & 3],
				len[(d.dr7 >> DR7_LEN_SHIFT(i)) & 3]);
		else
			fputs("  disabled", out);
		fputc('\n', out);
	}
	fprintf(out, "dr6  0x%016llx [", (unsigned long long)d.dr6);
	for (int i = 0; i < 4; i++)
		if (d.dr6 & (1ULL << i))
			fprintf(out, " B%d", i);
	fprintf(out, "%s%s%s ]\n", d.dr6 & DR6_BD ? " BD" : "", d.dr6 & DR6_BS ? " BS" : "",
		d.dr6 & DR6_BT ? " BT" : "");
	fprintf(out, "dr7  0x%016llx [", (unsigned long long)d.dr7);
	for (int i = 0; i < 4; i++) {
		if (d.dr7 & DR7_L(i))
			fprintf(out, " L%d", i);
		if (d.dr7 & DR7_G(i))
			fprintf(out, " G%d", i);
	}
	fputs(" ]\n", out);
	return 0;
}
