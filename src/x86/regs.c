/* Register views for the console, CPU mode in words. */
#include "../arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "../symbols.h"
#include "bits.h"
#include "msr.h"
#include "regtable.h"
#include "x86.h"

int arch_print_regs(struct vcpu *vcpu, FILE *out, const struct symtab *syms)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
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
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
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
	struct kvm_sregs *s = x86_sregs(vcpu);
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
	arch_msr_fields(out, MSR_IA32_APIC_BASE, s->apic_base);
	arch_describe_mode(vcpu, mode, sizeof(mode));
	fprintf(out, "\nmode: %s\n", mode);
	return 0;
}

unsigned arch_code_bits(struct vcpu *vcpu)
{
	struct kvm_sregs *s = x86_sregs(vcpu);

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
	const struct kvm_fpu *f = x86_fpu(vcpu);

	if (!f)
		return -EIO;
	const struct kvm_fpu fpu = *f;

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
	const struct kvm_fpu *f = x86_fpu(vcpu);

	if (!f)
		return -EIO;
	const struct kvm_fpu fpu = *f;

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
