#include "packets.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../src/arch.h"
#include "../src/debug.h"
#include "../src/err.h"
#include "target_xml.h"

/* Signals in stop replies (gdb's numbering). */
#define GDB_SIGINT 2
#define GDB_SIGILL 4
#define GDB_SIGTRAP 5
#define GDB_SIGFPE 8
#define GDB_SIGBUS 10 /* gdb's own numbers (gdb/signals.def), not the host's */
#define GDB_SIGSEGV 11
#define GDB_SIGALRM 14
#define GDB_SIGUSR1 30

#define STUB_MAX_MEM ((RSP_PACKET_SIZE - 8) / 2) /* bytes one m reply can carry */
#define STUB_O_CHUNK 1024                          /* text bytes per O packet */
#define STUB_MONITOR_MAX (1u << 20)                /* text of one monitor command */

static const char stub_busy_text[] = "E.kvmdbg: another debugger is already connected";

static void stub_hangup(struct stub *st);
static void stub_monitor_done(struct stub *st, const struct debug_stop *stop);

/* ---- replies ------------------------------------------------------------------ */

static void stub_send_raw(struct stub *st, const void *payload, size_t len, bool remember)
{
	size_t n;

	if (st->conn.client_fd < 0)
		return;
	n = rsp_frame(payload, len, (uint8_t *)st->last);
	if (remember)
		st->last_len = n;
	if (conn_write(&st->conn, st->last, n) < 0)
		stub_hangup(st);
}

static void stub_send(struct stub *st, const char *payload, size_t len)
{
	stub_send_raw(st, payload, len, true);
}

