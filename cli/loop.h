/*
 * The control thread's event loop (in the spirit of redis's ae): sources
 * register the descriptors they wait for and a callback; one poll serves
 * them all. A source's set may change from one round to the next (the gdb
 * server's clients come and go, the vCPU's stop descriptor matters only while
 * the guest runs).
 */
#ifndef KVMDBG_LOOP_H
#define KVMDBG_LOOP_H

#include <poll.h>
#include <stdbool.h>

#define LOOP_MAX_SOURCES 8
#define LOOP_MAX_FDS 32

struct loop_source {
	/* The descriptors to wait for now (events set), at most max; how many
	 * (NULL: none, a source of time-outs only). */
	int (*fds)(void *opaque, struct pollfd *pfd, int max);
	/* After the poll: the same descriptors with their revents, if any is set. */
	void (*ready)(void *opaque, const struct pollfd *pfd, int n);
	/* How long the source lets the poll wait, in ms (-1: forever); NULL: forever. */
	int (*timeout)(void *opaque);
	void *opaque;
};

/* One descriptor and what to do when it is readable; want (NULL: always)
 * says whether to wait for it this round. */
struct loop_fd {
	int fd;
	bool (*want)(void *opaque);
	void (*readable)(void *opaque);
	void *opaque;
	struct loop_source source; /* set by loop_add_fd() */
};

struct loop {
	struct loop_source src[LOOP_MAX_SOURCES];
	int n;
};

void loop_init(struct loop *l);
/* -ENOSPC past LOOP_MAX_SOURCES. */
int loop_add(struct loop *l, const struct loop_source *src);
int loop_add_fd(struct loop *l, struct loop_fd *f);
/* Polls once over every source and calls back those with events; -errno
 * (not for EINTR: a signal only ends the round). */
int loop_once(struct loop *l);

#endif
