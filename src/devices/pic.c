/*
 * The PC's 8259A pair, kvmdbg's own (issue 25: interrupts on instruction-count
 * time): the master at 0x20-0x21, the slave at 0xa0-0xa1 on the master's
 * input 2, and the PIIX's edge/level control registers (ELCR) at 0x4d0-0x4d1.
 * A plain state machine: the machine raises and lowers inputs, asks pic_intr()
 * whether INTR is asserted and calls pic_ack() for the CPU's acknowledge. No
 * clock and no thread of its own: the same accesses at the same counts give
 * the same vectors.
 */
#include "devices.h"

#include <string.h>

/* ICW1 (a write to the command port with this bit), then ICW2..ICW4. */
#define PIC_ICW1 0x10
#define PIC_ICW1_IC4 0x01   /* an ICW4 follows */
#define PIC_ICW1_SNGL 0x02  /* single: no ICW3 */
#define PIC_ICW1_LTIM 0x08  /* every input level-triggered */
#define PIC_ICW4_AEOI 0x02  /* automatic end of interrupt */
#define PIC_ICW4_SFNM 0x10  /* special fully nested mode */
/* OCW3: a command-port write with bit 3 set and bit 4 clear. */
#define PIC_OCW3 0x08
#define PIC_OCW3_READ 0x02   /* bit 0 then selects: 1 ISR, 0 IRR */
#define PIC_OCW3_POLL 0x04
#define PIC_OCW3_SMM 0x40    /* bit 5 then sets (1) or clears (0) the special mask */
/* OCW2's command, bits 7-5 (R, SL, EOI); bits 2-0 name an input. */
#define PIC_EOI 0x20
#define PIC_SEOI 0x60
#define PIC_ROTATE_EOI 0xa0
#define PIC_ROTATE_AEOI_SET 0x80
#define PIC_ROTATE_AEOI_CLEAR 0x00
#define PIC_ROTATE_SEOI 0xe0
#define PIC_SET_PRIORITY 0xc0
#define PIC_CASCADE 2        /* the master's input the slave's INT drives */
#define PIC_POLL_REQUEST 0x80
/* ELCR bits that must stay 0 (edge): IRQ 0, 1, 2, 8 and 13 (the PIIX's). */
#define PIC_ELCR_MASTER 0xf8
#define PIC_ELCR_SLAVE 0xde

static void pic_chip_reset(struct pic *c)
{
	uint8_t level = c->level, elcr = c->elcr;

	*c = (struct pic){ .level = level, .elcr = elcr, .lowest = 7 };
}

void pic_init(struct pic_pair *p)
{
	memset(p, 0, sizeof(*p));
	pic_chip_reset(&p->chip[0]);
	pic_chip_reset(&p->chip[1]);
}

/* The priority rank of the highest-ranked bit of bits (0 highest), 8 if none. */
static unsigned pic_rank(const struct pic *c, uint8_t bits)
{
	for (unsigned r = 0; r < 8; r++)
		if (bits & (1u << ((r + c->lowest + 1) & 7)))
			return r;
	return 8;
}

/* The input the chip asks service for (INT asserted), -1 none. */
static int pic_chip_request(const struct pic *c, bool master)
{
	unsigned want = pic_rank(c, c->irr & ~c->imr);
	uint8_t busy = c->isr;

	if (want == 8 || !c->ready)
		return -1;
	/* In special mask mode a masked input in service blocks nothing; with
	 * SFNM the master lets the slave interrupt its own lower-priority one. */
	if (c->special_mask)
		busy &= ~c->imr;
	if (master && c->sfnm)
		busy &= ~(1u << PIC_CASCADE);
	if (want >= pic_rank(c, busy))
		return -1;
	return (int)((want + c->lowest + 1) & 7);
}

static bool pic_level_triggered(const struct pic *c, unsigned in)
{
	return c->ltim || (c->elcr & (1u << in));
}

/* Input in of chip c goes to level. */
static void pic_chip_input(struct pic *c, unsigned in, bool level)
{
	uint8_t bit = (uint8_t)(1u << in);
	bool was = c->level & bit;

	if (level)
		c->level |= bit;
	else
		c->level &= (uint8_t)~bit;
	/* An edge-triggered request is latched on the rising edge and, as on
	 * QEMU's, withdrawn if the input falls before it is acknowledged. */
	if (level && (!was || pic_level_triggered(c, in)))
		c->irr |= bit;
	else if (!level)
		c->irr &= (uint8_t)~bit;
}

