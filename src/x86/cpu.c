/* x86 side of the VM and vCPU: set-up ioctls, CPUID, register reports. */
#include "../arch.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../err.h"
#include "../vm.h"
#include "msr.h"
#include "x86.h"

/* Below 4 GiB, above the test device, where QEMU puts them too. */
#define X86_TSS_ADDR 0xfffbd000ULL
#define X86_IDENTITY_MAP_ADDR 0xfffbc000ULL

const struct arch_cap arch_required_caps[] = {
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ 0, NULL },
};

static bool x86_exit_on_failure; /* KVM_CAP_EXIT_ON_EMULATION_FAILURE is on */

int arch_vm_init(struct vm *vm)
{
	uint64_t map = X86_IDENTITY_MAP_ADDR;

	/* Intel VMX needs these pages for real mode without unrestricted guest;
	 * AMD and PVM accept and ignore them. */
	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &map) < 0)
		return err_set(errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)X86_TSS_ADDR) < 0)
		return err_set(errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	x86_exit_on_failure = x86_exit_on_emulation_failure(vm->fd);
	return 0;
}

/*
 * When KVM's emulator fails at CPL 0 (an instruction fetched from a page
 * kvmdbg took out of the map, say), VMX/SVM also queue a #UD for the guest
 * (nested SVM, 6.1: measured), which the retry after lending the page would
 * deliver. KVM_CAP_EXIT_ON_EMULATION_FAILURE (Linux 5.16) makes KVM only exit;
 * before it, the queued #UD is taken back by hand (x86_forget_emulation_ud).
 */
bool x86_exit_on_emulation_failure(int vm_fd)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args = { 1 } };

	return ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0 &&
	       ioctl(vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}

int arch_emulation_failure_retry(struct vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	if (x86_exit_on_failure)
		return 0;
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	if (!(ev.exception.injected || ev.exception.pending) || ev.exception.nr != X86_UD_VECTOR)
		return 0;
	ev.exception.injected = ev.exception.pending = 0;
	ev.flags = 0;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return 0;
}

/* The entry for LEAF.INDEX, or NULL. */
static struct kvm_cpuid_entry2 *x86_cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t leaf,
					       uint32_t index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		if (cpuid->entries[i].function == leaf && cpuid->entries[i].index == index)
			return &cpuid->entries[i];
	}
	return NULL;
}

#define X86_CPUID_ADDED 8 /* room for the entries x86_cpuid_as_qemu may add */

/* The entry for FUNCTION (index 0), added at the end if KVM gave none
 * (x86_set_cpuid leaves room for X86_CPUID_ADDED more than nent). */
static struct kvm_cpuid_entry2 *x86_cpuid_entry(struct kvm_cpuid2 *cpuid, uint32_t function)
{
	struct kvm_cpuid_entry2 *e = x86_cpuid_find(cpuid, function, 0);

	if (e)
		return e;
	cpuid->entries[cpuid->nent] = (struct kvm_cpuid_entry2){ .function = function };
	return &cpuid->entries[cpuid->nent++];
}

/*
 * What QEMU's -cpu host adds to what KVM supports, so that a guest takes
 * the paths it takes there: the hypervisor bit, the host's brand string
 * (KVM gives none: Linux named the CPU after its family), and the TSC and
 * APIC bus frequencies in the hypervisor timing leaf (no calibration).
 * At most six entries are added.
 */
