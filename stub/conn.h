/* Transport for the gdb stub: a TCP or unix-domain socket, one client at a time. */
#ifndef KVMDBG_CONN_H
#define KVMDBG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pollfd;

#define CONN_MAX_OUT (4u << 20) /* bytes queued for a client that does not read */
#define CONN_MAX_REFUSED 8       /* turned-away clients being drained at once */
#define CONN_REFUSE_MS 2000      /* how long one may take to go */
#define CONN_IDLE_MS 10000       /* a client that has not spoken RSP by then is closed */
#define CONN_BACKLOG 16          /* connections the kernel holds until accepted */
/* How long to wait for the lock on a unix socket's directory (another
 * kvmdbg checking or replacing a stale socket there holds it briefly). */
#define CONN_DIR_LOCK_MS 5000
/* While a debugger is connected, others are turned away at most one per
 * CONN_REFUSE_GAP_MS; the rest wait in the kernel's backlog. Clients that
 * reconnect as fast as they are refused then cost the debugger's steps a
 * bounded share of the event loop, whatever their number. */
#define CONN_REFUSE_GAP_MS 2

/* A client turned away: told why, its input drained until it goes. */
struct conn_refused {
	int fd;              /* -1: free */
	long long deadline;  /* CLOCK_MONOTONIC ms after which it is closed anyway */
};

/* Nothing here blocks: sockets are non-blocking, output that the client does
 * not take yet is queued (up to CONN_MAX_OUT, then the client is dropped). */
struct conn {
	int listen_fd;       /* listening socket */
	int client_fd;       /* the connected debugger, or -1 */
	char where[300];     /* "127.0.0.1:1234" or "unix:/path", for messages */
	char unix_path[256]; /* unix socket to remove at close, "" for TCP */
	dev_t unix_dev;      /* and its file, so that close removes only ours */
	ino_t unix_ino;
	char *out;           /* output queued for the client */
	size_t out_len, out_cap;
	struct conn_refused refused[CONN_MAX_REFUSED];
	long long accept_at; /* CLOCK_MONOTONIC ms: no refusal before this */
	long long idle_at;   /* the client is closed then unless it spoke (0: it did) */
};

/* Nothing open: conn_close does nothing. */
void conn_init(struct conn *c);
/* Listens on "[HOST:]PORT" (HOST defaults to 127.0.0.1) or "unix:PATH" (mode 0600).
 * *warning is set when the address is reachable from other machines. */
int conn_listen(struct conn *c, const char *spec, bool *warning);
/* Accepts a pending connection. If a client is already connected, the new one
 * gets msg at once and is drained and closed in the background (returns 0
 * with nothing else changed); else returns 1. */
int conn_accept(struct conn *c, const char *busy_msg, size_t busy_len);
/* Reads what the client sent: > 0 bytes, 0 nothing now, -1 it went away. */
ssize_t conn_read(struct conn *c, void *buf, size_t len);
/* Whether the client's unread input holds byte (after acks, '+' and '-',
 * alone): then it is taken, with those acks. Anything else stays unread.
 * True too when the client has gone (the loop then sees the hang-up). */
bool conn_take_byte(struct conn *c, uint8_t byte);
/* Sends, or queues what the socket does not take now; -ENOBUFS when the
 * client has let CONN_MAX_OUT bytes pile up (drop it), -EIO when it is gone. */
int conn_write(struct conn *c, const void *buf, size_t len);
/* Descriptors to poll (client, listening socket, refused clients) with their
 * events; returns how many (at most CONN_MAX_FDS). The client comes first, so
 * its requests are served before new connections in the same poll. */
#define CONN_MAX_FDS (2 + CONN_MAX_REFUSED)
int conn_fds(struct conn *c, struct pollfd *pfd);
/* Handles one polled descriptor that is not the listening socket's or the
 * client's input: queued output, refused clients. -EIO: drop the client. */
int conn_service(struct conn *c, const struct pollfd *pfd);
/* The client spoke RSP: it stays however long it is silent from now on. */
void conn_spoke(struct conn *c);
/* Whether the client has been connected CONN_IDLE_MS without speaking. */
bool conn_idle(const struct conn *c);
/* Milliseconds until a refused client must be closed, the listening socket is
 * polled again or a silent client is due to go, -1 if none. */
int conn_timeout(struct conn *c);
void conn_drop(struct conn *c);
void conn_close(struct conn *c);

#endif
