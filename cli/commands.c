#include "commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../src/arch.h"
#include "../src/debug.h"
#include "../src/disasm.h"
#include "../src/err.h"
#include "../src/host.h"
#include "../src/loader.h"
#include "../src/onereg.h"

#define CMD_MAX_ARGS 32
#define CMD_MAX_INSN 16 /* longest x86 instruction */
#define CMD_MAX_COUNT 65536 /* units one x or disas may print */

static int cmd_fail(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cmd_fail(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return -1;
}

/* ---- expressions: numbers, symbols, sym+off, $reg, + and - ---------------- */

static int cmd_eval_term(struct session *s, const char **p, uint64_t *v, FILE *out)
{
	const char *q = *p;
	char name[128];
	size_t n = 0;
	uint64_t mask;
	int reg;

	while (isspace((unsigned char)*q))
		q++;
	if (isdigit((unsigned char)*q)) {
		char *end;

		errno = 0;
		*v = strtoull(q, &end, 0);
		if (errno || isalnum((unsigned char)*end) || *end == '_')
			return cmd_fail(out, "invalid number in '%s'", q);
		*p = end;
		return 0;
	}
	bool dollar = *q == '$';

	if (dollar)
		q++;
	/* gdb's "&symbol": its address, which a bare symbol is here too. */
	else if (*q == '&' && (isalpha((unsigned char)q[1]) || q[1] == '_' || q[1] == '.'))
		q++;
	while ((isalnum((unsigned char)*q) || *q == '_' || *q == '.' || *q == '@') &&
	       n < sizeof(name) - 1)
		name[n++] = *q++;
	name[n] = '\0';
	if (!n)
		return cmd_fail(out, "expected a number, symbol or $register at '%s'", *p);
	*p = q;
	if (dollar) {
		reg = arch_reg_find(name, &mask);
		if (reg < 0)
			return cmd_fail(out, "unknown register '$%s'", name);
		if (arch_reg_get(debug_vcpu(s->dbg), (unsigned)reg, v) < 0)
			return cmd_fail(out, "cannot read $%s: %s", name, err_msg());
		*v &= mask;
		return 0;
	}
	if (symbols_find(&s->img->symbols, name, v) == 0)
		return 0;
	return cmd_fail(out, "no symbol '%s' in the guest (a register needs '$', as in $%s)",
			name, name);
}

/* Evaluates an address expression such as "main+4", "$rsp - 8" or "0x1000". */
static int cmd_eval(struct session *s, const char *expr, uint64_t *value, FILE *out)
{
	const char *p = expr;
	uint64_t v, sum = 0;
	int sign = 1;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return cmd_fail(out, "an address or value is missing");
	if (*p == '-') {
		sign = -1;
		p++;
	}
	for (;;) {
		if (cmd_eval_term(s, &p, &v, out) < 0)
			return -1;
		sum = sign > 0 ? sum + v : sum - v;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*p != '+' && *p != '-')
			return cmd_fail(out, "unexpected '%s' in '%s' (only + and - combine terms)", p,
					expr);
		sign = *p++ == '+' ? 1 : -1;
	}
	*value = sum;
	return 0;
}

/* Joins argv[from..] with spaces, for expressions typed with blanks in them. */
static void cmd_join(int argc, char **argv, int from, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = from; i < argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i > from ? " " : "", argv[i]);
}

/* "WORD [= EXPRESSION]" from argv[1..], joined into text: *word is the one
 * word, *expr what follows '=' (NULL without one); false if not that shape. */
static bool cmd_split_assign(int argc, char **argv, char *text, size_t len, char **word,
			     char **expr)
{
	char *eq, *rest;

	cmd_join(argc, argv, 1, text, len);
	eq = strchr(text, '=');
	*expr = NULL;
	if (eq) {
		*eq = '\0';
		*expr = eq + 1;
	}
	*word = strtok_r(text, " \t", &rest);
	return *word && !strtok_r(NULL, " \t", &rest);
}

static int cmd_eval_args(struct session *s, int argc, char **argv, int from, uint64_t *v,
			 FILE *out)
{
	char expr[512];

	cmd_join(argc, argv, from, expr, sizeof(expr));
	return cmd_eval(s, expr, v, out);
}

static int cmd_parse_count(const char *text, unsigned long *n, FILE *out)
{
	char *end;

	errno = 0;
	*n = strtoul(text, &end, 0);
	if (errno || *end || !*n || *n > CMD_MAX_COUNT || *text == '-')
		return cmd_fail(out, "invalid count '%s' (1 to %d)", text, CMD_MAX_COUNT);
	return 0;
}

/* "0x100030 <main+4>" */
static void cmd_print_addr(struct session *s, uint64_t addr, FILE *out)
{
	char sym[160];

	symbols_format(&s->img->symbols, addr, sym, sizeof(sym));
	fprintf(out, "%#llx", (unsigned long long)addr);
	if (*sym)
		fprintf(out, " <%s>", sym);
}

/* ---- disassembly ---------------------------------------------------------- */

typedef int (*cmd_reader)(struct session *s, uint64_t addr, void *buf, size_t len);

static int cmd_read_virt(struct session *s, uint64_t addr, void *buf, size_t len)
{
	return debug_read_virt(s->dbg, addr, buf, len);
}

static int cmd_read_phys(struct session *s, uint64_t addr, void *buf, size_t len)
{
	return debug_read_phys(s->dbg, addr, buf, len);
}

/* Reads up to len bytes, fewer where memory ends; returns how many. */
static size_t cmd_read_some(struct session *s, cmd_reader rd, uint64_t addr, uint8_t *buf,
			    size_t len)
{
	return debug_read_upto(s->dbg, addr, buf, len, rd == cmd_read_phys);
}

static bool cmd_stop_early(struct session *s, FILE *out, bool midline, const char *what,
			   unsigned long done, unsigned long of);

static int cmd_disas_lines(struct session *s, cmd_reader rd, uint64_t addr, unsigned long count,
			   FILE *out, uint64_t *end)
{
	uint64_t pc = arch_pc(debug_vcpu(s->dbg));
	unsigned bits = arch_code_bits(debug_vcpu(s->dbg));

	for (unsigned long i = 0; i < count && !ferror(out); i++) {
		uint8_t bytes[CMD_MAX_INSN];
		char text[256];
		size_t n;
		int len;

		if (cmd_stop_early(s, out, false, "instructions shown:", i, count))
			break;
		n = cmd_read_some(s, rd, addr, bytes, sizeof(bytes));
		if (!n)
			return cmd_fail(out, "cannot access memory at address %#llx",
					(unsigned long long)addr);
		len = disasm_one(bits, addr, bytes, n, &s->img->symbols, text, sizeof(text));
		fputs(addr == pc ? "=> " : "   ", out);
		cmd_print_addr(s, addr, out);
		/* Bytes that decode to nothing are shown as gdb does, one at a time. */
		if (len < 0) {
			len = 1;
			snprintf(text, sizeof(text), "(bad)");
		}
		fprintf(out, ":\t%s\n", text);
		addr += (uint64_t)len;
		if (end)
			*end = addr;
	}
	return 0;
}

/* ---- stops ------------------------------------------------------------------ */

static void cmd_report_watch(struct session *s, const struct watch_hit *h, FILE *out)
{
	int digits = (int)h->size * 2;

	fprintf(out, "Watchpoint %d: %s of %u byte%s at ", h->id, h->is_write ? "write" : "read",
		h->size, h->size == 1 ? "" : "s");
	cmd_print_addr(s, h->addr, out);
	if (h->device) {
		const struct io_range *r = debug_io_device(s->dbg, IO_MMIO, h->pa);
		const struct io_access acc = { .space = IO_MMIO, .addr = h->pa, .size = h->size,
					       .is_write = h->is_write, .value = h->value, .dev = r };
		const char *reg = r && r->reg_name ? r->reg_name(r->opaque, h->pa - r->base, &acc)
						   : NULL;

		fprintf(out, " (%s%s%s)", r ? r->name : "unclaimed", reg ? "." : "", reg ? reg : "");
	}
	/* A device register has no old value to show. */
	if (h->is_write && !h->device)
		fprintf(out, "\nOld value = 0x%0*llx\nNew value = 0x%0*llx\n", digits,
			(unsigned long long)h->old, digits, (unsigned long long)h->value);
	else
		fprintf(out, "\nValue = 0x%0*llx\n", digits, (unsigned long long)h->value);
}

/* What the debugger has to tell the user (history discarded, say). */
static void cmd_notice(struct session *s, FILE *out)
{
	const char *text = debug_notice(s->dbg);

	if (text)
		fprintf(out, "note: %s\n", text);
}

int commands_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (!*text || *text == '-')
		return -EINVAL;
	v = strtoull(text, &end, 0);
	if (errno || end == text)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*bytes = v << shift;
	return 0;
}

/* " (replayed)" on a stop line below the furthest point history reached. */
static const char *cmd_replayed(const struct debug_stop *stop)
{
	return stop->replayed ? " (replayed)" : "";
}

void commands_report_stop(struct session *s, const struct debug_stop *stop, FILE *out)
{
	uint64_t pc = arch_pc(debug_vcpu(s->dbg));

	struct debug_break_info bp;
	/* nexti's or finish's own breakpoint stops as a step does. */
	bool temp = stop->reason == DEBUG_STOP_BREAKPOINT && s->temp_bp &&
		    stop->breakpoint == s->temp_bp && debug_break_info(s->dbg, s->temp_bp, &bp) &&
		    bp.owners == BP_OWNER_TEMP;

	debug_fresh_line(s->dbg);
	cmd_notice(s, out);
	if (s->temp_bp)
		debug_break_release(s->dbg, s->temp_bp, BP_OWNER_TEMP);
	s->temp_bp = 0;
	/* Several CPUs: which one stopped (it is the selected one now). */
	if (debug_cpus(s->dbg) > 1)
		fprintf(out, "CPU %u: ", stop->cpu);
	if (stop->history < 0) {
		fputs("No more reverse-execution history: ", out);
		if (debug_counting(s->dbg))
			fprintf(out, "icount %llu, ", (unsigned long long)debug_icount(s->dbg));
		cmd_print_addr(s, pc, out);
		fputc('\n', out);
		cmd_disas_lines(s, cmd_read_virt, pc, 1, out, NULL);
		return;
	}
	switch (stop->reason) {
	case DEBUG_STOP_EXITED:
		if (stop->reset || stop->poweroff)
			fprintf(out, "[%s%s]\n", stop->detail, stop->history > 0 ? ": the end of its "
				"history; rstepi, rcont and goto go back" : "");
		else if (stop->history > 0)
			fprintf(out, "[guest exited with status %d: the end of its history, icount %llu; "
				"rstepi, rcont and goto go back]\n", stop->status,
				(unsigned long long)debug_icount(s->dbg));
		else
			fprintf(out, "[guest exited with status %d]\n", stop->status);
		return;
	case DEBUG_STOP_HALTED:
		fprintf(out, "[guest halted (%s) at ", stop->detail);
		cmd_print_addr(s, pc, out);
		fputs("]\n", out);
		return;
	case DEBUG_STOP_SHUTDOWN: {
		char why[DEBUG_EXPLAIN_MAX];

		fprintf(out, "[guest shut down: %s]\n", stop->detail);
		if (debug_explain_shutdown(s->dbg, why, sizeof(why)))
			fprintf(out, "why: %s\n", why);
		arch_dump_regs(debug_vcpu(s->dbg), out);
		return;
	}
	case DEBUG_STOP_ERROR:
		fprintf(out, "[guest stopped: %s]\n", stop->detail);
		arch_dump_regs(debug_vcpu(s->dbg), out);
		return;
	case DEBUG_STOP_BREAKPOINT:
		if (temp)
			break;
		fprintf(out, "Breakpoint %d, ", stop->breakpoint);
		cmd_print_addr(s, pc, out);
		fprintf(out, "%s\n", cmd_replayed(stop));
		break;
	case DEBUG_STOP_REQUESTED:
		fputs("Stopped at ", out);
		cmd_print_addr(s, pc, out);
		fprintf(out, "%s\n", cmd_replayed(stop));
		break;
	case DEBUG_STOP_ICOUNT:
		fprintf(out, "icount %llu, ", (unsigned long long)debug_icount(s->dbg));
		cmd_print_addr(s, pc, out);
		fprintf(out, "%s\n", cmd_replayed(stop));
		break;
	case DEBUG_STOP_WATCHPOINT:
		cmd_report_watch(s, debug_watch_hit(s->dbg), out);
		if (stop->replayed)
			fprintf(out, "(replayed) icount %llu\n", (unsigned long long)debug_icount(s->dbg));
		break;
	case DEBUG_STOP_EXCEPTION:
		fprintf(out, "Caught %s%s\n", stop->detail, cmd_replayed(stop));
		break;
	case DEBUG_STOP_STEPPED:
		if (stop->replayed)
			fprintf(out, "(replayed) icount %llu\n", (unsigned long long)debug_icount(s->dbg));
		break;
	}
	cmd_disas_lines(s, cmd_read_virt, pc, 1, out, NULL);
}

