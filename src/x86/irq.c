/*
 * KVM's in-kernel interrupt controllers and timers: the PIC pair, the IOAPIC
 * and the PIT (VM-wide), the local APIC (per vCPU). kvmdbg's devices raise
 * ISA lines with KVM_IRQ_LINE; KVM's default routing sends line n to PIC
 * input n and IOAPIC pin n. Here: creating them, telling whether a halted
 * vCPU can still be woken, and showing their state.
 */
#include "../arch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "../err.h"
#include "../vm.h"
#include "x86.h"

/* Local APIC registers (offsets in struct kvm_lapic_state). */
#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_IRR 0x200
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0
#define APIC_SVR_ENABLE (1U << 8)
#define APIC_LVT_MASKED (1U << 16)
#define APIC_LVT_TIMER_MODE(v) (((v) >> 17) & 3) /* 0 one-shot, 1 periodic, 2 TSC deadline */
#define APIC_LVT_DELIVERY(v) (((v) >> 8) & 7)    /* 7: ExtINT */
#define APIC_TIMER_TSC_DEADLINE 2
#define MSR_IA32_TSC_DEADLINE 0x6e0

#define IOAPIC_MASKED (1ULL << 16)
#define PIT_HZ 1193182ULL
#define PIT_CASCADE 2 /* the slave PIC's line on the master */

unsigned arch_irqchip_overlaps(bool mmio, uint64_t base, uint64_t len, char *buf, size_t size)
{
	/* Where KVM registers them on its I/O buses (the local APIC's page: at
	 * its power-on base; a guest may move it). */
	static const struct {
		bool mmio;
		uint64_t base, len;
		const char *name;
	} devs[] = {
		{ false, 0x20, 2, "the master PIC (ports 0x20-0x21)" },
		{ false, 0x40, 4, "the PIT (ports 0x40-0x43)" },
		{ false, 0x61, 1, "the PIT's speaker port 0x61" },
		{ false, 0xa0, 2, "the slave PIC (ports 0xa0-0xa1)" },
		{ false, 0x4d0, 2, "the PICs' ELCR (ports 0x4d0-0x4d1)" },
		{ true, 0xfec00000, 0x100, "the IOAPIC (0xfec00000-0xfec000ff)" },
		{ true, 0xfee00000, 0x1000, "the local APIC (0xfee00000-0xfee00fff)" },
	};
	unsigned n = 0;
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		if (devs[i].mmio != mmio || !len || base > devs[i].base + devs[i].len - 1 ||
		    devs[i].base > base + (len - 1))
			continue;
		if (used < size) {
			int w = snprintf(buf + used, size - used, "%s%s", n ? ", " : "",
					 devs[i].name);

			used += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	return n;
}

int arch_nmi(struct vcpu *vcpu)
{
	/* Pending events are part of the state the debugger keeps: say it changed. */
	if (ioctl(vcpu->fd, KVM_NMI) < 0)
		return err_set(errno, "KVM_NMI: %s", strerror(errno));
	vcpu->arch->changes++;
	return 0;
}

int arch_irqchip_create(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_reinject_control reinject = { .pit_reinject = 0 };

	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
	    ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0)
		return err_set(ENOTSUP, "this KVM has no in-kernel interrupt controllers "
			       "(KVM_CAP_IRQCHIP, KVM_CAP_PIT2): run with --irqchip off");
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_set(errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_set(errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	/* Ticks missed are dropped, not owed: a guest stopped in the debugger
	 * (or stepped slowly) would otherwise get them all in a burst, and a
	 * slow enough host never catches up. */
	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_REINJECT_CONTROL) > 0 &&
	    ioctl(vm->fd, KVM_REINJECT_CONTROL, &reinject) < 0)
		return err_set(errno, "KVM_REINJECT_CONTROL: %s", strerror(errno));
	return 0;
}

static uint32_t x86_apic_reg(const struct kvm_lapic_state *l, unsigned off)
{
	uint32_t v;

	memcpy(&v, l->regs + off, sizeof(v));
	return v;
}

