#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../src/err.h"

#define CONN_DEFAULT_HOST "127.0.0.1"

void conn_init(struct conn *c)
{
	*c = (struct conn){ .listen_fd = -1, .client_fd = -1 };
	for (unsigned i = 0; i < CONN_MAX_REFUSED; i++)
		c->refused[i].fd = -1;
}

/* Whether path is a unix socket nobody listens on (left by an earlier run). */
static bool conn_unix_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return r < 0 && errno == ECONNREFUSED;
}

/*
 * Locks the directory that holds the unix socket path: from the stale check
 * to listen(), and around the removal at close, so that two kvmdbg starting
 * at once cannot both find a socket stale and the second remove the first's
 * new one. Waits up to CONN_DIR_LOCK_MS. *lock is the locked directory's fd,
 * or -1 when the directory cannot be opened (bind then says why).
 */
static int conn_dir_lock(const char *path, int *lock)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	*lock = fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if (errno != EWOULDBLOCK || waited >= CONN_DIR_LOCK_MS) {
			int e = errno, r;

			if (e == EWOULDBLOCK)
				r = err_set(EBUSY, "cannot lock %s for the socket in it: another "
					    "process has held the lock for %d s", dir,
					    CONN_DIR_LOCK_MS / 1000);
			else
				r = err_set(e, "cannot lock %s for the socket in it: %s", dir,
					    strerror(e));
			close(fd);
			*lock = -1;
			return r;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static void conn_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* and with it the lock */
}

static int conn_listen_unix(struct conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, lock, r;

	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(c->unix_path))
		return err_set(ENAMETOOLONG, "unix socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	r = conn_dir_lock(path, &lock);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = err_set(errno, "socket: %s", strerror(errno));
		conn_dir_unlock(lock);
		return r;
	}
	old = umask(0177); /* the socket is created 0600 */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	/* Only a socket that nobody listens on is replaced; any other file is not,
	 * and a live server's socket is not taken over. */
	if (r < 0 && errno == EADDRINUSE && conn_unix_stale(&sa) && unlink(path) == 0)
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 && errno == EADDRINUSE) {
		r = err_set(EEXIST, "%s exists and is not a stale socket (a file, or a server "
			    "still listening)", path);
	} else if (r < 0 || listen(fd, CONN_BACKLOG) < 0 || lstat(path, &st) < 0) {
		r = err_set(errno, "cannot listen on unix:%s: %s", path, strerror(errno));
	} else {
		c->listen_fd = fd;
		c->unix_dev = st.st_dev;
		c->unix_ino = st.st_ino;
		snprintf(c->unix_path, sizeof(c->unix_path), "%s", path);
		snprintf(c->where, sizeof(c->where), "unix:%s", path);
	}
	conn_dir_unlock(lock);
	if (r < 0)
		close(fd);
	return r < 0 ? r : 0;
}

/* Removes the socket file if it is still ours (not a later server's). */
static void conn_unlink_unix(struct conn *c)
{
	struct stat st;
	int lock;

	conn_dir_lock(c->unix_path, &lock);
	if (lstat(c->unix_path, &st) == 0 && st.st_dev == c->unix_dev && st.st_ino == c->unix_ino)
		unlink(c->unix_path);
	conn_dir_unlock(lock);
	c->unix_path[0] = '\0';
}

static bool conn_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

int conn_listen(struct conn *c, const char *spec, bool *warning)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[256], *end;
	const char *port = spec, *colon = strrchr(spec, ':');
	unsigned long n;
	int fd = -1, r, one = 1;

	conn_init(c);
	*warning = false;
	if (!strncmp(spec, "unix:", 5))
		return conn_listen_unix(c, spec + 5);
	snprintf(host, sizeof(host), "%s", CONN_DEFAULT_HOST);
	if (colon) {
		size_t hl = (size_t)(colon - spec);

		if (hl >= sizeof(host))
			return err_set(EINVAL, "host name too long in '%s'", spec);
		if (hl) {
			memcpy(host, spec, hl);
			host[hl] = '\0';
			/* [::1]:1234 */
			if (host[0] == '[' && host[hl - 1] == ']') {
				memmove(host, host + 1, hl - 2);
				host[hl - 2] = '\0';
			}
		}
		port = colon + 1;
	}
	errno = 0;
	n = strtoul(port, &end, 10);
	if (!*port || *end || errno || n > 65535)
		return err_set(EINVAL, "'%s' is not [HOST:]PORT or unix:PATH", spec);
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return err_set(EINVAL, "cannot resolve %s: %s", host, gai_strerror(r));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = err_set(errno, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, CONN_BACKLOG) < 0) {
		r = err_set(errno, "cannot listen on %s:%s: %s", host, port, strerror(errno));
		close(fd);
		goto out;
	}
	*warning = !conn_is_loopback(res->ai_addr);
	c->listen_fd = fd;
	/* Port 0 lets the kernel choose: say which one it chose. */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned bound = (unsigned)n;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(c->where, sizeof(c->where), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, bound);
	r = 0;
out:
	freeaddrinfo(res);
	return r;
}