/* CLOCK_MONOTONIC now, in seconds. */
static double cmd_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + now.tv_nsec / 1e9;
}

#define CMD_PROGRESS_AFTER 2.0 /* seconds of silence before a status line */
#define CMD_CANCEL_LOOK 0.01   /* seconds between looks for Ctrl-C in a long command */

/*
 * Whether a long command (stepi N, rstepi N, x/N and the like) should stop
 * now: Ctrl-C on the console (a signal), or gdb's Ctrl-C (0x03) while a
 * monitor command runs. Looks every CMD_CANCEL_LOOK seconds, reading the
 * clock only every 16th call (where the clock is a device, as in a VM
 * without a paravirtual one, a read costs microseconds).
 */
static bool cmd_cancelled(struct session *s)
{
	struct pollfd pfd = { .fd = s->sigfd, .events = POLLIN };
	struct signalfd_siginfo si;
	double now;

	if (s->cancelled || s->interrupted)
		return true;
	if (++s->cancel_calls % 16)
		return false;
	now = cmd_now();
	if (now - s->cancel_look < CMD_CANCEL_LOOK)
		return false;
	s->cancel_look = now;
	if (s->sigfd >= 0 && poll(&pfd, 1, 0) > 0 && read(s->sigfd, &si, sizeof(si)) > 0)
		s->interrupted = s->cancelled = true;
	if (!s->cancelled && s->cancel && s->cancel(s->cancel_opaque))
		s->cancelled = true;
	return s->cancelled;
}

/* In a long command's loop, before its item done (of of): whether to stop
 * there (cmd_cancelled; never before the first), saying so on a line of its
 * own (midline: the output is in the middle of one). */
static bool cmd_stop_early(struct session *s, FILE *out, bool midline, const char *what,
			   unsigned long done, unsigned long of)
{
	if (!done || !cmd_cancelled(s))
		return false;
	fprintf(out, "%sInterrupted: %s %lu of %lu.\n", midline ? "\n" : "", what, done, of);
	return true;
}
#define CMD_HINT_AFTER 5.0     /* ... and before the earlyprintk hint */

void commands_progress(struct session *s, bool done)
{
	double now = cmd_now(), quiet;
	bool silent;
	char line[160];
	int n;

	if (done) {
		debug_status_line(s->dbg, NULL);
		s->run_since = 0;
		return;
	}
	/* Counted runs say how far they got; a Linux kernel how long it is silent. */
	if (!isatty(STDERR_FILENO))
		return;
	if (debug_counting(s->dbg)) {
		n = snprintf(line, sizeof(line), "kvmdbg: icount %llu",
			     (unsigned long long)debug_icount(s->dbg));
		if (debug_target(s->dbg) != UINT64_MAX && n > 0 && (size_t)n < sizeof(line))
			snprintf(line + n, sizeof(line) - (size_t)n, " of %llu",
				 (unsigned long long)debug_target(s->dbg));
		debug_status_line(s->dbg, line);
		return;
	}
	quiet = now - s->run_since; /* (commands_wait() set when it began) */
	silent = !debug_output_bytes(s->dbg);
	if (!s->kernel || !silent || quiet < CMD_PROGRESS_AFTER)
		return;
	if (s->early_hint && !s->hinted && quiet >= CMD_HINT_AFTER) {
		s->hinted = true;
		debug_status_line(s->dbg, NULL);
		fputs("kvmdbg: a kernel prints nothing until its console driver starts (seconds on "
		      "KVM, minutes where kernel code runs emulated); earlyprintk=serial,ttyS0,115200 "
		      "in --append shows its boot from the start\n", stderr);
	}
	snprintf(line, sizeof(line), "kvmdbg: running %.0f s, no output yet", quiet);
	debug_status_line(s->dbg, line);
}

void commands_set_timeout(struct session *s, double seconds)
{
	s->deadline = seconds > 0 ? cmd_now() + seconds : 0;
}

int commands_deadline_ms(const struct session *s)
{
	double left;

	if (s->deadline <= 0)
		return -1;
	left = (s->deadline - cmd_now()) * 1000;
	return left <= 0 ? 0 : left >= INT_MAX ? INT_MAX : (int)left + 1;
}

/* The waiter's next tick: a second, or the deadline if nearer. */
static int cmd_tick_ms(const struct session *s)
{
	int left = commands_deadline_ms(s);

	if (s->timed_out)
		return -1;
	return left >= 0 && left < 1000 ? left : 1000;
}

/* A wait for the guest's stop, and the session it is in. */
struct cmd_wait {
	struct session *s;
	struct debug_waiter w;
};

/* While waiting: a signal or the deadline stops the guest, each second shows
 * the progress. */
static void cmd_wait_event(void *opaque, bool signalled)
{
	struct cmd_wait *cw = opaque;
	struct session *s = cw->s;
	struct signalfd_siginfo si;

	if (!signalled && commands_deadline_ms(s) == 0 && !s->timed_out) {
		s->timed_out = s->interrupted = true;
		cw->w.tick_ms = -1; /* the guest is stopping: wait for that alone */
		debug_interrupt(s->dbg);
		return;
	}
	if (!signalled) {
		commands_progress(s, false);
		cw->w.tick_ms = cmd_tick_ms(s);
		return;
	}
	if (read(s->sigfd, &si, sizeof(si)) > 0)
		s->interrupted = true;
	debug_interrupt(s->dbg);
}

void commands_wait(struct session *s, struct debug_stop *stop)
{
	struct cmd_wait cw = { .s = s };

	if (!s->run_since)
		s->run_since = cmd_now();
	cw.w = (struct debug_waiter){ .fd = s->sigfd, .tick_ms = cmd_tick_ms(s),
				      .event = cmd_wait_event, .opaque = &cw };
	debug_wait_stop(s->dbg, stop, &cw.w);
	commands_progress(s, true);
}

void commands_wait_stop(struct session *s, FILE *out)
{
	struct debug_stop stop;

	commands_wait(s, &stop);
	commands_report_stop(s, &stop, out);
}

/* gdb does not reread registers after a monitor command: say so when one
 * moved the guest. */
static void cmd_monitor_moved(FILE *out)
{
	fputs("note: gdb still shows the registers from before: flushregs (maintenance flush "
	      "register-cache) rereads them\n", out);
}

int commands_monitor(void *opaque, const char *cmd, FILE *out)
{
	struct session *s = opaque;
	bool running = debug_running(s->dbg);
	uint64_t pc = running ? 0 : arch_pc(debug_vcpu(s->dbg)), icount = debug_icount(s->dbg);
	int r;

	s->remote = true;
	r = commands_execute(s, cmd, out);
	s->remote = false;
	if (!running && !debug_running(s->dbg) &&
	    (arch_pc(debug_vcpu(s->dbg)) != pc || debug_icount(s->dbg) != icount))
		cmd_monitor_moved(out);
	return r == 0 && s->async && !running && debug_running(s->dbg) ? 1 : r;
}

void commands_monitor_stop(void *opaque, const struct debug_stop *stop, FILE *out)
{
	commands_report_stop(opaque, stop, out);
	cmd_monitor_moved(out);
}

/* ---- handlers ---------------------------------------------------------------- */

/* One register by name ("rax", "$eax", "xmm0"), as gdb's info registers shows it. */
static int cmd_print_reg(struct session *s, const char *name, FILE *out)
{
	uint8_t buf[64];
	uint64_t v, mask;
	int idx;

	if (*name == '$')
		name++;
	idx = arch_reg_find(name, &mask);
	if (idx < 0)
		return cmd_fail(out, "unknown register '%s'", name);
	if (arch_regs[idx].bits > 64) {
		if (arch_reg_read(debug_vcpu(s->dbg), (unsigned)idx, buf) < 0)
			return cmd_fail(out, "cannot read %s: %s", name, err_msg());
		fprintf(out, "%-15s0x", name);
		for (unsigned i = arch_regs[idx].bits / 8; i-- > 0;)
			fprintf(out, "%02x", buf[i]);
		fputc('\n', out);
		return 0;
	}
	if (arch_reg_get(debug_vcpu(s->dbg), (unsigned)idx, &v) < 0)
		return cmd_fail(out, "cannot read %s: %s", name, err_msg());
	v &= mask;
	fprintf(out, "%-15s0x%-18llx%llu\n", name, (unsigned long long)v, (unsigned long long)v);
	return 0;
}

static int cmd_regs(struct session *s, int argc, char **argv, FILE *out)
{
	int failed = 0;

	if (argc == 1) {
		if (arch_print_regs(debug_vcpu(s->dbg), out, &s->img->symbols) < 0)
			return cmd_fail(out, "%s", err_msg());
		return 0;
	}
	for (int i = 1; i < argc; i++)
		failed |= cmd_print_reg(s, argv[i], out);
	return failed ? -1 : 0;
}

/* The size of a C type gdb's way ("int", "unsigned long", "uint8_t"), for
 * the guest's CPU mode; 0 if unknown. */
static unsigned cmd_type_size(struct session *s, const char *type)
{
	static const struct {
		const char *name;
		unsigned size; /* 0: a long, the size of the guest's words */
	} types[] = {
		{ "char", 1 }, { "unsigned char", 1 }, { "signed char", 1 }, { "int8_t", 1 },
		{ "uint8_t", 1 }, { "short", 2 }, { "unsigned short", 2 }, { "int16_t", 2 },
		{ "uint16_t", 2 }, { "int", 4 }, { "unsigned", 4 }, { "unsigned int", 4 },
		{ "int32_t", 4 }, { "uint32_t", 4 }, { "long", 0 }, { "unsigned long", 0 },
		{ "long long", 8 }, { "unsigned long long", 8 }, { "int64_t", 8 }, { "uint64_t", 8 },
	};
	char t[64];
	size_t n = 0;

	/* Blanks squeezed to one, trimmed. */
	for (const char *p = type; *p && n < sizeof(t) - 1; p++)
		if (!isspace((unsigned char)*p))
			t[n++] = *p;
		else if (n && t[n - 1] != ' ')
			t[n++] = ' ';
	while (n && t[n - 1] == ' ')
		n--;
	t[n] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(t, types[i].name))
			return types[i].size ? types[i].size
					     : arch_code_bits(debug_vcpu(s->dbg)) == 64 ? 8 : 4;
	return 0;
}

