/*
 * Unit test of kvmdbg's own 8259A pair, 8254 PIT and, on instruction-count
 * time, MC146818 RTC (src/devices/pic.c, pit.c, rtc.c), driven through their
 * ports as a guest drives them, on a clock the test sets. No KVM.
 */
#include "../../src/devices/devices.h"
#include "../../src/mem.h"
#include "unit.h"

static struct pic_pair pic;
static struct pit pit;
static struct rtc rtc;
static uint64_t now_ns;
static unsigned irq0_edges, irq8_edges;
static bool irq8;

static uint64_t clock_now(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static void irq_set(void *opaque, unsigned irq, bool level)
{
	(void)opaque;
	if (irq == 0 && level)
		irq0_edges++;
	if (irq == 8) {
		irq8_edges += level && !irq8;
		irq8 = level;
	}
	pic_set_irq(&pic, irq, level);
}

static const struct devices_clock clock = { clock_now, NULL };
static const struct devices_irq irq = { irq_set, NULL };

/* One byte of port I/O to the device at port, as the bus would route it. */
static uint8_t port_io(uint16_t port, bool is_write, uint8_t v)
{
	struct io_access acc = { .space = IO_PIO, .addr = port, .offset = port & 1, .size = 1,
				 .is_write = is_write, .value = v };

	if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1) {
		pic_access(&pic, &acc);
	} else if (port == 0x4d0 || port == 0x4d1) {
		pic_elcr_access(&pic, &acc);
	} else if (port == 0x70 || port == 0x71) {
		rtc_access(&rtc, &acc);
	} else if (port == 0x61) {
		acc.offset = 0;
		pit_portb_access(&pit, &acc);
	} else {
		acc.offset = port - 0x40;
		pit_access(&pit, &acc);
	}
	return (uint8_t)acc.value;
}

static void out(uint16_t port, uint8_t v)
{
	port_io(port, true, v);
}

static uint8_t in(uint16_t port)
{
	return port_io(port, false, 0);
}

/* What Linux and every BIOS write: vectors 0x20 and 0x28, cascade on 2. */
static void pic_setup(uint8_t icw4)
{
	out(0x20, 0x11);
	out(0x21, 0x20);
	out(0x21, 0x04);
	out(0x21, icw4);
	out(0xa0, 0x11);
	out(0xa1, 0x28);
	out(0xa1, 0x02);
	out(0xa1, icw4);
	out(0x21, 0x00);
	out(0xa1, 0x00);
}