/* The slave's INT, on the master's cascade input. */
static void pic_cascade(struct pic_pair *p)
{
	pic_chip_input(&p->chip[0], PIC_CASCADE, pic_chip_request(&p->chip[1], false) >= 0);
}

void pic_set_irq(struct pic_pair *p, unsigned irq, bool level)
{
	/* Input 2 is the cascade; ISA IRQ 2 is wired to 9 on a PC. */
	if (irq == PIC_CASCADE)
		irq = 9;
	if (irq >= 16)
		return;
	pic_chip_input(&p->chip[irq >> 3], irq & 7, level);
	pic_cascade(p);
}

int pic_intr(const struct pic_pair *p)
{
	int in = pic_chip_request(&p->chip[0], true), sin;

	if (in < 0)
		return -1;
	if (in != PIC_CASCADE)
		return p->chip[0].base + in;
	sin = pic_chip_request(&p->chip[1], false);
	return p->chip[1].base + (sin < 0 ? 7 : sin);
}

/* The chip's part of an acknowledge (or a poll): the input it serves, or
 * -1 (then a spurious 7 is given and nothing is put in service). */
static int pic_chip_ack(struct pic *c, bool master)
{
	int in = pic_chip_request(c, master);
	uint8_t bit;

	if (in < 0)
		return -1;
	bit = (uint8_t)(1u << in);
	if (!pic_level_triggered(c, (unsigned)in))
		c->irr &= (uint8_t)~bit;
	if (!c->aeoi)
		c->isr |= bit;
	else if (c->rotate_aeoi)
		c->lowest = (uint8_t)in;
	return in;
}

uint8_t pic_ack(struct pic_pair *p)
{
	int in = pic_chip_ack(&p->chip[0], true), sin;
	uint8_t vector;

	if (in < 0) {
		vector = p->chip[0].base + 7;
	} else if (in != PIC_CASCADE) {
		vector = (uint8_t)(p->chip[0].base + in);
	} else {
		sin = pic_chip_ack(&p->chip[1], false);
		vector = (uint8_t)(p->chip[1].base + (sin < 0 ? 7 : sin));
		/* The slave's INT drops during the acknowledge: a request still
		 * waiting there is a new edge on the master's cascade input. */
		pic_chip_input(&p->chip[0], PIC_CASCADE, false);
	}
	pic_cascade(p);
	return vector;
}

static void pic_eoi(struct pic *c, uint8_t cmd, unsigned in)
{
	unsigned top = pic_rank(c, c->isr);

	switch (cmd) {
	case PIC_EOI:
	case PIC_ROTATE_EOI:
		if (top == 8)
			return;
		in = (top + c->lowest + 1) & 7;
		c->isr &= (uint8_t)~(1u << in);
		if (cmd == PIC_ROTATE_EOI)
			c->lowest = (uint8_t)in;
		return;
	case PIC_SEOI:
	case PIC_ROTATE_SEOI:
		c->isr &= (uint8_t)~(1u << in);
		if (cmd == PIC_ROTATE_SEOI)
			c->lowest = (uint8_t)in;
		return;
	case PIC_SET_PRIORITY:
		c->lowest = (uint8_t)in;
		return;
	case PIC_ROTATE_AEOI_SET:
	case PIC_ROTATE_AEOI_CLEAR:
		c->rotate_aeoi = cmd == PIC_ROTATE_AEOI_SET;
		return;
	}
}

static void pic_command(struct pic *c, uint8_t v)
{
	if (v & PIC_ICW1) {
		pic_chip_reset(c);
		c->init = 2;
		c->need_icw4 = v & PIC_ICW1_IC4;
		c->single = v & PIC_ICW1_SNGL;
		c->ltim = v & PIC_ICW1_LTIM;
		/* The edge sense is reset: an input already high must fall and
		 * rise again (a level-triggered one requests at once). */
		for (unsigned in = 0; in < 8; in++)
			if ((c->level & (1u << in)) && pic_level_triggered(c, in))
				c->irr |= (uint8_t)(1u << in);
	} else if (v & PIC_OCW3) {
		if (v & PIC_OCW3_SMM)
			c->special_mask = v & 0x20;
		if (v & PIC_OCW3_READ)
			c->read_isr = v & 1;
		c->poll = v & PIC_OCW3_POLL;
	} else {
		pic_eoi(c, v & 0xe0, v & 7);
	}
}