/* gdb's memory assignments: "*ADDR = V" (an int), "{TYPE} ADDR = V",
 * "*(TYPE *) ADDR = V". */
static int cmd_set_memory(struct session *s, char *lhs, const char *expr, FILE *out)
{
	unsigned size = 4;
	uint64_t addr, v;
	char *close;

	if (*lhs == '{' || (lhs[0] == '*' && lhs[1 + strspn(lhs + 1, " ")] == '(')) {
		char *open = strchr(lhs, *lhs == '{' ? '{' : '(');

		close = strchr(open, *lhs == '{' ? '}' : ')');
		if (!close)
			return cmd_fail(out, "unbalanced '%c' in '%s'", *open, lhs);
		*close = '\0';
		/* "(TYPE *)": the pointer's star goes. */
		if (*lhs == '*') {
			char *star = strrchr(open + 1, '*');

			if (!star)
				return cmd_fail(out, "expected a pointer type, as in *(int *)ADDRESS");
			*star = '\0';
		}
		size = cmd_type_size(s, open + 1);
		if (!size)
			return cmd_fail(out, "unknown type '%s' (char, short, int, long, long long, "
					"uint8_t ... uint64_t)", open + 1);
		lhs = close + 1;
	} else {
		lhs++;
	}
	if (cmd_eval(s, lhs, &addr, out) < 0 || cmd_eval(s, expr, &v, out) < 0)
		return -1;
	if (debug_write_virt(s->dbg, addr, &v, size) < 0)
		return cmd_fail(out, "%s", err_msg());
	return 0;
}

/* set $REGISTER = VALUE, or memory as gdb sets it */
static int cmd_set(struct session *s, int argc, char **argv, FILE *out)
{
	char text[512], *name, *expr;
	uint64_t v, old, mask;
	int idx;

	if (argc > 1 && (argv[1][0] == '*' || argv[1][0] == '{')) {
		cmd_join(argc, argv, 1, text, sizeof(text));
		expr = strchr(text, '=');
		if (!expr)
			return cmd_fail(out, "usage: set *ADDRESS = VALUE");
		*expr++ = '\0';
		return cmd_set_memory(s, text, expr, out);
	}
	if (!cmd_split_assign(argc, argv, text, sizeof(text), &name, &expr) || !expr ||
	    name[0] != '$' || !name[1])
		return cmd_fail(out, "usage: set $REGISTER = VALUE, or set *ADDRESS = VALUE (an "
				"int; {TYPE} ADDRESS or *(TYPE *) ADDRESS for another size)");
	idx = arch_reg_find(name + 1, &mask);
	if (idx < 0)
		return cmd_fail(out, "unknown register '%s'", name);
	if (cmd_eval(s, expr, &v, out) < 0)
		return -1;
	if (arch_reg_get(debug_vcpu(s->dbg), (unsigned)idx, &old) < 0 ||
	    arch_reg_set(debug_vcpu(s->dbg), (unsigned)idx, (old & ~mask) | (v & mask)) < 0)
		return cmd_fail(out, "cannot set %s: %s", name, err_msg());
	return 0;
}

static int cmd_view(int (*print)(struct vcpu *, FILE *), struct session *s, int argc,
		    char **argv, FILE *out)
{
	if (argc > 1)
		return cmd_fail(out, "%s takes no arguments", argv[0]);
	if (print(debug_vcpu(s->dbg), out) < 0)
		return cmd_fail(out, "%s", err_msg());
	return 0;
}

static int cmd_sregs(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_view(arch_print_sregs, s, argc, argv, out);
}

static int cmd_fpu(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_view(arch_print_fpu, s, argc, argv, out);
}

static int cmd_xmm(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_view(arch_print_xmm, s, argc, argv, out);
}

static int cmd_dregs(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_view(arch_print_dregs, s, argc, argv, out);
}

static const char *const onereg_subcommands[] = { "list", "get", "dump", NULL };

static int cmd_onereg(struct session *s, int argc, char **argv, FILE *out)
{
	const char *source;
	uint64_t *ids, id;
	size_t n;
	int failed = 0;

	if (argc < 2)
		return cmd_fail(out, "usage: onereg list | onereg get NAME|ID | onereg dump");
	if (!strcmp(argv[1], "get")) {
		if (argc != 3)
			return cmd_fail(out, "usage: onereg get NAME|ID");
		if (onereg_parse(argv[2], &id) < 0)
			return cmd_fail(out, "%s", err_msg());
		return onereg_print(debug_vcpu(s->dbg), id, out) < 0 ? -1 : 0;
	}
	if (strcmp(argv[1], "list") && strcmp(argv[1], "dump"))
		return cmd_fail(out, "unknown subcommand 'onereg %s' (list, get, dump)", argv[1]);
	if (argc != 2)
		return cmd_fail(out, "onereg %s takes no arguments", argv[1]);
	if (onereg_list(debug_vcpu(s->dbg), &ids, &n, &source) < 0)
		return cmd_fail(out, "%s", err_msg());
	fprintf(out, "%zu registers (ids from %s)\n", n, source);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(argv[1], "dump")) {
			failed |= onereg_print(debug_vcpu(s->dbg), ids[i], out) < 0;
			continue;
		}
		const char *name = arch_onereg_name(ids[i]);

		fprintf(out, "%#018llx  %s\n", (unsigned long long)ids[i], name ? name : "");
	}
	free(ids);
	/* Some listed MSRs are not readable on every host: not the command's failure. */
	(void)failed;
	return 0;
}

static int cmd_msr(struct session *s, int argc, char **argv, FILE *out)
{
	char text[256], *expr, *name, *end;
	uint32_t index;
	uint64_t value;
	const char *known;

	if (argc < 2 || !cmd_split_assign(argc, argv, text, sizeof(text), &name, &expr))
		return cmd_fail(out, "usage: msr NAME|INDEX [= VALUE]");
	if (arch_msr_find(name, &index) < 0) {
		errno = 0;
		unsigned long long v = strtoull(name, &end, 0);

		if (errno || *end || v > 0xffffffffULL)
			return cmd_fail(out, "unknown MSR '%s' (a name such as EFER, or an index "
					"such as 0xc0000080)", name);
		index = (uint32_t)v;
	}
	known = arch_msr_name(index);
	if (expr) {
		if (cmd_eval(s, expr, &value, out) < 0)
			return -1;
		if (arch_msr_write(debug_vcpu(s->dbg), index, value) < 0)
			return cmd_fail(out, "%s", err_msg());
	}
	if (arch_msr_read(debug_vcpu(s->dbg), index, &value) < 0)
		return cmd_fail(out, "%s", err_msg());
	fprintf(out, "%s (%#x) = %#llx", known ? known : "MSR", index, (unsigned long long)value);
	arch_msr_fields(out, index, value);
	fputc('\n', out);
	return 0;
}

/* x/FMT: count, format letter, unit size letter (gdb's conventions). */
struct xfmt {
	unsigned long count; /* units to show */
	char format;         /* x d u c s i */
	unsigned size;       /* 1 2 4 8 bytes */
};

static int cmd_parse_xfmt(const char *cmd, struct xfmt *f, FILE *out)
{
	const char *p = strchr(cmd, '/');
	char *end;

	*f = (struct xfmt){ .count = 1, .format = 'x', .size = 4 };
	if (!p)
		return 0;
	p++;
	if (isdigit((unsigned char)*p)) {
		errno = 0;
		f->count = strtoul(p, &end, 10);
		if (errno || !f->count || f->count > CMD_MAX_COUNT)
			return cmd_fail(out, "invalid count in '%s' (1 to %d)", cmd, CMD_MAX_COUNT);
		p = end;
	}
	for (; *p; p++) {
		switch (*p) {
		case 'x': case 'd': case 'u': case 'c': case 's': case 'i':
			f->format = *p;
			break;
		case 'b': f->size = 1; break;
		case 'h': f->size = 2; break;
		case 'w': f->size = 4; break;
		case 'g': f->size = 8; break;
		default:
			return cmd_fail(out, "invalid format letter '%c' in '%s' (formats x d u c s i, "
					"sizes b h w g)", *p, cmd);
		}
	}
	if (f->format == 'c')
		f->size = 1;
	return 0;
}

/* One character of a string as C (and gdb) write it between quotes. */
static void cmd_put_char(uint8_t c, FILE *out)
{
	if (c == '"' || c == '\\')
		fprintf(out, "\\%c", c);
	else if (c == '\n')
		fputs("\\n", out);
	else if (c == '\t')
		fputs("\\t", out);
	else if (isprint(c))
		fputc(c, out);
	else
		fprintf(out, "\\%03o", c);
}

static int cmd_examine_strings(struct session *s, cmd_reader rd, uint64_t addr,
			       unsigned long count, FILE *out, uint64_t *end)
{
	/* (A stream that cannot take more, a monitor's past its limit, ends it.) */
	for (unsigned long i = 0; i < count && !ferror(out); i++) {
		uint8_t c;
		size_t n = 0;

		if (cmd_stop_early(s, out, false, "strings shown:", i, count))
			break;
		cmd_print_addr(s, addr, out);
		fputs(":\t\"", out);
		while (n < 4096 && !ferror(out) && rd(s, addr + n, &c, 1) == 0 && c) {
			cmd_put_char(c, out);
			n++;
		}
		fputs("\"\n", out);
		if (rd(s, addr + n, &c, 1) < 0)
			return cmd_fail(out, "cannot access memory at address %#llx",
					(unsigned long long)(addr + n));
		addr += n + 1;
		*end = addr;
	}
	return 0;
}

static int cmd_examine(struct session *s, cmd_reader rd, int argc, char **argv, FILE *out)
{
	struct xfmt f;
	uint64_t addr;
	unsigned per_line;

	const char *cmd = argv[0];
	size_t word = strcspn(argv[0], "/");
	bool same = s->x_last[0] && strcspn(s->x_last, "/") == word &&
		    !strncmp(s->x_last, argv[0], word);

	/* Without an address, x (or xp) goes on where the last one of its kind
	 * stopped, in the last format unless a new one is given (as in gdb). */
	if (argc < 2) {
		if (!same)
			return cmd_fail(out, "usage: %.*s/FMT ADDRESS (e.g. x/4xg $rsp)",
					(int)word, argv[0]);
		if (!argv[0][word])
			cmd = s->x_last;
		addr = s->x_next;
	} else if (cmd_eval_args(s, argc, argv, 1, &addr, out) < 0) {
		return -1;
	}
	if (cmd_parse_xfmt(cmd, &f, out) < 0)
		return -1;
	if (cmd != s->x_last)
		snprintf(s->x_last, sizeof(s->x_last), "%s", cmd);
	s->x_next = addr;
	if (f.format == 'i')
		return cmd_disas_lines(s, rd, addr, f.count, out, &s->x_next);
	if (f.format == 's')
		return cmd_examine_strings(s, rd, addr, f.count, out, &s->x_next);
	per_line = f.format == 'c' ? 8 : f.size == 8 ? 2 : f.size == 4 ? 4 : 8;
	for (unsigned long i = 0; i < f.count && !ferror(out); i++) {
		uint64_t v = 0;

		if (cmd_stop_early(s, out, i % per_line, "units shown:", i, f.count))
			break;
		if (rd(s, addr, &v, f.size) < 0) {
			if (i % per_line)
				fputc('\n', out);
			return cmd_fail(out, "cannot access memory at address %#llx",
					(unsigned long long)addr);
		}
		if (i % per_line == 0) {
			cmd_print_addr(s, addr, out);
			fputc(':', out);
		}
		switch (f.format) {
		case 'x':
			fprintf(out, "\t0x%0*llx", (int)f.size * 2, (unsigned long long)v);
			break;
		case 'u':
			fprintf(out, "\t%llu", (unsigned long long)v);
			break;
		case 'd': {
			int64_t sv = f.size == 8 ? (int64_t)v : (int64_t)(v << (64 - 8 * f.size)) >>
								    (64 - 8 * f.size);
			fprintf(out, "\t%lld", (long long)sv);
			break;
		}
		case 'c':
			fprintf(out, isprint((int)v) ? "\t%u '%c'" : "\t%u '\\%03o'", (unsigned)v,
				(unsigned)v);
			break;
		}
		if (i % per_line == per_line - 1 || i + 1 == f.count)
			fputc('\n', out);
		addr += f.size;
		s->x_next = addr;
	}
	return 0;
}