static void test_pic(void)
{
	pic_init(&pic);
	/* Uninitialised: a request reaches no one. */
	pic_set_irq(&pic, 1, true);
	CHECK(pic_intr(&pic) == -1);
	pic_set_irq(&pic, 1, false);

	pic_setup(0x01);
	CHECK(pic_intr(&pic) == -1);
	/* An edge on IRQ 1, then on IRQ 0 (higher priority) before the ack. */
	pic_set_irq(&pic, 1, true);
	CHECK(pic_intr(&pic) == 0x21);
	pic_set_irq(&pic, 0, true);
	CHECK(pic_intr(&pic) == 0x20);
	CHECK(pic_ack(&pic) == 0x20);
	/* IRQ 0 in service blocks IRQ 1 until its EOI. */
	CHECK(pic_intr(&pic) == -1);
	out(0x20, 0x0b); /* OCW3: read the ISR */
	CHECK(in(0x20) == 0x01);
	out(0x20, 0x0a); /* OCW3: read the IRR */
	CHECK(in(0x20) == 0x02);
	out(0x20, 0x20); /* non-specific EOI */
	CHECK(pic_intr(&pic) == 0x21);
	CHECK(pic_ack(&pic) == 0x21);
	/* A level still high makes no second edge-triggered request. */
	out(0x20, 0x20);
	CHECK(pic_intr(&pic) == -1);
	pic_set_irq(&pic, 0, false);
	pic_set_irq(&pic, 1, false);

	/* The mask. */
	out(0x21, 0x01);
	CHECK(in(0x21) == 0x01);
	pic_set_irq(&pic, 0, true);
	CHECK(pic_intr(&pic) == -1);
	out(0x21, 0x00);
	CHECK(pic_intr(&pic) == 0x20);
	pic_set_irq(&pic, 0, false);
	/* Withdrawn before the ack: nothing, and an ack then is spurious 7. */
	CHECK(pic_intr(&pic) == -1);
	CHECK(pic_ack(&pic) == 0x27);
	out(0x20, 0x0b);
	CHECK(in(0x20) == 0x00);

	/* The slave through the cascade: IRQ 12 gives vector 0x2c; both chips
	 * hold it in service, and each needs its EOI. */
	pic_set_irq(&pic, 12, true);
	CHECK(pic_intr(&pic) == 0x2c);
	CHECK(pic_ack(&pic) == 0x2c);
	out(0x20, 0x0b);
	CHECK(in(0x20) == 0x04);
	out(0xa0, 0x0b);
	CHECK(in(0xa0) == 0x10);
	/* IRQ 8 (higher on the slave) waits for the master's EOI (no SFNM). */
	pic_set_irq(&pic, 8, true);
	CHECK(pic_intr(&pic) == -1);
	out(0xa0, 0x20);
	out(0x20, 0x20);
	CHECK(pic_intr(&pic) == 0x28);
	CHECK(pic_ack(&pic) == 0x28);
	out(0xa0, 0x64); /* specific EOI for input 4 (none there now) */
	out(0xa0, 0x60); /* specific EOI for input 0 */
	out(0x20, 0x62);
	out(0xa0, 0x0b);
	CHECK(in(0xa0) == 0x00);
	out(0x20, 0x0b);
	CHECK(in(0x20) == 0x00);
	pic_set_irq(&pic, 8, false);
	pic_set_irq(&pic, 12, false);
	/* ISA IRQ 2 is IRQ 9. */
	pic_set_irq(&pic, 2, true);
	CHECK(pic_intr(&pic) == 0x29);
	CHECK(pic_ack(&pic) == 0x29);
	out(0xa0, 0x20);
	out(0x20, 0x20);
	pic_set_irq(&pic, 2, false);

	/* Level-triggered through the ELCR (not IRQ 0-2, 8, 13): IRQ 10
	 * requests again after its EOI while the line stays high. */
	out(0x4d1, 0xff);
	CHECK(in(0x4d1) == 0xde);
	out(0x4d0, 0xff);
	CHECK(in(0x4d0) == 0xf8);
	pic_set_irq(&pic, 10, true);
	CHECK(pic_ack(&pic) == 0x2a);
	out(0xa0, 0x20);
	out(0x20, 0x20);
	CHECK(pic_intr(&pic) == 0x2a);
	pic_set_irq(&pic, 10, false);
	CHECK(pic_intr(&pic) == -1);
	out(0x4d0, 0);
	out(0x4d1, 0);

	/* Poll: the request without an acknowledge cycle. */
	pic_set_irq(&pic, 3, true);
	out(0x20, 0x0c);
	CHECK(in(0x20) == 0x83);
	out(0x20, 0x0b);
	CHECK(in(0x20) == 0x08);
	out(0x20, 0x20);
	out(0x20, 0x0c);
	CHECK(in(0x20) == 0x00);
	pic_set_irq(&pic, 3, false);

	/* Rotation: after a rotating EOI of IRQ 3, IRQ 4 outranks IRQ 0. */
	pic_set_irq(&pic, 3, true);
	CHECK(pic_ack(&pic) == 0x23);
	out(0x20, 0xa0);
	pic_set_irq(&pic, 3, false);
	pic_set_irq(&pic, 0, true);
	pic_set_irq(&pic, 4, true);
	CHECK(pic_intr(&pic) == 0x24);
	out(0x20, 0xc7); /* set priority: 7 lowest again */
	CHECK(pic_intr(&pic) == 0x20);
	pic_set_irq(&pic, 0, false);
	pic_set_irq(&pic, 4, false);

	/* Automatic EOI: nothing stays in service. */
	pic_setup(0x03);
	pic_set_irq(&pic, 5, true);
	CHECK(pic_ack(&pic) == 0x25);
	out(0x20, 0x0b);
	CHECK(in(0x20) == 0x00);
	pic_set_irq(&pic, 5, false);
	/* ICW1 again: the mask is cleared, requests forgotten, the ICWs
	 * needed again before anything reaches the CPU. */
	out(0x21, 0xff);
	pic_set_irq(&pic, 6, true);
	out(0x20, 0x11);
	CHECK(in(0x21) == 0x00);
	CHECK(pic_intr(&pic) == -1);
	out(0x21, 0x30);
	out(0x21, 0x04);
	out(0x21, 0x01);
	CHECK(pic_intr(&pic) == -1); /* the high line made its edge before */
	pic_set_irq(&pic, 6, false);
	pic_set_irq(&pic, 6, true);
	CHECK(pic_intr(&pic) == 0x36);
}

