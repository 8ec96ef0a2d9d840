/*
 * The x86 register table: what gdb's 'g'/'G'/'p'/'P' packets carry, in gdb's
 * amd64 order (general, x87, SSE), then fs_base/gs_base and the system
 * registers. The layout stays 64-bit in every CPU mode: gdb cannot cope with
 * register sizes changing in a session (QEMU's choice too).
 */
#include "../arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "bits.h"
#include "msr.h"
#include "regtable.h"
#include "x86.h"

#define CORE "org.gnu.gdb.i386.core"
#define SSE "org.gnu.gdb.i386.sse"
#define SEGS "org.gnu.gdb.i386.segments"
#define SYS "org.kvmdbg.x86.system"

#define GPR(n) { n, 64, "int64", CORE, NULL }
#define SEG(n) { n, 32, "int32", CORE, NULL }
#define ST(n) { "st" #n, 80, "i387_ext", CORE, NULL }
#define FPC(n) { n, 32, "int", CORE, "float" }
#define XMM(n) { "xmm" #n, 128, "vec128", SSE, NULL }
#define SYSREG(n) { n, 64, "int64", SYS, "system" }
/* Control registers gdb shows as flags, "[ PE ET PG ]", as QEMU's do. */
#define SYSFLAGS(n) { #n, 64, "i386_" #n, SYS, "system" }



const struct arch_reg arch_regs[R_COUNT] = {
	GPR("rax"), GPR("rbx"), GPR("rcx"), GPR("rdx"), GPR("rsi"), GPR("rdi"),
	{ "rbp", 64, "data_ptr", CORE, NULL }, { "rsp", 64, "data_ptr", CORE, NULL },
	GPR("r8"), GPR("r9"), GPR("r10"), GPR("r11"), GPR("r12"), GPR("r13"), GPR("r14"),
	GPR("r15"), { "rip", 64, "code_ptr", CORE, NULL }, { "eflags", 32, "i386_eflags", CORE, NULL },
	SEG("cs"), SEG("ss"), SEG("ds"), SEG("es"), SEG("fs"), SEG("gs"),
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
	FPC("fctrl"), FPC("fstat"), FPC("ftag"), FPC("fiseg"), FPC("fioff"), FPC("foseg"),
	FPC("fooff"), FPC("fop"),
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	{ "mxcsr", 32, "i386_mxcsr", SSE, "vector" },
	{ "fs_base", 64, "int", SEGS, NULL }, { "gs_base", 64, "int", SEGS, NULL },
	SYSREG("k_gs_base"), SYSFLAGS(cr0), SYSREG("cr2"), SYSREG("cr3"), SYSFLAGS(cr4),
	SYSREG("cr8"), SYSFLAGS(efer),
};
const unsigned arch_nregs = R_COUNT;

#define GPR32(n) { n, 32, "int32", CORE, NULL }
#define XMM32(n) { "xmm" #n, 128, "vec128", SSE, NULL }
#define SYS32(n) { n, 32, "int32", SYS, "system" }

/* gdb's i386 order: eax ecx edx ebx esp ebp esi edi, then as amd64 with 8 xmm. */
static const struct arch_reg x86_i386_regs[] = {
	GPR32("eax"), GPR32("ecx"), GPR32("edx"), GPR32("ebx"),
	{ "esp", 32, "data_ptr", CORE, NULL }, { "ebp", 32, "data_ptr", CORE, NULL },
	GPR32("esi"), GPR32("edi"), { "eip", 32, "code_ptr", CORE, NULL },
	{ "eflags", 32, "i386_eflags", CORE, NULL },
	SEG("cs"), SEG("ss"), SEG("ds"), SEG("es"), SEG("fs"), SEG("gs"),
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
	FPC("fctrl"), FPC("fstat"), FPC("ftag"), FPC("fiseg"), FPC("fioff"), FPC("foseg"),
	FPC("fooff"), FPC("fop"),
	XMM32(0), XMM32(1), XMM32(2), XMM32(3), XMM32(4), XMM32(5), XMM32(6), XMM32(7),
	{ "mxcsr", 32, "i386_mxcsr", SSE, "vector" },
	/* Not in gdb's segments feature: gdb's i386 code numbers those past its own
	 * register count and fails an assertion (gdb 13). */
	SYS32("fs_base"), SYS32("gs_base"),
	SYSFLAGS(cr0), SYSREG("cr2"), SYSREG("cr3"), SYSFLAGS(cr4), SYSREG("cr8"), SYSFLAGS(efer),
};