static void x86_cpuid_as_qemu(struct vcpu *vcpu, struct kvm_cpuid2 *cpuid, bool bare)
{
	struct kvm_cpuid_entry2 *e = x86_cpuid_entry(cpuid, 1);
	uint32_t ext_max = x86_cpuid_entry(cpuid, 0x80000000U)->eax;
	int khz;

	e->ecx |= CPUID_1_ECX_HYPERVISOR;
	if (ext_max >= CPUID_BRAND_FIRST + 2) {
		for (uint32_t f = CPUID_BRAND_FIRST; f < CPUID_BRAND_FIRST + 3; f++) {
			uint32_t r[4];

			e = x86_cpuid_entry(cpuid, f);
			if (e->eax | e->ebx | e->ecx | e->edx)
				continue;
			__cpuid(f, r[0], r[1], r[2], r[3]);
			*e = (struct kvm_cpuid_entry2){ .function = f, .eax = r[0], .ebx = r[1],
							.ecx = r[2], .edx = r[3] };
		}
	}
	khz = bare ? -1 : ioctl(vcpu->fd, KVM_GET_TSC_KHZ);
	if (khz > 0) {
		e = x86_cpuid_entry(cpuid, CPUID_HV_BASE);
		if (e->eax < CPUID_HV_TIMING)
			e->eax = CPUID_HV_TIMING;
		e = x86_cpuid_entry(cpuid, CPUID_HV_TIMING);
		e->eax = (uint32_t)khz;
		e->ebx = CPUID_HV_APIC_BUS_KHZ;
	}
}

/* CPUID features --cpu host,+NAME/-NAME turns on or off, named as QEMU
 * names them. */
struct x86_feature {
	const char *name;
	uint32_t leaf, index;
	uint8_t reg; /* 0-3: eax, ebx, ecx, edx */
	uint8_t bit;
};

enum { X86_EAX, X86_EBX, X86_ECX, X86_EDX };

static const struct x86_feature x86_features[] = {
	{ "vmx", 1, 0, X86_ECX, 5 },
	{ "pcid", 1, 0, X86_ECX, 17 },
	{ "sse4.2", 1, 0, X86_ECX, 20 },
	{ "x2apic", 1, 0, X86_ECX, 21 },
	{ "tsc-deadline", 1, 0, X86_ECX, 24 },
	{ "aes", 1, 0, X86_ECX, 25 },
	{ "xsave", 1, 0, X86_ECX, 26 },
	{ "avx", 1, 0, X86_ECX, 28 },
	{ "rdrand", 1, 0, X86_ECX, 30 },
	{ "hypervisor", 1, 0, X86_ECX, 31 },
	{ "fsgsbase", 7, 0, X86_EBX, 0 },
	{ "avx2", 7, 0, X86_EBX, 5 },
	{ "smep", 7, 0, X86_EBX, 7 },
	{ "erms", 7, 0, X86_EBX, 9 },
	{ "invpcid", 7, 0, X86_EBX, 10 },
	{ "avx512f", 7, 0, X86_EBX, 16 },
	{ "rdseed", 7, 0, X86_EBX, 18 },
	{ "smap", 7, 0, X86_EBX, 20 },
	{ "umip", 7, 0, X86_ECX, 2 },
	{ "pku", 7, 0, X86_ECX, 3 },
	{ "la57", 7, 0, X86_ECX, 16 },
	{ "svm", 0x80000001U, 0, X86_ECX, 2 },
	{ "nx", 0x80000001U, 0, X86_EDX, 20 },
	{ "pdpe1gb", 0x80000001U, 0, X86_EDX, 26 },
	{ "rdtscp", 0x80000001U, 0, X86_EDX, 27 },
	{ "invtsc", 0x80000007U, 0, X86_EDX, 8 },
};

static uint32_t *x86_cpuid_reg(struct kvm_cpuid_entry2 *e, unsigned reg)
{
	uint32_t *regs[] = { &e->eax, &e->ebx, &e->ecx, &e->edx };

	return regs[reg];
}

static const char *x86_feature_names(void)
{
	static char names[512];
	size_t n = 0;

	if (!names[0]) {
		for (size_t i = 0; i < sizeof(x86_features) / sizeof(x86_features[0]); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
					      x86_features[i].name);
	}
	return names;
}

/*
 * --cpu SPEC on CPUID as x86_cpuid_as_qemu left it: "host", then
 * ",+NAME", ",-NAME" (or "NAME=on|off") for the features above, and
 * "kvm=off" (no KVM leaves: *kvm_off). A feature the host's KVM does not
 * offer cannot be turned on (SUPPORTED: CPUID as KVM gave it).
 */
