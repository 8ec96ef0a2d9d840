/* Debug console ports 0xe9 and 0x402: each byte written is printed. */
#include "devices.h"

#include "layout.h"

enum io_result debugcon_access(void *opaque, struct io_access *acc)
{
	struct devices_output *o = opaque;

	if (acc->is_write) {
		for (unsigned i = 0; i < acc->size; i++)
			devices_output_byte(o, (uint8_t)(acc->value >> (8 * i)));
	} else {
		/* Bochs and QEMU answer 0xe9 so guests can detect the port. */
		acc->value = LAYOUT_DEBUGCON_ID;
	}
	return IO_DONE;
}
