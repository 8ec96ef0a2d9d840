/*
 * The debugger's state: what the front ends may read of it, its settings,
 * guest memory as they reach it, stop reports in their form, the guest's
 * serial input.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch.h"
#include "../devices/output.h"
#include "../err.h"
#include "../history.h"
#include "../host.h"
#include "../span.h"
#include "../vm.h"

void debug_fresh_line(struct debug *d)
{
	if (d->output)
		devices_output_fresh_line(d->output);
}

uint64_t debug_output_bytes(const struct debug *d)
{
	return d->output ? __atomic_load_n(&d->output->bytes, __ATOMIC_ACQUIRE) : 0;
}

void debug_status_line(struct debug *d, const char *text)
{
	if (d->output && text)
		devices_output_status(d->output, stderr, text);
	else if (d->output)
		devices_output_status_end(d->output);
}

void debug_set_output(struct debug *d, struct devices_output *output)
{
	d->output = output;
}

void debug_set_input(struct debug *d, int fd)
{
	d->input_fd = fd;
}

void debug_set_history_limit(struct debug *d, uint64_t bytes)
{
	d->history_limit = bytes ? bytes : HISTORY_DEFAULT_BUDGET;
}

void debug_set_reset(struct debug *d, int (*fn)(void *opaque), void *opaque)
{
	d->reset = fn;
	d->reset_opaque = opaque;
}

void debug_set_clock(struct debug *d, const struct debug_clock *clock)
{
	d->clock = clock;
}

void debug_set_early_map(struct debug *d, const struct debug_early_map *map)
{
	d->early_map = *map;
}

bool debug_input_ended(const struct debug *d)
{
	return __atomic_load_n(&d->input_ended, __ATOMIC_RELAXED);
}

struct vcpu *debug_vcpu(const struct debug *d)
{
	return d->vcpu;
}

bool debug_cpuid_nth(struct debug *d, unsigned n, struct debug_cpuid *c)
{
	uint32_t r[6];

	if (arch_cpuid_nth(d->vcpu, n, r, c->features, sizeof(c->features)) <= 0)
		return false;
	c->leaf = r[0], c->index = r[1];
	c->eax = r[2], c->ebx = r[3], c->ecx = r[4], c->edx = r[5];
	return true;
}

bool debug_others_run(const struct debug *d, bool step)
{
	return d->ncpus > 1 && (!step || d->stepper) && !d->icount_on && !d->solo;
}

unsigned debug_cpus(const struct debug *d)
{
	return d->ncpus;
}

unsigned debug_cpu(const struct debug *d)
{
	return (unsigned)d->vcpu->id;
}

int debug_select_cpu(struct debug *d, unsigned i)
{
	if (i >= d->ncpus)
		return err_set(EINVAL, "there is no CPU %u (the machine has %u)", i, d->ncpus);
	if (d->running)
		return err_set(EBUSY, "the guest is running");
	d->vcpu = d->cpus[i];
	return 0;
}

int debug_nmi(struct debug *d)
{
	if (d->running)
		return err_set(EBUSY, "the guest is running");
	for (unsigned i = 0; i < d->ncpus; i++)
		if (arch_nmi(d->cpus[i]) < 0)
			return -EIO;
	return 0;
}

struct vcpu *debug_cpu_vcpu(const struct debug *d, unsigned i)
{
	return i < d->ncpus ? d->cpus[i] : NULL;
}

const char *debug_cpu_state(const struct debug *d, unsigned i)
{
	struct arch_wake w;

	if (i >= d->ncpus)
		return "none";
	if (d->running && d->cpus[i]->thread_started &&
	    atomic_load(&d->cpus[i]->state) != VCPU_IDLE)
		return "running";
	if (arch_wake_sources(d->cpus[i], &w) < 0)
		return "unknown";
	return w.sipi ? "waiting for SIPI" : w.halted ? "halted" : "stopped";
}

bool debug_running(const struct debug *d)
{
	return d->running;
}

bool debug_exited(const struct debug *d, int *status)
{
	if (d->exited && status)
		*status = d->exit_status;
	return d->exited;
}

static void debug_stop_out(const struct debug *d, const struct vcpu_stop *in,
			   struct debug_stop *out);

void debug_last_stop(const struct debug *d, struct debug_stop *stop)
{
	debug_stop_out(d, &d->last, stop);
}

bool debug_counting(const struct debug *d)
{
	return d->icount_on;
}

uint64_t debug_icount(const struct debug *d)
{
	return __atomic_load_n(&d->icount, __ATOMIC_RELAXED);
}

uint64_t debug_target(const struct debug *d)
{
	return d->target.at;
}

const char *debug_notice(struct debug *d)
{
	if (!d->notice[0])
		return NULL;
	memcpy(d->notice_out, d->notice, sizeof(d->notice_out));
	d->notice[0] = 0;
	return d->notice_out;
}

bool debug_shutdown_regs_lost(struct debug *d)
{
	return host_probe(HOST_SHUTDOWN_REGS)->value == HOST_REGS_RESET && !d->shutdown_known &&
	       !arch_shutdown_restored(d->vcpu);
}

size_t debug_explain_shutdown(struct debug *d, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	/* What is still known where the registers are not (catch.c's record). */
	if (debug_shutdown_regs_lost(d)) {
		int n = snprintf(buf, len, "the faulting registers are lost (this host resets the "
				 "vCPU at a shutdown); %s%s", d->catch_last[0] ? "the last exception "
				 "kvmdbg saw: " : "--catch all stops at each exception before its "
				 "delivery, --trace-exceptions lists them, and --icount or --history "
				 "keep the registers before the step that shuts down",
				 d->catch_last);

		return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
	}
	return arch_explain_shutdown(d->vcpu, d->syms, buf, len);
}