static int x86_cpuid_apply_spec(struct kvm_cpuid2 *cpuid, const struct kvm_cpuid2 *supported,
				const char *spec, bool *kvm_off)
{
	char item[64];
	const char *p = spec, *end;

	*kvm_off = false;
	if (!spec)
		return 0;
	end = strchr(p, ',');
	if ((end ? (size_t)(end - p) : strlen(p)) != 4 || strncmp(p, "host", 4))
		return err_set(EINVAL, "--cpu: the model is host (the host's CPU as KVM offers it, "
			       "as QEMU's -cpu host), not '%.*s'",
			       (int)(end ? end - p : (ptrdiff_t)strlen(p)), p);
	while (end) {
		const struct x86_feature *f = NULL;
		size_t len;
		bool on;
		char *eq;

		p = end + 1;
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(item))
			return err_set(EINVAL, "--cpu: an empty or overlong feature in '%s'", spec);
		memcpy(item, p, len);
		item[len] = '\0';
		eq = strchr(item, '=');
		if (item[0] == '+' || item[0] == '-') {
			on = item[0] == '+';
			memmove(item, item + 1, len);
		} else if (eq && (!strcmp(eq + 1, "on") || !strcmp(eq + 1, "off"))) {
			on = !strcmp(eq + 1, "on");
			*eq = '\0';
		} else {
			return err_set(EINVAL, "--cpu: '%s' is not +FEATURE, -FEATURE or "
				       "FEATURE=on|off", item);
		}
		if (!strcmp(item, "kvm")) {
			*kvm_off = !on;
			continue;
		}
		for (size_t i = 0; i < sizeof(x86_features) / sizeof(x86_features[0]); i++) {
			if (!strcmp(x86_features[i].name, item))
				f = &x86_features[i];
		}
		if (!f)
			return err_set(EINVAL, "--cpu: no feature '%s' (kvmdbg knows %s, and kvm=off)",
				       item, x86_feature_names());
		struct kvm_cpuid_entry2 *e = x86_cpuid_find(cpuid, f->leaf, f->index);
		const struct kvm_cpuid_entry2 *h =
			x86_cpuid_find((struct kvm_cpuid2 *)supported, f->leaf, f->index);
		uint32_t mask = 1U << f->bit;

		if (on && f->bit != 31 && (!h || !(*x86_cpuid_reg((struct kvm_cpuid_entry2 *)h, f->reg) & mask)))
			return err_set(ENOTSUP, "--cpu: +%s: not offered here: this host's KVM "
				       "(or --irqchip off, for the APIC's) has no %s "
				       "(CPUID 0x%x.%u %s bit %u)", f->name, f->name, f->leaf,
				       f->index, (const char *[]){ "eax", "ebx", "ecx", "edx" }[f->reg],
				       f->bit);
		if (!e)
			continue; /* off, and the leaf is not there at all */
		if (on)
			*x86_cpuid_reg(e, f->reg) |= mask;
		else
			*x86_cpuid_reg(e, f->reg) &= ~mask;
	}
	return 0;
}

/* The guest sees what KVM supports (without its own leaves if bare), as
 * QEMU's -cpu host shows it; without KVM's, long mode is refused on VMX. */
