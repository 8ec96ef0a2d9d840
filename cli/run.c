/* The run modes: a plain run, counted runs, and a session of commands, a
 * console and a gdb server around the control thread's event loop. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../src/arch.h"
#include "../src/debug.h"
#include "../src/err.h"
#include "../src/loader.h"
#include "../stub/packets.h"
#include "commands.h"
#include "console.h"
#include "loop.h"
#include "options.h"

static void report_vcpu_pc(struct vcpu *vcpu, const struct image *img)
{
	uint64_t pc = arch_pc(vcpu);
	char sym[128];

	symbols_format(&img->symbols, pc, sym, sizeof(sym));
	fprintf(stderr, " at pc %#llx%s%s%s", (unsigned long long)pc, *sym ? " <" : "", sym,
		*sym ? ">" : "");
}

/* " at pc ADDR <sym>" of the selected CPU; with several, which one it is and
 * where each other one is. */
static void report_pc(struct debug *d, const struct image *img)
{
	unsigned n = debug_cpus(d), sel = debug_cpu(d);

	report_vcpu_pc(debug_vcpu(d), img);
	if (n > 1)
		fprintf(stderr, " (CPU %u)", sel);
	fputc('\n', stderr);
	for (unsigned i = 0; n > 1 && i < n; i++) {
		if (i == sel)
			continue;
		fprintf(stderr, "kvmdbg: CPU %u", i);
		report_vcpu_pc(debug_cpu_vcpu(d, i), img);
		fputc('\n', stderr);
	}
}

/* kvmdbg's exit status for the value V the guest wrote to the exit port:
 * V & 0xff, or with --exit-code qemu (V << 1) | 1, as QEMU's isa-debug-exit. */
static int guest_status(int v, bool qemu)
{
	return qemu ? ((v << 1) | 1) & 0xff : v & 0xff;
}

/* Says why the guest stopped and returns the exit status for it. */
static int report_stop(struct debug *d, const struct image *img, const struct debug_stop *stop,
		       bool timed_out, bool interrupted, bool qemu)
{
	struct vcpu *vcpu = debug_vcpu(d);
	const char *note;

	debug_fresh_line(d);
	if ((note = debug_notice(d)))
		fprintf(stderr, "kvmdbg: %s\n", note);
	switch (stop->reason) {
	case DEBUG_STOP_EXITED:
		if (stop->reset) {
			fprintf(stderr, "kvmdbg: %s", stop->detail);
			report_pc(d, img);
			return STATUS_RESET;
		}
		if (stop->poweroff) {
			fprintf(stderr, "kvmdbg: %s\n", stop->detail);
			return STATUS_OK;
		}
		return guest_status(stop->status, qemu);
	case DEBUG_STOP_HALTED:
		fprintf(stderr, "kvmdbg: guest halted (%s)", stop->detail);
		report_pc(d, img);
		return STATUS_OK;
	case DEBUG_STOP_REQUESTED:
		fprintf(stderr, "kvmdbg: %s", interrupted ? "interrupted" : "timeout");
		report_pc(d, img);
		return interrupted ? STATUS_INTERRUPTED : timed_out ? STATUS_TIMEOUT : STATUS_OK;
	case DEBUG_STOP_SHUTDOWN: {
		char why[DEBUG_EXPLAIN_MAX];

		fprintf(stderr, "kvmdbg: guest shut down: %s\n", stop->detail);
		if (debug_explain_shutdown(d, why, sizeof(why)))
			fprintf(stderr, "kvmdbg: why: %s\n", why);
		arch_dump_regs(vcpu, stderr);
	}
		return STATUS_SHUTDOWN;
	case DEBUG_STOP_EXCEPTION:
		fprintf(stderr, "kvmdbg: caught %s\n", stop->detail);
		arch_dump_regs(vcpu, stderr);
		return STATUS_CAUGHT;
	case DEBUG_STOP_ERROR:
	case DEBUG_STOP_STEPPED:
	case DEBUG_STOP_BREAKPOINT:
	case DEBUG_STOP_ICOUNT:
	case DEBUG_STOP_WATCHPOINT:
		break;
	}
	fprintf(stderr, "kvmdbg: guest stopped: %s\n", stop->detail);
	arch_dump_regs(vcpu, stderr);
	return STATUS_KVM_ERROR;
}

