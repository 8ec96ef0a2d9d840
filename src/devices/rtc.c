/*
 * The MC146818 RTC and CMOS memory, ports 0x70 (index; bit 7 masks NMIs) and
 * 0x71 (data). The clock shows the host's time when the machine was made,
 * and stands still: a guest reading it twice sees the same time, and a replay
 * (history) sees what the first run saw. BCD, 24-hour, never updating. CMOS
 * bytes hold the memory sizes firmware reads; the rest read as written.
 */
#include "devices.h"

#include <time.h>

#include "../mem.h"
#include "layout.h"

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

void rtc_init(struct rtc *r, const struct mem *mem)
{
	time_t now = time(NULL);
	struct tm tm;
	uint64_t above_16m = 0, above_4g = mem->size - mem->low_size;

	*r = (struct rtc){ 0 };
	gmtime_r(&now, &tm);
	r->cmos[0x00] = rtc_bcd((unsigned)tm.tm_sec);
	r->cmos[0x02] = rtc_bcd((unsigned)tm.tm_min);
	r->cmos[0x04] = rtc_bcd((unsigned)tm.tm_hour);
	r->cmos[0x06] = rtc_bcd((unsigned)tm.tm_wday + 1);
	r->cmos[0x07] = rtc_bcd((unsigned)tm.tm_mday);
	r->cmos[0x08] = rtc_bcd((unsigned)tm.tm_mon + 1);
	r->cmos[0x09] = rtc_bcd((unsigned)tm.tm_year % 100);
	r->cmos[0x32] = rtc_bcd((unsigned)(tm.tm_year + 1900) / 100);
	r->cmos[0x0a] = 0x26;      /* 32.768 kHz base, 1024 Hz; no update in progress */
	r->cmos[0x0b] = 0x02;      /* 24-hour, BCD, no interrupts */
	r->cmos[0x0d] = 0x80;      /* the battery is good */
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

const char *rtc_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	return offset == 0 ? "INDEX" : "DATA";
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
	if (!acc->is_write) {
		acc->value = r->cmos[r->index];
		if (r->index == 0x0c) /* interrupt flags: read clears them */
			r->cmos[0x0c] = 0;
		return IO_DONE;
	}
	/* The clock and status registers stay as they are; CMOS memory takes writes. */
	if (r->index >= 0x0e && r->index != 0x32)
		r->cmos[r->index] = (uint8_t)acc->value;
	return IO_DONE;
}