static int x86_set_cpuid(struct vcpu *vcpu, bool bare)
{
	struct kvm_cpuid2 *cpuid = NULL;
	int nent = 64, r;

	for (;;) {
		free(cpuid);
		cpuid = calloc(1, sizeof(*cpuid) + ((size_t)nent + X86_CPUID_ADDED) * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return err_set(ENOMEM, "out of memory for CPUID entries");
		cpuid->nent = (uint32_t)nent;
		if (ioctl(vcpu->arch->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		if (errno != E2BIG || nent >= 4096) {
			r = err_set(errno, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			goto out;
		}
		nent *= 2;
	}
	r = 0;
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		/* Each CPU's APIC id (its index) where CPUID tells it: the initial
		 * APIC id, and the x2APIC id of the topology leaves. */
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = (uint32_t)vcpu->id;
		if (e->function != 1)
			continue;
		e->ebx = (e->ebx & 0x00ffffffU) | ((uint32_t)vcpu->id << 24);
		/* The local APIC is KVM's in-kernel one: none without it; with
		 * it, its TSC-deadline timer where KVM has one. */
		if (!vcpu->arch->irqchip) {
			e->edx &= ~CPUID_1_EDX_APIC;
			e->ecx &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE);
		} else if (ioctl(vcpu->arch->sys_fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
	}
	x86_cpuid_as_qemu(vcpu, cpuid, bare);
	size_t size = sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]);
	struct kvm_cpuid2 *offered = malloc(size);
	bool kvm_off;

	if (!offered) {
		r = err_set(ENOMEM, "out of memory for CPUID entries");
		goto out;
	}
	memcpy(offered, cpuid, size);
	r = x86_cpuid_apply_spec(cpuid, offered, vcpu->vm->cpu, &kvm_off);
	free(offered);
	if (r < 0)
		goto out;
	for (uint32_t i = 0; (bare || kvm_off) && i < cpuid->nent;) {
		if ((cpuid->entries[i].function & 0xffffff00) == 0x40000000)
			cpuid->entries[i] = cpuid->entries[--cpuid->nent];
		else
			i++;
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		r = err_set(errno, "KVM_SET_CPUID2: %s", strerror(errno));
out:
	free(cpuid);
	return r;
}

/* Writes an MSR's power-on value where KVM left another. */
static int x86_msr_reset(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	uint64_t now;
	int r = arch_msr_read(vcpu, index, &now);

	return r < 0 || now == value ? r : arch_msr_write(vcpu, index, value);
}

/*
 * The registers the SDM gives a power-on value for, as QEMU's reset sets
 * them. (MXCSR read 0 at creation on every host, but that was KVM_GET_FPU,
 * which leaves MXCSR out: the guest's stmxcsr stored 0x1f80. state.c reads
 * and writes it through XSAVE.) FCW is finit's 0x37f as QEMU's, not the
 * SDM's 0x40; MTRRs stay off (QEMU's reset; its BIOS enables them later).
 */
static int x86_power_on_state(struct vcpu *vcpu)
{
	struct kvm_fpu *fpu = x86_fpu(vcpu);
	struct kvm_debugregs dr;
	int r;

	if (!fpu)
		return -EIO;
	memset(fpu, 0, sizeof(*fpu));
	fpu->fcw = X86_FCW_RESET;
	fpu->mxcsr = X86_MXCSR_RESET;
	x86_fpu_changed(vcpu);
	if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &dr) < 0)
		return err_set(errno, "KVM_GET_DEBUGREGS: %s", strerror(errno));
	if (dr.dr6 != X86_DR6_RESET || dr.dr7 != X86_DR7_RESET) {
		dr.dr6 = X86_DR6_RESET;
		dr.dr7 = X86_DR7_RESET;
		if (ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dr) < 0)
			return err_set(errno, "KVM_SET_DEBUGREGS: %s", strerror(errno));
	}
	if (ioctl(vcpu->arch->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0) {
		struct kvm_xcrs x;

		if (ioctl(vcpu->fd, KVM_GET_XCRS, &x) < 0)
			return err_set(errno, "KVM_GET_XCRS: %s", strerror(errno));
		if (x.nr_xcrs > 0 && (x.xcrs[0].xcr != 0 || x.xcrs[0].value != X86_XCR0_RESET)) {
			x.nr_xcrs = 1;
			x.xcrs[0].xcr = 0;
			x.xcrs[0].value = X86_XCR0_RESET;
			if (ioctl(vcpu->fd, KVM_SET_XCRS, &x) < 0)
				return err_set(errno, "KVM_SET_XCRS: %s", strerror(errno));
		}
	}
	r = x86_msr_reset(vcpu, MSR_IA32_PAT, X86_PAT_RESET);
	return r < 0 ? r : x86_msr_reset(vcpu, MSR_MTRR_DEF_TYPE, 0);
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	int r = x86_vcpu_state_init(vcpu);
	uint64_t base;

	if (r == 0)
		r = x86_set_cpuid(vcpu, false);
	if (r == 0)
		r = x86_power_on_state(vcpu);
	/* No local APIC without KVM's: its base MSR says it is off (and KVM
	 * then clears CPUID's APIC bit too). */
	if (r == 0 && !vcpu->arch->irqchip && arch_msr_read(vcpu, MSR_APIC_BASE, &base) == 0 &&
	    (base & APIC_BASE_ENABLE))
		r = arch_msr_write(vcpu, MSR_APIC_BASE, base & ~APIC_BASE_ENABLE);
	return r;
}

int arch_hide_paravirt(struct vcpu *vcpu)
{
	return x86_set_cpuid(vcpu, true);
}

/* By leaf, then index. */
static int x86_cpuid_order(const void *a, const void *b)
{
	const struct kvm_cpuid_entry2 *x = a, *y = b;

	if (x->function != y->function)
		return x->function < y->function ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int arch_cpuid_nth(struct vcpu *vcpu, unsigned n, uint32_t regs[6], char *features, size_t len)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[256];
	} c = { .h.nent = 256 };
	struct kvm_cpuid_entry2 *e;
	size_t at = 0;

	if (ioctl(vcpu->fd, KVM_GET_CPUID2, &c) < 0)
		return err_set(errno, "KVM_GET_CPUID2: %s", strerror(errno));
	if (n >= c.h.nent)
		return 0;
	qsort(c.h.entries, c.h.nent, sizeof(c.h.entries[0]), x86_cpuid_order);
	e = &c.h.entries[n];
	regs[0] = e->function, regs[1] = e->index;
	regs[2] = e->eax, regs[3] = e->ebx, regs[4] = e->ecx, regs[5] = e->edx;
	if (len)
		features[0] = '\0';
	for (size_t i = 0; i < sizeof(x86_features) / sizeof(x86_features[0]); i++) {
		const struct x86_feature *f = &x86_features[i];

		if (f->leaf == e->function && f->index == e->index &&
		    (*x86_cpuid_reg(e, f->reg) >> f->bit & 1) && at < len)
			at += (size_t)snprintf(features + at, len - at, "%s%s", at ? " " : "", f->name);
	}
	return 1;
}

