/*
 * Fuzzes the gdb stub's packet dispatcher (stub/packets.c) on a real engine:
 * each input is what one client sends over a real connection (a unix socket)
 * to the stub's listening socket, served by the stub's own accept, read and reply
 * paths; then the client goes away and the stub's hang-up runs (releasing its
 * breakpoints and watchpoints). The guest is stopped again after each input.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	engine_init();
	return 0;
}

/* One round of the event loop, as cli/main.c runs it, without blocking. */
static int serve(int timeout_ms)
{
	struct pollfd pfd[CONN_MAX_FDS];
	int n = stub_fds(&engine.stub, pfd), ready;

	ready = poll(pfd, (nfds_t)n, timeout_ms);
	if (ready > 0)
		stub_ready(&engine.stub, pfd, n);
	engine_settle();
	return ready;
}

static void drain(int fd)
{
	char buf[65536];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t sent = 0;
	int fd;

	memcpy(sa.sun_path, engine.stub.conn.unix_path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	while (!stub_connected(&engine.stub))
		serve(1000);
	while (sent < size || serve(0) > 0) {
		if (sent < size) {
			ssize_t n = send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				break;
			serve(0);
		}
		drain(fd);
		if (!stub_connected(&engine.stub))
			break;
	}
	close(fd);
	while (stub_connected(&engine.stub))
		serve(1000);
	engine.stub.killed = false;
	return 0;
}
