/* The sink of guest text: devices call down to it, the front end flushes it. */
#include "output.h"

void devices_output_byte(struct devices_output *o, uint8_t byte)
{
	if (!o->out || o->muted)
		return;
	fputc(byte, o->out);
	o->midline = byte != '\n';
	if (!o->midline)
		fflush(o->out);
}

void devices_output_flush(struct devices_output *o)
{
	if (o->out)
		fflush(o->out);
}

void devices_output_fresh_line(struct devices_output *o)
{
	if (o->out && o->midline)
		fputc('\n', o->out);
	o->midline = false;
	devices_output_flush(o);
}