bool arch_irqs_enabled(struct vcpu *vcpu)
{
	struct kvm_regs *regs = x86_regs(vcpu);

	return regs && (regs->rflags & RFLAGS_IF);
}

uint64_t arch_pc(struct vcpu *vcpu)
{
	struct kvm_regs *regs = x86_regs(vcpu);
	struct kvm_sregs *sregs = x86_sregs(vcpu);

	if (!regs || !sregs)
		return 0;
	if (sregs->efer & EFER_LMA && sregs->cs.l)
		return regs->rip;
	return (sregs->cs.base + regs->rip) & 0xffffffffULL;
}

static void x86_dump_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "%-3s %04x base %016llx limit %08x type %x%s%s%s dpl %u\n", name,
		s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->l ? " L" : "", s->db ? " D" : "", s->g ? " G" : "", s->dpl);
}

void arch_dump_regs(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs *r = x86_regs(vcpu);
	struct kvm_sregs *s = x86_sregs(vcpu);

	if (!r || !s) {
		fprintf(out, "registers unavailable: %s\n", err_msg());
		return;
	}
	const struct {
		const char *name;
		uint64_t value;
	} gpr[] = {
		{ "rax", r->rax }, { "rbx", r->rbx }, { "rcx", r->rcx }, { "rdx", r->rdx },
		{ "rsi", r->rsi }, { "rdi", r->rdi }, { "rbp", r->rbp }, { "rsp", r->rsp },
		{ "r8", r->r8 },   { "r9", r->r9 },   { "r10", r->r10 }, { "r11", r->r11 },
		{ "r12", r->r12 }, { "r13", r->r13 }, { "r14", r->r14 }, { "r15", r->r15 },
		{ "rip", r->rip }, { "rflags", r->rflags },
	};
	for (size_t i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		fprintf(out, "%-6s %016llx%s", gpr[i].name, (unsigned long long)gpr[i].value,
			i % 4 == 3 || i + 1 == sizeof(gpr) / sizeof(gpr[0]) ? "\n" : "   ");
	x86_dump_seg(out, "cs", &s->cs);
	x86_dump_seg(out, "ss", &s->ss);
	x86_dump_seg(out, "ds", &s->ds);
	x86_dump_seg(out, "es", &s->es);
	x86_dump_seg(out, "fs", &s->fs);
	x86_dump_seg(out, "gs", &s->gs);
	fprintf(out, "gdt base %016llx limit %04x   idt base %016llx limit %04x\n",
		(unsigned long long)s->gdt.base, s->gdt.limit, (unsigned long long)s->idt.base,
		s->idt.limit);
	fprintf(out, "cr0 %016llx   cr2 %016llx   cr3 %016llx\ncr4 %016llx   efer %016llx\n",
		(unsigned long long)s->cr0, (unsigned long long)s->cr2,
		(unsigned long long)s->cr3, (unsigned long long)s->cr4,
		(unsigned long long)s->efer);
}

/* Gives KVM dbg unless it has it already (force: even then). */
static int x86_debug_apply(struct vcpu *vcpu, const struct kvm_guest_debug *dbg, bool force)
{
	struct x86_debug *d = &vcpu->arch->debug;

	if (!force && d->known && !memcmp(dbg, &d->now, sizeof(*dbg)))
		return 0;
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, dbg) < 0) {
		d->known = false;
		return err_set(errno, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
	}
	d->now = *dbg;
	d->known = true;
	if (dbg->control & KVM_GUESTDBG_SINGLESTEP)
		d->step_pc = arch_pc(vcpu);
	return 0;
}

