#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/arch.h"
#include "../../src/err.h"

struct engine engine;

static void engine_fail(const char *what)
{
	fprintf(stderr, "fuzz engine: %s: %s\n", what, err_msg());
	exit(2);
}

/* The guest: $KVMDBG_FUZZ_GUEST, else guests/ticker.elf in the checkout that
 * holds this binary (tests/fuzz/ or tests/fuzz/build/). */
static void engine_guest(char *path, size_t len)
{
	const char *env = getenv("KVMDBG_FUZZ_GUEST");
	char dir[4096];
	ssize_t n;

	if (env) {
		snprintf(path, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		engine_fail("readlink /proc/self/exe");
	dir[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			break;
		*slash = '\0';
		snprintf(path, len, "%s/guests/ticker.elf", dir);
		if (access(path, R_OK) == 0)
			return;
	}
	err_set(ENOENT, "no guests/ticker.elf above this binary (run make, or set KVMDBG_FUZZ_GUEST)");
	engine_fail("guest");
}

/* The socket's directory, private to this process; gone at exit. */
static char engine_dir[] = "/tmp/kvmdbg-fuzz.XXXXXX";

static void engine_cleanup(void)
{
	stub_close(&engine.stub);
	rmdir(engine_dir);
}

void engine_init(void)
{
	struct engine *e = &engine;
	char guest[4200], where[64];

	if (e->sink)
		return;
	e->sink = fopen("/dev/null", "w");
	if (!e->sink)
		exit(2);
	engine_guest(guest, sizeof(guest));
	struct machine_config cfg = { .ram = 8 << 20, .serial = e->sink, .guest = guest };

	if (machine_create(&e->m, &cfg) < 0)
		engine_fail(guest);
	debug_io_output(e->m.dbg, e->sink);
	e->session = (struct session){ .img = &e->m.img, .dbg = e->m.dbg,
				       .sigfd = -1, .async = true };
	/* A unix socket: the stub's own accept, read and reply paths as over
	 * TCP, without the TCP handshake and teardown that cost more than most
	 * inputs (a connection per input). */
	if (!mkdtemp(engine_dir))
		engine_fail("mkdtemp");
	snprintf(where, sizeof(where), "unix:%s/gdb", engine_dir);
	if (stub_start(&e->stub, where, e->m.dbg, arch_gdb_layout(e->m.img.boot.mode),
		       commands_monitor, &e->session) < 0) {
		rmdir(engine_dir);
		engine_fail("stub_start");
	}
	atexit(engine_cleanup);
	e->stub.monitor_stop = commands_monitor_stop;
	e->session.cancel = stub_cancel_requested;
	e->session.cancel_opaque = &e->stub;
}

void engine_settle(void)
{
	struct engine *e = &engine;
	struct debug_stop stop;

	while (debug_running(e->m.dbg)) {
		debug_interrupt(e->m.dbg);
		debug_wait_stop(e->m.dbg, &stop, NULL);
		stub_stopped(&e->stub, &stop);
	}
	e->session.quit = false;
	e->session.interrupted = false;
}