/* Runs the guest until it stops by itself, the timeout (the session's
 * deadline) passes or a signal comes. */
int run_guest(struct session *s, const struct options *opt)
{
	struct debug_stop stop;
	int r;

	r = debug_continue(s->dbg, &stop);
	if (r < 0)
		return r;
	if (r == 0)
		commands_wait(s, &stop);
	return report_stop(s->dbg, s->img, &stop, s->timed_out, s->interrupted && !s->timed_out,
			   opt->exit_qemu);
}

/* Where a stop goes when no console shows it: the notable ones to stderr. */
static void loop_log_stop(struct session *s, const struct debug_stop *stop)
{
	if (stop->reason == DEBUG_STOP_EXITED || stop->reason == DEBUG_STOP_HALTED ||
	    stop->reason == DEBUG_STOP_SHUTDOWN || stop->reason == DEBUG_STOP_ERROR) {
		fputs("kvmdbg: ", stderr);
		commands_report_stop(s, stop, stderr);
	}
}

/* What the control thread's event loop serves (run_loop). */
struct control {
	struct session *s;
	struct stub *st;  /* the gdb server, or NULL */
	bool console;     /* a console on a terminal */
	bool keep;        /* serve on after the guest's end (--no-shutdown, --history) */
	bool quit;
	bool ended;       /* the guest ended and nobody is left to look at it */
};

static int control_deadline_ms(void *opaque)
{
	return commands_deadline_ms(opaque);
}

/* Once the guest has ended, the server has nothing left to serve when no
 * client is connected and no console is open (unless asked to keep it). */
static bool control_over(struct control *c)
{
	return !c->console && !c->keep && debug_exited(c->s->dbg, NULL) &&
	       !debug_running(c->s->dbg) && !(c->st && stub_connected(c->st));
}

static void control_signal(void *opaque)
{
	struct control *c = opaque;
	struct signalfd_siginfo si;

	if (read(c->s->sigfd, &si, sizeof(si)) <= 0)
		return;
	if (si.ssi_signo != SIGINT)
		c->quit = true;
	else if (debug_running(c->s->dbg))
		debug_interrupt(c->s->dbg);
	else if (c->console)
		console_sigint();
	else
		c->quit = true;
}

static bool control_running(void *opaque)
{
	return debug_running(((struct control *)opaque)->s->dbg);
}

/* The guest stopped: whoever resumed it, the console and the gdb client see it. */
static void control_stopped(void *opaque)
{
	struct control *c = opaque;
	struct debug_stop stop;

	if (!debug_collect(c->s->dbg, &stop))
		return;
	if (c->st)
		stub_stopped(c->st, &stop);
	if (c->console)
		console_show_stop(&stop);
	else
		loop_log_stop(c->s, &stop);
}

static void control_input(void *opaque)
{
	(void)opaque;
	console_input();
}

static int control_stub_fds(void *opaque, struct pollfd *pfd, int max)
{
	return max >= CONN_MAX_FDS ? stub_fds(opaque, pfd) : 0;
}

static void control_stub_ready(void *opaque, const struct pollfd *pfd, int n)
{
	stub_ready(opaque, pfd, n);
}

static int control_stub_timeout(void *opaque)
{
	return stub_timeout(opaque);
}

/*
 * The control thread's event loop with a console on a terminal and/or a gdb
 * server: signals, the vCPU's stop notification, stdin and the sockets, in
 * that order each round. Whoever resumes the guest, both see its stops.
 */
