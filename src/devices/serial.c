/* A 16550A UART that transmits to the shared output and receives, polled,
 * from devices_input (no interrupts yet). */
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
#define UART_IIR_NONE 0x01   /* no interrupt pending */
#define UART_IIR_FIFO 0xc0   /* FIFOs enabled */
#define UART_FCR_ENABLE 0x01 /* enable FIFOs */
#define UART_LSR_DR 0x01     /* data ready */
#define UART_LSR_THRE 0x20   /* transmit holding register empty */
#define UART_LSR_TEMT 0x40   /* transmitter empty */
#define UART_MCR_LOOP 0x10   /* loopback */
#define UART_MSR_CTS 0x10    /* clear to send */
#define UART_MSR_DSR 0x20    /* data set ready */
#define UART_MSR_DCD 0x80    /* carrier detect */

const char *serial_reg_name(uint64_t offset)
{
	static const char *const names[] = { "RBR/THR", "IER", "IIR/FCR", "LCR",
					     "MCR", "LSR", "MSR", "SCR" };

	return offset < sizeof(names) / sizeof(names[0]) ? names[offset] : NULL;
}

/* Looks for a received byte if none waits. */
static void serial_receive(struct serial *s)
{
	if (!s->rx_full && s->input && !(s->mcr & UART_MCR_LOOP) &&
	    s->input->poll(s->input->opaque, s->looks++, &s->rx))
		s->rx_full = true;
}

static uint8_t serial_read(struct serial *s, uint64_t reg)
{
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
		return UART_IIR_NONE | (s->fcr & UART_FCR_ENABLE ? UART_IIR_FIFO : 0);
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
		if (dlab)
			s->dll = v;
		else if (!(s->mcr & UART_MCR_LOOP))
			devices_output_byte(s->output, v);
		break;
	case UART_IER:
		if (dlab)
			s->dlm = v;
		else
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
	return IO_DONE;
}
