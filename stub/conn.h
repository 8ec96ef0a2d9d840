/* Transport for the gdb stub: a TCP or unix-domain socket, one client at a time. */
#ifndef KVMDBG_CONN_H
#define KVMDBG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct conn {
	int listen_fd;       /* listening socket */
	int client_fd;       /* the connected debugger, or -1 */
	char where[300];     /* "127.0.0.1:1234" or "unix:/path", for messages */
	char unix_path[256]; /* unix socket to remove at close, "" for TCP */
};

/* Listens on "[HOST:]PORT" (HOST defaults to 127.0.0.1) or "unix:PATH" (mode 0600).
 * *warning is set when the address is reachable from other machines. */
int conn_listen(struct conn *c, const char *spec, bool *warning);
/* Accepts a pending connection. If a client is already connected, the new one
 * gets msg and is closed (returns 0 with nothing changed); else returns 1. */
int conn_accept(struct conn *c, const char *busy_msg, size_t busy_len);
ssize_t conn_read(struct conn *c, void *buf, size_t len);
int conn_write(struct conn *c, const void *buf, size_t len);
void conn_drop(struct conn *c);
void conn_close(struct conn *c);

#endif
