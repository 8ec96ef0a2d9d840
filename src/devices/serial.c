/* A 16550A UART on IRQ 4 that transmits to the shared output and receives
 * from devices_input. */
#include "devices.h"

#define UART_RBR_THR 0 /* receive buffer / transmit holding (DLAB=0) */
#define UART_IER 1     /* interrupt enable (DLAB=0) */
#define UART_IIR_FCR 2 /* interrupt identification / FIFO control */
#define UART_LCR 3     /* line control */
#define UART_MCR 4     /* modem control */
#define UART_LSR 5     /* line status */
#define UART_MSR 6     /* modem status */
#define UART_SCR 7     /* scratch */

#define UART_LCR_DLAB 0x80   /* registers 0 and 1 are the divisor latch */
#define UART_IER_RDI 0x01    /* interrupt when data is received */
#define UART_IER_THRI 0x02   /* interrupt when the transmit holding register empties */
#define UART_IIR_NONE 0x01   /* no interrupt pending */
#define UART_IIR_THRI 0x02   /* the transmit holding register is empty */
#define UART_IIR_RDI 0x04    /* received data available */
#define UART_MCR_OUT2 0x08   /* on a PC, connects the interrupt to the PIC */
#define UART_IRQ LAYOUT_SERIAL_IRQ
#define UART_IIR_FIFO 0xc0   /* FIFOs enabled */
#define UART_FCR_ENABLE 0x01 /* enable FIFOs */
#define UART_LSR_DR 0x01     /* data ready */
#define UART_LSR_THRE 0x20   /* transmit holding register empty */
#define UART_LSR_TEMT 0x40   /* transmitter empty */
#define UART_MCR_LOOP 0x10   /* loopback */
#define UART_MSR_CTS 0x10    /* clear to send */
#define UART_MSR_DSR 0x20    /* data set ready */
#define UART_MSR_DCD 0x80    /* carrier detect */

const char *serial_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	static const char *const any[] = { "RBR/THR/DLL", "IER/DLM", "IIR/FCR", "LCR",
					   "MCR", "LSR", "MSR", "SCR" };
	static const char *const reads[] = { "RBR", "IER", "IIR" };
	static const char *const writes[] = { "THR", "IER", "FCR" };
	const struct serial *s = opaque;

	if (offset >= sizeof(any) / sizeof(any[0]))
		return NULL;
	if (!acc || offset > 2)
		return any[offset];
	if (offset < 2 && (s->lcr & UART_LCR_DLAB))
		return offset ? "DLM" : "DLL";
	return acc->is_write ? writes[offset] : reads[offset];
}

/* Looks for a received byte if none waits. */
static void serial_receive(struct serial *s)
{
	if (!s->rx_full && s->input && !(s->mcr & UART_MCR_LOOP) &&
	    s->input->poll(s->input->opaque, s->looks++, &s->rx))
		s->rx_full = true;
}

/* The interrupt to report, highest priority first: UART_IIR_*. */
static uint8_t serial_pending(const struct serial *s)
{
	if ((s->ier & UART_IER_RDI) && s->rx_full)
		return UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thre_pending)
		return UART_IIR_THRI;
	return UART_IIR_NONE;
}

/* After an access: IRQ 4 at the level the registers ask for. */
static void serial_update_line(struct serial *s)
{
	bool level = serial_pending(s) != UART_IIR_NONE && (s->mcr & UART_MCR_OUT2);

	if (!s->irq || level == __atomic_load_n(&s->line, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&s->line, level, __ATOMIC_RELAXED);
	s->irq->set(s->irq->opaque, UART_IRQ, level);
}

bool serial_input_waits(struct serial *s)
{
	uint8_t ier = __atomic_load_n(&s->ier, __ATOMIC_RELAXED);
	uint8_t mcr = __atomic_load_n(&s->mcr, __ATOMIC_RELAXED);

	if (!s->irq || !(ier & UART_IER_RDI) || !(mcr & UART_MCR_OUT2) ||
	    (mcr & UART_MCR_LOOP) || __atomic_load_n(&s->line, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&s->line, true, __ATOMIC_RELAXED);
	s->irq->set(s->irq->opaque, UART_IRQ, true);
	return true;
}

bool serial_takes_input(const struct serial *s)
{
	return s->clock && s->input && s->irq && (s->ier & UART_IER_RDI) &&
	       (s->mcr & UART_MCR_OUT2) && !(s->mcr & UART_MCR_LOOP) && !s->rx_full;
}

/* A character's time on the line: 10 bits at 115200 / divisor baud (a
 * divisor of 0 is 65536), in nanoseconds. */
static uint64_t serial_char_ns(const struct serial *s)
{
	uint64_t divisor = (uint64_t)s->dlm << 8 | s->dll;

	return (divisor ? divisor : 65536) * 1000000000ULL / 11520;
}

uint64_t serial_next_look(const struct serial *s)
{
	uint64_t now = s->clock->now(s->clock->opaque);

	return s->next_look > now ? s->next_look : now;
}

bool serial_tick(struct serial *s)
{
	uint64_t now;

	if (!serial_takes_input(s) || (now = s->clock->now(s->clock->opaque)) < s->next_look)
		return false;
	serial_receive(s);
	s->next_look = now + serial_char_ns(s);
	serial_update_line(s);
	return s->rx_full;
}

static uint8_t serial_read(struct serial *s, uint64_t reg)
{
	uint8_t iir;

	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			return s->dll;
		serial_receive(s);
		s->rx_full = false;
		return s->rx;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR_FCR:
		/* Reading it as the THR-empty interrupt's source clears that one. */
		serial_receive(s);
		iir = serial_pending(s);
		if (iir == UART_IIR_THRI)
			s->thre_pending = false;
		return iir | (s->fcr & UART_FCR_ENABLE ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		/* Transmission is instant, so the transmitter is always empty. */
		serial_receive(s);
		return UART_LSR_THRE | UART_LSR_TEMT | (s->rx_full ? UART_LSR_DR : 0);
	case UART_MSR:
		return s->mcr & UART_MCR_LOOP ? 0 : UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	default:
		return s->scr;
	}
}

static void serial_write(struct serial *s, uint64_t reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (!(s->mcr & UART_MCR_LOOP))
			devices_output_byte(s->output, v);
		s->thre_pending = true; /* sent at once: empty again */
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling the THR-empty interrupt with the register empty (it
		 * always is) raises it at once, as Linux's probe expects. */
		if (v & UART_IER_THRI)
			s->thre_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		s->fcr = v;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only */
	default:
		s->scr = v;
		break;
	}
}

enum io_result serial_access(void *opaque, struct io_access *acc)
{
	struct serial *s = opaque;

	/* A wider access touches consecutive registers, one byte each. */
	if (acc->is_write) {
		for (unsigned i = 0; i < acc->size && acc->offset + i < 8; i++)
			serial_write(s, acc->offset + i, (uint8_t)(acc->value >> (8 * i)));
	} else {
		acc->value = 0;
		for (unsigned i = 0; i < acc->size; i++)
			acc->value |= (uint64_t)(acc->offset + i < 8 ? serial_read(s, acc->offset + i)
								      : 0xff) << (8 * i);
	}
	serial_update_line(s);
	return IO_DONE;
}
