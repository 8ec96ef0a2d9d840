/*
 * The PC's 8254 PIT, kvmdbg's own (issue 25: interrupts on instruction-count
 * time): counters 0-2 at ports 0x40-0x42, the control word at 0x43, and port
 * 0x61 (system control port B: counter 2's gate and output, the speaker, the
 * refresh toggle). It runs on the machine's clock (struct devices_clock, in
 * nanoseconds of virtual time), never the host's: its input is 1193182 Hz of
 * that time. Counter 0's output is IRQ 0, set by pit_update(); pit_next() says
 * when it changes next. As KVM's PIT, the counters are unprogrammed at power
 * on, their outputs high: no IRQ 0 until the guest sets a mode and a count
 * and the count runs out.
 */
#include "devices.h"

#include <string.h>

#define PIT_HZ 1193182ULL
#define PIT_NS 1000000000ULL
#define PIT_CONTROL 3        /* the control word's offset */
#define PIT_READ_BACK 3      /* the control word's counter field: read-back */
#define PIT_RB_NO_COUNT 0x20 /* read-back: do not latch the counts */
#define PIT_RB_NO_STATUS 0x10
#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL 0x40
#define PIT_ACCESS_LATCH 0    /* the control word's access field: latch the count */
#define PIT_ACCESS_LOW 1
#define PIT_ACCESS_HIGH 2
#define PIT_ACCESS_WORD 3
/* Port 0x61. */
#define PORTB_GATE2 0x01
#define PORTB_SPEAKER 0x02
#define PORTB_REFRESH 0x10   /* toggles every 15.085 µs */
#define PORTB_OUT2 0x20
#define PORTB_REFRESH_NS 15085

/* PIT input ticks at virtual time ns. */
static uint64_t pit_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / PIT_NS);
}