/* The highest vector set in a 256-bit APIC register array (ISR, IRR), or -1. */
static int x86_apic_highest(const struct kvm_lapic_state *l, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t v = x86_apic_reg(l, base + (unsigned)i * 0x10);

		if (v)
			return i * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

static int x86_chip_get(struct vcpu *vcpu, unsigned id, struct kvm_irqchip *chip)
{
	*chip = (struct kvm_irqchip){ .chip_id = id };
	if (ioctl(vcpu->arch->vm_fd, KVM_GET_IRQCHIP, chip) < 0)
		return err_set(errno, "KVM_GET_IRQCHIP: %s", strerror(errno));
	return 0;
}

int x86_irq_save(struct vcpu *vcpu, struct x86_irq_state *s)
{
	int r = 0;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &s->lapic) < 0)
		return err_set(errno, "KVM_GET_LAPIC: %s", strerror(errno));
	for (unsigned i = 0; i < 2 && r == 0; i++)
		r = x86_chip_get(vcpu, i == 0 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				 &s->pic[i]);
	if (r == 0)
		r = x86_chip_get(vcpu, KVM_IRQCHIP_IOAPIC, &s->ioapic);
	if (r == 0 && ioctl(vcpu->arch->vm_fd, KVM_GET_PIT2, &s->pit) < 0)
		r = err_set(errno, "KVM_GET_PIT2: %s", strerror(errno));
	return r;
}

int x86_irq_restore(struct vcpu *vcpu, const struct x86_irq_state *s)
{
	const struct kvm_irqchip *chips[] = { &s->pic[0], &s->pic[1], &s->ioapic };

	for (unsigned i = 0; i < 3; i++)
		if (ioctl(vcpu->arch->vm_fd, KVM_SET_IRQCHIP, chips[i]) < 0)
			return err_set(errno, "KVM_SET_IRQCHIP: %s", strerror(errno));
	if (ioctl(vcpu->arch->vm_fd, KVM_SET_PIT2, &s->pit) < 0)
		return err_set(errno, "KVM_SET_PIT2: %s", strerror(errno));
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &s->lapic) < 0)
		return err_set(errno, "KVM_SET_LAPIC: %s", strerror(errno));
	return 0;
}

/* The saved state and the TSC deadline, for the wake test and the view. */
struct x86_irq_view {
	struct x86_irq_state st;
	uint64_t deadline; /* IA32_TSC_DEADLINE */
};

static int x86_irq_view(struct vcpu *vcpu, struct x86_irq_view *v)
{
	int r = x86_irq_save(vcpu, &v->st);

	if (r == 0 && arch_msr_read(vcpu, MSR_IA32_TSC_DEADLINE, &v->deadline) < 0)
		v->deadline = 0;
	return r;
}

/* ISA lines a device raising them would get to the CPU: unmasked at the PIC
 * (the slave's through the cascade) or at the IOAPIC pin of the same number. */
static uint32_t x86_open_lines(const struct x86_irq_state *s)
{
	uint8_t master = s->pic[0].chip.pic.imr, slave = s->pic[1].chip.pic.imr;
	uint32_t open = (uint8_t)~master;

	if (!(master & (1U << PIT_CASCADE)))
		open |= (uint32_t)(uint8_t)~slave << 8;
	for (unsigned pin = 0; pin < 16 && pin < KVM_IOAPIC_NUM_PINS; pin++)
		if (!(s->ioapic.chip.ioapic.redirtbl[pin].bits & IOAPIC_MASKED))
			open |= 1U << pin;
	return open;
}

/* Whether the local APIC timer will still fire. */
static bool x86_lapic_timer_armed(const struct x86_irq_view *v)
{
	const struct x86_irq_state *s = &v->st;
	uint32_t lvt = x86_apic_reg(&s->lapic, APIC_LVT_TIMER);

	if (!(x86_apic_reg(&s->lapic, APIC_SVR) & APIC_SVR_ENABLE) || (lvt & APIC_LVT_MASKED))
		return false;
	if (APIC_LVT_TIMER_MODE(lvt) == APIC_TIMER_TSC_DEADLINE)
		return v->deadline != 0;
	if (!x86_apic_reg(&s->lapic, APIC_TMICT))
		return false;
	return APIC_LVT_TIMER_MODE(lvt) == 1 || x86_apic_reg(&s->lapic, APIC_TMCCT) != 0;
}

/* Whether PIT channel 0 will still count down to an interrupt: periodic
 * modes always; the one-shot ones until their count has run out (KVM keeps
 * when it was loaded, in CLOCK_MONOTONIC nanoseconds). */
