/*
 * The MC146818 RTC and CMOS memory, ports 0x70 (index; bit 7 masks NMIs) and
 * 0x71 (data). CMOS bytes hold the memory sizes firmware reads; the rest
 * read as written.
 *
 * Without a clock (KVM's machine) the time is the host's when the machine
 * was made, and stands still: a guest reading it twice sees the same time,
 * BCD, 24-hour, never updating, and the clock's registers take no writes.
 *
 * On instruction-count time (rtc_clock_init) the clock runs on that time:
 * the time registers show the time at power-on plus the clock's seconds, in
 * the format register B asks for (BCD or binary, 12 or 24 hours); the guest
 * may set them (with SET, or one at a time); the periodic interrupt (register
 * A's rate), the update-ended interrupt once a second and the alarm raise
 * IRQ 8 through register C's flags, which a read clears. An update takes no
 * time here, so UIP never reads 1.
 */
#include "devices.h"

#include <time.h>

#include "../mem.h"
#include "layout.h"

#define RTC_SEC 0x00
#define RTC_SEC_ALARM 0x01
#define RTC_MIN 0x02
#define RTC_MIN_ALARM 0x03
#define RTC_HOUR 0x04
#define RTC_HOUR_ALARM 0x05
#define RTC_WDAY 0x06
#define RTC_MDAY 0x07
#define RTC_MON 0x08
#define RTC_YEAR 0x09
#define RTC_A 0x0a
#define RTC_B 0x0b
#define RTC_C 0x0c
#define RTC_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_A_RS 0x0f    /* periodic rate select */
#define RTC_A_UIP 0x80   /* update in progress */
#define RTC_B_SET 0x80   /* the time registers are held for setting */
#define RTC_B_PIE 0x40   /* periodic interrupt enable */
#define RTC_B_AIE 0x20   /* alarm interrupt enable */
#define RTC_B_UIE 0x10   /* update-ended interrupt enable */
#define RTC_B_DM 0x04    /* binary, not BCD */
#define RTC_B_24H 0x02   /* 24-hour mode */
#define RTC_C_IRQF 0x80  /* an enabled flag is set */
#define RTC_C_PF 0x40    /* periodic */
#define RTC_C_AF 0x20    /* alarm */
#define RTC_C_UF 0x10    /* update ended */
#define RTC_HOUR_PM 0x80 /* 12-hour mode: afternoon */
#define RTC_DONT_CARE 0xc0 /* an alarm byte this high matches any value */

#define RTC_NS 1000000000ULL
#define RTC_HZ 32768 /* the time base */

static uint8_t rtc_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static void rtc_set16(struct rtc *r, unsigned at, uint64_t v)
{
	v = v > 0xffff ? 0xffff : v;
	r->cmos[at] = (uint8_t)v;
	r->cmos[at + 1] = (uint8_t)(v >> 8);
}

/* A value for a time register, in register B's format. */
static uint8_t rtc_enc(const struct rtc *r, unsigned v)
{
	return r->cmos[RTC_B] & RTC_B_DM ? (uint8_t)v : rtc_bcd(v);
}

static unsigned rtc_dec(const struct rtc *r, uint8_t b)
{
	return r->cmos[RTC_B] & RTC_B_DM ? b : (unsigned)(b >> 4) * 10 + (b & 0x0f);
}

static uint8_t rtc_enc_hour(const struct rtc *r, unsigned h)
{
	if (r->cmos[RTC_B] & RTC_B_24H)
		return rtc_enc(r, h);
	return (uint8_t)(rtc_enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0));
}

static unsigned rtc_dec_hour(const struct rtc *r, uint8_t b)
{
	if (r->cmos[RTC_B] & RTC_B_24H)
		return rtc_dec(r, b);
	return rtc_dec(r, b & ~RTC_HOUR_PM) % 12 + (b & RTC_HOUR_PM ? 12 : 0);
}