static void stub_reply(struct stub *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void stub_reply(struct stub *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(st->reply, st->reply_cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	stub_send(st, st->reply, (size_t)n < st->reply_cap ? (size_t)n : st->reply_cap - 1);
}

/* The empty reply: gdb reads it as "not supported". */
static void stub_unsupported(struct stub *st)
{
	stub_send(st, "", 0);
}

/* Console text for gdb to print, while it waits (O packets). */
static void stub_console(struct stub *st, const char *text, size_t len)
{
	for (size_t off = 0; off < len; off += STUB_O_CHUNK) {
		size_t n = len - off < STUB_O_CHUNK ? len - off : STUB_O_CHUNK;

		st->reply[0] = 'O';
		rsp_hex_encode((const uint8_t *)text + off, n, st->reply + 1);
		stub_send_raw(st, st->reply, 1 + 2 * n, false);
	}
}

/* ---- parsing ------------------------------------------------------------------ */

static bool stub_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	for (;; s++, digits++) {
		int d = (*s >= '0' && *s <= '9') ? *s - '0'
			: (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
			: (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (digits == 16)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*p = s;
	*v = x;
	return digits > 0;
}

/* "ADDR,LEN" followed by stop (':' or '\0'). */
static bool stub_parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char stop)
{
	return stub_parse_hex(p, addr) && *(*p)++ == ',' && stub_parse_hex(p, len) && **p == stop;
}

/* ---- memory and registers ------------------------------------------------------- */

static int stub_mem(struct stub *st, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	if (st->phys)
		return write ? debug_write_phys(st->dbg, addr, buf, len)
			     : debug_read_phys(st->dbg, addr, buf, len);
	return write ? debug_write_virt(st->dbg, addr, buf, len)
		     : debug_read_virt(st->dbg, addr, buf, len);
}

static void h_read_mem(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 1;
	uint64_t addr, n;
	uint8_t *buf;
	size_t got;

	(void)len;
	if (!stub_parse_addr_len(&p, &addr, &n, '\0'))
		return stub_reply(st, "E22");
	if (n > STUB_MAX_MEM)
		n = STUB_MAX_MEM;
	buf = (uint8_t *)st->reply + st->reply_cap - n - 1;
	got = debug_read_upto(st->dbg, addr, buf, n, st->phys);
	if (!got && n)
		return stub_reply(st, "E14");
	rsp_hex_encode(buf, got, st->reply);
	stub_send(st, st->reply, 2 * got);
}

/*
 * x: memory as binary, half the bytes of m. gdb 16 and later announce
 * binary-upload+ and want a 'b' before the data; lldb probes with x0,0,
 * wants "OK" for it, and takes the bare data.
 */
static void h_read_mem_bin(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 1;
	size_t off = st->binary_upload ? 1 : 0;
	uint64_t addr, n;
	size_t got;

	(void)len;
	if (!stub_parse_addr_len(&p, &addr, &n, '\0'))
		return stub_reply(st, "E22");
	if (!n)
		return stub_reply(st, "%s", st->binary_upload ? "b" : "OK");
	if (n > RSP_PACKET_SIZE - 8)
		n = RSP_PACKET_SIZE - 8;
	st->reply[0] = 'b';
	got = debug_read_upto(st->dbg, addr, st->reply + off, n, st->phys);
	if (!got)
		return stub_reply(st, "E14");
	stub_send(st, st->reply, off + got);
}

static void h_write_mem_hex(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 1;
	uint64_t addr, n;
	uint8_t *buf;

	if (!stub_parse_addr_len(&p, &addr, &n, ':') || n > STUB_MAX_MEM ||
	    strlen(p + 1) != 2 * n || (size_t)(p + 1 - pkt) + 2 * n != len)
		return stub_reply(st, "E22");
	buf = (uint8_t *)st->reply;
	if (rsp_hex_decode(p + 1, 2 * n, buf) < 0)
		return stub_reply(st, "E22");
	if (stub_mem(st, addr, buf, n, true) < 0)
		return stub_reply(st, "E14");
	stub_reply(st, "OK");
}

static void h_write_mem_bin(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 1;
	uint64_t addr, n;
	size_t data;

	if (!stub_parse_addr_len(&p, &addr, &n, ':'))
		return stub_reply(st, "E22");
	data = (size_t)(p + 1 - pkt);
	if (len - data != n)
		return stub_reply(st, "E22");
	if (n && stub_mem(st, addr, (uint8_t *)pkt + data, n, true) < 0)
		return stub_reply(st, "E14");
	stub_reply(st, "OK");
}

static size_t stub_reg_bytes(const struct stub *st, unsigned i)
{
	return st->layout->regs[i].bits / 8;
}

static unsigned stub_reg_index(const struct stub *st, unsigned i)
{
	return st->layout->index ? st->layout->index[i] : i;
}

/* Appends layout register i as hex, or 'x's when it cannot be read. */
static size_t stub_put_reg(struct stub *st, unsigned i, char *out)
{
	uint8_t buf[64];
	size_t n = stub_reg_bytes(st, i);

	if (arch_reg_read(debug_vcpu(st->dbg), stub_reg_index(st, i), buf) < 0) {
		memset(out, 'x', 2 * n);
		out[2 * n] = '\0';
	} else {
		rsp_hex_encode(buf, n, out);
	}
	return 2 * n;
}

/* Writes the low bytes of a register from hex; the rest of it is kept. */
static int stub_set_reg(struct stub *st, unsigned i, const char *hex)
{
	uint8_t buf[64];
	unsigned idx = stub_reg_index(st, i);

	if (arch_reg_read(debug_vcpu(st->dbg), idx, buf) < 0 ||
	    rsp_hex_decode(hex, 2 * stub_reg_bytes(st, i), buf) < 0)
		return -1;
	return arch_reg_write(debug_vcpu(st->dbg), idx, buf);
}

static void h_read_regs(struct stub *st, const char *pkt, size_t len)
{
	size_t n = 0;

	(void)pkt;
	(void)len;
	for (unsigned i = 0; i < st->layout->n; i++)
		n += stub_put_reg(st, i, st->reply + n);
	stub_send(st, st->reply, n);
}

static void h_write_regs(struct stub *st, const char *pkt, size_t len)
{
	size_t off = 1, total = 0;

	for (unsigned i = 0; i < st->layout->n; i++)
		total += 2 * stub_reg_bytes(st, i);
	if (len - 1 != total)
		return stub_reply(st, "E22");
	for (unsigned i = 0; i < st->layout->n; i++) {
		if (stub_set_reg(st, i, pkt + off) < 0)
			return stub_reply(st, "E01");
		off += 2 * stub_reg_bytes(st, i);
	}
	stub_reply(st, "OK");
}

static void h_read_reg(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 1;
	uint64_t i;

	(void)len;
	if (!stub_parse_hex(&p, &i) || *p || i >= st->layout->n)
		return stub_reply(st, "E22");
	stub_send(st, st->reply, stub_put_reg(st, (unsigned)i, st->reply));
}

static void h_write_reg(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 1;
	uint64_t i;

	(void)len;
	if (!stub_parse_hex(&p, &i) || *p++ != '=' || i >= st->layout->n ||
	    strlen(p) != 2 * stub_reg_bytes(st, (unsigned)i))
		return stub_reply(st, "E22");
	if (stub_set_reg(st, (unsigned)i, p) < 0)
		return stub_reply(st, "E22");
	stub_reply(st, "OK");
}

/* ---- stops and run control ------------------------------------------------------------ */

static void stub_format_stop(struct stub *st, const struct debug_stop *stop)
{
	static const char *const expedite[] = { "fp", "sp", "pc" };
	char *out = st->stop_reply;
	size_t len = sizeof(st->stop_reply), n;
	int sig = GDB_SIGTRAP;
	uint64_t mask;

	switch (stop->reason) {
	case DEBUG_STOP_EXITED:
		/* With history, the end of it: one can go back from there. */
		if (stop->history > 0)
			break;
		snprintf(out, len, "W%02x", stop->reset ? 5 : stop->status & 0xff);
		return;
	case DEBUG_STOP_REQUESTED: sig = GDB_SIGINT; break;
	case DEBUG_STOP_SHUTDOWN: sig = GDB_SIGSEGV; break;
	case DEBUG_STOP_ERROR: sig = GDB_SIGILL; break;
	case DEBUG_STOP_EXCEPTION: {
		/* As Linux signals a process; an interrupt (catch irq) is SIGUSR1,
		 * which gdb passes on by default, so continue delivers it. */
		static const int sigs[] = { [ARCH_SIG_TRAP] = GDB_SIGTRAP, [ARCH_SIG_SEGV] = GDB_SIGSEGV,
					    [ARCH_SIG_ILL] = GDB_SIGILL,   [ARCH_SIG_FPE] = GDB_SIGFPE,
					    [ARCH_SIG_BUS] = GDB_SIGBUS,   [ARCH_SIG_IRQ] = GDB_SIGUSR1 };

		if (stop->signal >= 0 && (size_t)stop->signal < sizeof(sigs) / sizeof(sigs[0]))
			sig = sigs[stop->signal];
		break;
	}
	default: break;
	}
	n = (size_t)snprintf(out, len, "T%02xthread:%02x;", sig, stop->cpu + 1);
	for (size_t k = 0; k < sizeof(expedite) / sizeof(expedite[0]); k++) {
		int r = arch_reg_find(expedite[k], &mask);
		char hex[40];

		for (unsigned i = 0; r >= 0 && i < st->layout->n; i++) {
			if (stub_reg_index(st, i) != (unsigned)r)
				continue;
			stub_put_reg(st, i, hex);
			n += (size_t)snprintf(out + n, len - n, "%x:%s;", i, hex);
		}
	}
	if (stop->history)
		n += (size_t)snprintf(out + n, len - n, "replaylog:%s;",
				      stop->history < 0 ? "begin" : "end");
	if (stop->reason == DEBUG_STOP_BREAKPOINT) {
		struct debug_break_info bp;

		/* gdb resumes silently from a swbreak it did not insert: name only its own. */
		if (debug_break_info(st->dbg, stop->breakpoint, &bp) && (bp.owners & BP_OWNER_GDB))
			snprintf(out + n, len - n, "%s:;", bp.kind == BP_HW ? "hwbreak" : "swbreak");
	}
	if (stop->reason == DEBUG_STOP_WATCHPOINT) {
		const struct watch_hit *h = debug_watch_hit(st->dbg);
		const struct mem_watch *m = debug_watch_get(st->dbg, h->id);

		if (m && (m->owners & BP_OWNER_GDB))
			snprintf(out + n, len - n, "%s:%llx;", h->kind == WATCH_WRITE ? "watch" :
				 h->kind == WATCH_READ ? "rwatch" : "awatch",
				 (unsigned long long)h->addr);
	}
}

/* What the debugger has to say (history discarded, say), while gdb waits. */
static void stub_notice(struct stub *st)
{
	const char *text = debug_notice(st->dbg);
	char msg[1100];
	int n;

	if (!text)
		return;
	n = snprintf(msg, sizeof(msg), "kvmdbg: %s\n", text);
	stub_console(st, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

static void stub_report(struct stub *st, const struct debug_stop *stop)
{
	char msg[400 + DEBUG_EXPLAIN_MAX], why[DEBUG_EXPLAIN_MAX];
	int n = 0;

	stub_notice(st);
	switch (stop->reason) {
	case DEBUG_STOP_SHUTDOWN:
		n = snprintf(msg, sizeof(msg), "kvmdbg: guest shut down: %s\n", stop->detail);
		if (debug_explain_shutdown(st->dbg, why, sizeof(why)) && n > 0 && (size_t)n < sizeof(msg))
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, "kvmdbg: why: %s\n", why);
		break;
	case DEBUG_STOP_ERROR:
		n = snprintf(msg, sizeof(msg), "kvmdbg: guest stopped: %s\n", stop->detail);
		break;
	case DEBUG_STOP_EXCEPTION:
		n = snprintf(msg, sizeof(msg), "kvmdbg: %s\n", stop->detail);
		break;
	case DEBUG_STOP_HALTED:
		n = snprintf(msg, sizeof(msg), "kvmdbg: guest halted (%s)\n", stop->detail);
		break;
	case DEBUG_STOP_EXITED:
		if (stop->reset || stop->poweroff)
			n = snprintf(msg, sizeof(msg), "kvmdbg: %s\n", stop->detail);
		else if (stop->history > 0)
			n = snprintf(msg, sizeof(msg), "kvmdbg: the guest exited with status %d: the end "
				     "of its history (reverse-stepi and reverse-continue go back)\n",
				     stop->status);
		break;
	default:
		break;
	}
	if (n > 0)
		stub_console(st, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	stub_format_stop(st, stop);
	stub_send(st, st->stop_reply, strlen(st->stop_reply));
}

void stub_stopped(struct stub *st, const struct debug_stop *stop)
{
	stub_format_stop(st, stop);
	if (st->monitor_pending)
		return stub_monitor_done(st, stop);
	if (!st->waiting)
		return;
	st->waiting = false;
	stub_report(st, stop);
}


/* Started a run (r from debug_*): an error, the stop at once, or wait for it. */
static void stub_ran(struct stub *st, int r, const struct debug_stop *stop)
{
	stub_notice(st);
	if (r < 0) {
		char msg[300];
		int n = snprintf(msg, sizeof(msg), "kvmdbg: %s\n", err_msg());

		stub_console(st, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		return stub_reply(st, "E01");
	}
	if (r > 0)
		return stub_report(st, stop);
	st->waiting = true;
}

/* bs and bc: one instruction back, or back to the last breakpoint or watchpoint. */
static void h_reverse(struct stub *st, const char *pkt, size_t len)
{
	struct debug_stop stop;

	(void)len;
	stub_ran(st, pkt[1] == 's' ? debug_reverse_step(st->dbg, &stop)
				   : debug_reverse_continue(st->dbg, &stop), &stop);
}

/* A thread id: a vCPU's index + 1; 0 (any) and -1 (all) mean the selected
 * one. The vCPU's index in *cpu; false if there is no such thread. */
static bool stub_parse_thread(struct stub *st, const char *p, unsigned *cpu)
{
	uint64_t tid;

	*cpu = debug_cpu(st->dbg);
	if (!strcmp(p, "-1") || !strcmp(p, "0"))
		return true;
	if (!stub_parse_hex(&p, &tid) || *p || tid == 0 || tid > debug_cpus(st->dbg))
		return false;
	*cpu = (unsigned)(tid - 1);
	return true;
}

/* The stop to report after the guest's exit (with history, the end of it:
 * one can go back from there). */
static void stub_exit_stop(struct stub *st, struct debug_stop *stop)
{
	struct debug_history_info h;

	debug_history_info(st->dbg, &h);
	debug_last_stop(st->dbg, stop);
	stop->history = h.on;
}

/* How a resume runs the guest. */
enum stub_run { RUN_ALL, RUN_STEP, RUN_STEP_SHARED /* steps one, the others run */ };

/* Resumes as c/s/C/S/vCont ask; addr (if given) becomes the new pc. A
 * caught exception is delivered if a signal comes with the resume (gdb's
 * continue passes SIGSEGV on), not if none does (signal 0). */
static void stub_resume(struct stub *st, enum stub_run how, const char *addr, bool sig)
{
	struct debug_stop stop;
	uint64_t pc, mask;
	int r;

	/* Nothing runs after the guest's exit: say so again, as gdbserver does. */
	if (debug_exited(st->dbg, NULL)) {
		stub_exit_stop(st, &stop);
		return stub_report(st, &stop);
	}
	debug_catch_resume(st->dbg, sig);
	if (addr && *addr) {
		if (!stub_parse_hex(&addr, &pc) || *addr)
			return stub_reply(st, "E22");
		if (arch_reg_set(debug_vcpu(st->dbg), (unsigned)arch_reg_find("pc", &mask), pc) < 0)
			return stub_reply(st, "E01");
	}
	if (how != RUN_ALL) {
		r = how == RUN_STEP ? debug_step(st->dbg, &stop) : debug_step_shared(st->dbg, &stop);
		stub_notice(st);
		if (r < 0)
			return stub_reply(st, "E01");
		return stub_report(st, &stop);
	}
	stub_ran(st, debug_continue(st->dbg, &stop), &stop);
}

static void h_continue(struct stub *st, const char *pkt, size_t len)
{
	(void)len;
	stub_resume(st, pkt[0] == 's' ? RUN_STEP : RUN_ALL, pkt + 1, false);
}

/* C sig[;addr] and S sig[;addr]: a signal delivers a caught exception (and
 * means nothing else to a bare-metal guest). */
static void h_continue_sig(struct stub *st, const char *pkt, size_t len)
{
	const char *semi = strchr(pkt, ';');
	const char *p = pkt + 1;
	uint64_t sig;

	(void)len;
	if (!stub_parse_hex(&p, &sig) || (*p && *p != ';'))
		return stub_reply(st, "E22");
	stub_resume(st, pkt[0] == 'S' ? RUN_STEP : RUN_ALL, semi ? semi + 1 : NULL, sig != 0);
}

/*
 * vCont;ACTION[:THREAD];...: the leftmost action that names a thread (or
 * none, then every thread) is the thread's. A step (s, S) steps its thread,
 * the others stopped meanwhile, or running if a later c has no thread (gdb's
 * default, vCont;s:N;c); else c without a thread runs every vCPU, and c
 * naming threads runs those (one: it alone; several: all).
 */
static void h_vcont(struct stub *st, const char *pkt, size_t len)
{
	const char *a = pkt + strlen("vCont;");
	bool step = false, all = false, deliver = false, decided = false;
	unsigned cpu, named = 0, ncont = 0, sel = debug_cpu(st->dbg);
	uint64_t sig;

	(void)len;
	while (*a) {
		char act = *a++, tid[24] = "";
		size_t n;

		if (act != 'c' && act != 's' && act != 'C' && act != 'S')
			return stub_unsupported(st);
		sig = 0;
		if ((act == 'C' || act == 'S') && !stub_parse_hex(&a, &sig))
			return stub_reply(st, "E22");
		if (*a == ':') {
			n = strcspn(++a, ";");
			if (n == 0 || n >= sizeof(tid))
				return stub_reply(st, "E22");
			memcpy(tid, a, n);
			tid[n] = '\0';
			a += n;
			if (!stub_parse_thread(st, tid, &cpu))
				return stub_reply(st, "E22");
		}
		if (*a == ';')
			a++;
		else if (*a)
			return stub_reply(st, "E22");
		/* The leftmost action for the vCPU that stopped says whether its
		 * caught exception is delivered (a signal with it). */
		if (!decided && (!*tid || !strcmp(tid, "-1") || cpu == sel)) {
			decided = true;
			deliver = sig != 0;
		}
		if (step) {
			/* The step wins; the others wait for it, or run with it. */
			all |= (act == 'c' || act == 'C') && (!*tid || !strcmp(tid, "-1"));
			continue;
		}
		if (act == 's' || act == 'S') {
			if (*tid && debug_select_cpu(st->dbg, cpu) < 0)
				return stub_reply(st, "E01");
			step = true;
		} else if (!*tid || !strcmp(tid, "-1")) {
			all = true;
		} else if (ncont++ == 0) {
			named = cpu;
		}
	}
	if (step)
		return stub_resume(st, all ? RUN_STEP_SHARED : RUN_STEP, NULL, deliver);
	if (all || ncont != 1)
		return stub_resume(st, RUN_ALL, NULL, deliver);
	if (debug_exited(st->dbg, NULL) || debug_select_cpu(st->dbg, named) < 0)
		return stub_resume(st, RUN_ALL, NULL, deliver);
	struct debug_stop stop;

	debug_catch_resume(st->dbg, deliver);
	stub_ran(st, debug_continue_cpu(st->dbg, &stop), &stop);
}

/* Z2, Z3, Z4 in order. */
static const unsigned watch_kinds[] = { WATCH_WRITE, WATCH_READ, WATCH_ACCESS };

/* Z2-Z4 / z2-z4: memory watchpoints, up to debug.h's limits (E28 past them). */
static void stub_watch(struct stub *st, bool insert, unsigned kind, uint64_t addr, uint64_t len)
{
	struct mem_watch *m = debug_watch_find(st->dbg, kind, addr, len, st->phys);

	if (!insert) {
		if (m)
			debug_watch_release(st->dbg, m, BP_OWNER_GDB);
		return stub_reply(st, "OK");
	}
	if (m && (m->owners & BP_OWNER_GDB))
		return stub_reply(st, "OK");
	int r = debug_watch_insert(st->dbg, kind, addr, len, st->phys, BP_OWNER_GDB);

	if (r < 0)
		return stub_reply(st, r == -EINVAL ? "E22" : r == -ENOSPC ? "E28" : "E14");
	stub_reply(st, "OK");
}

static void h_break(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + 3;
	enum bp_kind kind;
	uint64_t addr, size;
	struct debug_break_info bp;
	bool have;

	(void)len;
	if (pkt[1] < '0' || pkt[1] > '4')
		return stub_unsupported(st);
	if (pkt[2] != ',' || !stub_parse_hex(&p, &addr) || *p++ != ',' || !stub_parse_hex(&p, &size))
		return stub_reply(st, "E22");
	if (pkt[1] >= '2')
		return stub_watch(st, pkt[0] == 'Z', watch_kinds[pkt[1] - '2'], addr, size);
	kind = pkt[1] == '0' ? BP_SW : BP_HW;
	have = debug_break_info(st->dbg, debug_break_find_id(st->dbg, kind, addr), &bp);
	if (pkt[0] == 'z') {
		if (have)
			debug_break_release(st->dbg, bp.id, BP_OWNER_GDB);
		return stub_reply(st, "OK");
	}
	if ((!have || !(bp.owners & BP_OWNER_GDB)) &&
	    debug_break_insert(st->dbg, kind, addr, BP_OWNER_GDB) < 0)
		return stub_reply(st, kind == BP_HW ? "E28" : "E14");
	stub_reply(st, "OK");
}

/* ---- queries ------------------------------------------------------------------ */

static void h_supported(struct stub *st, const char *pkt, size_t len)
{
	(void)len;
	st->binary_upload = strstr(pkt, "binary-upload+") != NULL;
	stub_reply(st, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"
		       "QStartNoAckMode+;binary-upload+;ReverseStep+;ReverseContinue+", RSP_PACKET_SIZE);
}

static void h_features(struct stub *st, const char *pkt, size_t len)
{
	const char *p = pkt + strlen("qXfer:features:read:");
	const char *colon = strchr(p, ':');
	uint64_t off, n;
	size_t xml_len = st->xml_len;
	const char *xml = st->xml;

	(void)len;
	if (!colon || (size_t)(colon - p) != strlen("target.xml") || strncmp(p, "target.xml", 10))
		return stub_reply(st, "E00");
	p = colon + 1;
	if (!xml || !stub_parse_addr_len(&p, &off, &n, '\0'))
		return stub_reply(st, "E22");
	if (off >= xml_len)
		return stub_reply(st, "l");
	if (n > xml_len - off)
		n = xml_len - off;
	if (n > RSP_PACKET_SIZE / 2)
		n = RSP_PACKET_SIZE / 2;
	st->reply[0] = off + n < xml_len ? 'm' : 'l';
	memcpy(st->reply + 1, xml + off, n);
	stub_send(st, st->reply, 1 + n);
}

/*
 * A monitor command's output: kept as it is produced, up to STUB_MONITOR_MAX
 * bytes (a client is dropped once CONN_MAX_OUT bytes wait for it, and that is
 * twice this in hex). Past that, writes fail: the stream's error flag tells
 * the command to stop (its loops look), and the text ends at its last whole
 * line with a line saying so.
 */
struct stub_text {
	char *buf;
	size_t len, cap;
	bool full;
};

static ssize_t stub_text_write(void *cookie, const char *p, size_t n)
{
	struct stub_text *t = cookie;
	size_t room = STUB_MONITOR_MAX - t->len;

	if (t->full)
		goto full;
	if (n > room) {
		n = room;
		t->full = true;
	}
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *b;

		while (cap < t->len + n)
			cap *= 2;
		if (cap > STUB_MONITOR_MAX)
			cap = STUB_MONITOR_MAX;
		if (!(b = realloc(t->buf, cap))) {
			t->full = true;
			goto full;
		}
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	if (!t->full)
		return (ssize_t)n;
full:
	errno = ENOSPC;
	return -1;
}

static FILE *stub_text_open(struct stub_text *t)
{
	*t = (struct stub_text){ 0 };
	return fopencookie(t, "w", (cookie_io_functions_t){ .write = stub_text_write });
}

/* Sends what the command wrote, as O packets, and frees it. */
static void stub_text_send(struct stub *st, struct stub_text *t)
{
	static const char cut[] = "[kvmdbg: monitor output cut at 1 MiB, and the command "
				  "stopped there; the console shows all]\n";
	size_t keep = t->len;

	if (t->full)
		while (keep && t->buf[keep - 1] != '\n')
			keep--;
	stub_console(st, t->buf, keep);
	if (t->full)
		stub_console(st, cut, sizeof(cut) - 1);
	free(t->buf);
	*t = (struct stub_text){ 0 };
}

static void h_monitor(struct stub *st, const char *pkt, size_t len)
{
	const char *hex = pkt + strlen("qRcmd,");
	size_t hexlen = len - strlen("qRcmd,");
	struct stub_text text;
	bool pending = false;
	char *cmd;
	FILE *out;

	cmd = calloc(1, hexlen / 2 + 1);
	if (!cmd || rsp_hex_decode(hex, hexlen, (uint8_t *)cmd) < 0) {
		free(cmd);
		return stub_reply(st, "E22");
	}
	out = stub_text_open(&text);
	if (!out) {
		free(cmd);
		return stub_reply(st, "E01");
	}
	if (!strncmp(cmd, "phys", 4) && (!cmd[4] || cmd[4] == ' ')) {
		const char *arg = cmd + 4 + strspn(cmd + 4, " ");

		if (!strcmp(arg, "on"))
			st->phys = true;
		else if (!strcmp(arg, "off"))
			st->phys = false;
		else if (*arg)
			fprintf(out, "usage: monitor phys on|off\n");
		fprintf(out, "memory addresses are guest-%s\n", st->phys ? "physical" : "virtual");
	} else if (st->monitor) {
		pending = st->monitor(st->monitor_opaque, cmd, out) == 1;
	}
	fclose(out);
	stub_text_send(st, &text);
	free(cmd);
	/* The command left the guest running (monitor cont): the reply comes at
	 * its stop, and meanwhile the server goes on reading (Ctrl-C stops it). */
	if (pending && stub_connected(st))
		st->monitor_pending = true;
	else
		stub_reply(st, "OK");
}

bool stub_cancel_requested(void *opaque)
{
	struct stub *st = opaque;

	/* (Between packets: a 0x03 inside one is data.) */
	return rsp_idle(&st->rsp) && conn_take_byte(&st->conn, RSP_CTRL_C);
}

/* The guest stopped while a monitor command waited for it: say how, then OK. */
static void stub_monitor_done(struct stub *st, const struct debug_stop *stop)
{
	struct stub_text text;
	FILE *out = stub_text_open(&text);

	st->monitor_pending = false;
	if (out) {
		if (st->monitor_stop)
			st->monitor_stop(st->monitor_opaque, stop, out);
		fclose(out);
		stub_text_send(st, &text);
	}
	stub_reply(st, "OK");
}

static void h_reply_fixed(struct stub *st, const char *pkt, size_t len)
{
	static const struct {
		const char *pkt, *reply;
	} fixed[] = {
		{ "qAttached", "1" }, { "qsThreadInfo", "l" }, { "vCont?", "vCont;c;C;s;S" },
		{ "vMustReplyEmpty", "" },
	};

	(void)len;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strncmp(pkt, fixed[i].pkt, strlen(fixed[i].pkt)))
			return stub_reply(st, "%s", fixed[i].reply);
	stub_unsupported(st);
}

/* Threads are vCPUs: qC, qfThreadInfo, qThreadExtraInfo, H and T. */
static void h_thread(struct stub *st, const char *pkt, size_t len)
{
	unsigned cpu, n = debug_cpus(st->dbg);

	(void)len;
	if (!strcmp(pkt, "qC"))
		return stub_reply(st, "QC%02x", debug_cpu(st->dbg) + 1);
	if (!strcmp(pkt, "qfThreadInfo")) {
		char list[128] = "m"; /* (16 vCPUs at most: "m01,02,...,10") */
		size_t at = 1;

		for (unsigned i = 0; i < n; i++)
			at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%02x", i ? "," : "",
					       i + 1);
		return stub_reply(st, "%s", list);
	}
	if (!strncmp(pkt, "qThreadExtraInfo,", 17)) {
		char text[64], hex[2 * sizeof(text) + 1];

		if (!stub_parse_thread(st, pkt + 17, &cpu))
			return stub_reply(st, "E22");
		snprintf(text, sizeof(text), "CPU#%u [%s]", cpu, debug_cpu_state(st->dbg, cpu));
		rsp_hex_encode((const uint8_t *)text, strlen(text), hex);
		return stub_reply(st, "%s", hex);
	}
	if (pkt[0] == 'T')
		return stub_reply(st, stub_parse_thread(st, pkt + 1, &cpu) ? "OK" : "E01");
	/* Hg (registers, memory) and Hc (steps): the selected vCPU, as the console's cpu. */
	if (pkt[0] == 'H' && (pkt[1] == 'g' || pkt[1] == 'c')) {
		if (!stub_parse_thread(st, pkt + 2, &cpu))
			return stub_reply(st, "E22");
		if (strcmp(pkt + 2, "-1") && strcmp(pkt + 2, "0") &&
		    debug_select_cpu(st->dbg, cpu) < 0)
			return stub_reply(st, "E01");
		return stub_reply(st, "OK");
	}
	stub_unsupported(st);
}

static void h_noack(struct stub *st, const char *pkt, size_t len)
{
	(void)pkt;
	(void)len;
	stub_reply(st, "OK");
	st->noack = true;
}

static void h_status(struct stub *st, const char *pkt, size_t len)
{
	(void)pkt;
	(void)len;
	stub_send(st, st->stop_reply, strlen(st->stop_reply));
}

static void h_kill(struct stub *st, const char *pkt, size_t len)
{
	(void)len;
	st->killed = true;
	/* gdb expects nothing after 'k'; lldb waits for an exit: "killed by signal 9". */
	if (pkt[0] == 'v')
		stub_reply(st, "OK");
	else
		stub_reply(st, "X09");
}

/*
 * A debugger that went away (detach, a closed or dropped connection) leaves no
 * breakpoints or watchpoints of its own behind, and the guest as it was
 * before it came: running again if connecting stopped it.
 */
static void stub_hangup(struct stub *st)
{
	struct debug_break_info bp;
	struct mem_watch *m;
	struct debug_stop stop;
	bool resume = st->attached && st->resume_on_detach;

	conn_drop(&st->conn);
	/* The next client starts afresh (a new stub starts so, zeroed). */
	st->rsp.state = 0;
	st->noack = st->waiting = st->phys = st->attached = st->monitor_pending = false;
	st->last_len = 0;
	for (unsigned i = 0; debug_break_nth(st->dbg, i, &bp);)
		if (bp.owners & BP_OWNER_GDB)
			debug_break_release(st->dbg, bp.id, BP_OWNER_GDB);
		else
			i++;
	for (unsigned i = 0; (m = debug_watch_at(st->dbg, i));)
		if (m->owners & BP_OWNER_GDB)
			debug_watch_release(st->dbg, m, BP_OWNER_GDB);
		else
			i++;
	if (!resume || st->killed || debug_exited(st->dbg, NULL) || debug_running(st->dbg))
		return;
	debug_fresh_line(st->dbg);
	fputs("kvmdbg: the debugger left; the guest runs on\n", stderr);
	/* (A stop right away, on the step off a breakpoint, is the last stop.) */
	if (debug_continue(st->dbg, &stop) > 0)
		stub_format_stop(st, &stop);
}

/* detach resumes the guest, as QEMU's gdbstub does (also after -S); a
 * dropped connection leaves it as it was before the client came. */
static void h_detach(struct stub *st, const char *pkt, size_t len)
{
	(void)pkt;
	(void)len;
	stub_reply(st, "OK");
	st->resume_on_detach = true;
	stub_hangup(st);
}

void stub_end(struct stub *st)
{
	if (stub_connected(st) && st->waiting)
		stub_reply(st, "X%02x", GDB_SIGALRM);
	st->waiting = false;
	conn_drop(&st->conn);
}

/* The packet table: exact names first, then prefixes, then one-letter packets. */
static const struct {
	const char *name;  /* packet name or prefix */
	bool exact;        /* the whole packet must equal name */
	void (*handler)(struct stub *st, const char *pkt, size_t len);
} packets[] = {
	{ "qAttached", false, h_reply_fixed },
	{ "qC", true, h_thread },
	{ "qfThreadInfo", true, h_thread },
	{ "qThreadExtraInfo,", false, h_thread },
	{ "qsThreadInfo", true, h_reply_fixed },
	{ "vCont?", true, h_reply_fixed },
	{ "vMustReplyEmpty", true, h_reply_fixed },
	{ "qSupported", false, h_supported },
	{ "qXfer:features:read:", false, h_features },
	{ "qRcmd,", false, h_monitor },
	{ "QStartNoAckMode", true, h_noack },
	{ "vCont;", false, h_vcont },
	{ "vKill", false, h_kill },
	{ "?", true, h_status },
	{ "g", true, h_read_regs },
	{ "G", false, h_write_regs },
	{ "p", false, h_read_reg },
	{ "P", false, h_write_reg },
	{ "m", false, h_read_mem },
	{ "x", false, h_read_mem_bin },
	{ "M", false, h_write_mem_hex },
	{ "X", false, h_write_mem_bin },
	{ "bs", true, h_reverse },
	{ "bc", true, h_reverse },
	{ "c", false, h_continue },
	{ "s", false, h_continue },
	{ "C", false, h_continue_sig },
	{ "S", false, h_continue_sig },
	{ "Z", false, h_break },
	{ "z", false, h_break },
	{ "H", false, h_thread },
	{ "T", false, h_thread },
	{ "k", true, h_kill },
	{ "D", false, h_detach },
};

static void stub_dispatch(struct stub *st, const char *pkt, size_t len)
{
	for (size_t i = 0; i < sizeof(packets) / sizeof(packets[0]); i++) {
		const char *name = packets[i].name;
		bool match = packets[i].exact ? !strcmp(pkt, name)
					      : !strncmp(pkt, name, strlen(name));

		if (!match)
			continue;
		/* Everything but '?', queries and run control needs the guest stopped. */
		if (debug_running(st->dbg) && !strchr("?qQvk", pkt[0]))
			return stub_reply(st, "E01");
		return packets[i].handler(st, pkt, len);
	}
	stub_unsupported(st);
}

/* ---- connection ------------------------------------------------------------------ */

int stub_start(struct stub *st, const char *spec, struct debug *dbg,
	       const struct arch_gdb_layout *layout, stub_monitor_fn monitor, void *opaque)
{
	bool warning;
	int r;

	*st = (struct stub){ .dbg = dbg, .layout = layout, .monitor = monitor,
			     .monitor_opaque = opaque };
	conn_init(&st->conn);
	st->reply_cap = RSP_PACKET_SIZE + 16;
	st->reply = malloc(st->reply_cap);
	st->last = malloc(2 * st->reply_cap + 8);
	st->xml = target_xml(layout, &st->xml_len);
	if (!st->reply || !st->last || !st->xml || rsp_init(&st->rsp) < 0) {
		stub_close(st);
		return err_set(ENOMEM, "out of memory for the gdb stub");
	}
	r = conn_listen(&st->conn, spec, &warning);
	if (r < 0) {
		stub_close(st);
		return r;
	}
	if (warning)
		fprintf(stderr, "kvmdbg: warning: the gdb server on %s is reachable from other "
			"machines, and gdb can read and write all guest memory\n", st->conn.where);
	snprintf(st->stop_reply, sizeof(st->stop_reply), "S%02x", GDB_SIGTRAP);
	return 0;
}

void stub_close(struct stub *st)
{
	conn_close(&st->conn);
	rsp_free(&st->rsp);
	free(st->reply);
	free(st->last);
	free(st->xml);
	st->reply = st->last = st->xml = NULL;
}

bool stub_connected(const struct stub *st)
{
	return st->conn.client_fd >= 0;
}

int stub_fds(struct stub *st, struct pollfd *pfd)
{
	return conn_fds(&st->conn, pfd);
}

/* A client that has not spoken RSP in CONN_IDLE_MS (a port scan, a stray
 * telnet) goes, so that a debugger can connect. */
int stub_timeout(struct stub *st)
{
	if (conn_idle(&st->conn)) {
		debug_fresh_line(st->dbg);
		fprintf(stderr, "kvmdbg: a client sent no gdb packet in %d s: closed, so that a "
			"debugger can connect\n", CONN_IDLE_MS / 1000);
		stub_hangup(st);
	}
	return conn_timeout(&st->conn);
}

/*
 * The client spoke RSP for the first time: it finds the guest stopped, as
 * after a breakpoint. (A connection that never does, such as a port scan,
 * leaves the guest alone.)
 */
static void stub_attach(struct stub *st)
{
	struct debug_stop stop = { .reason = DEBUG_STOP_STEPPED };

	st->attached = true;
	conn_spoke(&st->conn);
	st->resume_on_detach = debug_running(st->dbg);
	if (debug_running(st->dbg)) {
		debug_interrupt(st->dbg);
		debug_wait_stop(st->dbg, &stop, NULL);
	} else if (debug_exited(st->dbg, NULL)) {
		stub_exit_stop(st, &stop); /* (--no-shutdown) not a live-looking stop */
	}
	stub_format_stop(st, &stop);
}

static void stub_input(struct stub *st)
{
	uint8_t buf[4096];
	ssize_t n = conn_read(&st->conn, buf, sizeof(buf));

	if (n < 0)
		return stub_hangup(st);
	for (ssize_t i = 0; i < n && stub_connected(st); i++) {
		enum rsp_event ev = rsp_feed(&st->rsp, buf[i]);

		if ((ev == RSP_PACKET || ev == RSP_INTERRUPT) && !st->attached)
			stub_attach(st);
		switch (ev) {
		case RSP_PACKET:
			if (!st->noack && conn_write(&st->conn, "+", 1) < 0)
				return stub_hangup(st);
			if (st->rsp.overflow)
				stub_reply(st, "E22");
			else
				stub_dispatch(st, (const char *)st->rsp.buf, st->rsp.len);
			break;
		case RSP_BAD:
			if (!st->noack && conn_write(&st->conn, "-", 1) < 0)
				return stub_hangup(st);
			break;
		case RSP_NAK:
			if (!st->noack && st->last_len &&
			    conn_write(&st->conn, st->last, st->last_len) < 0)
				return stub_hangup(st);
			break;
		case RSP_INTERRUPT:
			debug_interrupt(st->dbg);
			break;
		case RSP_ACK:
		case RSP_NONE:
			break;
		}
	}
}

void stub_ready(struct stub *st, const struct pollfd *pfd, int n)
{
	for (int i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == st->conn.listen_fd) {
			uint8_t busy[2 * sizeof(stub_busy_text) + 8] = "+";
			size_t len = 1 + rsp_frame((const uint8_t *)stub_busy_text,
						   sizeof(stub_busy_text) - 1, busy + 1);

			conn_accept(&st->conn, (const char *)busy, len);
			continue;
		}
		if (pfd[i].fd == st->conn.client_fd && (pfd[i].revents & ~POLLOUT))
			stub_input(st);
		if ((pfd[i].fd != st->conn.client_fd || (pfd[i].revents & POLLOUT)) &&
		    conn_service(&st->conn, &pfd[i]) < 0)
			stub_hangup(st);
	}
}