static void pic_data(struct pic *c, uint8_t v)
{
	c->wrote = c->init;
	switch (c->init) {
	case 0:
		c->imr = v;
		return;
	case 2:
		c->base = v & 0xf8;
		c->init = !c->single ? 3 : c->need_icw4 ? 4 : 0;
		break;
	case 3:
		c->init = c->need_icw4 ? 4 : 0;
		break;
	default:
		c->aeoi = v & PIC_ICW4_AEOI;
		c->sfnm = v & PIC_ICW4_SFNM;
		c->init = 0;
		break;
	}
	c->ready = !c->init;
}

/* Ports 0x20-0x21 and 0xa0-0xa1 (opaque: the pair; bit 7 of the port
 * tells the chip). */
enum io_result pic_access(void *opaque, struct io_access *acc)
{
	struct pic_pair *p = opaque;
	bool slave = acc->addr & 0x80;
	struct pic *c = &p->chip[slave];
	int in;

	if (acc->is_write) {
		if (acc->offset == 0)
			pic_command(c, (uint8_t)acc->value);
		else
			pic_data(c, (uint8_t)acc->value);
		pic_cascade(p);
		return IO_DONE;
	}
	if (acc->offset == 1) {
		acc->value = c->imr;
	} else if (c->poll) {
		/* A poll is the acknowledge without the CPU's cycle. */
		c->poll = false;
		in = pic_chip_ack(c, !slave);
		acc->value = in < 0 ? 0 : PIC_POLL_REQUEST | (unsigned)in;
		pic_cascade(p);
	} else {
		acc->value = c->read_isr ? c->isr : c->irr;
	}
	return IO_DONE;
}

/* Ports 0x4d0 (IRQ 0-7) and 0x4d1 (IRQ 8-15). */
enum io_result pic_elcr_access(void *opaque, struct io_access *acc)
{
	struct pic_pair *p = opaque;
	struct pic *c = &p->chip[acc->offset & 1];

	if (!acc->is_write) {
		acc->value = c->elcr;
		return IO_DONE;
	}
	c->elcr = (uint8_t)acc->value & (acc->offset & 1 ? PIC_ELCR_SLAVE : PIC_ELCR_MASTER);
	return IO_DONE;
}

const char *pic_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	const struct pic_pair *p = opaque;
	static const char *const icw[] = { "IMR", "IMR", "ICW2", "ICW3", "ICW4" };

	if (offset == 1)
		return acc && acc->is_write ? icw[p->chip[(acc->addr & 0x80) != 0].wrote % 5] : "IMR";
	if (!acc)
		return "IRR/ISR/ICW1/OCW2/OCW3";
	if (acc->is_write)
		return acc->value & PIC_ICW1 ? "ICW1" : acc->value & PIC_OCW3 ? "OCW3" : "OCW2";
	if (p->chip[(acc->addr & 0x80) != 0].poll)
		return "POLL";
	return p->chip[(acc->addr & 0x80) != 0].read_isr ? "ISR" : "IRR";
}

void pic_print(const struct pic_pair *p, FILE *out)
{
	for (unsigned i = 0; i < 2; i++) {
		const struct pic *c = &p->chip[i];

		if (!c->ready) {
			fprintf(out, "%-11s not initialised%s\n", i ? "PIC slave" : "PIC master",
				c->init ? " (in the middle of its ICWs)" : "");
			continue;
		}
		fprintf(out, "%-11s vectors 0x%02x-0x%02x, IMR 0x%02x, IRR 0x%02x, ISR 0x%02x, "
			"ELCR 0x%02x%s%s\n", i ? "PIC slave" : "PIC master", c->base, c->base + 7,
			c->imr, c->irr, c->isr, c->elcr, c->aeoi ? ", auto EOI" : "",
			c->special_mask ? ", special mask" : "");
	}
}