static int cmd_x(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_examine(s, cmd_read_virt, argc, argv, out);
}

static int cmd_xp(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_examine(s, cmd_read_phys, argc, argv, out);
}

static int cmd_disas(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t addr = arch_pc(debug_vcpu(s->dbg));
	unsigned long count = 10;

	if (argc > 3)
		return cmd_fail(out, "usage: disas [ADDRESS [COUNT]] (write an address with "
				"blanks as one word: main+4)");
	if (argc >= 2 && cmd_eval(s, argv[1], &addr, out) < 0)
		return -1;
	if (argc == 3 && cmd_parse_count(argv[2], &count, out) < 0)
		return -1;
	return cmd_disas_lines(s, cmd_read_virt, addr, count, out, NULL);
}

/* print/FMT's value: x hex, d signed, u unsigned, o octal, t binary, c a
 * character, a an address with its symbol; 0 (no format): hex, decimal, symbol. */
static void cmd_print_value(struct session *s, uint64_t v, char fmt, FILE *out)
{
	unsigned long long u = (unsigned long long)v;
	char sym[160];

	switch (fmt) {
	case 'x': fprintf(out, "%#llx\n", u); return;
	case 'd': fprintf(out, "%lld\n", (long long)v); return;
	case 'u': fprintf(out, "%llu\n", u); return;
	case 'o': fprintf(out, "%#llo\n", u); return;
	case 't':
		for (int bit = v ? 63 - __builtin_clzll(v) : 0; bit >= 0; bit--)
			fputc('0' + (int)((v >> bit) & 1), out);
		fputc('\n', out);
		return;
	case 'c':
		fprintf(out, "%llu '", u & 0xff);
		if (isprint((int)(u & 0xff)))
			fputc((int)(u & 0xff), out);
		else
			fprintf(out, "\\%03llo", u & 0xff);
		fputs("'\n", out);
		return;
	}
	symbols_format(&s->img->symbols, v, sym, sizeof(sym));
	if (fmt == 'a')
		fprintf(out, "%#llx", u);
	else
		fprintf(out, "%#llx (%llu)", u, u);
	if (*sym)
		fprintf(out, " <%s>", sym);
	fputc('\n', out);
}

#define CMD_PRINT_BYTES 256 /* most bytes print shows of a data symbol */

/* print of a data symbol: its value, as gdb without debug information would
 * show it after a cast. The size comes from the ELF symbol table: 1, 2, 4 or
 * 8 bytes are a number, a NUL-ended printable array a string, anything else
 * its bytes. */
static int cmd_print_var(struct session *s, const struct symbol *sym, char fmt, FILE *out)
{
	uint8_t buf[CMD_PRINT_BYTES];
	size_t n = sym->size < sizeof(buf) ? (size_t)sym->size : sizeof(buf), len;

	if (!sym->size) {
		fprintf(out, "%s = ", sym->name);
		cmd_print_value(s, sym->addr, 'a', out);
		fprintf(out, "(the address: the symbols give no size, as a System.map does not; "
			"x/8xb %s reads its bytes)\n", sym->name);
		return 0;
	}
	if (cmd_read_virt(s, sym->addr, buf, n) < 0)
		return cmd_fail(out, "cannot access memory at %#llx (%s)",
				(unsigned long long)sym->addr, sym->name);
	fprintf(out, "%s = ", sym->name);
	if (n == 1 || n == 2 || n == 4 || n == 8) {
		uint64_t v = 0;

		memcpy(&v, buf, n);
		if (fmt == 'd' && n < 8)
			v = (uint64_t)((int64_t)(v << (64 - 8 * n)) >> (64 - 8 * n));
		cmd_print_value(s, v, fmt, out);
		return 0;
	}
	len = strnlen((const char *)buf, n);
	bool text = len > 0 && len < n && !fmt;

	for (size_t i = 0; text && i < len; i++)
		text = isprint(buf[i]) || buf[i] == '\n' || buf[i] == '\t';
	if (text) {
		fputc('"', out);
		for (size_t i = 0; i < len; i++)
			cmd_put_char(buf[i], out);
		fputs("\"\n", out);
		return 0;
	}
	fputc('{', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, i ? ", 0x%02x" : "0x%02x", buf[i]);
	if (n < sym->size)
		fprintf(out, ", ... (%llu bytes; x/%lluxb %s shows them all)",
			(unsigned long long)sym->size, (unsigned long long)sym->size, sym->name);
	fputs("}\n", out);
	return 0;
}

static int cmd_print(struct session *s, int argc, char **argv, FILE *out)
{
	const char *slash = strchr(argv[0], '/');
	const struct symbol *sym;
	uint64_t v;

	if (slash && (strlen(slash) != 2 || !strchr("xduotca", slash[1])))
		return cmd_fail(out, "invalid format '%s' for print (x d u o t c a)", slash);
	if (argc < 2)
		return cmd_fail(out, "usage: print[/FMT] EXPRESSION (e.g. print $rip, p/x main+4)");
	/* A data symbol alone is its value, as in gdb ('&name' is its address). */
	if (argc == 2 && (sym = symbols_by_name(&s->img->symbols, argv[1])) && sym->kind == 'D')
		return cmd_print_var(s, sym, slash ? slash[1] : 0, out);
	if (cmd_eval_args(s, argc, argv, 1, &v, out) < 0)
		return -1;
	cmd_print_value(s, v, slash ? slash[1] : 0, out);
	return 0;
}

static int cmd_sym(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t addr;
	char sym[160];

	if (argc < 2)
		return cmd_fail(out, "usage: sym ADDRESS");
	if (cmd_eval_args(s, argc, argv, 1, &addr, out) < 0)
		return -1;
	symbols_format(&s->img->symbols, addr, sym, sizeof(sym));
	if (!*sym)
		return cmd_fail(out, "no symbol matches %#llx", (unsigned long long)addr);
	fprintf(out, "%#llx = %s\n", (unsigned long long)addr, sym);
	return 0;
}

static int cmd_addr(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t addr;

	if (argc != 2)
		return cmd_fail(out, "usage: addr SYMBOL");
	if (symbols_find(&s->img->symbols, argv[1], &addr) < 0)
		return cmd_fail(out, "no symbol '%s' in the guest", argv[1]);
	fprintf(out, "%s = %#llx\n", argv[1], (unsigned long long)addr);
	return 0;
}

static int cmd_kaslr(struct session *s, int argc, char **argv, FILE *out)
{
	char text[400];

	(void)argv;
	if (argc != 1)
		return cmd_fail(out, "usage: kaslr");
	if (debug_kaslr(s->dbg, text, sizeof(text)) < 0)
		return cmd_fail(out, "%s", err_msg());
	fputs(text, out);
	return 0;
}

static int cmd_stepi(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_stop stop = { 0 };
	unsigned long n = 1;

	if (argc > 2)
		return cmd_fail(out, "usage: stepi [COUNT]");
	if (argc == 2 && cmd_parse_count(argv[1], &n, out) < 0)
		return -1;
	for (unsigned long i = 0; i < n; i++) {
		if (cmd_stop_early(s, out, false, "stepped", i, n))
			break;
		if (debug_step(s->dbg, &stop) < 0)
			return cmd_fail(out, "%s", err_msg());
		if (stop.reason != DEBUG_STOP_STEPPED)
			break;
	}
	commands_report_stop(s, &stop, out);
	return 0;
}

/* An instruction count: a number, no sign; -EINVAL. */
static int cmd_parse_icount(const char *text, uint64_t *at)
{
	char *end;

	errno = 0;
	*at = strtoull(text, &end, 0);
	return errno || *end || !*text || *text == '-' ? -EINVAL : 0;
}

/* A run that may go on in the background (cont, rcont, goto): r from debug_*. */
static int cmd_ran(struct session *s, int r, const struct debug_stop *stop, FILE *out)
{
	if (r < 0)
		return cmd_fail(out, "%s", err_msg());
	cmd_notice(s, out);
	if (r > 0) {
		commands_report_stop(s, stop, out);
		return 0;
	}
	if (!s->async)
		commands_wait_stop(s, out);
	return 0;
}

static int cmd_cont(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_stop stop;
	int r;

	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "cont takes no arguments");
	/* Said before the guest runs: its output must not cut into the line. */
	if (!debug_exited(s->dbg, NULL)) {
		fputs("Continuing.\n", out);
		fflush(out);
	}
	r = debug_continue(s->dbg, &stop);
	return cmd_ran(s, r, &stop, out);
}

/* Guest-virtual memory for arch_backtrace(): all of it or nothing. */
static int cmd_frame_read(void *opaque, uint64_t va, void *buf, size_t len)
{
	struct session *s = opaque;

	return debug_read_upto(s->dbg, va, buf, len, false) == len ? 0 : -EFAULT;
}

static int cmd_bt(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t pcs[64];
	unsigned n;

	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "bt takes no arguments");
	n = arch_backtrace(debug_vcpu(s->dbg), &s->img->symbols, cmd_frame_read, s, pcs, 64);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "#%-2u ", i);
		cmd_print_addr(s, pcs[i], out);
		fputc('\n', out);
	}
	return 0;
}

/* Runs to addr with a breakpoint of the console's own, gone at the stop. */
static int cmd_run_to(struct session *s, uint64_t addr, FILE *out)
{
	struct debug_stop stop;
	int id = debug_break_insert(s->dbg, BP_SW, addr, BP_OWNER_TEMP);

	if (id < 0)
		return cmd_fail(out, "%s", err_msg());
	s->temp_bp = id;
	int r = debug_continue(s->dbg, &stop);

	if (r < 0) {
		debug_break_release(s->dbg, id, BP_OWNER_TEMP);
		s->temp_bp = 0;
	}
	return cmd_ran(s, r, &stop, out);
}

/* nexti: stepi, but a call runs until it returns to the next instruction. */
static int cmd_nexti(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t pc = arch_pc(debug_vcpu(s->dbg));
	uint8_t bytes[CMD_MAX_INSN];
	size_t got = cmd_read_some(s, cmd_read_virt, pc, bytes, sizeof(bytes));
	char text[256], *word;
	int len;

	if (argc > 1)
		return cmd_fail(out, "usage: nexti (one instruction; stepi COUNT steps several)");
	len = got ? disasm_one(arch_code_bits(debug_vcpu(s->dbg)), pc, bytes, got,
			       &s->img->symbols, text, sizeof(text)) : -EFAULT;
	/* The mnemonic, after prefixes such as "notrack" or "bnd". */
	word = len > 0 ? text + strspn(text, " \t") : NULL;
	if (word && (!strncmp(word, "notrack ", 8) || !strncmp(word, "bnd ", 4)))
		word = strchr(word, ' ') + 1;
	if (!word || (strncmp(word, "call", 4) && strncmp(word, "lcall", 5)))
		return cmd_stepi(s, 1, argv, out);
	return cmd_run_to(s, pc + (uint64_t)len, out);
}

