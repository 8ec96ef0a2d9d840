/* Where guest text output goes: the UART and the debug console share one sink. */
#ifndef KVMDBG_DEVICES_OUTPUT_H
#define KVMDBG_DEVICES_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct devices_output {
	FILE *out;  /* NULL: output is dropped */
	bool muted; /* dropped for now (the guest replays what it printed once) */
	bool midline; /* the last byte written was not a newline */
	uint64_t bytes; /* the guest's bytes written so far (atomic: any thread reads it) */
	/* A status line kvmdbg shows on this terminal stream while the guest is
	 * silent (atomic; NULL: none): the guest's next byte erases it first. */
	FILE *status;
};

/* Shows a status line on the terminal stream f ("\r" + text), erased before
 * the guest's next byte (none after an unfinished line of the guest's). */
void devices_output_status(struct devices_output *o, FILE *f, const char *text);
/* Erases the status line shown, if any. */
void devices_output_status_end(struct devices_output *o);

/* Writes a guest byte to the shared output; flushes at each newline. */
void devices_output_byte(struct devices_output *o, uint8_t byte);
void devices_output_flush(struct devices_output *o);
/* Ends an unfinished line with a newline (so what kvmdbg prints next starts
 * on a line of its own), and flushes. */
void devices_output_fresh_line(struct devices_output *o);

#endif