static bool x86_pit_armed(const struct kvm_pit_state2 *pit)
{
	const struct kvm_pit_channel_state *c = &pit->channels[0];
	struct timespec now;
	uint64_t count = c->count ? c->count : 0x10000;

	if (c->mode == 2 || c->mode == 3)
		return true;
	if (c->mode > 5 || !c->gate || clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return false;
	int64_t end = c->count_load_time + (int64_t)(count * 1000000000ULL / PIT_HZ);

	return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec < end;
}

int arch_wake_sources(struct vcpu *vcpu, struct arch_wake *w)
{
	struct kvm_mp_state mp;
	struct x86_irq_view v;
	int r;

	*w = (struct arch_wake){ 0 };
	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return err_set(errno, "KVM_GET_MP_STATE: %s", strerror(errno));
	w->halted = mp.mp_state == KVM_MP_STATE_HALTED;
	w->sipi = mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
		  mp.mp_state == KVM_MP_STATE_INIT_RECEIVED;
	if (!w->halted)
		return 0;
	w->irqs_on = arch_irqs_enabled(vcpu);
	r = x86_irq_view(vcpu, &v);
	if (r < 0)
		return r;
	w->lines = x86_open_lines(&v.st);
	w->pending = x86_apic_highest(&v.st.lapic, APIC_IRR) >= 0 ||
		     (v.st.pic[0].chip.pic.irr & ~v.st.pic[0].chip.pic.imr);
	if (x86_lapic_timer_armed(&v))
		w->timer = "the local APIC timer";
	else if (x86_pit_armed(&v.st.pit) && (w->lines & 1))
		w->timer = "the PIT";
	return 0;
}

/* The hlt that kvmdbg retired by hand ended the interrupt shadow of an sti
 * or mov ss before it, as the real one would: else KVM would hold a pending
 * interrupt back and the vCPU would wait for ever. */
int arch_shadow_end(struct vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	if (!ev.interrupt.shadow)
		return 0;
	ev.interrupt.shadow = 0;
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return err_set(errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return 0;
}

int arch_halt(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };
	int r = arch_shadow_end(vcpu);

	if (r == 0 && ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		r = err_set(errno, "KVM_SET_MP_STATE: %s", strerror(errno));
	return r;
}

bool arch_irq_ready(struct vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	if (!arch_irqs_enabled(vcpu) || ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	return !ev.interrupt.shadow && !ev.interrupt.injected && !ev.exception.injected &&
	       !ev.exception.pending && !ev.nmi.injected;
}

int arch_irq_inject(struct vcpu *vcpu, unsigned vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	if (ioctl(vcpu->fd, KVM_INTERRUPT, &irq) < 0)
		return err_set(errno, "KVM_INTERRUPT (vector %#x): %s", vector, strerror(errno));
	return 0;
}

static const char *const x86_delivery[] = { "fixed", "lowest", "SMI", "reserved",
					    "NMI",   "INIT",   "reserved", "ExtINT" };

static void x86_print_vectors(FILE *out, const char *name, const struct kvm_lapic_state *l,
			      unsigned base)
{
	bool any = false;

	fprintf(out, "  %-4s", name);
	for (unsigned v = 0; v < 256; v++) {
		if (x86_apic_reg(l, base + (v / 32) * 0x10) >> (v % 32) & 1) {
			fprintf(out, " %#x", v);
			any = true;
		}
	}
	fprintf(out, "%s\n", any ? "" : " none");
}

static void x86_print_lvt(FILE *out, const char *name, uint32_t v)
{
	fprintf(out, "  %-6s %#010x vector %#x %s%s\n", name, v, v & 0xff,
		x86_delivery[APIC_LVT_DELIVERY(v)], v & APIC_LVT_MASKED ? " masked" : "");
}

static void x86_print_lapic(FILE *out, struct vcpu *vcpu, const struct x86_irq_view *v)
{
	static const char *const modes[] = { "one-shot", "periodic", "TSC deadline", "reserved" };
	const struct kvm_lapic_state *l = &v->st.lapic;
	uint32_t svr = x86_apic_reg(l, APIC_SVR), timer = x86_apic_reg(l, APIC_LVT_TIMER);
	uint32_t tdcr = x86_apic_reg(l, APIC_TDCR);
	unsigned shift = ((tdcr & 3) | (tdcr >> 1 & 4)) + 1;
	uint64_t base = 0;

	arch_msr_read(vcpu, MSR_APIC_BASE, &base);
	fprintf(out, "local APIC  base %#llx%s, id %u, %s, TPR %#x\n",
		(unsigned long long)(base & ~0xfffULL), base & APIC_BASE_ENABLE ? "" : " (disabled)",
		x86_apic_reg(l, APIC_ID) >> 24,
		svr & APIC_SVR_ENABLE ? "software-enabled" : "software-disabled",
		x86_apic_reg(l, APIC_TPR));
	x86_print_vectors(out, "IRR", l, APIC_IRR);
	x86_print_vectors(out, "ISR", l, APIC_ISR);
	fprintf(out, "  timer  %#010x vector %#x %s%s, initial %u, current %u, divide by %u",
		timer, timer & 0xff, modes[APIC_LVT_TIMER_MODE(timer)],
		timer & APIC_LVT_MASKED ? " masked" : "", x86_apic_reg(l, APIC_TMICT),
		x86_apic_reg(l, APIC_TMCCT), shift == 8 ? 1 : 1U << shift);
	if (APIC_LVT_TIMER_MODE(timer) == APIC_TIMER_TSC_DEADLINE)
		fprintf(out, ", deadline %#llx", (unsigned long long)v->deadline);
	fprintf(out, "%s\n", x86_lapic_timer_armed(v) ? " (armed)" : "");
	x86_print_lvt(out, "LINT0", x86_apic_reg(l, APIC_LVT_LINT0));
	x86_print_lvt(out, "LINT1", x86_apic_reg(l, APIC_LVT_LINT1));
}

static void x86_print_pics(FILE *out, const struct x86_irq_state *s)
{
	for (unsigned i = 0; i < 2; i++) {
		const struct kvm_pic_state *p = &s->pic[i].chip.pic;

		fprintf(out, "%-11s vectors 0x%02x-0x%02x, IMR 0x%02x, IRR 0x%02x, ISR 0x%02x%s\n",
			i == 0 ? "PIC master" : "PIC slave", p->irq_base, p->irq_base + 7, p->imr,
			p->irr, p->isr, p->auto_eoi ? ", auto EOI" : "");
	}
}

static void x86_print_ioapic(FILE *out, const struct x86_irq_state *s)
{
	const struct kvm_ioapic_state *io = &s->ioapic.chip.ioapic;
	bool any = false;

	fprintf(out, "IOAPIC      base %#llx, id %u, IRR %#x\n", (unsigned long long)io->base_address,
		io->id, io->irr);
	for (unsigned pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++) {
		uint64_t e = io->redirtbl[pin].bits;

		if (e & IOAPIC_MASKED)
			continue;
		fprintf(out, "  pin %-2u vector %#x %s, %s, %s, destination %#x\n", pin,
			(unsigned)(e & 0xff), x86_delivery[e >> 8 & 7], e >> 15 & 1 ? "level" : "edge",
			e >> 13 & 1 ? "active low" : "active high", (unsigned)(e >> 56));
		any = true;
	}
	if (!any)
		fprintf(out, "  every pin masked\n");
}

static void x86_print_pit(FILE *out, const struct x86_irq_state *s)
{
	for (unsigned i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &s->pit.channels[i];
		uint32_t count = c->count ? c->count : 0x10000;

		if (c->mode > 5) {
			fprintf(out, "PIT %u       not programmed\n", i);
			continue;
		}
		fprintf(out, "PIT %u       mode %u, count %u (%.3f ms)%s%s\n", i, c->mode, count,
			count * 1000.0 / PIT_HZ, c->gate ? "" : ", gate low",
			i == 0 && x86_pit_armed(&s->pit) ? " (armed)" : "");
	}
}

int arch_print_irq(struct vcpu *vcpu, FILE *out)
{
	struct x86_irq_view v;
	struct kvm_vcpu_events ev;

	if (!vcpu->arch->irqchip) {
		fprintf(out, "no interrupt controllers: the machine runs with --irqchip off\n");
		return 0;
	}
	if (x86_irq_view(vcpu, &v) < 0) {
		fprintf(out, "cannot read the interrupt state: %s\n", err_msg());
		return -EIO;
	}
	fprintf(out, "interrupts  %s", arch_irqs_enabled(vcpu) ? "enabled (IF=1)" : "disabled (IF=0)");
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) == 0 && ev.interrupt.injected)
		fprintf(out, ", vector %#x being delivered", ev.interrupt.nr);
	fprintf(out, "\n");
	x86_print_lapic(out, vcpu, &v);
	x86_print_pics(out, &v.st);
	x86_print_ioapic(out, &v.st);
	x86_print_pit(out, &v.st);
	return 0;
}
