#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../src/err.h"

#define TERM_ESCAPE 0x01 /* Ctrl-A */
#define TERM_QUEUE 65536 /* a pipe's room: keys waiting for the guest */

/* The terminal as it was, for the exit and crash paths (one terminal). */
static struct termios term_saved;
static volatile sig_atomic_t term_raw;

static void term_restore(void)
{
	if (term_raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &term_saved);
		term_raw = 0;
	}
}

/* A crash must not leave the terminal raw: put it back, then die as before. */
static void term_crash(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_say(const char *s)
{
	/* Raw mode: a newline alone does not return the carriage. */
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

/* Bytes waiting in the queue (the pipe), or -1 if unknown. */
static int term_queued(const struct term_serial *t)
{
	int n;

	return ioctl(t->pipe_w, FIONREAD, &n) == 0 ? n : -1;
}

/*
 * Queues keys for the guest. The queue is the pipe (64 KiB), written without
 * blocking: keys a guest does not read beyond it are dropped, said once per
 * run of drops, and this thread goes on reading the terminal (Ctrl-A x and
 * c, a pause, an exit are never held up by a full pipe). A guest that takes
 * a few bytes now and then (its UART's FIFO) does not end the run of drops:
 * that ends when the queue is down to half.
 */
static void term_send(struct term_serial *t, const uint8_t *b, size_t n)
{
	if (t->dropping) {
		int q = term_queued(t);

		if (q >= 0 && q >= TERM_QUEUE / 2)
			return;
		t->dropping = false;
	}
	while (n) {
		ssize_t w = write(t->pipe_w, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!t->dropping)
				term_say("\r\nkvmdbg: the guest is not reading its serial input: keys "
					 "past the 64 KiB waiting are dropped\r\n");
			t->dropping = true;
			return;
		}
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* Asks the main thread to end the run: the signal it waits for. */
static void term_escape(struct term_serial *t, char what)
{
	__atomic_store_n(&t->escape, what, __ATOMIC_RELAXED);
	kill(getpid(), SIGINT);
}

static void *term_thread(void *arg)
{
	struct term_serial *t = arg;
	struct pollfd pfd[2] = { { .fd = t->tty, .events = POLLIN },
				 { .fd = t->quit_fd, .events = POLLIN } };
	bool escaped = false;
	uint8_t buf[256], out[256];

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		ssize_t n = read(t->tty, buf, sizeof(buf));
		size_t k = 0;

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			uint8_t c = buf[i];

			if (!escaped && c == TERM_ESCAPE) {
				escaped = true;
				continue;
			}
			if (!escaped) {
				out[k++] = c;
				continue;
			}
			escaped = false;
			if (c == TERM_ESCAPE) {
				out[k++] = c;
			} else if (c == 'x' || c == 'c') {
				term_send(t, out, k);
				term_escape(t, (char)c);
				return NULL;
			} else if (c == 'h' || c == '?') {
				term_say("\r\nkvmdbg: Ctrl-A x quit, Ctrl-A c the kvmdbg console (its "
					 "`serial` comes back), Ctrl-A Ctrl-A a Ctrl-A for the guest\r\n");
			}
		}
		term_send(t, out, k);
	}
	return NULL;
}

/* Keys as they come, no echo, no signals from them; output as before (the
 * guest's newlines still return the carriage). Then the key thread. */
int term_serial_resume(struct term_serial *t)
{
	struct termios raw = term_saved;
	int r;

	t->escape = 0;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag = (raw.c_cflag & ~(CSIZE | PARENB)) | CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(t->tty, TCSAFLUSH, &raw) < 0)
		return err_set(errno, "raw mode: %s", strerror(errno));
	term_raw = 1;
	r = pthread_create(&t->thread, NULL, term_thread, t);
	if (r) {
		term_restore();
		return err_set(r, "cannot start the terminal thread: %s", strerror(r));
	}
	t->running = true;
	return 0;
}

int term_serial_start(struct term_serial *t)
{
	static bool hooked;
	int p[2], r;

	*t = (struct term_serial){ .tty = STDIN_FILENO, .guest_fd = -1, .pipe_w = -1,
				   .quit_fd = -1 };
	if (tcgetattr(t->tty, &term_saved) < 0)
		return err_set(errno, "the terminal: %s", strerror(errno));
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_set(errno, "pipe: %s", strerror(errno));
	t->guest_fd = p[0];
	t->pipe_w = p[1];
	if (fcntl(t->pipe_w, F_SETFL, O_NONBLOCK) < 0) {
		r = err_set(errno, "pipe: %s", strerror(errno));
		goto err;
	}
	t->quit_fd = eventfd(0, EFD_CLOEXEC);
	if (t->quit_fd < 0) {
		r = err_set(errno, "eventfd: %s", strerror(errno));
		goto err;
	}
	if (!hooked) {
		atexit(term_restore);
		signal(SIGSEGV, term_crash);
		signal(SIGBUS, term_crash);
		signal(SIGABRT, term_crash);
		signal(SIGFPE, term_crash);
		hooked = true;
	}
	r = term_serial_resume(t);
	if (r == 0)
		return 0;
err:
	term_serial_stop(t);
	return r;
}

void term_serial_pause(struct term_serial *t)
{
	uint64_t one = 1;

	if (t->running && write(t->quit_fd, &one, sizeof(one)) == sizeof(one)) {
		pthread_join(t->thread, NULL);
		/* Emptied for a resume's thread. */
		if (read(t->quit_fd, &one, sizeof(one)) < 0)
			one = 0;
	}
	t->running = false;
	term_restore();
}

void term_serial_stop(struct term_serial *t)
{
	term_serial_pause(t);
	if (t->quit_fd >= 0)
		close(t->quit_fd);
	if (t->pipe_w >= 0)
		close(t->pipe_w);
	t->quit_fd = t->pipe_w = -1;
}
