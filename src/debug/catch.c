/*
 * Caught exceptions (debug.h, debug_catch()): a breakpoint of kvmdbg's own
 * at the handler of each caught vector, found in the IDT before every run
 * and again whenever the guest exits to kvmdbg while it runs; at a stop
 * there, the frame the CPU pushed is taken back (arch_catch_undo()), so the
 * guest is stopped at the instruction that faulted; the next run delivers
 * it (the handler's entry state back) or, told not to, runs the instruction
 * again. Breakpoints by int3, DR or page are the breakpoint table's, so
 * every host that stops at a breakpoint stops here too.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../err.h"
#include "../json.h"

static bool debug_caught(const struct debug *d, unsigned v)
{
	return d->catch_set[v / 64] >> (v % 64) & 1;
}

static bool debug_traced(const struct debug *d, unsigned v)
{
	return d->trace && (d->trace_set[v / 64] >> (v % 64) & 1);
}

/* Caught or traced: its handler gets a breakpoint. */
static bool debug_watched(const struct debug *d, unsigned v)
{
	return debug_caught(d, v) || debug_traced(d, v);
}

static bool debug_catching(const struct debug *d)
{
	for (unsigned i = 0; i < ARCH_MAX_VECTORS / 64; i++)
		if (d->catch_set[i] || (d->trace && d->trace_set[i]))
			return true;
	return false;
}

int debug_catch(struct debug *d, const char *list, bool on)
{
	uint64_t set[ARCH_MAX_VECTORS / 64] = { 0 };
	char word[32];
	bool any = false;

	while (*list) {
		size_t n = strcspn(list, ", \t");
		int v;

		if (!n) {
			list++;
			continue;
		}
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, list, n);
		word[n] = '\0';
		list += strcspn(list, ", \t");
		any = true;
		if (!strcmp(word, "all")) {
			set[0] |= ~0ULL >> 32;
			continue;
		}
		if (!strcmp(word, "irq")) {
			set[0] |= ~0ULL << 32;
			for (unsigned i = 1; i < ARCH_MAX_VECTORS / 64; i++)
				set[i] = ~0ULL;
			continue;
		}
		v = arch_vector_parse(word);
		if (v < 0)
			return err_set(EINVAL, "unknown exception '%s' (de db nmi bp of br ud nm df ts np "
				       "ss gp pf mf ac mc xm ve cp, a vector number, all, irq)", word);
		set[v / 64] |= 1ULL << (v % 64);
	}
	for (unsigned i = 0; i < ARCH_MAX_VECTORS / 64; i++) {
		if (!any && !on)
			set[i] = ~0ULL;
		d->catch_set[i] = on ? d->catch_set[i] | set[i] : d->catch_set[i] & ~set[i];
	}
	return 0;
}