void debug_note_stop(struct debug *d, const struct vcpu_stop *stop)
{
	if (stop->reason == STOP_EXITED) {
		d->exited = true;
		d->exit_status = stop->status;
	}
	if (stop->reason == STOP_BREAKPOINT) {
		d->bp_held[d->vcpu->id] = true;
		d->bp_pc[d->vcpu->id] = arch_pc(d->vcpu);
	}
	d->last = *stop;
	iolog_flush(&d->log);
}

void debug_state_known(struct debug *d)
{
	d->arch_changes = arch_state_changes(d->vcpu);
	d->wrote = false;
}

void debug_stop_error(struct vcpu_stop *stop)
{
	*stop = (struct vcpu_stop){ .reason = STOP_ERROR };
	snprintf(stop->detail, sizeof(stop->detail), "%s", err_msg());
}

static void debug_stop_out(const struct debug *d, const struct vcpu_stop *in, struct debug_stop *out)
{
	static const enum debug_stop_reason reasons[] = {
		[STOP_REQUESTED] = DEBUG_STOP_REQUESTED, [STOP_EXITED] = DEBUG_STOP_EXITED,
		[STOP_HALTED] = DEBUG_STOP_HALTED,       [STOP_SHUTDOWN] = DEBUG_STOP_SHUTDOWN,
		[STOP_STEPPED] = DEBUG_STOP_STEPPED,     [STOP_BREAKPOINT] = DEBUG_STOP_BREAKPOINT,
		[STOP_ICOUNT] = DEBUG_STOP_ICOUNT,       [STOP_WATCHPOINT] = DEBUG_STOP_WATCHPOINT,
	};
	/* The vCPU's own reasons (a debug exit, a fetch, none) are resolved
	 * before a stop is reported: one left over is an error with its detail. */
	bool known = (unsigned)in->reason < sizeof(reasons) / sizeof(reasons[0]) &&
		     (in->reason == STOP_REQUESTED || reasons[in->reason]);

	/* The front end has it: no next run soon (the vCPU thread need not look out for one). */
	for (unsigned i = 0; i < d->ncpus; i++)
		vcpu_release(d->cpus[i]);
	*out = (struct debug_stop){ .cpu = (unsigned)d->vcpu->id, .reason = known ? reasons[in->reason] : DEBUG_STOP_ERROR,
				    .status = in->status, .reset = in->reset,
				    .poweroff = in->poweroff,
				    .breakpoint = in->breakpoint, .replayed = in->replayed,
				    .history = in->history, .icount = debug_icount(d) };
	memcpy(out->detail, in->detail, sizeof(out->detail));
}

/* A step that did not get past a real-mode int n, or a run stopped (by the
 * user, a deadline) at one: say what PVM does with them (KVM spins in the
 * kernel on it, no exit, whatever the IVT holds; measured). */
static void debug_stuck_hint(struct debug *d, const struct vcpu_stop *in)
{
	unsigned vector, len;
	uint64_t pc;

	if ((in->reason != STOP_REQUESTED && in->reason != STOP_STEPPED) || d->notice[0] ||
	    arch_code_bits(d->vcpu) != 16 || !arch_soft_int_at(d->vcpu, &vector, &len) ||
	    vector == ARCH_BREAKPOINT_VECTOR)
		return;
	pc = arch_pc(d->vcpu);
	if (in->reason == STOP_STEPPED && pc == d->run_pc)
		snprintf(d->notice, sizeof(d->notice),
			 "the step did not get past int $%#x at %#llx (real mode): this host's KVM "
			 "does not carry out a real-mode int n (PVM's emulator spins on it whatever the "
			 "IVT holds); such a guest needs a VMX or SVM host", vector,
			 (unsigned long long)pc);
	else if (in->reason == STOP_REQUESTED)
		snprintf(d->notice, sizeof(d->notice),
			 "the CPU is at int $%#x at %#llx (real mode): this host's KVM does not carry "
			 "out a real-mode int n (PVM's emulator spins on it whatever the IVT holds): "
			 "stepi carries it out (kvmdbg delivers it), but such a guest needs a VMX or "
			 "SVM host to run", vector,
			 (unsigned long long)pc);
}

