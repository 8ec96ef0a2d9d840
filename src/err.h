/*
 * Error messages from library code. A failing call records what went wrong
 * and what to do about it, and returns -errno; the front-end decides whether
 * to print the message, send it to gdb, or exit.
 */
#ifndef KVMDBG_ERR_H
#define KVMDBG_ERR_H

/* Records the message (printf-style) for this thread and returns -errnum. */
int err_set(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message recorded by this thread ("" if none). */
const char *err_msg(void);

#endif