/* Adds a single step to dbg. */
static void x86_debug_add_step(struct vcpu *vcpu, struct kvm_guest_debug *dbg, enum arch_step step)
{
	int caps = vcpu->arch->debug.caps;

	dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	if (step == ARCH_STEP_QUIET && caps > 0 && (caps & KVM_GUESTDBG_BLOCKIRQ))
		dbg->control |= KVM_GUESTDBG_BLOCKIRQ;
}

int arch_set_guest_debug(struct vcpu *vcpu, enum arch_step step, bool sw, const uint64_t *hw,
			 unsigned nhw)
{
	struct kvm_guest_debug dbg = { 0 };

	if (sw || nhw)
		dbg.control = KVM_GUESTDBG_ENABLE;
	if (sw)
		dbg.control |= KVM_GUESTDBG_USE_SW_BP;
	if (nhw) {
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
		for (unsigned i = 0; i < nhw && i < ARCH_MAX_HW_BREAKPOINTS; i++) {
			dbg.arch.debugreg[i] = hw[i];
			dbg.arch.debugreg[7] |= DR7_G(i); /* RW and LEN 0: execute, 1 byte */
		}
	}
	if (step != ARCH_STEP_NONE)
		x86_debug_add_step(vcpu, &dbg, step);
	vcpu->arch->debug.want = dbg;
	return x86_debug_apply(vcpu, &dbg, false);
}

int arch_guest_debug_step(struct vcpu *vcpu, bool on)
{
	struct kvm_guest_debug dbg;

	dbg = vcpu->arch->debug.want;
	if (on)
		x86_debug_add_step(vcpu, &dbg, ARCH_STEP_QUIET);
	return x86_debug_apply(vcpu, &dbg, false);
}

/*
 * VMX and SVM (nested SVM under QEMU, kernel 6.1, measured): KVM sets the
 * debugger's TF in the guest's rflags only while the linear rip equals the
 * one at the last KVM_SET_GUEST_DEBUG. Anything that writes rflags through
 * KVM at another rip clears it: KVM_SET_REGS, a sync-regs write-back, and
 * KVM's instruction emulator finishing an MMIO or port access (its write-back
 * of rflags). The step after that would run on to the next exit. Giving KVM
 * the same guest debug again where the guest is now keeps every step. Only
 * after such a write, and only where the host drops the step (the engine asks
 * the probe): doing it before every step halves the step rate on PVM, which
 * steps by its emulator, and there TF set again would be pushed with the
 * frame of an event kvmdbg delivers. (arch_rflags_touched() notes the
 * writes, in state.c beside the register cache that makes most of them.)
 */