/* Writes a 16-bit count to counter c after the control word. */
static void pit_program(unsigned c, unsigned mode, uint16_t count)
{
	out(0x43, (uint8_t)(c << 6 | 3 << 4 | mode << 1));
	out((uint16_t)(0x40 + c), (uint8_t)count);
	out((uint16_t)(0x40 + c), (uint8_t)(count >> 8));
}

static uint16_t pit_latched(unsigned c)
{
	uint8_t lo, hi;

	out(0x43, (uint8_t)(c << 6));
	lo = in((uint16_t)(0x40 + c));
	hi = in((uint16_t)(0x40 + c));
	return (uint16_t)(lo | hi << 8);
}

/* Nanoseconds of n PIT input ticks, rounded up. */
static uint64_t ticks_ns(uint64_t n)
{
	return (n * 1000000000ULL + 1193181) / 1193182;
}

static void test_pit(void)
{
	uint64_t next, period;

	pic_init(&pic);
	pic_setup(0x01);
	now_ns = 0;
	irq0_edges = 0;
	pit_init(&pit, &clock, &irq);
	/* Unprogrammed: no IRQ 0, ever. */
	CHECK(pit_next(&pit) == UINT64_MAX);
	now_ns = 1000000000;
	pit_update(&pit);
	CHECK(irq0_edges == 0);

	/* Mode 2 at 1193 ticks: an edge every 1193 ticks, exactly when
	 * pit_next() says, and none before. */
	pit_program(0, 2, 1193);
	period = ticks_ns(1193);
	CHECK(pit_latched(0) == 1193);
	pit_update(&pit);
	CHECK(irq0_edges == 0); /* high before the mode and after it: no edge */
	for (unsigned i = 0; i < 5; i++) {
		unsigned edges = irq0_edges;

		next = pit_next(&pit); /* the output falls a tick before the period */
		CHECK(next > now_ns);
		now_ns = next - 1;
		pit_update(&pit);
		CHECK(irq0_edges == edges);
		now_ns = next;
		pit_update(&pit);
		next = pit_next(&pit); /* and rises at it */
		now_ns = next;
		pit_update(&pit);
		CHECK(irq0_edges == edges + 1);
		CHECK(pic_ack(&pic) == 0x20);
		out(0x20, 0x20);
	}
	/* Five periods from the load at 1 s (rounding: a few ns). */
	CHECK(now_ns + 5 >= 1000000000 + 5 * period && now_ns <= 1000000000 + 5 * period);
	/* The count falls with time. */
	now_ns += ticks_ns(100);
	CHECK(pit_latched(0) == 1193 - 100 || pit_latched(0) == 1193 - 101);

	/* Mode 0 on counter 2, gated through port 0x61 (as Linux calibrates):
	 * OUT2 at bit 5 rises after the count, not before; the gate low pauses. */
	out(0x61, 0x00);
	pit_program(2, 0, 1000);
	CHECK((in(0x61) & 0x20) == 0);
	now_ns += ticks_ns(2000);
	CHECK((in(0x61) & 0x20) == 0); /* the gate is low: no counting */
	out(0x61, 0x01);
	now_ns += ticks_ns(500);
	CHECK((in(0x61) & 0x20) == 0);
	out(0x61, 0x00);
	now_ns += ticks_ns(5000);
	CHECK((in(0x61) & 0x20) == 0);
	out(0x61, 0x01);
	now_ns += ticks_ns(499);
	CHECK((in(0x61) & 0x20) == 0);
	now_ns += ticks_ns(2);
	CHECK((in(0x61) & 0x21) == 0x21);
	/* The refresh bit toggles with time. */
	{
		uint8_t a = in(0x61) & 0x10, b;

		now_ns += 15085;
		b = in(0x61) & 0x10;
		CHECK(a != b);
	}

	/* Read-back: status then count of counter 2 (mode 0, word access, OUT high). */
	out(0x43, 0xc0 | 0x08);
	CHECK(in(0x42) == (0x80 | 0x30 | 0 << 1));
	(void)in(0x42);
	(void)in(0x42);
	/* Low byte only, mode 3, count 0 (65536): a square wave; each rising
	 * edge 65536 ticks apart. */
	out(0x43, 0x00 << 6 | 1 << 4 | 3 << 1);
	out(0x40, 0);
	pit_update(&pit);
	{
		uint64_t first, second;
		unsigned edges;

		next = pit_next(&pit); /* falls at half */
		now_ns = next;
		pit_update(&pit);
		first = pit_next(&pit);
		now_ns = first;
		edges = irq0_edges;
		pit_update(&pit);
		CHECK(irq0_edges == edges + 1);
		now_ns = pit_next(&pit);
		pit_update(&pit);
		second = pit_next(&pit);
		CHECK(second - first >= ticks_ns(65536) - 1 && second - first <= ticks_ns(65536) + 1);
	}
	/* A new control word stops it: mode 0, no count yet, output low. */
	out(0x43, 0x30);
	pit_update(&pit);
	CHECK(pit_next(&pit) == UINT64_MAX);
	/* BCD: 100 in BCD counts 100 ticks. */
	out(0x43, 0x31);
	out(0x40, 0x00);
	out(0x40, 0x01);
	next = pit_next(&pit);
	CHECK(next - now_ns >= ticks_ns(99) && next - now_ns <= ticks_ns(101));
	now_ns += ticks_ns(10);
	{
		uint16_t v = pit_latched(0);

		CHECK(v == 0x0090 || v == 0x0089);
	}
}