static int run_loop(struct session *s, struct stub *st, bool console, bool keep)
{
	struct control c = { .s = s, .st = st, .console = console, .keep = keep };
	struct loop_fd sig = { .fd = s->sigfd, .readable = control_signal, .opaque = &c };
	struct loop_fd stop = { .fd = debug_stop_fd(s->dbg), .want = control_running,
				.readable = control_stopped, .opaque = &c };
	struct loop_fd in = { .fd = console ? STDIN_FILENO : -1, .readable = control_input };
	struct loop loop;
	int r = 0;

	loop_init(&loop);
	loop_add_fd(&loop, &sig);
	loop_add_fd(&loop, &stop);
	loop_add_fd(&loop, &in);
	if (st)
		loop_add(&loop, &(struct loop_source){ .fds = control_stub_fds,
				 .ready = control_stub_ready, .timeout = control_stub_timeout,
				 .opaque = st });
	/* --timeout's wake-up: no descriptor, only the time left */
	loop_add(&loop, &(struct loop_source){ .timeout = control_deadline_ms, .opaque = s });
	s->async = true;
	if (console)
		console_start(s);
	while (!c.quit && !s->quit && !(console && console_done()) && !(st && st->killed) &&
	       !c.ended && r == 0) {
		r = loop_once(&loop);
		s->timed_out |= commands_deadline_ms(s) == 0;
		c.quit |= s->timed_out;
		c.ended = control_over(&c);
	}
	if (debug_running(s->dbg)) {
		struct debug_stop last;

		debug_interrupt(s->dbg);
		debug_wait_stop(s->dbg, &last, NULL);
	}
	if (st && s->timed_out)
		stub_end(st);
	if (c.ended)
		s->ended = true;
	if (st && st->killed)
		fprintf(stderr, "kvmdbg: killed by the debugger\n");
	int failures = console ? console_end() : 0;

	if (r < 0)
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
	return failures + (r < 0);
}

/*
 * Picks the instruction-counting backend and says which, and why: perf (a
 * guest-instructions counter whose overflow stops runs near the target, single
 * steps landing on it) where the host has one, else single steps throughout.
 */
static int icount_select(struct debug *d, const struct options *opt)
{
	char why[160];
	uint64_t margin;
	int r = debug_icount_choose(d, opt->icount, opt->margin, why, sizeof(why), &margin);

	if (r < 0)
		return r;
	if (r == 0)
		fprintf(stderr, "kvmdbg: icount: single-step backend (%s)\n", why);
	else
		fprintf(stderr, "kvmdbg: icount: perf backend (%s, margin %llu), landing by "
			"single steps\n", why, (unsigned long long)margin);
	return 0;
}

/* --stop-at-icount: runs to the count and shows where that is. */
static int run_to_icount(struct session *s, uint64_t at)
{
	struct debug_stop stop;
	int id = debug_icount_break(s->dbg, at), r;

	if (id < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		return -1;
	}
	r = debug_continue(s->dbg, &stop);
	if (r < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		return -1;
	}
	if (r == 0)
		commands_wait(s, &stop);
	debug_icount_delete(s->dbg, id);
	debug_fresh_line(s->dbg);
	if (stop.reason != DEBUG_STOP_ICOUNT) {
		commands_report_stop(s, &stop, stdout);
		fprintf(stderr, "kvmdbg: the guest stopped at icount %llu, before %llu\n",
			(unsigned long long)debug_icount(s->dbg), (unsigned long long)at);
		return -1;
	}
	printf("icount %llu\n", (unsigned long long)debug_icount(s->dbg));
	arch_print_regs(debug_vcpu(s->dbg), stdout, &s->img->symbols);
	fflush(stdout);
	return 0;
}

/* The exit status for how the guest's run ended (the plain run's statuses;
 * a timeout is timed_out()'s). */
static int end_status(struct session *s, const struct options *opt)
{
	struct debug_stop last;
	int status;

	debug_last_stop(s->dbg, &last);
	if (debug_exited(s->dbg, &status))
		return last.reset ? STATUS_RESET : last.poweroff ? STATUS_OK :
		       guest_status(status, opt->exit_qemu);
	if (last.reason == DEBUG_STOP_SHUTDOWN)
		return STATUS_SHUTDOWN;
	if (last.reason == DEBUG_STOP_ERROR)
		return STATUS_KVM_ERROR;
	return s->interrupted ? STATUS_INTERRUPTED : STATUS_OK;
}

/* --timeout ended the session: where the guest was, and status 124. */
static int timed_out(struct session *s)
{
	debug_fresh_line(s->dbg);
	fputs("kvmdbg: timeout", stderr);
	report_pc(s->dbg, s->img);
	return STATUS_TIMEOUT;
}