bool arch_stepping(struct vcpu *vcpu)
{
	const struct x86_debug *d = &vcpu->arch->debug;

	return d->known && (d->now.control & KVM_GUESTDBG_SINGLESTEP);
}

/*
 * A step trap from the CPU (VMX's and SVM's #DB intercepts) carries the
 * guest's DR7, whose bit 10 always reads 1; the one KVM's emulator makes up
 * after an instruction it ran itself (kvm_vcpu_do_singlestep) sets DR6 and
 * pc but leaves DR7 as kvm_run held it: 0 from here.
 */
void arch_step_mark(struct vcpu *vcpu)
{
	vcpu->run->debug.arch.dr7 = 0;
}

bool arch_step_emulated(struct vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;

	return run->exit_reason == KVM_EXIT_DEBUG && !(run->debug.arch.dr7 & X86_DR7_RESET);
}

int arch_step_rearm(struct vcpu *vcpu)
{
	struct x86_debug *d = &vcpu->arch->debug;

	if (!arch_stepping(vcpu) || !d->touched || arch_pc(vcpu) == d->step_pc)
		return 0;
	d->touched = false;
	return x86_debug_apply(vcpu, &d->now, true);
}

int arch_debug_kind(struct vcpu *vcpu, unsigned *hw_slot)
{
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;

	if (d->exception == 3)
		return 3;
	if (d->exception != 1)
		return 0;
	for (unsigned i = 0; i < ARCH_MAX_HW_BREAKPOINTS; i++) {
		if (d->dr6 & (1ULL << i)) {
			*hw_slot = i;
			return 2;
		}
	}
	return d->dr6 & DR6_BS ? 1 : 0;
}

#define X86_INT3 0xcc
#define X86_INT_N 0xcd

bool arch_soft_int_at(struct vcpu *vcpu, unsigned *vector, unsigned *len)
{
	uint8_t insn[2];

	if (!x86_read_insn(vcpu, arch_pc(vcpu), insn, sizeof(insn)))
		return false;
	if (insn[0] == X86_INT3) {
		*vector = ARCH_BREAKPOINT_VECTOR;
		*len = 1;
		return true;
	}
	if (insn[0] == X86_INT_N && x86_read_virt(vcpu, arch_pc(vcpu) + 1, insn + 1, 1)) {
		*vector = insn[1];
		*len = 2;
		return true;
	}
	return false;
}

bool arch_complete_insn(struct vcpu *vcpu)
{
	static const uint8_t xgetbv[3] = { 0x0f, 0x01, 0xd0 };
	struct kvm_regs *regs = x86_regs(vcpu);
	struct kvm_sregs *sregs = x86_sregs(vcpu);
	uint8_t insn[3];
	struct kvm_xcrs x;

	/* xgetbv with ECX 0 (XCR0), CR4.OSXSAVE set: what the CPU would give. */
	if (!regs || !sregs || !x86_read_insn(vcpu, regs->rip, insn, sizeof(insn)) ||
	    memcmp(insn, xgetbv, sizeof(xgetbv)) || (uint32_t)regs->rcx != 0 ||
	    !(sregs->cr4 & CR4_OSXSAVE) || ioctl(vcpu->fd, KVM_GET_XCRS, &x) < 0)
		return false;
	for (uint32_t i = 0; i < x.nr_xcrs && i < KVM_MAX_XCRS; i++) {
		if (x.xcrs[i].xcr != 0)
			continue;
		regs->rax = (uint32_t)x.xcrs[i].value;
		regs->rdx = x.xcrs[i].value >> 32;
		regs->rip += sizeof(xgetbv);
		x86_regs_changed(vcpu);
		return arch_regs_flush(vcpu) == 0;
	}
	return false;
}
