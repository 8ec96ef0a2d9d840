/*
 * The gdb stub: packet handlers in one table, over rsp.c framing and
 * conn.c transport. The caller's event loop polls stub_fds() and calls
 * stub_ready(); when the guest stops it calls stub_stopped().
 */
#ifndef KVMDBG_PACKETS_H
#define KVMDBG_PACKETS_H

#include <stdbool.h>
#include <stdio.h>

#include "../src/debug.h"
#include "conn.h"
#include "rsp.h"

struct arch_gdb_layout;
struct debug;
struct pollfd;

/* Runs a `monitor` command; output goes to out; 0 on success, 1 when it left
 * the guest running (the reply waits for its stop), < 0 on failure. */
typedef int (*stub_monitor_fn)(void *opaque, const char *cmd, FILE *out);
/* Says what that stop was, for the monitor command's reply. */
typedef void (*stub_monitor_stop_fn)(void *opaque, const struct debug_stop *stop, FILE *out);

struct stub {
	struct conn conn;           /* sockets */
	struct rsp rsp;             /* framing state of the client's bytes */
	struct debug *dbg;          /* what gdb debugs */
	const struct arch_gdb_layout *layout; /* registers as gdb sees them */
	char *xml;                  /* target description for layout */
	size_t xml_len;
	stub_monitor_fn monitor;    /* console commands for qRcmd */
	void *monitor_opaque;
	bool noack;                 /* QStartNoAckMode is in force */
	bool waiting;               /* gdb resumed the guest and waits for a stop reply */
	bool phys;                  /* m/M/X take guest-physical addresses */
	bool binary_upload;         /* the client said binary-upload+: 'x' replies start with 'b' */
	bool killed;                /* gdb sent k or vKill */
	bool attached;              /* the client has spoken RSP (and the guest stopped for it) */
	bool resume_on_detach;      /* the guest ran before the client attached */
	bool monitor_pending;       /* a monitor command resumed the guest: reply at its stop */
	stub_monitor_stop_fn monitor_stop; /* how that stop reads (caller sets it) */
	char *last;                 /* last packet framed, for retransmission */
	size_t last_len;
	char *reply;                /* reply under construction */
	size_t reply_cap;
	char stop_reply[512];       /* reply to '?': the last stop */
};

/* Listens on spec; messages (err_msg) on failure. */
int stub_start(struct stub *st, const char *spec, struct debug *dbg,
	       const struct arch_gdb_layout *layout, stub_monitor_fn monitor, void *opaque);
void stub_close(struct stub *st);
/* File descriptors to poll, with their events (at most CONN_MAX_FDS); returns how many. */
int stub_fds(struct stub *st, struct pollfd *pfd);
/* How long poll may wait for them (ms, -1: no limit). */
int stub_timeout(struct stub *st);
/* Handles whatever became readable among the polled descriptors. */
void stub_ready(struct stub *st, const struct pollfd *pfd, int n);
/* The guest stopped: tell gdb if it is waiting for that. */
void stub_stopped(struct stub *st, const struct debug_stop *stop);
/* kvmdbg ends before the guest does (--timeout): a client waiting for a stop
 * hears that the guest ended with SIGALRM; the connection is closed. */
void stub_end(struct stub *st);
/* For a long monitor command, between its steps (opaque: the stub): whether
 * the client sent Ctrl-C meanwhile (taken), or went away: the command stops
 * early. */
bool stub_cancel_requested(void *opaque);
/* Whether a debugger is connected. */
bool stub_connected(const struct stub *st);

#endif
