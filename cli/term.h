/*
 * The serial console on a terminal: in a plain run on a terminal, keys go to
 * the guest's UART (raw mode; Ctrl-C too, as QEMU's -nographic), and Ctrl-A
 * is the escape, as QEMU's: Ctrl-A x quits, Ctrl-A c stops the guest and
 * opens kvmdbg's console (whose `serial` comes back), Ctrl-A Ctrl-A sends a
 * Ctrl-A, Ctrl-A h lists them. The terminal is put back at exit, while the
 * console has it, and on a crash.
 */
#ifndef KVMDBG_TERM_H
#define KVMDBG_TERM_H

#include <pthread.h>
#include <stdbool.h>

struct term_serial {
	int tty;           /* the terminal (stdin) */
	int guest_fd;      /* what the UART reads (the pipe's read end) */
	int pipe_w;        /* where keys for it go */
	int quit_fd;       /* eventfd that ends the thread */
	pthread_t thread;  /* reads keys, handles the escape */
	bool running;      /* the thread exists */
	char escape;       /* 'x' or 'c' once asked for (atomic), else 0 */
	bool dropping;     /* keys are being dropped: the guest does not read them */
};

/* Raw mode and the key thread; t->guest_fd is the UART's input then.
 * -errno with a message. */
int term_serial_start(struct term_serial *t);
/* Ends the thread and puts the terminal back; the UART's input stays open
 * (no end of input for the guest). Idempotent. */
void term_serial_pause(struct term_serial *t);
/* Raw mode and the key thread again after a pause, escape cleared. */
int term_serial_resume(struct term_serial *t);
/* Pauses and closes the UART's input (idempotent). */
void term_serial_stop(struct term_serial *t);

#endif