static const unsigned x86_i386_index[] = {
	R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI, R_RIP, R_EFLAGS,
	R_CS, R_SS, R_DS, R_ES, R_FS, R_GS,
	R_ST0, R_ST0 + 1, R_ST0 + 2, R_ST0 + 3, R_ST0 + 4, R_ST0 + 5, R_ST0 + 6, R_ST7,
	R_FCTRL, R_FSTAT, R_FTAG, R_FISEG, R_FIOFF, R_FOSEG, R_FOOFF, R_FOP,
	R_XMM0, R_XMM0 + 1, R_XMM0 + 2, R_XMM0 + 3, R_XMM0 + 4, R_XMM0 + 5, R_XMM0 + 6,
	R_XMM0 + 7, R_MXCSR, R_FS_BASE, R_GS_BASE, R_CR0, R_CR2, R_CR3, R_CR4, R_CR8, R_EFER,
};

_Static_assert(sizeof(x86_i386_regs) / sizeof(x86_i386_regs[0]) ==
		       sizeof(x86_i386_index) / sizeof(x86_i386_index[0]),
	       "one index per i386 register");

const struct arch_gdb_layout *arch_gdb_layout(enum boot_mode mode)
{
	static const struct arch_gdb_layout amd64 = { "i386:x86-64", R_COUNT, arch_regs, NULL };
	static const struct arch_gdb_layout i386 = {
		"i386", sizeof(x86_i386_index) / sizeof(x86_i386_index[0]), x86_i386_regs,
		x86_i386_index,
	};

	return mode == BOOT_LONG64 || mode == BOOT_LINUX64 ? &amd64 : &i386;
}

const char *arch_gdb_types(const char *feature)
{
	if (!strcmp(feature, CORE))
		return "<flags id=\"i386_eflags\" size=\"4\">"
		       "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
		       "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
		       "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
		       "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
		       "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
		       "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
		       "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
		       "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
		       "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>";
	if (!strcmp(feature, SSE))
		return "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
		       "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
		       "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
		       "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
		       "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
		       "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
		       "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
		       "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
		       "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
		       "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
		       "</union>"
		       "<flags id=\"i386_mxcsr\" size=\"4\">"
		       "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
		       "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
		       "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
		       "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
		       "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
		       "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
		       "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>"
		       "</flags>";
	if (!strcmp(feature, SYS)) {
		static char xml[4096];
		static const struct {
			const char *id;
			const struct x86_bits *bits;
		} types[] = { { "i386_cr0", &x86_cr0_bits }, { "i386_cr4", &x86_cr4_bits },
			      { "i386_efer", &x86_efer_bits } };
		static bool built;
		size_t n = 0;

		/* Made once from the tables the console prints with (the stub's
		 * thread alone asks). */
		for (size_t t = 0; !built && t < sizeof(types) / sizeof(types[0]); t++) {
			n += (size_t)snprintf(xml + n, sizeof(xml) - n, "<flags id=\"%s\" size=\"8\">",
					      types[t].id);
			for (size_t i = 0; i < types[t].bits->n && n < sizeof(xml); i++)
				n += (size_t)snprintf(xml + n, sizeof(xml) - n,
						      "<field name=\"%s\" start=\"%u\" end=\"%u\"/>",
						      types[t].bits->bits[i].name,
						      types[t].bits->bits[i].bit, types[t].bits->bits[i].bit);
			n += (size_t)snprintf(xml + n, sizeof(xml) - n, "</flags>");
		}
		built = true;
		return xml;
	}
	return "";
}

