/* The readline console, and the same commands read from a script or a pipe. */
#ifndef KVMDBG_CONSOLE_H
#define KVMDBG_CONSOLE_H

#include <stdio.h>

struct session;

/* Interactive prompt on a terminal until quit or Ctrl-D; returns commands that failed. */
int console_run(struct session *s);
/* Runs every line of in (no prompts) until quit or EOF; name for messages.
 * Returns the number of commands that failed. */
int console_run_stream(struct session *s, FILE *in, const char *name);

#endif