/* finish: runs until the function returns, to where the frame pointers say. */
static int cmd_finish(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t pcs[2];

	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "finish takes no arguments");
	if (arch_backtrace(debug_vcpu(s->dbg), &s->img->symbols, cmd_frame_read, s, pcs, 2) < 2)
		return cmd_fail(out, "cannot find where this function returns to (no frame pointer "
				"chain here; break at the return address instead)");
	fputs("Run till exit from ", out);
	cmd_print_addr(s, pcs[0], out);
	fputc('\n', out);
	return cmd_run_to(s, pcs[1], out);
}

static int cmd_rstepi(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_stop stop = { 0 };
	unsigned long n = 1;

	if (argc > 2)
		return cmd_fail(out, "usage: rstepi [COUNT]");
	if (argc == 2 && cmd_parse_count(argv[1], &n, out) < 0)
		return -1;
	for (unsigned long i = 0; i < n; i++) {
		if (cmd_stop_early(s, out, false, "stepped back", i, n))
			break;
		int r = debug_reverse_step(s->dbg, &stop);

		if (r < 0)
			return cmd_fail(out, "%s", err_msg());
		if (r == 0)
			commands_wait(s, &stop);
		if (stop.reason != DEBUG_STOP_STEPPED || stop.history)
			break;
	}
	cmd_notice(s, out);
	commands_report_stop(s, &stop, out);
	return 0;
}

static int cmd_rcont(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_stop stop;

	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "rcont takes no arguments");
	return cmd_ran(s, debug_reverse_continue(s->dbg, &stop), &stop, out);
}

static int cmd_goto(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_stop stop;
	const char *n = argc == 3 && !strcmp(argv[1], "icount") ? argv[2] : argc == 2 ? argv[1] : NULL;
	uint64_t at;

	if (!n)
		return cmd_fail(out, "usage: goto icount N (or goto N)");
	if (cmd_parse_icount(n, &at) < 0)
		return cmd_fail(out, "invalid count '%s'", n);
	return cmd_ran(s, debug_goto(s->dbg, at, &stop), &stop, out);
}

/* history interrupts [FROM [TO]]: those history holds, taken at counts FROM
 * to TO; a line each. */
static int cmd_history_irqs(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_irq_taken v[256];
	struct debug_history_info h;
	uint64_t from = 0, to = UINT64_MAX;
	size_t at = 0, n, shown = 0;
	unsigned long h_irqs;

	if (argc > 4 || (argc >= 3 && cmd_parse_icount(argv[2], &from) < 0) ||
	    (argc == 4 && cmd_parse_icount(argv[3], &to) < 0))
		return cmd_fail(out, "usage: history interrupts [FROM [TO]] (counts)");
	debug_history_info(s->dbg, &h);
	h_irqs = (unsigned long)h.irqs;
	while ((n = debug_history_irqs(s->dbg, at, v, 256)) > 0) {
		for (size_t i = 0; i < n && v[i].icount <= to; i++) {
			if (v[i].icount < from)
				continue;
			if (cmd_stop_early(s, out, false, "interrupt", shown, h_irqs))
				return 0;
			fprintf(out, "icount %llu: vector %#x before ", (unsigned long long)v[i].icount,
				v[i].vector);
			cmd_print_addr(s, v[i].pc, out);
			fputc('\n', out);
			shown++;
		}
		if (v[n - 1].icount > to)
			break;
		at += n;
	}
	fprintf(out, "%zu interrupt%s taken", shown, shown == 1 ? "" : "s");
	if (argc >= 3)
		fprintf(out, " from icount %llu to %llu", (unsigned long long)from,
			(unsigned long long)to);
	fputs(".\n", out);
	return 0;
}

static int cmd_history(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_history_info h;
	uint64_t budget = 0;

	if (argc >= 2 && !strcmp(argv[1], "interrupts"))
		return cmd_history_irqs(s, argc, argv, out);
	if (argc >= 2 && !strcmp(argv[1], "on") && argc <= 3) {
		if (argc == 3 && (commands_parse_size(argv[2], &budget) < 0 || !budget))
			return cmd_fail(out, "invalid size '%s' (e.g. 64M)", argv[2]);
		if (debug_history(s->dbg, true, budget) < 0)
			return cmd_fail(out, "%s", err_msg());
	} else if (argc == 2 && !strcmp(argv[1], "off")) {
		if (debug_history(s->dbg, false, 0) < 0)
			return cmd_fail(out, "%s", err_msg());
	} else if (argc > 2 || (argc == 2 && strcmp(argv[1], "info"))) {
		return cmd_fail(out, "usage: history [on [SIZE] | off | info | interrupts [FROM [TO]]]");
	}
	debug_history_info(s->dbg, &h);
	if (!h.on) {
		fputs("History is off.\n", out);
		return 0;
	}
	fprintf(out, "History from icount %llu to %llu (now %llu%s): %u checkpoints, %llu pages, "
		"%llu of %llu KiB\n", (unsigned long long)h.first, (unsigned long long)h.furthest,
		(unsigned long long)debug_icount(s->dbg), debug_replaying(s->dbg) ? ", replaying" : "",
		h.checkpoints, (unsigned long long)h.pages, (unsigned long long)(h.bytes >> 10),
		(unsigned long long)(h.budget >> 10));
	fprintf(out, "A checkpoint every %llu instructions now; %llu taken (%llu KiB), %llu thinned "
		"out.\n", (unsigned long long)h.interval, (unsigned long long)h.taken,
		(unsigned long long)(h.copied >> 10), (unsigned long long)h.thinned);
	if (h.irqs) {
		struct debug_irq_taken last;

		debug_history_irqs(s->dbg, h.irqs - 1, &last, 1);
		fprintf(out, "%llu interrupts taken, the last at icount %llu (history interrupts "
			"lists them).\n", (unsigned long long)h.irqs,
			(unsigned long long)last.icount);
	}
	return 0;
}

static int cmd_stop(struct session *s, int argc, char **argv, FILE *out)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "stop takes no arguments");
	if (!debug_running(s->dbg))
		return cmd_fail(out, "the guest is not running");
	debug_interrupt(s->dbg);
	return 0;
}

/* catch [LIST], uncatch [LIST]: the exceptions that stop the guest before delivery. */
static int cmd_catch(struct session *s, int argc, char **argv, FILE *out)
{
	bool on = !strcmp(argv[0], "catch");
	char list[400] = "", now[1100];
	size_t n = 0;

	for (int i = 1; i < argc && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s ", argv[i]);
	if (n >= sizeof(list))
		return cmd_fail(out, "%s: too long a list", argv[0]);
	if ((argc > 1 || !on) && debug_catch(s->dbg, list, on) < 0)
		return cmd_fail(out, "%s", err_msg());
	debug_catch_list(s->dbg, now, sizeof(now));
	fprintf(out, "Catching: %s\n", now);
	return 0;
}

static int cmd_break_kind(struct session *s, enum bp_kind kind, int argc, char **argv, FILE *out)
{
	uint64_t addr;
	int id;

	if (argc < 2)
		return cmd_fail(out, "usage: %s ADDRESS", argv[0]);
	/* gdb's "break *ADDRESS": the same here, where a symbol is its address. */
	if (argv[1][0] == '*')
		argv[1]++;
	if (cmd_eval_args(s, argc, argv, 1, &addr, out) < 0)
		return -1;
	id = debug_break_insert(s->dbg, kind, addr, BP_OWNER_CONSOLE);
	if (id < 0)
		return cmd_fail(out, "%s", err_msg());
	char why[400];

	fprintf(out, "%s %d at ", kind == BP_HW ? "Hardware breakpoint" : "Breakpoint", id);
	cmd_print_addr(s, addr, out);
	fputc('\n', out);
	if (!s->noted_by_page[kind] && debug_break_by_page(s->dbg, kind, why, sizeof(why))) {
		fprintf(out, "note: %s\n", why);
		s->noted_by_page[kind] = true;
	}
	return 0;
}

static int cmd_break(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_break_kind(s, BP_SW, argc, argv, out);
}

static int cmd_hbreak(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_break_kind(s, BP_HW, argc, argv, out);
}

static int cmd_delete(struct session *s, int argc, char **argv, FILE *out)
{
	int failed = 0;

	if (argc == 1) {
		for (struct debug_break_info bp; debug_break_nth(s->dbg, 0, &bp);)
			debug_break_remove(s->dbg, bp.id);
		for (const struct mem_watch *m; (m = debug_watch_at(s->dbg, 0));)
			debug_break_remove(s->dbg, m->id);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		long id = strtol(argv[i], &end, 10);

		if (*end || id <= 0 || id > 1000000000L)
			failed |= cmd_fail(out, "invalid breakpoint number '%s'", argv[i]);
		else if (debug_break_remove(s->dbg, (int)id) < 0)
			failed |= cmd_fail(out, "%s", err_msg());
	}
	return failed ? -1 : 0;
}

static int cmd_info_break(struct session *s, FILE *out)
{
	bool any = false;

	struct debug_break_info bp;

	for (unsigned i = 0; debug_break_nth(s->dbg, i, &bp); i++) {
		if (!any)
			fprintf(out, "Num  Type          Address             Hits  What\n");
		any = true;
		char sym[160];

		symbols_format(&s->img->symbols, bp.addr, sym, sizeof(sym));
		fprintf(out, "%-4d %-13s 0x%016llx  %4u  %s%s\n", bp.id,
			bp.kind == BP_HW ? "hw breakpoint" : "breakpoint",
			(unsigned long long)bp.addr, bp.hits, sym,
			debug_break_by_page(s->dbg, bp.kind, NULL, 0) ? &" (by page)"[!*sym] : "");
	}
	const struct mem_watch *m;

	for (unsigned i = 0; (m = debug_watch_at(s->dbg, i)); i++) {
		char sym[160];

		if (!any)
			fprintf(out, "Num  Type          Address             Hits  What\n");
		any = true;
		symbols_format(&s->img->symbols, m->addr, sym, sizeof(sym));
		fprintf(out, "%-4d %-13s 0x%016llx  %4u  %llu byte%s%s%s%s\n", m->id,
			m->kind == WATCH_WRITE ? "watchpoint" : m->kind == WATCH_READ ?
			"read watch" : "acc watch", (unsigned long long)m->addr, m->hits,
			(unsigned long long)m->len, m->len == 1 ? "" : "s", m->phys ? " physical" : "",
			*sym ? " at " : "", sym);
	}
	if (!any)
		fputs("No breakpoints or watchpoints.\n", out);
	return 0;
}

/* ---- watching ------------------------------------------------------------- */

static int cmd_watch(struct session *s, int argc, char **argv, FILE *out)
{
	unsigned kind = WATCH_WRITE;
	uint64_t addr, len = 1;
	int i = 1, id;

	if (argc > 1 && (!strcmp(argv[1], "r") || !strcmp(argv[1], "w") || !strcmp(argv[1], "a"))) {
		debug_parse_dirs(argv[1], &kind);
		i++;
	}
	if (argc - i < 1 || argc - i > 2)
		return cmd_fail(out, "usage: watch [r|w|a] ADDRESS [LENGTH]");
	if (cmd_eval(s, argv[i], &addr, out) < 0)
		return -1;
	if (argc - i == 2 && cmd_eval(s, argv[i + 1], &len, out) < 0)
		return -1;
	id = debug_watch_insert(s->dbg, kind, addr, len, false, BP_OWNER_CONSOLE);
	if (id < 0)
		return cmd_fail(out, "%s", err_msg());
	fprintf(out, "%s %d: %llu byte%s at ", kind == WATCH_WRITE ? "Watchpoint" :
		kind == WATCH_READ ? "Read watchpoint" : "Access watchpoint", id,
		(unsigned long long)len, len == 1 ? "" : "s");
	cmd_print_addr(s, addr, out);
	fputc('\n', out);
	return 0;
}

static const char *const mmio_subcommands[] = { "watch", "unwatch", "list", "log", "stats", NULL };

/* mmio and pio: one set of subcommands over the two spaces. */
static int cmd_io(struct session *s, enum io_space space, int argc, char **argv, FILE *out)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "watch") && (argc == 3 || argc == 4)) {
		const struct io_watch *io = debug_io_watch(s->dbg, space, argv[2],
							   argc == 4 ? argv[3] : NULL);

		if (!io)
			return cmd_fail(out, "%s", err_msg());
		fprintf(out, "I/O watch %d: %s %s %#llx-%#llx\n", io->id, argv[0],
			debug_dirs_name(io->dirs), (unsigned long long)io->base,
			(unsigned long long)(io->base + io->len - 1));
		return 0;
	}
	if (!strcmp(sub, "unwatch") && argc == 3) {
		char *end;
		long n = strtol(argv[2], &end, 10);

		if (*end || n <= 0 || n > 1000000000L)
			return cmd_fail(out, "invalid watch number '%s'", argv[2]);
		if (debug_io_unwatch(s->dbg, (int)n) < 0)
			return cmd_fail(out, "%s", err_msg());
		return 0;
	}
	if (!strcmp(sub, "list") && argc == 2) {
		debug_io_list(s->dbg, out);
		return 0;
	}
	if (!strcmp(sub, "log") && argc == 3) {
		const char *path = strcmp(argv[2], "off") ? argv[2] : NULL;

		if (path && s->remote && !s->monitor_files)
			return cmd_fail(out, "%s log FILE is refused over gdb's monitor: it would "
					"create or overwrite a host file as kvmdbg's user; use the "
					"console, or start kvmdbg with --allow-monitor-files",
					argv[0]);
		if (debug_io_log(s->dbg, path, s->remote) < 0)
			return cmd_fail(out, "%s", err_msg());
		return 0;
	}
	if (!strcmp(sub, "stats") && argc == 2) {
		debug_io_stats(s->dbg, out);
		return 0;
	}
	return cmd_fail(out, "usage: %s watch %s [r|w|rw] | unwatch NUMBER | list | log FILE|off "
			"| stats", argv[0], space == IO_PIO ? "PORT[-PORT]" : "RANGE");
}