/* CMOS register reg. */
static uint8_t cmos(uint8_t reg)
{
	out(0x70, reg);
	return in(0x71);
}

static void cmos_set(uint8_t reg, uint8_t v)
{
	out(0x70, reg);
	out(0x71, v);
}

/* At clock time ns: the RTC catches up (as at every instruction boundary). */
static void rtc_at(uint64_t ns)
{
	now_ns = ns;
	rtc_update(&rtc);
}

static void test_rtc(void)
{
	struct mem mem = { .size = 8 << 20, .low_size = 8 << 20 };
	static const uint8_t y2k[] = { 0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19 };
	static const uint8_t regs[] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };

	now_ns = 0;
	rtc_init(&rtc, &mem);
	rtc_clock_init(&rtc, &clock, &irq);
	CHECK(cmos(0x0a) == 0x26 && cmos(0x0b) == 0x02 && cmos(0x0d) == 0x80);
	CHECK(rtc_next(&rtc) == UINT64_MAX); /* no interrupt enabled */
	/* Set with SET held: 1999-12-31 23:59:59 (BCD, 24 hours), let go at 0.5 s. */
	cmos_set(0x0b, 0x82);
	for (unsigned i = 0; i < sizeof(regs); i++)
		cmos_set(regs[i], y2k[i]);
	rtc_at(1200000000);
	CHECK(cmos(0x00) == 0x59); /* held: it does not count */
	rtc_at(1500000000);
	cmos_set(0x0b, 0x02);
	rtc_at(1999999999);
	CHECK(cmos(0x00) == 0x59 && cmos(0x04) == 0x23 && cmos(0x09) == 0x99);
	/* The clock's next second: the new century. */
	rtc_at(2000000000);
	static const uint8_t y2k_after[] = { 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20 };

	for (unsigned i = 0; i < sizeof(regs); i++)
		CHECK(cmos(regs[i]) == y2k_after[i]);
	CHECK(cmos(0x06) == 0x07); /* a Saturday */
	CHECK((cmos(0x0c) & 0x10) == 0x10); /* update ended; read clears it */
	CHECK(cmos(0x0c) == 0);
	CHECK(irq8_edges == 0); /* none enabled */
	/* Binary, 12 hours: midnight is 12 AM, 13:00 is 1 PM. */
	cmos_set(0x0b, 0x04);
	CHECK(cmos(0x04) == 12 && cmos(0x00) == 0 && cmos(0x32) == 20);
	cmos_set(0x04, 0x81); /* 1 PM: the time moves to 13:00:00 */
	rtc_at(2000000000 + 61ULL * 1000000000);
	CHECK(cmos(0x04) == 0x81 && cmos(0x02) == 1 && cmos(0x00) == 1);
	cmos_set(0x0b, 0x06);
	CHECK(cmos(0x04) == 13);
	/* Periodic at 8192 Hz (rate 3): 4 ticks of 32.768 kHz, 122070.3125 ns. */
	irq8_edges = 0;
	rtc_at(0x10000000000ULL);
	cmos(0x0c);
	cmos_set(0x0a, 0x23);
	cmos_set(0x0b, 0x46); /* PIE */
	uint64_t t0 = rtc_next(&rtc);

	CHECK(t0 > now_ns && t0 - now_ns <= 122071);
	rtc_at(t0 - 1);
	CHECK(!irq8 && cmos(0x0c) == 0);
	rtc_at(t0);
	CHECK(irq8 && irq8_edges == 1);
	CHECK(cmos(0x0c) == 0xc0); /* IRQF, PF; read clears, IRQ 8 falls */
	CHECK(!irq8);
	/* Ten periods later, the ticks are 122070 or 122071 ns apart. */
	for (unsigned i = 0; i < 10; i++) {
		uint64_t t = rtc_next(&rtc);

		CHECK(t - now_ns == 122070 || t - now_ns == 122071);
		rtc_at(t);
		CHECK(cmos(0x0c) == 0xc0);
	}
	CHECK(irq8_edges == 11);
	/* Rate 0: no periodic interrupt at all. */
	cmos_set(0x0a, 0x20);
	CHECK(rtc_next(&rtc) == UINT64_MAX);
	/* Update-ended, once a second; the alarm at second 5 (any minute, hour). */
	cmos_set(0x0b, 0x16); /* UIE, binary, 24 hours */
	cmos_set(0x01, 5);
	cmos_set(0x03, 0xc0);
	cmos_set(0x05, 0xff);
	unsigned alarms = 0, updates = 0;

	for (unsigned s = 0; s < 120; s++) {
		uint64_t t = rtc_next(&rtc);

		CHECK(t % 1000000000 == 0);
		rtc_at(t);
		uint8_t c = cmos(0x0c);

		updates += (c & 0x90) == 0x90;
		alarms += (c & 0x20) != 0;
		if (c & 0x20)
			CHECK(cmos(0x00) == 5);
		if (s == 60)
			cmos_set(0x0b, 0x36); /* AIE too */
	}
	CHECK(updates == 120);
	CHECK(alarms == 2); /* its flag comes whether enabled or not */
	/* SET ends the update-ended interrupt and holds the time. */
	cmos_set(0x0b, 0xb6);
	CHECK(cmos(0x0b) == 0xa6);
	CHECK(rtc_next(&rtc) == UINT64_MAX);
}

int main(void)
{
	test_pic();
	test_pit();
	test_rtc();
	return unit_done();
}