static long long conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_refused_close(struct conn_refused *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/*
 * Tells a second client why it is turned away, at once, and stops sending;
 * the next may be turned away CONN_REFUSE_GAP_MS later.
 * Its input is then drained in the background until it goes (or for
 * CONN_REFUSE_MS): closing with unread input would reset the connection and
 * lose the message. A client that trickles bytes costs one read per poll.
 */
static void conn_refuse(struct conn *c, int fd, const char *msg, size_t len)
{
	struct conn_refused *slot = &c->refused[0];
	long long now = conn_now_ms();

	c->accept_at = now + CONN_REFUSE_GAP_MS;
	if (send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		close(fd);
		return;
	}
	shutdown(fd, SHUT_WR);
	for (unsigned i = 0; i < CONN_MAX_REFUSED; i++) {
		if (c->refused[i].fd < 0) {
			slot = &c->refused[i];
			break;
		}
		if (c->refused[i].deadline < slot->deadline)
			slot = &c->refused[i];
	}
	conn_refused_close(slot); /* all busy: the oldest goes */
	*slot = (struct conn_refused){ .fd = fd, .deadline = now + CONN_REFUSE_MS };
}

/* Whether the listening socket is polled now (see CONN_REFUSE_GAP_MS). */
static bool conn_accepting(const struct conn *c, long long now)
{
	return c->listen_fd >= 0 && (c->client_fd < 0 || now >= c->accept_at);
}

int conn_accept(struct conn *c, const char *busy_msg, size_t busy_len)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), one = 1;

	if (fd < 0)
		return 0;
	if (c->client_fd >= 0) {
		conn_refuse(c, fd, busy_msg, busy_len);
		return 0;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->client_fd = fd;
	c->out_len = 0;
	c->idle_at = conn_now_ms() + CONN_IDLE_MS;
	return 1;
}

void conn_spoke(struct conn *c)
{
	c->idle_at = 0;
}

bool conn_idle(const struct conn *c)
{
	return c->client_fd >= 0 && c->idle_at && conn_now_ms() >= c->idle_at;
}

ssize_t conn_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(c->client_fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n > 0 ? n : -1;
}

bool conn_take_byte(struct conn *c, uint8_t byte)
{
	uint8_t peek[64];
	ssize_t n;

	if (c->client_fd < 0)
		return false;
	n = recv(c->client_fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		return true; /* gone: nobody waits for the rest (the loop sees the hang-up) */
	for (ssize_t i = 0; i < n; i++) {
		if (peek[i] == byte)
			return recv(c->client_fd, peek, (size_t)i + 1, MSG_DONTWAIT) == i + 1;
		if (peek[i] != '+' && peek[i] != '-')
			break;
	}
	return false;
}

/* Sends what the socket takes now; returns how much, or -1 if the client is gone. */
static ssize_t conn_send_now(int fd, const char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int conn_flush(struct conn *c)
{
	ssize_t n;

	if (!c->out_len)
		return 0;
	n = conn_send_now(c->client_fd, c->out, c->out_len);
	if (n < 0)
		return -EIO;
	memmove(c->out, c->out + n, c->out_len - (size_t)n);
	c->out_len -= (size_t)n;
	return 0;
}

int conn_write(struct conn *c, const void *buf, size_t len)
{
	ssize_t n = 0;

	if (c->client_fd < 0)
		return -EIO;
	/* In order: only what is queued goes first. */
	if (!c->out_len && (n = conn_send_now(c->client_fd, buf, len)) < 0)
		return -EIO;
	len -= (size_t)n;
	if (!len)
		return 0;
	if (len > CONN_MAX_OUT - c->out_len)
		return -ENOBUFS;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 65536;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOBUFS;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, (const char *)buf + n, len);
	c->out_len += len;
	return 0;
}

int conn_fds(struct conn *c, struct pollfd *pfd)
{
	int n = 0;

	if (c->client_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = c->client_fd,
					    .events = POLLIN | (c->out_len ? POLLOUT : 0) };
	if (conn_accepting(c, conn_now_ms()))
		pfd[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	for (unsigned i = 0; i < CONN_MAX_REFUSED; i++)
		if (c->refused[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->refused[i].fd, .events = POLLIN };
	return n;
}

int conn_service(struct conn *c, const struct pollfd *pfd)
{
	char sink[4096];

	if (pfd->fd == c->client_fd)
		return (pfd->revents & POLLOUT) ? conn_flush(c) : 0;
	for (unsigned i = 0; i < CONN_MAX_REFUSED; i++) {
		ssize_t n;

		if (c->refused[i].fd != pfd->fd)
			continue;
		n = recv(pfd->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_refused_close(&c->refused[i]);
	}
	return 0;
}

int conn_timeout(struct conn *c)
{
	long long now = conn_now_ms(), first = -1;

	for (unsigned i = 0; i < CONN_MAX_REFUSED; i++) {
		struct conn_refused *r = &c->refused[i];

		if (r->fd < 0)
			continue;
		if (r->deadline <= now)
			conn_refused_close(r);
		else if (first < 0 || r->deadline - now < first)
			first = r->deadline - now;
	}
	if (c->listen_fd >= 0 && !conn_accepting(c, now) && (first < 0 || c->accept_at - now < first))
		first = c->accept_at - now;
	if (c->client_fd >= 0 && c->idle_at) {
		long long left = c->idle_at > now ? c->idle_at - now : 0;

		if (first < 0 || left < first)
			first = left;
	}
	return (int)first;
}

void conn_drop(struct conn *c)
{
	if (c->client_fd >= 0)
		close(c->client_fd);
	c->client_fd = -1;
	c->out_len = 0;
	c->idle_at = 0;
}

void conn_close(struct conn *c)
{
	conn_drop(c);
	for (unsigned i = 0; i < CONN_MAX_REFUSED; i++)
		conn_refused_close(&c->refused[i]);
	free(c->out);
	c->out = NULL;
	c->out_cap = 0;
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->listen_fd = -1;
	if (c->unix_path[0])
		conn_unlink_unix(c);
}