static int cmd_mmio(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_io(s, IO_MMIO, argc, argv, out);
}

static int cmd_pio(struct session *s, int argc, char **argv, FILE *out)
{
	return cmd_io(s, IO_PIO, argc, argv, out);
}

static const char *const icount_subcommands[] = { "break", "delete", NULL };

static int cmd_info_icount(struct session *s, FILE *out)
{
	if (!debug_counting(s->dbg))
		return cmd_fail(out, "instructions are not being counted (start kvmdbg with --icount)");
	fprintf(out, "icount %llu (step backend)\n", (unsigned long long)debug_icount(s->dbg));
	unsigned i = 0;
	uint64_t at;
	int id;

	for (; debug_icount_event(s->dbg, i, &id, &at); i++)
		fprintf(out, "icount stop %d at %llu\n", id, (unsigned long long)at);
	if (!i)
		fputs("No icount stops.\n", out);
	return 0;
}

static int cmd_icount(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug *d = s->dbg;
	uint64_t at;
	int id;

	if (!debug_counting(d))
		return cmd_fail(out, "instructions are not being counted (start kvmdbg with --icount)");
	if (argc == 1) {
		fprintf(out, "icount %llu\n", (unsigned long long)debug_icount(d));
		return 0;
	}
	if (!strcmp(argv[1], "break") && argc == 3) {
		if (cmd_parse_icount(argv[2] + (argv[2][0] == '+'), &at) < 0)
			return cmd_fail(out, "invalid count '%s'", argv[2]);
		if (argv[2][0] == '+')
			at += debug_icount(d);
		id = debug_icount_break(d, at);
		if (id < 0)
			return cmd_fail(out, "%s", err_msg());
		fprintf(out, "icount stop %d at %llu\n", id, (unsigned long long)at);
		return 0;
	}
	if (!strcmp(argv[1], "delete") && argc <= 3) {
		id = argc == 3 ? atoi(argv[2]) : 0;
		if (argc == 3 && id <= 0)
			return cmd_fail(out, "invalid icount stop number '%s'", argv[2]);
		if (debug_icount_delete(d, id) < 0)
			return cmd_fail(out, "%s", err_msg());
		return 0;
	}
	return cmd_fail(out, "usage: icount | icount break N|+N | icount delete [NUMBER]");
}

static const char *const history_subcommands[] = { "on", "off", "info", "interrupts", NULL };

static const char *const info_subcommands[] = { "break", "watchpoints", "registers", "icount",
						 "checkpoints", "ram", "symbol",
						 "irq", "cpus", "host", "version", "mem", "tlb", "cpuid",
						 NULL };

/* ---- checkpoints -------------------------------------------------------------- */

static int cmd_checkpoint(struct session *s, int argc, char **argv, FILE *out)
{
	struct debug_checkpoint_info k;
	int id;

	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "checkpoint takes no arguments");
	id = debug_checkpoint(s->dbg);
	if (id < 0 || !debug_checkpoint_get(s->dbg, id, &k))
		return cmd_fail(out, "%s", err_msg());
	fprintf(out, "Checkpoint %d at ", id);
	cmd_print_addr(s, k.pc, out);
	if (debug_counting(s->dbg))
		fprintf(out, ", icount %llu", (unsigned long long)k.icount);
	fprintf(out, " (%zu pages, %zu KiB)\n", k.pages, (k.bytes + 1023) / 1024);
	return 0;
}

static int cmd_restart(struct session *s, int argc, char **argv, FILE *out)
{
	char *end;
	long id;

	if (argc != 2)
		return cmd_fail(out, "usage: restart NUMBER (info checkpoints lists them)");
	id = strtol(argv[1], &end, 10);
	if (*end || id <= 0 || id > 1000000000L)
		return cmd_fail(out, "invalid checkpoint number '%s'", argv[1]);
	if (debug_restart(s->dbg, (int)id) < 0)
		return cmd_fail(out, "%s", err_msg());
	fprintf(out, "Back at checkpoint %ld: ", id);
	cmd_print_addr(s, arch_pc(debug_vcpu(s->dbg)), out);
	if (debug_counting(s->dbg))
		fprintf(out, ", icount %llu", (unsigned long long)debug_icount(s->dbg));
	fputc('\n', out);
	cmd_disas_lines(s, cmd_read_virt, arch_pc(debug_vcpu(s->dbg)), 1, out, NULL);
	return 0;
}

static int cmd_system_reset(struct session *s, int argc, char **argv, FILE *out)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "system_reset takes no arguments");
	if (debug_reset(s->dbg) < 0)
		return cmd_fail(out, "%s", err_msg());
	fputs("Reset: the machine is as at power-on, at ", out);
	cmd_print_addr(s, arch_pc(debug_vcpu(s->dbg)), out);
	if (debug_counting(s->dbg))
		fputs(", icount 0", out);
	fputc('\n', out);
	cmd_disas_lines(s, cmd_read_virt, arch_pc(debug_vcpu(s->dbg)), 1, out, NULL);
	return 0;
}

static int cmd_info_checkpoints(struct session *s, FILE *out)
{
	struct debug_checkpoint_info k;
	int base = debug_checkpoint_base(s->dbg);
	size_t total = 0;

	if (!debug_checkpoint_get(s->dbg, 1, &k)) {
		fputs("No checkpoints.\n", out);
		return 0;
	}
	fprintf(out, "  Num  From  %-20s  Pages       KiB  Where\n",
		debug_counting(s->dbg) ? "Icount" : "");
	for (int id = 1; debug_checkpoint_get(s->dbg, id, &k); id++) {
		char from[16] = "-", count[24] = "";

		if (k.parent)
			snprintf(from, sizeof(from), "%d", k.parent);
		if (debug_counting(s->dbg))
			snprintf(count, sizeof(count), "%llu", (unsigned long long)k.icount);
		fprintf(out, "%c %4d  %4s  %-20s  %5zu  %8zu  ", id == base ? '*' : ' ', id, from,
			count, k.pages, (k.bytes + 1023) / 1024);
		cmd_print_addr(s, k.pc, out);
		fputc('\n', out);
		total += k.bytes;
	}
	fprintf(out, "(* the machine went on from there; %zu KiB in all)\n", (total + 1023) / 1024);
	return 0;
}

/* info cpus: each CPU's state, pc (with its symbol) and the count; '*' the selected one. */
static int cmd_info_cpus(struct session *s, FILE *out)
{
	unsigned n = debug_cpus(s->dbg), cur = debug_cpu(s->dbg);

	if (debug_running(s->dbg))
		return cmd_fail(out, "the guest is running; 'stop' or Ctrl-C first");
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "%c CPU %u  %-16s ", i == cur ? '*' : ' ', i, debug_cpu_state(s->dbg, i));
		cmd_print_addr(s, arch_pc(debug_cpu_vcpu(s->dbg, i)), out);
		if (debug_counting(s->dbg) && i == cur)
			fprintf(out, "  icount %llu", (unsigned long long)debug_icount(s->dbg));
		fputc('\n', out);
	}
	return 0;
}

/* cpu [N]: selects the CPU that regs, x, disas and stepi use; says which. */
static int cmd_cpu(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t n;

	if (argc > 2)
		return cmd_fail(out, "usage: cpu [N]");
	if (argc == 2) {
		if (cmd_parse_icount(argv[1], &n) < 0 || n > UINT32_MAX)
			return cmd_fail(out, "invalid CPU number '%s'", argv[1]);
		if (debug_select_cpu(s->dbg, (unsigned)n) < 0)
			return cmd_fail(out, "%s", err_msg());
	}
	fprintf(out, "CPU %u of %u\n", debug_cpu(s->dbg), debug_cpus(s->dbg));
	return 0;
}

/* ---- the page tables, as QEMU's monitor shows them ---------------------------- */

#define CMD_MAX_TLB_LINES 65536 /* info tlb's lines at most */

struct cmd_pages {
	FILE *out;
	bool merge;               /* info mem: ranges, not pages */
	bool have;                /* cur holds a range not yet printed */
	struct arch_mapping cur;  /* ... */
	unsigned long lines;      /* printed */
};

static void cmd_pages_perms(const struct arch_mapping *m, char perms[5])
{
	perms[0] = m->user ? 'u' : '-';
	perms[1] = 'r';
	perms[2] = m->write ? 'w' : '-';
	perms[3] = m->exec ? 'x' : '-';
	perms[4] = '\0';
}

static void cmd_pages_flush(struct cmd_pages *p)
{
	char perms[5];

	if (!p->have)
		return;
	cmd_pages_perms(&p->cur, perms);
	fprintf(p->out, "%016llx-%016llx %016llx %s\n", (unsigned long long)p->cur.va,
		(unsigned long long)(p->cur.va + p->cur.size), (unsigned long long)p->cur.size, perms);
	p->have = false;
}

static bool cmd_pages_one(void *opaque, const struct arch_mapping *m)
{
	struct cmd_pages *p = opaque;
	char perms[5];

	if (p->merge) {
		if (p->have && p->cur.va + p->cur.size == m->va && p->cur.write == m->write &&
		    p->cur.user == m->user && p->cur.exec == m->exec) {
			p->cur.size += m->size;
			return true;
		}
		cmd_pages_flush(p);
		p->cur = *m;
		p->have = true;
		return true;
	}
	if (ferror(p->out))
		return false;
	if (++p->lines > CMD_MAX_TLB_LINES) {
		fprintf(p->out, "(stopped after %d pages; gva2gpa ADDRESS translates one)\n",
			CMD_MAX_TLB_LINES);
		return false;
	}
	cmd_pages_perms(m, perms);
	fprintf(p->out, "%016llx: %016llx %s %s\n", (unsigned long long)m->va,
		(unsigned long long)m->pa, m->size >= 1ULL << 30 ? "1G" : m->size >= 1ULL << 22 ?
		"4M" : m->size >= 1ULL << 21 ? "2M" : "4K", perms);
	return true;
}