int arch_reg_find(const char *name, uint64_t *mask)
{
	static const struct {
		const char *alias;
		enum x86_reg reg;
	} aliases[] = {
		{ "pc", R_RIP }, { "sp", R_RSP }, { "fp", R_RBP }, { "rflags", R_EFLAGS },
		{ "flags", R_EFLAGS },
	};
	/* The 32- and 16-bit names of the first eight registers. */
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

/* gdb's full x87 tag word from the abridged one in fxsave format: 11 empty, 00 valid. */
static uint16_t x86_ftag_full(uint8_t abridged)
{
	uint16_t tag = 0;

	for (int i = 0; i < 8; i++)
		if (!(abridged & (1 << i)))
			tag |= (uint16_t)(3 << (2 * i));
	return tag;
}

static uint8_t x86_ftag_abridged(uint16_t full)
{
	uint8_t tag = 0;

	for (int i = 0; i < 8; i++)
		if (((full >> (2 * i)) & 3) != 3)
			tag |= (uint8_t)(1 << i);
	return tag;
}

/* Where an x87/SSE register lives in kvm_fpu, and its size; NULL for others. */
static void *x86_fpu_slot(struct kvm_fpu *f, unsigned idx, size_t *size)
{
	static uint32_t zero;

	if (idx >= R_ST0 && idx <= R_ST7) {
		*size = 10;
		return f->fpr[idx - R_ST0];
	}
	if (idx >= R_XMM0 && idx <= R_XMM15) {
		*size = 16;
		return f->xmm[idx - R_XMM0];
	}
	*size = 2;
	switch (idx) {
	case R_FCTRL: return &f->fcw;
	case R_FSTAT: return &f->fsw;
	case R_FOP: return &f->last_opcode;
	case R_FIOFF: *size = 4; return &f->last_ip;
	case R_FOOFF: *size = 4; return &f->last_dp;
	case R_MXCSR: *size = 4; return &f->mxcsr;
	case R_FISEG:
	case R_FOSEG: zero = 0; *size = 4; return &zero;
	default: return NULL;
	}
}

static int x86_fpu_access(struct vcpu *vcpu, unsigned idx, uint8_t *buf, bool write)
{
	struct kvm_fpu *fp = x86_fpu(vcpu), f;
	size_t size;
	void *slot;

	if (!fp)
		return -EIO;
	f = *fp;
	if (idx == R_FTAG) {
		uint16_t full;

		if (!write) {
			full = x86_ftag_full(f.ftwx);
			memset(buf, 0, 4);
			memcpy(buf, &full, 2);
			return 0;
		}
		memcpy(&full, buf, 2);
		f.ftwx = x86_ftag_abridged(full);
	} else {
		slot = x86_fpu_slot(&f, idx, &size);
		if (!write) {
			memset(buf, 0, arch_regs[idx].bits / 8);
			memcpy(buf, slot, size);
			return 0;
		}
		if (idx == R_FISEG || idx == R_FOSEG)
			return 0;
		memcpy(slot, buf, size);
	}
	if (memcmp(fp, &f, sizeof(f))) {
		*fp = f;
		x86_fpu_changed(vcpu);
	}
	return 0;
}

static bool x86_is_fpu(unsigned idx)
{
	return (idx >= R_ST0 && idx <= R_FOP) || (idx >= R_XMM0 && idx <= R_MXCSR);
}

int arch_reg_read(struct vcpu *vcpu, unsigned idx, uint8_t *buf)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct kvm_segment *seg;
	uint64_t v;

	if (!r || !s)
		return -EIO;
	if (idx >= R_COUNT)
		return err_set(EINVAL, "no register %u", idx);
	if (x86_is_fpu(idx))
		return x86_fpu_access(vcpu, idx, buf, false);
	if (idx == R_K_GS_BASE) {
		/* An ioctl each: gdb's g reads it at every stop. */
		if (!vcpu->arch->kernel_gs_valid &&
		    arch_msr_read(vcpu, MSR_KERNEL_GS_BASE, &vcpu->arch->kernel_gs_base) < 0)
			return -EIO;
		vcpu->arch->kernel_gs_valid = true;
		v = vcpu->arch->kernel_gs_base;
	} else if ((seg = x86_seg(s, idx)) != NULL) {
		v = seg->selector;
	} else {
		v = *x86_reg_slot(r, s, idx);
	}
	memcpy(buf, &v, arch_regs[idx].bits / 8);
	return 0;
}

int arch_reg_write(struct vcpu *vcpu, unsigned idx, const uint8_t *buf)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);
	struct kvm_segment *seg;
	uint64_t v = 0;

	if (!r || !s)
		return -EIO;
	if (idx >= R_COUNT)
		return err_set(EINVAL, "no register %u", idx);
	if (x86_is_fpu(idx))
		return x86_fpu_access(vcpu, idx, (uint8_t *)buf, true);
	memcpy(&v, buf, arch_regs[idx].bits / 8);
	if (idx == R_K_GS_BASE)
		return arch_msr_write(vcpu, MSR_KERNEL_GS_BASE, v);
	seg = x86_seg(s, idx);
	if (seg) {
		/* A selector alone: the descriptor cache is left as it is. */
		if (seg->selector != (uint16_t)v) {
			seg->selector = (uint16_t)v;
			x86_sregs_changed(vcpu);
		}
		return 0;
	}
	__u64 *slot = x86_reg_slot(r, s, idx);

	if (*slot == v)
		return 0;
	*slot = v;
	if (idx <= R_EFLAGS)
		x86_regs_changed(vcpu);
	else
		x86_sregs_changed(vcpu);
	return 0;
}

int arch_reg_get(struct vcpu *vcpu, unsigned idx, uint64_t *value)
{
	uint8_t buf[16];

	if (idx >= R_COUNT || arch_regs[idx].bits > 64)
		return err_set(EINVAL, "register %s is wider than 64 bits",
			       idx < R_COUNT ? arch_regs[idx].name : "?");
	*value = 0;
	if (arch_reg_read(vcpu, idx, buf) < 0)
		return -EIO;
	memcpy(value, buf, arch_regs[idx].bits / 8);
	return 0;
}

int arch_reg_set(struct vcpu *vcpu, unsigned idx, uint64_t value)
{
	if (idx >= R_COUNT || arch_regs[idx].bits > 64)
		return err_set(EINVAL, "register %s is wider than 64 bits",
			       idx < R_COUNT ? arch_regs[idx].name : "?");
	return arch_reg_write(vcpu, idx, (const uint8_t *)&value);
}