/* The first virtual time at which pit_ticks() reaches ticks. */
static uint64_t pit_ns(uint64_t ticks)
{
	unsigned __int128 ns = ((unsigned __int128)ticks * PIT_NS + PIT_HZ - 1) / PIT_HZ;

	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint64_t pit_now(const struct pit *p)
{
	return p->clock ? p->clock->now(p->clock->opaque) : 0;
}

/* Ticks counted by the counter at tick t. */
static uint64_t pit_elapsed(const struct pit_channel *c, uint64_t t)
{
	return c->held + (c->running && t > c->start ? t - c->start : 0);
}

static bool pit_out_at(const struct pit_channel *c, uint64_t d)
{
	uint64_t n = c->count;

	switch (c->mode) {
	case 0:
		return c->loaded && d >= n;
	case 1:
		return !c->started || d >= n;
	case 2:
		return !c->running || d % n != n - 1;
	case 3:
		return !c->running || d % n < (n + 1) / 2;
	case 4:
	case 5:
		return !c->started || d != n;
	default:
		return true; /* unprogrammed: high, as after any control word but mode 0's */
	}
}

static bool pit_out(const struct pit_channel *c, uint64_t t)
{
	return pit_out_at(c, pit_elapsed(c, t));
}

/* The counter's next output change after tick t, in ticks; UINT64_MAX if none. */
static uint64_t pit_change(const struct pit_channel *c, uint64_t t)
{
	uint64_t d = pit_elapsed(c, t), n = c->count, r, at;

	if (!c->running || c->mode > 5)
		return UINT64_MAX;
	switch (c->mode) {
	case 0:
	case 1:
		if (d >= n)
			return UINT64_MAX;
		at = n;
		break;
	case 2:
		r = d % n;
		at = d - r + (r < n - 1 ? n - 1 : n);
		break;
	case 3:
		r = d % n;
		at = d - r + (r < (n + 1) / 2 ? (n + 1) / 2 : n);
		break;
	default:
		if (d > n)
			return UINT64_MAX;
		at = d < n ? n : n + 1;
		break;
	}
	return c->start + (at - c->held);
}

static unsigned pit_from_bcd(unsigned v)
{
	return (v >> 12 & 0xf) * 1000 + (v >> 8 & 0xf) * 100 + (v >> 4 & 0xf) * 10 + (v & 0xf);
}

static unsigned pit_to_bcd(unsigned v)
{
	return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
}

/* The count a read shows at tick t. */
static uint16_t pit_count(const struct pit_channel *c, uint64_t t)
{
	uint64_t d = pit_elapsed(c, t), n = c->count, v;

	if (!c->loaded)
		return 0;
	switch (c->mode) {
	case 2:
		v = n - d % n;
		break;
	case 3:
		v = (n - (2 * d) % n) & ~1ULL;
		break;
	default:
		v = (n + (c->bcd ? 10000 : 65536) - d % (c->bcd ? 10000 : 65536)) %
		    (c->bcd ? 10000 : 65536);
		break;
	}
	return (uint16_t)(c->bcd ? pit_to_bcd((unsigned)(v % 10000)) : v & 0xffff);
}

/* Counting starts (or stops, the gate low) at tick t. */
static void pit_run(struct pit_channel *c, uint64_t t, bool run)
{
	if (run == c->running)
		return;
	if (c->running)
		c->held += t - c->start;
	c->running = run;
	c->start = t;
	if (run)
		c->started = true;
}

/* Counting from the start of the count at tick t. */
static void pit_restart(struct pit_channel *c, uint64_t t)
{
	c->running = false;
	c->held = 0;
	pit_run(c, t, true);
}

static void pit_set_gate(struct pit_channel *c, uint64_t t, bool gate)
{
	bool rise = gate && !c->gate;

	c->gate = gate;
	if (!c->loaded)
		return;
	switch (c->mode) {
	case 0:
	case 4:
		pit_run(c, t, gate); /* the gate pauses the count */
		break;
	case 2:
	case 3:
		/* Low: the output goes high and the count stops; the rise reloads. */
		if (rise) {
			pit_restart(c, t);
		} else if (!gate) {
			pit_run(c, t, false);
			c->held = 0;
		}
		break;
	default:
		if (rise)
			pit_restart(c, t); /* modes 1 and 5: the rise triggers */
		break;
	}
}

static void pit_load(struct pit_channel *c, uint64_t t, unsigned v)
{
	if (c->bcd)
		v = pit_from_bcd(v);
	c->count = v ? v : c->bcd ? 10000 : 65536;
	if (c->mode == 2 && c->count == 1)
		c->count = 2; /* 1 is illegal in mode 2; the 8254 then divides by 2 */
	c->loaded = true;
	c->null_count = false;
	c->running = false;
	c->started = false;
	c->held = 0;
	if (c->mode != 1 && c->mode != 5 && c->gate)
		pit_restart(c, t);
}

static void pit_control(struct pit *p, uint64_t t, uint8_t v)
{
	unsigned sel = v >> 6, access = v >> 4 & 3;
	struct pit_channel *c;

	if (sel == PIT_READ_BACK) {
		for (unsigned i = 0; i < 3; i++) {
			c = &p->ch[i];
			if (!(v & (2u << i)))
				continue;
			if (!(v & PIT_RB_NO_COUNT) && !c->latched) {
				c->latch = pit_count(c, t);
				c->latched = c->access == PIT_ACCESS_WORD ? 2 : 1;
			}
			if (!(v & PIT_RB_NO_STATUS) && !c->status_latched) {
				c->status = (uint8_t)((pit_out(c, t) ? PIT_STATUS_OUT : 0) |
						      (c->null_count ? PIT_STATUS_NULL : 0) |
						      c->access << 4 | (c->mode & 7) << 1 | c->bcd);
				c->status_latched = true;
			}
		}
		return;
	}
	c = &p->ch[sel];
	if (access == PIT_ACCESS_LATCH) {
		if (!c->latched) {
			c->latch = pit_count(c, t);
			c->latched = c->access == PIT_ACCESS_WORD ? 2 : 1;
		}
		return;
	}
	bool gate = c->gate;

	*c = (struct pit_channel){ .gate = gate, .access = (uint8_t)access,
				   .mode = (uint8_t)((v >> 1 & 7) > 5 ? (v >> 1 & 3) : (v >> 1 & 7)),
				   .bcd = v & 1, .null_count = true };
}

static void pit_write_count(struct pit_channel *c, uint64_t t, uint8_t v)
{
	if (c->mode > 5)
		return; /* no mode set yet */
	switch (c->access) {
	case PIT_ACCESS_LOW:
		pit_load(c, t, v);
		break;
	case PIT_ACCESS_HIGH:
		pit_load(c, t, (unsigned)v << 8);
		break;
	default:
		if (!c->write_high) {
			c->low = v;
			c->write_high = true;
		} else {
			c->write_high = false;
			pit_load(c, t, c->low | (unsigned)v << 8);
		}
		break;
	}
}

static uint8_t pit_read_count(struct pit_channel *c, uint64_t t)
{
	uint16_t v;
	bool high;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched) {
		v = c->latch;
		high = c->access == PIT_ACCESS_HIGH || (c->access == PIT_ACCESS_WORD && c->latched == 1);
		c->latched--;
	} else {
		v = pit_count(c, t);
		high = c->access == PIT_ACCESS_HIGH || (c->access == PIT_ACCESS_WORD && c->read_high);
		if (c->access == PIT_ACCESS_WORD)
			c->read_high = !c->read_high;
	}
	return (uint8_t)(high ? v >> 8 : v);
}