/* info mem (merged ranges) and info tlb (every page), as QEMU's monitor. */
static int cmd_info_pages(struct session *s, bool merge, FILE *out)
{
	struct cmd_pages p = { .out = out, .merge = merge };

	if (arch_page_map(debug_vcpu(s->dbg), cmd_pages_one, &p) < 0)
		return cmd_fail(out, "%s", err_msg());
	cmd_pages_flush(&p);
	if (!p.lines && !merge)
		fputs("No pages are mapped.\n", out);
	return 0;
}

/* inb/inw/inl PORT and outb/outw/outl PORT VALUE, as the guest's in and out. */
static int cmd_port(struct session *s, int argc, char **argv, FILE *out)
{
	bool write = argv[0][0] == 'o';
	char w = argv[0][write ? 3 : 2];
	unsigned size = w == 'b' ? 1 : w == 'w' ? 2 : 4;
	uint64_t port, v = 0;
	int r;

	if (argc != (write ? 3 : 2))
		return cmd_fail(out, write ? "usage: %s PORT VALUE" : "usage: %s PORT", argv[0]);
	if (cmd_eval(s, argv[1], &port, out) < 0 || (write && cmd_eval(s, argv[2], &v, out) < 0))
		return -1;
	if (port > 0xffff || port + size - 1 > 0xffff)
		return cmd_fail(out, "port %#llx is past 0xffff", (unsigned long long)port);
	if (write && size < 8 && v >> (size * 8))
		return cmd_fail(out, "%#llx does not fit in %u byte%s", (unsigned long long)v, size,
				size == 1 ? "" : "s");
	r = debug_io_access(s->dbg, IO_PIO, port, size, write, &v);
	if (r < 0)
		return cmd_fail(out, "%s", err_msg());
	if (r > 0)
		fprintf(out, "(the device at port %#llx asks to end the run: not done from the "
			"console)\n", (unsigned long long)port);
	if (!write)
		fprintf(out, "0x%0*llx\n", (int)size * 2, (unsigned long long)v);
	return 0;
}

static int cmd_nmi(struct session *s, int argc, char **argv, FILE *out)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "nmi takes no arguments");
	if (debug_nmi(s->dbg) < 0)
		return cmd_fail(out, "%s", err_msg());
	return 0;
}

static int cmd_gva2gpa(struct session *s, int argc, char **argv, FILE *out)
{
	uint64_t va, pa;

	if (argc < 2)
		return cmd_fail(out, "usage: gva2gpa ADDRESS");
	if (cmd_eval_args(s, argc, argv, 1, &va, out) < 0)
		return -1;
	if (arch_virt_to_phys(debug_vcpu(s->dbg), va, &pa) < 0)
		return cmd_fail(out, "%s", err_msg());
	fprintf(out, "gpa: %#llx\n", (unsigned long long)pa);
	return 0;
}

/* CPUID as the guest sees it, every leaf or one (each of its indexes). */
static int cmd_info_cpuid(struct session *s, const char *which, FILE *out)
{
	struct debug_cpuid c;
	uint64_t leaf = 0;
	bool any = false;

	if (which && (cmd_eval(s, which, &leaf, out) < 0))
		return -1;
	if (leaf > UINT32_MAX)
		return cmd_fail(out, "no CPUID leaf %#llx (leaves are 32-bit)", (unsigned long long)leaf);
	for (unsigned n = 0; debug_cpuid_nth(s->dbg, n, &c); n++) {
		if (which && c.leaf != leaf)
			continue;
		any = true;
		fprintf(out, "0x%08x.%-2u eax 0x%08x ebx 0x%08x ecx 0x%08x edx 0x%08x", c.leaf,
			c.index, c.eax, c.ebx, c.ecx, c.edx);
		fprintf(out, "%s%s\n", c.features[0] ? "  " : "", c.features);
	}
	if (!any && !which)
		return cmd_fail(out, "cannot read the CPUID entries: %s", err_msg());
	if (!any)
		fprintf(out, "no CPUID leaf 0x%llx: the guest reads the highest basic leaf's "
			"values there (Intel) or zeros (AMD)\n", (unsigned long long)leaf);
	return 0;
}

static int cmd_info(struct session *s, int argc, char **argv, FILE *out)
{
	if (argc < 2 || (argc > 2 && strncmp(argv[1], "reg", 3) && strcmp(argv[1], "r") &&
			  strcmp(argv[1], "symbol") && (strcmp(argv[1], "cpuid") || argc > 3)))
		return cmd_fail(out, "usage: info break | info watchpoints | info registers [NAME...] "
				"| info icount | info checkpoints | info ram | info symbol ADDRESS | info irq "
				"| info cpus | info host | info version | info mem | info tlb "
				"| info cpuid [LEAF]");
	if (!strcmp(argv[1], "cpuid"))
		return cmd_info_cpuid(s, argc > 2 ? argv[2] : NULL, out);
	if (!strcmp(argv[1], "break") || !strcmp(argv[1], "breakpoints") || !strcmp(argv[1], "b") ||
	    !strcmp(argv[1], "watchpoints") || !strcmp(argv[1], "watch"))
		return cmd_info_break(s, out);
	if (!strcmp(argv[1], "icount"))
		return cmd_info_icount(s, out);
	if (!strcmp(argv[1], "cpus"))
		return cmd_info_cpus(s, out);
	if (!strcmp(argv[1], "mem") || !strcmp(argv[1], "tlb")) {
		if (debug_running(s->dbg))
			return cmd_fail(out, "the guest is running; 'stop' or Ctrl-C first");
		return cmd_info_pages(s, !strcmp(argv[1], "mem"), out);
	}
	if (!strcmp(argv[1], "checkpoints"))
		return cmd_info_checkpoints(s, out);
	if (!strcmp(argv[1], "host"))
		return host_report(out, false) < 0 ? cmd_fail(out, "%s", err_msg()) : 0;
	/* QEMU's monitor answers with its version: the kernel's gdb scripts ask
	 * it to tell a QEMU-like stub (threads are CPUs) from kgdb. */
	if (!strcmp(argv[1], "version")) {
		fprintf(out, "kvmdbg %s\n", KVMDBG_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "symbol") && argc >= 3)
		return cmd_sym(s, argc - 1, argv + 1, out);
	if (!strcmp(argv[1], "irq")) {
		if (debug_running(s->dbg))
			return cmd_fail(out, "the guest is running; 'stop' or Ctrl-C first");
		return debug_print_irq(s->dbg, out) < 0 ? -1 : 0;
	}
	if (!strcmp(argv[1], "ram")) {
		uint64_t size;
		uint64_t hash = debug_ram_hash(s->dbg, &size);

		if (debug_running(s->dbg))
			return cmd_fail(out, "the guest is running; 'stop' or Ctrl-C first");
		fprintf(out, "RAM: %llu KiB, hash %016llx\n", (unsigned long long)(size >> 10),
			(unsigned long long)hash);
		return 0;
	}
	if (!strcmp(argv[1], "registers") || !strcmp(argv[1], "reg") || !strcmp(argv[1], "r")) {
		if (debug_running(s->dbg))
			return cmd_fail(out, "the guest is running; 'stop' or Ctrl-C first");
		return cmd_regs(s, argc - 1, argv + 1, out);
	}
	return cmd_fail(out, "unknown subcommand 'info %s' (break, watchpoints, registers, icount, "
			"checkpoints, ram, symbol, irq, cpus, host, version, mem, tlb)",
			argv[1]);
}

static int cmd_stats(struct session *s, int argc, char **argv, FILE *out)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail(out, "stats takes no arguments");
	debug_stats(s->dbg, out);
	return 0;
}

static int cmd_quit(struct session *s, int argc, char **argv, FILE *out)
{
	(void)argc;
	(void)argv;
	(void)out;
	s->quit = true;
	return 0;
}

static int cmd_serial(struct session *s, int argc, char **argv, FILE *out)
{
	(void)argv;
	if (argc != 1) {
		fprintf(out, "usage: serial\n");
		return -1;
	}
	if (!s->serial_offered || s->remote) {
		fprintf(out, "no serial console to go back to: `serial` is for a console opened "
			"with Ctrl-A c from a run on a terminal\n");
		return -1;
	}
	if (debug_exited(s->dbg, NULL)) {
		fprintf(out, "the guest has ended: nothing to go back to\n");
		return -1;
	}
	s->serial_back = true;
	s->quit = true;
	return 0;
}

static int cmd_help(struct session *s, int argc, char **argv, FILE *out);