/* --icount alone: the whole run, counted; the count at the end. */
static int run_counted(struct session *s, const struct options *opt)
{
	struct debug_stop stop;
	int r = debug_continue(s->dbg, &stop);

	if (r < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		return STATUS_USAGE;
	}
	if (r == 0)
		commands_wait_stop(s, stderr);
	debug_fresh_line(s->dbg);
	fprintf(stderr, "kvmdbg: icount %llu\n", (unsigned long long)debug_icount(s->dbg));
	return s->timed_out ? timed_out(s) : end_status(s, opt);
}

/* --eval, --script, --console and --gdb: the guest waits at its first instruction. */
int run_session(struct session *s, const struct options *opt)
{
	struct stub stub, *st = NULL;
	struct debug_stop stop;
	int failures = 0;

	if (opt->icount && icount_select(s->dbg, opt) < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		return STATUS_USAGE;
	}
	debug_set_history_limit(s->dbg, opt->history_mem);
	if (opt->history && debug_history(s->dbg, true, opt->history_mem) < 0) {
		fprintf(stderr, "kvmdbg: --history: %s\n", err_msg());
		return STATUS_USAGE;
	}
	if (opt->stop_at_set) {
		if (run_to_icount(s, opt->stop_at) < 0)
			return s->timed_out ? timed_out(s) : STATUS_COMMAND_FAILED;
		if (!opt->console && !opt->nbatch && !opt->gdb)
			return STATUS_OK;
	} else if (opt->icount && !opt->console && !opt->nbatch && !opt->gdb) {
		return run_counted(s, opt);
	}

	for (unsigned i = 0; i < opt->nbatch && !s->quit && !s->interrupted; i++) {
		const struct batch_item *b = &opt->batch[i];

		if (!b->script) {
			failures += commands_execute(s, b->text, stdout) < 0;
			continue;
		}
		FILE *f = fopen(b->text, "r");

		if (!f) {
			fprintf(stdout, "cannot open script %s: %s\n", b->text, strerror(errno));
			failures++;
			continue;
		}
		failures += console_run_stream(s, f, b->text);
		fclose(f);
	}
	fflush(stdout);
	bool tty_console = opt->console && isatty(STDIN_FILENO);

	/* A signal ends the commands given in advance; a person at the console
	 * gets the prompt. */
	if (s->timed_out)
		return timed_out(s);
	if (s->interrupted && !tty_console)
		return STATUS_INTERRUPTED;
	s->interrupted = false;
	if (s->quit)
		return failures ? STATUS_COMMAND_FAILED : STATUS_OK;

	if (opt->console && !tty_console)
		failures += console_run_stream(s, stdin, "stdin");
	if (s->timed_out)
		return timed_out(s);
	if (opt->gdb && !s->quit) {
		if (stub_start(&stub, opt->gdb, s->dbg, arch_gdb_layout(s->img->boot.mode),
			       commands_monitor, s) < 0) {
			fprintf(stderr, "kvmdbg: %s\n", err_msg());
			return STATUS_USAGE;
		}
		st = &stub;
		stub.monitor_stop = commands_monitor_stop;
		s->cancel = stub_cancel_requested;
		s->cancel_opaque = &stub;
		fprintf(stderr, "kvmdbg: gdb server on %s%s\n", stub.conn.where,
			opt->wait ? "; the guest waits for the debugger" : "");
		if (!opt->wait && !tty_console && !opt->stop_at_set && debug_continue(s->dbg, &stop) > 0)
			loop_log_stop(s, &stop);
	}
	if ((tty_console || st) && !s->quit) {
		struct debug_history_info h;

		debug_history_info(s->dbg, &h);
		failures += run_loop(s, st, tty_console, opt->no_shutdown || h.on);
	}
	if (st) {
		stub_close(st);
		s->cancel = NULL;
	}
	if (s->timed_out)
		return timed_out(s);
	if (s->ended)
		return end_status(s, opt);
	return failures ? STATUS_COMMAND_FAILED : STATUS_OK;
}
