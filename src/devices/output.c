/* The sink of guest text: devices call down to it, the front end flushes it. */
#include "output.h"

/* (Whichever thread comes first erases it.) */
void devices_output_status_end(struct devices_output *o)
{
	FILE *f = __atomic_exchange_n(&o->status, NULL, __ATOMIC_ACQ_REL);

	if (f) {
		fputs("\r\033[K", f);
		fflush(f);
	}
}

void devices_output_status(struct devices_output *o, FILE *f, const char *text)
{
	uint64_t before;

	devices_output_status_end(o);
	/* After the guest's unfinished line, the status line would join it. */
	if (o->midline)
		return;
	before = __atomic_load_n(&o->bytes, __ATOMIC_ACQUIRE);
	fprintf(f, "\r%s\033[K", text);
	fflush(f);
	__atomic_store_n(&o->status, f, __ATOMIC_RELEASE);
	/* The guest wrote meanwhile: it did not see the line to erase. */
	if (__atomic_load_n(&o->bytes, __ATOMIC_ACQUIRE) != before)
		devices_output_status_end(o);
}

void devices_output_byte(struct devices_output *o, uint8_t byte)
{
	if (!o->out || o->muted)
		return;
	__atomic_fetch_add(&o->bytes, 1, __ATOMIC_ACQ_REL);
	if (__atomic_load_n(&o->status, __ATOMIC_ACQUIRE))
		devices_output_status_end(o);
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