void debug_catch_list(const struct debug *d, char *buf, size_t len)
{
	size_t n = 0;
	unsigned v = 0;

	buf[0] = '\0';
	if (((d->catch_set[0] & 0xffffffff) == 0xffffffff) && len > 4) {
		n = (size_t)snprintf(buf, len, "all");
		v = 32;
	}
	for (; v < ARCH_MAX_VECTORS && n < len; v++) {
		const char *name = arch_vector_name(v);
		bool irqs = v == ARCH_FIRST_IRQ;

		for (unsigned k = ARCH_FIRST_IRQ; irqs && k < ARCH_MAX_VECTORS; k++)
			irqs = debug_caught(d, k);
		if (irqs) {
			n += (size_t)snprintf(buf + n, len - n, "%sirq", n ? " " : "");
			break;
		}
		if (!debug_caught(d, v))
			continue;
		if (name)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", name + (name[0] == '#'));
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%u", n ? " " : "", v);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

/* Each caught or traced vector's handler in the IDT now (0: none). */
static void debug_catch_targets(struct debug *d, uint64_t *at)
{
	uint8_t idt[DEBUG_MAX_IDT];
	uint64_t base;
	unsigned size;

	memset(at, 0, ARCH_MAX_VECTORS * sizeof(*at));
	if (arch_idt(d->vcpu, &base, &size) < 0)
		return;
	if (size > DEBUG_MAX_IDT)
		size = DEBUG_MAX_IDT;
	if (debug_read_virt(d, base, idt, size) < 0)
		return;
	for (unsigned v = 0; v < ARCH_MAX_VECTORS; v++)
		if (debug_watched(d, v) && !arch_gate_target(d->vcpu, idt, size, v, &at[v]))
			at[v] = 0;
}

void debug_catch_plan(struct debug *d)
{
	bool want[DEBUG_MAX_BREAKPOINTS] = { false };
	uint64_t *sys = NULL;
	unsigned nsys = 0;

	if (!debug_catching(d)) {
		memset(d->catch_at, 0, sizeof(d->catch_at));
		for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
			if (d->bp[i].id && (d->bp[i].owners & BP_OWNER_CATCH))
				debug_break_release(d, d->bp[i].id, BP_OWNER_CATCH);
		return;
	}
	debug_catch_targets(d, d->catch_at);
	for (unsigned v = 0; v < ARCH_MAX_VECTORS; v++) {
		struct breakpoint *bp;
		int id;

		if (!d->catch_at[v])
			continue;
		bp = debug_break_find(d, BP_SW, d->catch_at[v]);
		if (bp && (bp->owners & BP_OWNER_CATCH)) {
			want[bp - d->bp] = true;
			continue;
		}
		/* (The CPU's tables are looked for once, and only for a new one.) */
		if (!sys && (sys = malloc(DEBUG_MAX_SYSTEM_PAGES * sizeof(*sys))))
			nsys = arch_system_pages(d->vcpu, sys, DEBUG_MAX_SYSTEM_PAGES, NULL);
		if (debug_entry_on_table(d, d->catch_at[v], sys, nsys))
			continue;
		id = debug_break_insert(d, BP_SW, d->catch_at[v], BP_OWNER_CATCH);
		bp = id > 0 ? debug_break_get(d, id) : NULL;
		if (bp)
			want[bp - d->bp] = true;
	}
	free(sys);
	for (int i = 0; i < DEBUG_MAX_BREAKPOINTS; i++)
		if (d->bp[i].id && (d->bp[i].owners & BP_OWNER_CATCH) && !want[i])
			debug_break_release(d, d->bp[i].id, BP_OWNER_CATCH);
}

bool debug_catch_exit(void *opaque, struct vcpu *vcpu)
{
	struct debug *d = opaque;
	uint64_t at[ARCH_MAX_VECTORS];

	/* (Only the selected vCPU's registers are this thread's to read.) */
	if (vcpu != d->vcpu || d->icount_on || !debug_catching(d))
		return false;
	debug_catch_targets(d, at);
	if (!memcmp(at, d->catch_at, sizeof(at)))
		return false;
	d->catch_replan = true;
	return true;
}

/* The caught vector whose handler is at pc, preferring one whose frame is
 * there (*undone: taken back); -1 if none. */
static int debug_catch_vector(struct debug *d, uint64_t pc, struct arch_caught *c, bool *undone)
{
	int first = -1;

	*undone = false;
	for (unsigned v = 0; v < ARCH_MAX_VECTORS; v++) {
		if (!debug_watched(d, v) || d->catch_at[v] != pc)
			continue;
		if (first < 0)
			first = (int)v;
		if (arch_catch_undo(d->vcpu, v, c) == 0) {
			*undone = true;
			return (int)v;
		}
	}
	return first;
}

void debug_catch_report(struct debug *d, const struct vcpu_stop *in, struct debug_stop *out)
{
	struct breakpoint *bp;
	struct arch_caught c;
	char what[200], sym[160] = "", num[24];
	bool undone;
	int v;

	/* At a caught vector's handler: its breakpoint's stop, or a step's
	 * whose instruction raised the exception (stepi at ud2). */
	if (in->reason == STOP_BREAKPOINT)
		bp = debug_break_get(d, in->breakpoint);
	else if (in->reason == STOP_STEPPED)
		bp = debug_break_find(d, BP_SW, arch_pc(d->vcpu));
	else
		return;
	if (!bp || !(bp->owners & BP_OWNER_CATCH))
		return;
	v = debug_catch_vector(d, bp->addr, &c, &undone);
	if (in->reason == STOP_STEPPED && (!undone || c.pc != d->run_pc)) {
		/* A step that came to the handler some other way. */
		if (undone)
			arch_catch_redo(d->vcpu, &c);
		return;
	}
	if (v >= 0 && !debug_caught(d, (unsigned)v)) {
		/* Traced only (a step ran into it): the handler's entry, as it was. */
		if (undone)
			arch_catch_redo(d->vcpu, &c);
		return;
	}
	if (v < 0)
		return;
	out->reason = DEBUG_STOP_EXCEPTION;
	out->vector = (unsigned)v;
	out->signal = (int)arch_vector_signal((unsigned)v);
	if (!undone) {
		/* No frame there: the stop stays at the handler's entry. */
		const char *name = arch_vector_name((unsigned)v);

		snprintf(num, sizeof(num), "vector %d", v);
		snprintf(out->detail, sizeof(out->detail), "entered the handler of %s at %#llx, "
			 "but %s: the registers are the handler's", name ? name : num,
			 (unsigned long long)bp->addr, err_msg());
		return;
	}
	d->caught = c;
	d->caught_held = true;
	d->caught_deliver = true;
	/* Taking the frame back is kvmdbg's, not a change of the user's (history
	 * keeps its future); and counted, the guest is where the count says it
	 * is with no step into the handler made yet. */
	d->caught_sub = d->sub;
	d->sub = 0;
	debug_state_known(d);
	arch_catch_describe(&c, what, sizeof(what));
	if (d->syms)
		symbols_format(d->syms, c.pc, sym, sizeof(sym));
	snprintf(out->detail, sizeof(out->detail), "%s at %#llx%s%s%s", what,
		 (unsigned long long)c.pc, sym[0] ? " <" : "", sym, sym[0] ? ">" : "");
	snprintf(d->catch_last, sizeof(d->catch_last), "%s (caught)", out->detail);
}

void debug_catch_resume(struct debug *d, bool deliver)
{
	d->caught_deliver = deliver;
}

int debug_catch_apply(struct debug *d)
{
	bool changed;
	int r;

	if (!d->caught_held)
		return 0;
	d->caught_held = false;
	/* Not delivered, the guest goes another way than history recorded: that
	 * is a change of the user's (history discards what came after). */
	if (!d->caught_deliver) {
		d->wrote = true;
		return 0;
	}
	changed = d->wrote || arch_state_changes(d->vcpu) != d->arch_changes;
	r = arch_catch_redo(d->vcpu, &d->caught);
	d->sub = d->caught_sub;
	if (!changed)
		debug_state_known(d);
	return r;
}

void debug_catch_drop(struct debug *d)
{
	d->caught_held = false;
}

int debug_trace_exceptions(struct debug *d, const char *path, bool irqs)
{
	FILE *f = stderr;
	size_t n = path ? strlen(path) : 0;

	if (path && !(f = fopen(path, "w")))
		return err_set(errno, "cannot open %s: %s", path, strerror(errno));
	debug_catch_free(d);
	d->trace = f;
	d->trace_close = path != NULL;
	d->trace_json = n >= 6 && !strcmp(path + n - 6, ".jsonl");
	memset(d->trace_set, 0, sizeof(d->trace_set));
	d->trace_set[0] = 0xffffffff;
	for (unsigned v = ARCH_FIRST_IRQ; irqs && v < ARCH_MAX_VECTORS; v++)
		d->trace_set[v / 64] |= 1ULL << (v % 64);
	return 0;
}

void debug_catch_free(struct debug *d)
{
	if (d->trace && d->trace_close)
		fclose(d->trace);
	d->trace = NULL;
}

/* One record of the trace. */
static void debug_trace_write(struct debug *d, const struct arch_caught *c)
{
	char what[200], sym[160] = "", hsym[160] = "";
	const char *name = arch_vector_name(c->vector);
	FILE *f = d->trace;

	if (d->syms) {
		symbols_format(d->syms, c->pc, sym, sizeof(sym));
		symbols_format(d->syms, c->handler, hsym, sizeof(hsym));
	}
	arch_catch_describe(c, what, sizeof(what));
	snprintf(d->catch_last, sizeof(d->catch_last), "%s at %#llx:%#llx%s%s%s, handler %#llx%s%s%s",
		 what, (unsigned long long)c->cs, (unsigned long long)c->pc, sym[0] ? " <" : "", sym,
		 sym[0] ? ">" : "", (unsigned long long)c->handler, hsym[0] ? " <" : "", hsym,
		 hsym[0] ? ">" : "");
	if (d->trace_json) {
		fputc('{', f);
		if (d->icount_on)
			fprintf(f, "\"icount\":%llu,", (unsigned long long)d->icount);
		fprintf(f, "\"cpu\":%d,\"vector\":%u,\"name\":", d->vcpu->id, c->vector);
		json_string(f, c->soft ? "int" : name ? name : "irq");
		if (c->has_error)
			fprintf(f, ",\"error\":%llu", (unsigned long long)c->error);
		if (c->vector == 14 && !c->soft)
			fprintf(f, ",\"cr2\":\"%#llx\"", (unsigned long long)c->cr2);
		fprintf(f, ",\"cs\":\"%#llx\",\"rip\":\"%#llx\",\"symbol\":",
			(unsigned long long)c->cs, (unsigned long long)c->pc);
		json_string(f, sym);
		fprintf(f, ",\"handler\":\"%#llx\",\"handler_symbol\":", (unsigned long long)c->handler);
		json_string(f, hsym);
		fputs("}\n", f);
		return;
	}
	if (d->icount_on)
		fprintf(f, "icount %llu: ", (unsigned long long)d->icount);
	if (d->ncpus > 1)
		fprintf(f, "CPU %d: ", d->vcpu->id);
	fprintf(f, "%s\n", d->catch_last);
}

bool debug_catch_trace(struct debug *d, const struct vcpu_stop *stop)
{
	struct breakpoint *bp;
	struct arch_caught c;
	bool undone;
	int v;

	if (!d->trace || stop->reason != STOP_BREAKPOINT ||
	    !(bp = debug_break_get(d, stop->breakpoint)) || !(bp->owners & BP_OWNER_CATCH))
		return false;
	v = debug_catch_vector(d, bp->addr, &c, &undone);
	if (v < 0 || !undone)
		return false;
	/* (A replay of history sees again what was recorded the first time.) */
	if (debug_traced(d, (unsigned)v) && !(d->hops && d->hops->replaying(d)))
		debug_trace_write(d, &c);
	arch_catch_redo(d->vcpu, &c);
	/* A caught one is the user's stop; so is one at a breakpoint of theirs. */
	return !debug_caught(d, (unsigned)v) && bp->owners == BP_OWNER_CATCH;
}