void pit_init(struct pit *p, const struct devices_clock *clock, const struct devices_irq *irq)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 3; i++)
		p->ch[i] = (struct pit_channel){ .mode = PIT_UNPROGRAMMED, .gate = i != 2 };
	p->out0 = true;
	p->clock = clock;
	p->irq = irq;
}

void pit_update(struct pit *p)
{
	bool out = pit_out(&p->ch[0], pit_ticks(pit_now(p)));

	if (out == p->out0)
		return;
	p->out0 = out;
	if (p->irq)
		p->irq->set(p->irq->opaque, 0, out);
}

uint64_t pit_next(const struct pit *p)
{
	uint64_t t = pit_change(&p->ch[0], pit_ticks(pit_now(p)));

	return t == UINT64_MAX ? UINT64_MAX : pit_ns(t);
}

/* Ports 0x40-0x43. */
enum io_result pit_access(void *opaque, struct io_access *acc)
{
	struct pit *p = opaque;
	uint64_t t = pit_ticks(pit_now(p));

	if (acc->offset == PIT_CONTROL) {
		if (acc->is_write)
			pit_control(p, t, (uint8_t)acc->value);
		else
			acc->value = 0xff; /* the control word cannot be read */
	} else if (acc->is_write) {
		pit_write_count(&p->ch[acc->offset], t, (uint8_t)acc->value);
	} else {
		acc->value = pit_read_count(&p->ch[acc->offset], t);
	}
	pit_update(p);
	return IO_DONE;
}

/* Port 0x61. */
enum io_result pit_portb_access(void *opaque, struct io_access *acc)
{
	struct pit *p = opaque;
	uint64_t now = pit_now(p), t = pit_ticks(now);
	struct pit_channel *c = &p->ch[2];

	if (acc->is_write) {
		pit_set_gate(c, t, acc->value & PORTB_GATE2);
		p->speaker = acc->value & PORTB_SPEAKER;
		return IO_DONE;
	}
	acc->value = (c->gate ? PORTB_GATE2 : 0) | (p->speaker ? PORTB_SPEAKER : 0) |
		     (now / PORTB_REFRESH_NS % 2 ? PORTB_REFRESH : 0) |
		     (pit_out(c, t) ? PORTB_OUT2 : 0);
	return IO_DONE;
}

void pit_print(const struct pit *p, FILE *out)
{
	uint64_t now = pit_now(p), t = pit_ticks(now), next;

	for (unsigned i = 0; i < 3; i++) {
		const struct pit_channel *c = &p->ch[i];

		fprintf(out, "PIT %u       ", i);
		if (c->mode > 5) {
			fprintf(out, "not programmed\n");
			continue;
		}
		fprintf(out, "mode %u", c->mode);
		if (c->loaded)
			fprintf(out, ", count %u (%llu ns)", c->count,
				(unsigned long long)pit_ns(c->count));
		else
			fprintf(out, ", no count written");
		fprintf(out, ", output %s%s", pit_out(c, t) ? "high" : "low",
			c->gate ? "" : ", gate low");
		next = pit_change(c, t);
		if (next != UINT64_MAX)
			fprintf(out, ", changes at %llu ns", (unsigned long long)pit_ns(next));
		fprintf(out, "\n");
	}
	fprintf(out, "clock       %llu ns (1 per instruction, and %llu skipped by halts)\n",
		(unsigned long long)now, (unsigned long long)p->skipped);
}

const char *pit_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	static const char *const names[] = { "COUNTER0", "COUNTER1", "COUNTER2", "CONTROL" };

	(void)opaque;
	(void)acc;
	return offset < 4 ? names[offset] : NULL;
}
