/*
 * The i8042 keyboard controller, enough for the reset line and for a kernel
 * to probe it: status and command port 0x64, data port 0x60. Commands read
 * and write the configuration byte, run the self and interface tests, and
 * pulse the reset line (0xfe, or the output port's bit 0 cleared: the run
 * ends, kvmdbg says so). A keyboard answers its commands (ACK, the reset's
 * self-test, an ID); no key is ever pressed, and no AUX device is there.
 */
#include "devices.h"

#include "layout.h"

#define I8042_STATUS_OBF 0x01 /* output buffer full */
#define I8042_STATUS_SYS 0x04 /* system flag: passed the self-test */
#define I8042_STATUS_CMD 0x08 /* the last write was a command */
#define I8042_STATUS_AUXDATA 0x20

/* Queues a byte for the guest to read at 0x60. */
static void i8042_put(struct i8042 *k, uint8_t byte)
{
	if (k->nout < sizeof(k->out))
		k->out[k->nout++] = byte;
}

static uint8_t i8042_get(struct i8042 *k)
{
	uint8_t b = k->nout ? k->out[0] : 0;

	if (k->nout) {
		for (unsigned i = 1; i < k->nout; i++)
			k->out[i - 1] = k->out[i];
		k->nout--;
	}
	return b;
}

/* A byte the guest sent to the keyboard. */
static void i8042_keyboard(struct i8042 *k, uint8_t cmd)
{
	i8042_put(k, 0xfa); /* ACK */
	switch (cmd) {
	case 0xff: /* reset: self-test passed */
		i8042_put(k, 0xaa);
		break;
	case 0xf2: /* identify: an MF2 keyboard */
		i8042_put(k, 0xab);
		i8042_put(k, 0x83);
		break;
	default:
		break;
	}
}

/* The controller's own commands, written to 0x64. */
static enum io_result i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	switch (cmd) {
	case 0x20: /* read the configuration byte */
		i8042_put(k, k->ctr);
		break;
	case 0x60: /* write it (next byte at 0x60) */
	case 0xd1: /* write the output port */
	case 0xd2: /* write the keyboard's output buffer */
	case 0xd3: /* write the AUX output buffer */
	case 0xd4: /* write to the AUX device */
		k->pending = cmd;
		break;
	case 0xa7: /* disable AUX */
		k->ctr |= 0x20;
		break;
	case 0xa8: /* enable AUX */
		k->ctr &= (uint8_t)~0x20;
		break;
	case 0xa9: /* AUX interface test: no AUX device (clock line stuck low) */
		i8042_put(k, 0x01);
		break;
	case 0xaa: /* self-test */
		i8042_put(k, 0x55);
		break;
	case 0xab: /* keyboard interface test */
		i8042_put(k, 0x00);
		break;
	case 0xad: /* disable the keyboard */
		k->ctr |= 0x10;
		break;
	case 0xae: /* enable it */
		k->ctr &= (uint8_t)~0x10;
		break;
	case 0xd0: /* read the output port: reset line high, A20 on */
		i8042_put(k, 0x03);
		break;
	case 0xfe: /* pulse the reset line */
		return IO_RESET;
	default:
		break;
	}
	return IO_DONE;
}

const char *i8042_data_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	(void)offset;
	return "DATA";
}

const char *i8042_status_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	(void)offset;
	return "STATUS";
}

/* Port 0x64: the status, and commands. */
enum io_result i8042_status_access(void *opaque, struct io_access *acc)
{
	struct i8042 *k = opaque;

	if (!acc->is_write) {
		acc->value = I8042_STATUS_SYS | (k->nout ? I8042_STATUS_OBF : 0) |
			     (k->last_cmd ? I8042_STATUS_CMD : 0);
		return IO_DONE;
	}
	k->last_cmd = true;
	return i8042_command(k, (uint8_t)acc->value);
}

/* Port 0x60: bytes from the controller or keyboard, and data for them. */
enum io_result i8042_data_access(void *opaque, struct io_access *acc)
{
	struct i8042 *k = opaque;
	uint8_t v = (uint8_t)acc->value;

	if (!acc->is_write) {
		acc->value = i8042_get(k);
		return IO_DONE;
	}
	k->last_cmd = false;
	switch (k->pending) {
	case 0x60:
		k->ctr = v;
		break;
	case 0xd1: /* the output port: bit 0 low holds the CPU in reset */
		k->pending = 0;
		return v & 1 ? IO_DONE : IO_RESET;
	case 0xd2:
	case 0xd3:
		i8042_put(k, v);
		break;
	case 0xd4: /* nothing on AUX answers */
		break;
	default:
		i8042_keyboard(k, v);
		break;
	}
	k->pending = 0;
	return IO_DONE;
}
