/*
 * The command table: one list of {name, handler, args, help} that drives
 * dispatch, `help` and tab completion. The console and gdb's `monitor` run
 * the same table; handlers write to the FILE they are given, never stdout.
 */
#ifndef KVMDBG_COMMANDS_H
#define KVMDBG_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../src/debug.h"

struct image;
struct debug;

/* What a kvmdbg process debugs, as the commands see it. */
struct session {
	struct image *img;   /* the guest image (symbols) */
	struct debug *dbg;   /* run control and breakpoints */
	int sigfd;           /* signalfd for SIGINT/SIGTERM/SIGHUP, -1 if none */
	bool async;          /* `cont` returns at once; the caller collects the stop */
	bool quit;           /* `quit` was given */
	bool interrupted;    /* a signal asked to stop (batch: the run ends) */
	/* Whether the client asked to stop the command in progress (gdb's Ctrl-C
	 * while a monitor command runs); NULL: no client. Consumes the request. */
	bool (*cancel)(void *opaque);
	void *cancel_opaque;
	bool cancelled;      /* the command in progress was asked to stop */
	double cancel_look;  /* CLOCK_MONOTONIC seconds of the last look for that */
	unsigned cancel_calls; /* looks asked for (the clock is read every 16th) */
	uint64_t x_next;     /* where a bare `x` goes on (after the last x/xp) */
	char x_last[16];     /* the last x or xp command word with its format, "" if none */
	bool noted_by_page[2]; /* said once per bp_kind that breakpoints work by page here */
	bool remote;         /* the command came from a gdb client (monitor) */
	bool monitor_files;  /* --allow-monitor-files: remote commands may open host files */
	bool serial_offered; /* the console came from the serial terminal (Ctrl-A c) */
	bool serial_back;    /* `serial`: back to it, the guest running */
	double deadline;     /* --timeout: CLOCK_MONOTONIC seconds the session ends at; 0: none */
	bool timed_out;      /* the deadline passed (the run ends with status 124) */
	bool ended;          /* the gdb server ended with the guest (nobody left to look) */
	int temp_bp;         /* nexti's or finish's breakpoint, released at the stop (0: none) */
	/* A status line on a terminal while a run takes long (commands_progress). */
	bool kernel;         /* a Linux kernel: a status line while it is silent */
	bool early_hint;     /* ... and without earlyprintk: hint at it */
	double run_since;    /* CLOCK_MONOTONIC seconds the run in progress started, 0: none */
	bool hinted;         /* the hint was given */
};

/* Each second while the guest runs (done: once it stopped): on a terminal's
 * stderr, a status line with the time and the instruction count when
 * counted, while the guest prints nothing; for a silent Linux kernel once,
 * a hint at earlyprintk. */
void commands_progress(struct session *s, bool done);

/* What completes a command's arguments. */
enum cmd_complete {
	COMPLETE_NONE,
	COMPLETE_ADDR,    /* symbols, and register names after '$' */
	COMPLETE_SUB,     /* the command's subcommands */
	COMPLETE_MSR,     /* MSR names */
	COMPLETE_COMMAND, /* command names (help) */
};

struct command {
	const char *name;  /* what the user types */
	int (*handler)(struct session *s, int argc, char **argv, FILE *out);
	const char *args;  /* argument synopsis for help */
	const char *help;  /* one line */
	enum cmd_complete complete;         /* how its arguments complete */
	const char *const *subcommands;     /* COMPLETE_SUB: NULL-terminated */
	bool needs_stopped;                 /* refused while the guest runs */
};

/* Runs one command line; 0 on success, -1 after printing why it failed. */
int commands_execute(struct session *s, const char *line, FILE *out);
/* "128M", "1G", "65536": bytes, with binary K/M/G/T suffixes; -EINVAL. */
int commands_parse_size(const char *text, uint64_t *bytes);
/* Readline-style generator over completions of text, the word that starts at
 * byte `start` of line; state 0 restarts. Returns malloc'd strings, then NULL. */
char *commands_complete(const struct session *s, const char *line, int start, const char *text,
			int state);
/* Says why the guest stopped, in the console's words. */
void commands_report_stop(struct session *s, const struct debug_stop *stop, FILE *out);
/* Waits for a running guest to stop (SIGINT stops it; a long counted run
 * shows its progress on a terminal). */
void commands_wait(struct session *s, struct debug_stop *stop);
/* --timeout: the session ends seconds from now (0: never). */
void commands_set_timeout(struct session *s, double seconds);
/* Milliseconds to the session's deadline (0 once passed), or -1 for none. */
int commands_deadline_ms(const struct session *s);
/* The same, then reports the stop. */
void commands_wait_stop(struct session *s, FILE *out);

/* gdb's `monitor` (a stub_monitor_fn; opaque is the session): one command as
 * a remote client's (no host files). In the event loop (s->async) `cont`
 * returns at once: 1 says the guest runs and the reply waits for its stop. */
int commands_monitor(void *opaque, const char *cmd, FILE *out);
/* How that stop reads (a stub_monitor_stop_fn). */
void commands_monitor_stop(void *opaque, const struct debug_stop *stop, FILE *out);

#endif
