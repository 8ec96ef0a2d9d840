#include "loop.h"

#include <errno.h>
#include <string.h>

#include "../src/err.h"

void loop_init(struct loop *l)
{
	l->n = 0;
}

int loop_add(struct loop *l, const struct loop_source *src)
{
	if (l->n == LOOP_MAX_SOURCES)
		return err_set(ENOSPC, "the event loop takes %d sources", LOOP_MAX_SOURCES);
	l->src[l->n++] = *src;
	return 0;
}

static int loop_fd_fds(void *opaque, struct pollfd *pfd, int max)
{
	struct loop_fd *f = opaque;

	if (max < 1 || f->fd < 0 || (f->want && !f->want(f->opaque)))
		return 0;
	*pfd = (struct pollfd){ .fd = f->fd, .events = POLLIN };
	return 1;
}

static void loop_fd_ready(void *opaque, const struct pollfd *pfd, int n)
{
	struct loop_fd *f = opaque;

	(void)pfd;
	(void)n;
	f->readable(f->opaque);
}

int loop_add_fd(struct loop *l, struct loop_fd *f)
{
	f->source = (struct loop_source){ .fds = loop_fd_fds, .ready = loop_fd_ready, .opaque = f };
	return loop_add(l, &f->source);
}

int loop_once(struct loop *l)
{
	struct pollfd pfd[LOOP_MAX_FDS];
	int first[LOOP_MAX_SOURCES], count[LOOP_MAX_SOURCES], n = 0, ms = -1;

	for (int i = 0; i < l->n; i++) {
		const struct loop_source *s = &l->src[i];
		int t = s->timeout ? s->timeout(s->opaque) : -1;

		first[i] = n;
		count[i] = s->fds ? s->fds(s->opaque, pfd + n, LOOP_MAX_FDS - n) : 0;
		n += count[i];
		if (t >= 0 && (ms < 0 || t < ms))
			ms = t;
	}
	if (poll(pfd, (nfds_t)n, ms) < 0)
		return errno == EINTR ? 0 : err_set(errno, "poll: %s", strerror(errno));
	for (int i = 0; i < l->n; i++) {
		bool any = false;

		for (int k = first[i]; k < first[i] + count[i]; k++)
			any |= pfd[k].revents != 0;
		if (any)
			l->src[i].ready(l->src[i].opaque, pfd + first[i], count[i]);
	}
	return 0;
}
