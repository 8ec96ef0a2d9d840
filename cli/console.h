/* The readline console, and the same commands read from a script or a pipe. */
#ifndef KVMDBG_CONSOLE_H
#define KVMDBG_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

struct session;

struct debug_stop;

/*
 * The interactive prompt, driven by the caller's event loop: console_start(),
 * then console_input() whenever stdin is readable, console_show_stop() when
 * the guest stops, console_sigint() on Ctrl-C, until console_done().
 */
void console_start(struct session *s);
void console_input(void);
void console_show_stop(const struct debug_stop *stop);
void console_sigint(void);
bool console_done(void);
/* Leaves the prompt; returns how many commands failed. */
int console_end(void);
/* Runs every line of in (no prompts) until quit or EOF; name for messages.
 * Returns the number of commands that failed. */
int console_run_stream(struct session *s, FILE *in, const char *name);

#endif