static const struct command commands[] = {
	{ "help", cmd_help, "[COMMAND]", "list the commands, or say what one does",
	  COMPLETE_COMMAND, NULL, false },
	{ "regs", cmd_regs, "[NAME...]", "general registers, rip with its symbol, rflags "
	  "decoded; or the named ones", COMPLETE_ADDR, NULL, true },
	{ "sregs", cmd_sregs, "", "segments, descriptor tables, control registers, CPU mode",
	  COMPLETE_NONE, NULL, true },
	{ "fpu", cmd_fpu, "", "x87 registers and control/status words", COMPLETE_NONE, NULL, true },
	{ "xmm", cmd_xmm, "", "SSE registers and mxcsr", COMPLETE_NONE, NULL, true },
	{ "dregs", cmd_dregs, "", "debug registers DR0-DR7, decoded", COMPLETE_NONE, NULL, true },
	{ "onereg", cmd_onereg, "list | get NAME|ID | dump",
	  "KVM ONE_REG registers: ids, formatted values, named bit fields", COMPLETE_SUB,
	  onereg_subcommands, true },
	{ "msr", cmd_msr, "NAME|INDEX [= VALUE]", "read (or write) one MSR", COMPLETE_MSR, NULL,
	  true },
	{ "x", cmd_x, "/FMT ADDRESS",
	  "memory at a guest-virtual address (FMT: count, x d u c s i, b h w g)", COMPLETE_ADDR,
	  NULL, true },
	{ "xp", cmd_xp, "/FMT ADDRESS", "memory at a guest-physical address, as x",
	  COMPLETE_ADDR, NULL, true },
	{ "disas", cmd_disas, "[ADDRESS [COUNT]]", "disassemble (default: 10 instructions at pc)",
	  COMPLETE_ADDR, NULL, true },
	{ "print", cmd_print, "EXPRESSION", "value of an expression ($reg, symbol, +, -)",
	  COMPLETE_ADDR, NULL, true },
	{ "set", cmd_set, "$REGISTER = VALUE | *ADDRESS = VALUE",
	  "change a register, or memory as gdb does (*ADDRESS: an int; {TYPE} ADDRESS, "
	  "*(TYPE *) ADDRESS)", COMPLETE_ADDR, NULL, true },
	{ "sym", cmd_sym, "ADDRESS", "the symbol at an address", COMPLETE_ADDR, NULL, true },
	{ "gva2gpa", cmd_gva2gpa, "ADDRESS", "the guest-physical address of a virtual one",
	  COMPLETE_ADDR, NULL, true },
	{ "inb", cmd_port, "PORT", "read a port as the guest's inb would (inw, inl: 2, 4 bytes)",
	  COMPLETE_NONE, NULL, true },
	{ "inw", cmd_port, "PORT", "read 2 bytes from a port", COMPLETE_NONE, NULL, true },
	{ "inl", cmd_port, "PORT", "read 4 bytes from a port", COMPLETE_NONE, NULL, true },
	{ "outb", cmd_port, "PORT VALUE", "write a port as the guest's outb would (outw, outl)",
	  COMPLETE_NONE, NULL, true },
	{ "outw", cmd_port, "PORT VALUE", "write 2 bytes to a port", COMPLETE_NONE, NULL, true },
	{ "outl", cmd_port, "PORT VALUE", "write 4 bytes to a port", COMPLETE_NONE, NULL, true },
	{ "nmi", cmd_nmi, "", "queue an NMI on every CPU, taken when they run (not by stepi)",
	  COMPLETE_NONE, NULL, true },
	{ "addr", cmd_addr, "SYMBOL", "the address of a symbol", COMPLETE_ADDR, NULL, false },
	{ "kaslr", cmd_kaslr, "", "how far Linux's KASLR moved the kernel, and gdb's line for "
	  "its symbols", COMPLETE_NONE, NULL, true },
	{ "stepi", cmd_stepi, "[COUNT]", "execute COUNT instructions (default 1)", COMPLETE_NONE,
	  NULL, true },
	{ "nexti", cmd_nexti, "", "one instruction, a call with all it calls", COMPLETE_NONE,
	  NULL, true },
	{ "cont", cmd_cont, "", "run the guest until it stops", COMPLETE_NONE, NULL, true },
	{ "finish", cmd_finish, "", "run until the function returns (found by frame pointers)",
	  COMPLETE_NONE, NULL, true },
	{ "bt", cmd_bt, "", "the call chain, from frame pointers (code built without them "
	  "gives a short or wrong one)", COMPLETE_NONE, NULL, true },
	{ "stop", cmd_stop, "", "stop the running guest (Ctrl-C does the same)", COMPLETE_NONE,
	  NULL, false },
	{ "catch", cmd_catch, "[LIST]", "stop at these exceptions before delivery (pf gp ud..., "
	  "numbers, all, irq); alone: what is caught. cont delivers", COMPLETE_NONE, NULL, true },
	{ "uncatch", cmd_catch, "[LIST]", "stop catching these exceptions (alone: all)",
	  COMPLETE_NONE, NULL, true },
	{ "rstepi", cmd_rstepi, "[COUNT]", "go back COUNT instructions (default 1; needs history)",
	  COMPLETE_NONE, NULL, true },
	{ "rcont", cmd_rcont, "", "run backwards to the last breakpoint, watchpoint or icount "
	  "stop", COMPLETE_NONE, NULL, true },
	{ "goto", cmd_goto, "icount N", "go to exactly N instructions, forwards or backwards",
	  COMPLETE_NONE, NULL, true },
	{ "history", cmd_history, "[on [SIZE] | off | info | interrupts [FROM [TO]]]",
	  "execution history for going back: turn on (SIZE: memory, default 256M), off; show",
	  COMPLETE_SUB, history_subcommands, true },
	{ "break", cmd_break, "ADDRESS", "software breakpoint (int3)", COMPLETE_ADDR, NULL, true },
	{ "hbreak", cmd_hbreak, "ADDRESS", "hardware breakpoint (debug register, 4 at most)",
	  COMPLETE_ADDR, NULL, true },
	{ "delete", cmd_delete, "[NUMBER...]",
	  "delete breakpoints and watchpoints (all without numbers)", COMPLETE_NONE, NULL, true },
	{ "watch", cmd_watch, "[r|w|a] ADDRESS [LENGTH]",
	  "stop when the guest writes (w, default), reads (r) or accesses (a) memory; "
	  "up to 256, 16 MiB together", COMPLETE_ADDR, NULL, true },
	{ "mmio", cmd_mmio, "watch RANGE [r|w|rw] | unwatch N | list | log FILE|off | stats",
	  "log MMIO accesses (RANGE: ADDR, ADDR-END, ADDR+LEN or a device); statistics",
	  COMPLETE_SUB, mmio_subcommands, true },
	{ "pio", cmd_pio, "watch PORT[-PORT] [r|w|rw] | unwatch N | list | log FILE|off | stats",
	  "log port I/O, as mmio", COMPLETE_SUB, mmio_subcommands, true },
	{ "icount", cmd_icount, "[break N|+N | delete [NUMBER]]",
	  "instructions retired since power-on; stops at exact counts", COMPLETE_SUB,
	  icount_subcommands, true },
	{ "checkpoint", cmd_checkpoint, "", "keep the whole machine as it is now (restart goes "
	  "back to it)", COMPLETE_NONE, NULL, true },
	{ "restart", cmd_restart, "NUMBER", "put the machine back as it was at a checkpoint",
	  COMPLETE_NONE, NULL, true },
	{ "system_reset", cmd_system_reset, "", "reset the machine: power-on again, the guest "
	  "loaded again from its files (breakpoints stay)", COMPLETE_NONE, NULL, true },
	{ "info", cmd_info, "break | watchpoints | registers [NAME...] | icount | checkpoints | ram "
	  "| symbol ADDRESS | irq | cpus | host | version | mem | tlb | cpuid [LEAF]",
	  "breakpoints and watchpoints, registers, instruction count and stops, checkpoints, a "
	  "hash of RAM, the symbol at an address, the interrupt controllers and timers, each "
	  "CPU's state and pc, what this host's KVM does, kvmdbg's version, the page tables' "
	  "mapped ranges (mem) or pages (tlb), CPUID as the guest sees it", COMPLETE_SUB,
	  info_subcommands, false },
	{ "cpu", cmd_cpu, "[N]", "select CPU N (from 0) for regs, x, disas and stepi; or say "
	  "which is selected", COMPLETE_NONE, NULL, true },
	{ "stats", cmd_stats, "", "exit and I/O counters", COMPLETE_NONE, NULL, false },
	{ "serial", cmd_serial, "", "back to the guest's serial console, the guest running "
	  "(after Ctrl-A c)", COMPLETE_NONE, NULL, true },
	{ "quit", cmd_quit, "", "leave kvmdbg", COMPLETE_NONE, NULL, false },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* gdb's habits. */
static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "q", "quit" }, { "exit", "quit" }, { "c", "cont" }, { "continue", "cont" },
	{ "si", "stepi" }, { "rsi", "rstepi" }, { "reverse-stepi", "rstepi" },
	{ "rc", "rcont" }, { "reverse-continue", "rcont" }, { "b", "break" }, { "d", "delete" }, { "p", "print" },
	{ "h", "help" }, { "disassemble", "disas" }, { "i", "info" }, { "ni", "nexti" },
	{ "backtrace", "bt" }, { "where", "bt" }, { "fin", "finish" },
};

static const struct command *cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].alias))
			name = aliases[i].name;
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

#define HELP_INDENT "                                     " /* the help column: 37 spaces */

static int cmd_help(struct session *s, int argc, char **argv, FILE *out)
{
	const struct command *c;

	(void)s;
	if (argc == 1) {
		for (size_t i = 0; i < NR_COMMANDS; i++) {
			/* A synopsis too long for its column gets a line of its own. */
			int n = fprintf(out, "  %s%s%s", commands[i].name,
					commands[i].args[0] && commands[i].args[0] != '/' ? " " : "",
					commands[i].args);

			fprintf(out, "%*s%s\n", n <= 36 ? 37 - n : 0, n <= 36 ? "" : "\n" HELP_INDENT,
				commands[i].help);
		}
		fputs("Addresses: numbers, symbols, sym+off, $registers, joined by + and -.\n", out);
		return 0;
	}
	if (argc > 2)
		return cmd_fail(out, "usage: help [COMMAND]");
	c = cmd_find(argv[1]);
	if (!c)
		return cmd_fail(out, "unknown command '%s'; 'help' lists them", argv[1]);
	fprintf(out, "%s%s%s — %s\n", c->name, c->args[0] && c->args[0] != '/' ? " " : "",
		c->args, c->help);
	return 0;
}

int commands_execute(struct session *s, const char *line, FILE *out)
{
	char buf[1024], *argv[CMD_MAX_ARGS], *tok, *save, name[64];
	const struct command *c;
	int argc = 0;

	debug_fresh_line(s->dbg);
	if (strlen(line) >= sizeof(buf))
		return cmd_fail(out, "command line too long (%zu bytes at most)", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == CMD_MAX_ARGS)
			return cmd_fail(out, "too many arguments (%d at most)", CMD_MAX_ARGS - 1);
		argv[argc++] = tok;
	}
	if (!argc || argv[0][0] == '#')
		return 0;
	/* x/4xg: the name ends at the slash. */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(argv[0], "/"), argv[0]);
	c = cmd_find(name);
	if (!c || (strchr(argv[0], '/') && strcmp(c->name, "x") && strcmp(c->name, "xp") &&
		   strcmp(c->name, "print")))
		return cmd_fail(out, "unknown command '%s'; 'help' lists them", argv[0]);
	if (c->needs_stopped && debug_running(s->dbg))
		return cmd_fail(out, "the guest is running; 'stop' or Ctrl-C first");
	s->cancelled = false;
	int r = c->handler(s, argc, argv, out) < 0 ? -1 : 0;

	cmd_notice(s, out);
	return r;
}

/* ---- completion ---------------------------------------------------------------- */

/* Candidate i for a completion kind, or NULL past the end. */
static const char *cmd_candidate(const struct command *c, enum cmd_complete kind, bool dollar,
				 const struct session *s, size_t i)
{
	switch (kind) {
	case COMPLETE_COMMAND:
		return i < NR_COMMANDS ? commands[i].name : NULL;
	case COMPLETE_SUB:
		for (size_t k = 0; c->subcommands[k]; k++)
			if (k == i)
				return c->subcommands[k];
		return NULL;
	case COMPLETE_MSR:
		return arch_msr_name_at((unsigned)i);
	case COMPLETE_ADDR:
		if (dollar)
			return i < arch_nregs ? arch_regs[i].name : NULL;
		return i < s->img->symbols.nr ? s->img->symbols.syms[i].name : NULL;
	case COMPLETE_NONE:
		break;
	}
	return NULL;
}

/* Copies word k (from 0) of line into buf; returns how many words come before byte start. */
static int cmd_words(const char *line, int start, int k, char *buf, size_t len)
{
	int words = 0;

	buf[0] = '\0';
	for (int i = 0; line[i]; i++) {
		if (isspace((unsigned char)line[i]) || (i > 0 && !isspace((unsigned char)line[i - 1])))
			continue;
		if (words == k)
			snprintf(buf, len, "%.*s", (int)strcspn(line + i, " \t/"), line + i);
		if (i < start)
			words++;
	}
	return words;
}

char *commands_complete(const struct session *s, const char *line, int start, const char *text,
			int state)
{
	static size_t next;
	static enum cmd_complete kind;
	static const struct command *cmd;
	static bool dollar;
	const char *cand;
	size_t len = strlen(text);

	if (!state) {
		char first[64], second[64];
		int word = cmd_words(line, start, 0, first, sizeof(first));

		cmd_words(line, start, 1, second, sizeof(second));
		next = 0;
		cmd = word > 0 ? cmd_find(first) : NULL;
		dollar = start > 0 && line[start - 1] == '$';
		kind = word == 0 ? COMPLETE_COMMAND : cmd ? cmd->complete : COMPLETE_NONE;
		if ((kind == COMPLETE_COMMAND || kind == COMPLETE_SUB) && word > 1)
			kind = COMPLETE_NONE;
		if (cmd && cmd->handler == cmd_onereg && word == 2 && !strcmp(second, "get"))
			kind = COMPLETE_MSR;
	}
	while ((cand = cmd_candidate(cmd, kind, dollar, s, next)) != NULL) {
		next++;
		if (!strncmp(cand, text, len))
			return strdup(cand);
	}
	return NULL;
}