/* The time registers show t (seconds since 1970). */
static void rtc_draw_time(struct rtc *r, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return;
	r->cmos[RTC_SEC] = rtc_enc(r, (unsigned)tm.tm_sec);
	r->cmos[RTC_MIN] = rtc_enc(r, (unsigned)tm.tm_min);
	r->cmos[RTC_HOUR] = rtc_enc_hour(r, (unsigned)tm.tm_hour);
	r->cmos[RTC_WDAY] = rtc_enc(r, (unsigned)tm.tm_wday + 1);
	r->cmos[RTC_MDAY] = rtc_enc(r, (unsigned)tm.tm_mday);
	r->cmos[RTC_MON] = rtc_enc(r, (unsigned)tm.tm_mon + 1);
	r->cmos[RTC_YEAR] = rtc_enc(r, (unsigned)(tm.tm_year % 100));
	r->cmos[RTC_CENTURY] = rtc_enc(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* The time the registers show (whatever the guest wrote into them). */
static int64_t rtc_read_time(const struct rtc *r)
{
	unsigned century = rtc_dec(r, r->cmos[RTC_CENTURY]);
	struct tm tm = {
		.tm_sec = (int)rtc_dec(r, r->cmos[RTC_SEC]),
		.tm_min = (int)rtc_dec(r, r->cmos[RTC_MIN]),
		.tm_hour = (int)rtc_dec_hour(r, r->cmos[RTC_HOUR]),
		.tm_mday = (int)rtc_dec(r, r->cmos[RTC_MDAY]),
		.tm_mon = (int)rtc_dec(r, r->cmos[RTC_MON]) - 1,
		.tm_year = (int)((century ? century : 20) * 100 + rtc_dec(r, r->cmos[RTC_YEAR])) - 1900,
	};

	return (int64_t)timegm(&tm);
}

void rtc_init(struct rtc *r, const struct mem *mem)
{
	uint64_t above_16m = 0, above_4g = mem->size - mem->low_size;

	*r = (struct rtc){ .base = (int64_t)time(NULL) };
	r->cmos[RTC_A] = 0x26; /* 32.768 kHz base, 1024 Hz; no update in progress */
	r->cmos[RTC_B] = 0x02; /* 24-hour, BCD, no interrupts */
	r->cmos[RTC_D] = 0x80; /* the battery is good */
	rtc_draw_time(r, r->base);
	/* Memory, as firmware reads it: base (KiB), 1-16 MiB (KiB), over 16 MiB
	 * (64 KiB units), over 4 GiB (64 KiB units, 3 bytes). */
	rtc_set16(r, 0x15, 640);
	rtc_set16(r, 0x17, mem->low_size > (1 << 20) ? (mem->low_size - (1 << 20)) >> 10 : 0);
	r->cmos[0x30] = r->cmos[0x17];
	r->cmos[0x31] = r->cmos[0x18];
	if (mem->low_size > (16 << 20))
		above_16m = (mem->low_size - (16 << 20)) >> 16;
	rtc_set16(r, 0x34, above_16m);
	above_4g >>= 16;
	r->cmos[0x5b] = (uint8_t)above_4g;
	r->cmos[0x5c] = (uint8_t)(above_4g >> 8);
	r->cmos[0x5d] = (uint8_t)(above_4g >> 16);
}

/* The periodic interrupt's period in ticks of the 32.768 kHz base (0: off). */
static uint64_t rtc_period(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_A] & RTC_A_RS;

	if (!rs)
		return 0;
	return rs < 3 ? 1ULL << (rs + 6) : 1ULL << (rs - 1);
}

/* The first periodic tick after now, in the clock's nanoseconds. */
static uint64_t rtc_next_tick(const struct rtc *r, uint64_t now)
{
	uint64_t period = rtc_period(r);
	unsigned __int128 ticks, ns;

	if (!period)
		return UINT64_MAX;
	ticks = (unsigned __int128)now * RTC_HZ / RTC_NS;
	ticks = (ticks / period + 1) * period;
	ns = (ticks * RTC_NS + RTC_HZ - 1) / RTC_HZ;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

void rtc_clock_init(struct rtc *r, const struct devices_clock *clock,
		    const struct devices_irq *irq)
{
	r->clock = clock;
	r->irq = irq;
	r->next_pf = rtc_next_tick(r, 0);
	r->next_second = RTC_NS;
}

static uint64_t rtc_now(const struct rtc *r)
{
	return r->clock->now(r->clock->opaque);
}

/* The time registers: the time now, unless the guest holds them. */
static void rtc_draw(struct rtc *r)
{
	if (r->clock && !(r->cmos[RTC_B] & RTC_B_SET))
		rtc_draw_time(r, r->base + (int64_t)(rtc_now(r) / RTC_NS));
}

/* The time becomes what the registers show. */
static void rtc_set_time(struct rtc *r)
{
	r->base = rtc_read_time(r) - (int64_t)(rtc_now(r) / RTC_NS);
}

static bool rtc_alarm_matches(const struct rtc *r)
{
	static const unsigned pairs[][2] = { { RTC_SEC_ALARM, RTC_SEC },
					     { RTC_MIN_ALARM, RTC_MIN },
					     { RTC_HOUR_ALARM, RTC_HOUR } };

	for (unsigned i = 0; i < 3; i++) {
		uint8_t a = r->cmos[pairs[i][0]];

		if ((a & RTC_DONT_CARE) != RTC_DONT_CARE && a != r->cmos[pairs[i][1]])
			return false;
	}
	return true;
}

/* IRQ 8 at the level register C's enabled flags ask for. */
static void rtc_update_line(struct rtc *r)
{
	uint8_t c = r->cmos[RTC_C] & ~RTC_C_IRQF;
	bool level = c & r->cmos[RTC_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF);

	r->cmos[RTC_C] = (uint8_t)(c | (level ? RTC_C_IRQF : 0));
	if (level != r->line && r->irq) {
		r->line = level;
		r->irq->set(r->irq->opaque, LAYOUT_RTC_IRQ, level);
	}
}

void rtc_update(struct rtc *r)
{
	uint64_t now;

	if (!r->clock)
		return;
	now = rtc_now(r);
	if (now < r->next_pf && now < r->next_second)
		return;
	if (now >= r->next_pf) {
		r->cmos[RTC_C] |= RTC_C_PF;
		r->next_pf = rtc_next_tick(r, now);
	}
	if (now >= r->next_second) {
		r->next_second = (now / RTC_NS + 1) * RTC_NS;
		if (!(r->cmos[RTC_B] & RTC_B_SET)) {
			rtc_draw(r);
			r->cmos[RTC_C] |= RTC_C_UF | (rtc_alarm_matches(r) ? RTC_C_AF : 0);
		}
	}
	rtc_update_line(r);
}

uint64_t rtc_next(const struct rtc *r)
{
	uint8_t b = r->cmos[RTC_B];
	uint64_t pf = b & RTC_B_PIE ? r->next_pf : UINT64_MAX;
	uint64_t sec = (b & (RTC_B_UIE | RTC_B_AIE)) && !(b & RTC_B_SET) ? r->next_second
									  : UINT64_MAX;

	return r->clock ? (pf < sec ? pf : sec) : UINT64_MAX;
}

void rtc_print(struct rtc *r, FILE *out)
{
	uint8_t b = r->cmos[RTC_B];
	uint64_t period = rtc_period(r);
	time_t t;
	struct tm tm;

	rtc_update(r);
	t = (time_t)(b & RTC_B_SET ? rtc_read_time(r) : r->base + (int64_t)(rtc_now(r) / RTC_NS));
	fprintf(out, "RTC         ");
	if (gmtime_r(&t, &tm))
		fprintf(out, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	fprintf(out, "%s (%s, %s hours)", b & RTC_B_SET ? ", held (SET)" : "",
		b & RTC_B_DM ? "binary" : "BCD", b & RTC_B_24H ? "24" : "12");
	if (period)
		fprintf(out, ", periodic %llu Hz%s", (unsigned long long)(RTC_HZ / period),
			b & RTC_B_PIE ? " interrupting" : "");
	fprintf(out, "%s%s, register C 0x%02x", b & RTC_B_UIE ? ", update-ended interrupt" : "",
		b & RTC_B_AIE ? ", alarm interrupt" : "", r->cmos[RTC_C]);
	if (rtc_next(r) != UINT64_MAX)
		fprintf(out, ", interrupts at %llu ns", (unsigned long long)rtc_next(r));
	fputc('\n', out);
}

const char *rtc_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	return offset == 0 ? "INDEX" : "DATA";
}

/* A write to the clock's registers, on instruction-count time. */
static void rtc_clock_write(struct rtc *r, uint8_t v)
{
	uint8_t was = r->cmos[RTC_B];

	switch (r->index) {
	case RTC_A:
		r->cmos[RTC_A] = v & ~RTC_A_UIP;
		r->next_pf = rtc_next_tick(r, rtc_now(r));
		return;
	case RTC_B:
		/* Setting SET ends the update-ended interrupt, as the chip does. */
		r->cmos[RTC_B] = v & RTC_B_SET ? v & ~RTC_B_UIE : v;
		if ((was & RTC_B_SET) && !(v & RTC_B_SET))
			rtc_set_time(r);
		else if (!(v & RTC_B_SET) && ((was ^ v) & (RTC_B_DM | RTC_B_24H)))
			rtc_draw(r);
		rtc_update_line(r);
		return;
	case RTC_C:
	case RTC_D:
		return; /* read-only */
	case RTC_SEC:
	case RTC_MIN:
	case RTC_HOUR:
	case RTC_WDAY:
	case RTC_MDAY:
	case RTC_MON:
	case RTC_YEAR:
	case RTC_CENTURY:
		/* One register while the clock runs: the time moves to it. */
		r->cmos[r->index] = v;
		if (!(r->cmos[RTC_B] & RTC_B_SET))
			rtc_set_time(r);
		return;
	default:
		r->cmos[r->index] = v;
		return;
	}
}

enum io_result rtc_access(void *opaque, struct io_access *acc)
{
	struct rtc *r = opaque;

	if (acc->offset == 0) {
		if (acc->is_write)
			r->index = (uint8_t)(acc->value & 0x7f);
		else
			acc->value = r->index;
		return IO_DONE;
	}
	rtc_update(r);
	if (!acc->is_write) {
		if (r->index < RTC_A || r->index == RTC_CENTURY)
			rtc_draw(r);
		acc->value = r->cmos[r->index];
		if (r->index == RTC_C) { /* interrupt flags: read clears them */
			r->cmos[RTC_C] = 0;
			if (r->clock)
				rtc_update_line(r);
		}
		return IO_DONE;
	}
	if (r->clock) {
		rtc_clock_write(r, (uint8_t)acc->value);
		return IO_DONE;
	}
	/* The clock and status registers stay as they are; CMOS memory takes writes. */
	if (r->index >= 0x0e && r->index != RTC_CENTURY)
		r->cmos[r->index] = (uint8_t)acc->value;
	return IO_DONE;
}