void debug_report(struct debug *d, const struct vcpu_stop *in, struct debug_stop *out)
{
	debug_stop_out(d, in, out);
	if (d->catch_hook)
		d->catch_hook(d, in, out);
	debug_stuck_hint(d, in);
	if (d->report_hook)
		d->report_hook(d);
}

int debug_started(struct debug *d, int r, const struct vcpu_stop *stop,
		  struct debug_stop *out)
{
	if (r > 0)
		debug_report(d, stop, out);
	return r;
}

/* Calls fn for each page-sized piece of [va, va + len) with its physical address. */
static int debug_access_virt(struct debug *d, uint64_t va, uint8_t *buf, size_t len, bool write)
{
	if (len && !span_ok(va, len, SIZE_MAX))
		return span_check(va, len, SIZE_MAX, "the access");
	while (len) {
		uint64_t pa, chunk = 0x1000 - (va & 0xfff);
		int r;

		if (chunk > len)
			chunk = len;
		r = arch_virt_to_phys(d->vcpu, va, &pa);
		if (r < 0)
			return r;
		r = write ? mem_write(&d->vm->mem, pa, buf, chunk) : mem_read(&d->vm->mem, pa, buf, chunk);
		if (r < 0)
			return err_set(EFAULT, "cannot access memory at address %#llx (physical "
				       "%#llx is not RAM)", (unsigned long long)va,
				       (unsigned long long)pa);
		va += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int debug_read_phys(struct debug *d, uint64_t pa, void *buf, size_t len)
{
	return mem_read(&d->vm->mem, pa, buf, len);
}

int debug_write_phys(struct debug *d, uint64_t pa, const void *buf, size_t len)
{
	d->wrote = true;
	return mem_write(&d->vm->mem, pa, buf, len);
}

int debug_read_virt(struct debug *d, uint64_t va, void *buf, size_t len)
{
	return debug_access_virt(d, va, buf, len, false);
}

int debug_write_virt(struct debug *d, uint64_t va, const void *buf, size_t len)
{
	d->wrote = true;
	return debug_access_virt(d, va, (uint8_t *)buf, len, true);
}

size_t debug_read_upto(struct debug *d, uint64_t addr, void *buf, size_t len, bool phys)
{
	uint8_t *p = buf;
	size_t got = 0;

	/* Up to the end of the address space, not round it. */
	if (len && !span_ok(addr, len, SIZE_MAX))
		len = (size_t)(UINT64_MAX - addr) + 1;
	while (got < len) {
		size_t chunk = 0x1000 - ((addr + got) & 0xfff);

		if (chunk > len - got)
			chunk = len - got;
		if ((phys ? mem_read(&d->vm->mem, addr + got, p + got, chunk)
			  : debug_read_virt(d, addr + got, p + got, chunk)) < 0)
			break;
		got += chunk;
	}
	return got;
}

uint64_t debug_ram_hash(const struct debug *d, uint64_t *size)
{
	const struct mem *mem = &d->vm->mem;
	uint64_t h = 0xcbf29ce484222325ULL, w;

	for (uint64_t off = 0; off + 8 <= mem->size; off += 8) {
		memcpy(&w, mem->ram + off, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	*size = mem->size;
	return h;
}

int debug_print_irq(struct debug *d, FILE *out)
{
	if (d->clock) {
		fprintf(out, "interrupts  %s\n",
			arch_irqs_enabled(d->vcpu) ? "enabled (IF=1)" : "disabled (IF=0)");
		d->clock->print(d->clock->opaque, out);
		return 0;
	}
	return arch_print_irq(d->vcpu, out);
}

bool debug_input_poll(void *opaque, uint64_t seq, uint8_t *byte)
{
	struct debug *d = opaque;
	struct pollfd pfd = { .fd = d->input_fd, .events = POLLIN };
	int replayed = d->hops ? d->hops->input_replay(d, seq, byte) : -1;
	ssize_t n = 0;

	if (replayed >= 0)
		return replayed;
	if (d->input_fd >= 0 && poll(&pfd, 1, 0) == 1)
		n = read(d->input_fd, byte, 1);
	if (n == 0 && pfd.revents)
		__atomic_store_n(&d->input_ended, true, __ATOMIC_RELAXED);
	if (d->hops)
		d->hops->input_record(d, seq, n == 1 ? *byte : -1);
	return n == 1;
}
