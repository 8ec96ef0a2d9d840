#include "exits.h"

#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "err.h"
#include "host.h"
#include "iobus.h"
#include "stats.h"
#include "vcpu.h"
#include "vm.h"

static enum exit_action exits_stop(struct vcpu_stop *stop, enum stop_reason reason,
				   uint32_t exit_reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum exit_action exits_stop(struct vcpu_stop *stop, enum stop_reason reason,
				   uint32_t exit_reason, const char *fmt, ...)
{
	va_list ap;

	stop->reason = reason;
	stop->exit_reason = exit_reason;
	va_start(ap, fmt);
	vsnprintf(stop->detail, sizeof(stop->detail), fmt, ap);
	va_end(ap);
	return EXIT_STOP;
}

/* Runs one access through the bus; on IO_EXIT records the guest's exit. */
static enum exit_action exits_access(struct vcpu *vcpu, struct io_access *acc,
				     struct vcpu_stop *stop)
{
	enum io_result res;

	pthread_mutex_lock(&vcpu->vm->io_lock);
	res = iobus_access(&vcpu->vm->bus, acc);
	if (vcpu->on_access)
		vcpu->on_access(vcpu->access_opaque, vcpu, acc);
	pthread_mutex_unlock(&vcpu->vm->io_lock);
	/* KVM's emulator writes rflags back when it finishes the access. */
	arch_rflags_touched(vcpu);
	if (res == IO_EXIT) {
		stop->status = (int)(acc->value & 0xff);
		return exits_stop(stop, STOP_EXITED, vcpu->run->exit_reason, "%s", "");
	}
	if (res == IO_RESET) {
		bool acpi = acc->dev && !strcmp(acc->dev->name, "acpi-reset");

		/* No reboot: the run ends there, as after an exit. */
		exits_stop(stop, STOP_EXITED, vcpu->run->exit_reason, "the guest reset the machine (%s)",
			   acpi ? "ACPI reset register, port 0xcf9" : "i8042 reset line");
		stop->reset = true;
		return EXIT_STOP;
	}
	if (res == IO_POWEROFF) {
		stop->status = 0;
		exits_stop(stop, STOP_EXITED, vcpu->run->exit_reason, "%s",
			   "guest powered off (ACPI S5)");
		stop->poweroff = true;
		return EXIT_STOP;
	}
	return EXIT_CONTINUE;
}

enum exit_action exits_watchpoint(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	vcpu->pages->hit_stop(vcpu->pages_opaque, stop);
	return EXIT_STOP;
}

static enum exit_action exits_io(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	struct kvm_run *run = vcpu->run;
	uint64_t size = run->io.size, count = run->io.count;
	enum exit_action action = EXIT_CONTINUE;

	/* The instruction completes on the next KVM_RUN, whatever happens here. */
	atomic_store(&vcpu->state, VCPU_RUNNING_SERVICE_COMPLETION);
	if ((size != 1 && size != 2 && size != 4) || !count ||
	    run->io.data_offset > vcpu->vm->run_size ||
	    size * count > vcpu->vm->run_size - run->io.data_offset)
		return exits_stop(stop, STOP_ERROR, KVM_EXIT_IO,
				  "malformed KVM_EXIT_IO (port %#x size %llu count %llu)",
				  run->io.port, (unsigned long long)size,
				  (unsigned long long)count);

	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* A string instruction (rep ins/outs) hands over count elements at once. */
	for (uint64_t i = 0; i < count && action == EXIT_CONTINUE; i++) {
		struct io_access acc = {
			.space = IO_PIO,
			.addr = run->io.port,
			.size = (unsigned)size,
			.is_write = run->io.direction == KVM_EXIT_IO_OUT,
		};

		if (acc.is_write)
			memcpy(&acc.value, data + i * size, size);
		action = exits_access(vcpu, &acc, stop);
		if (!acc.is_write)
			memcpy(data + i * size, &acc.value, size);
	}
	return action;
}

static enum exit_action exits_mmio(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	struct kvm_run *run = vcpu->run;
	struct io_access acc = {
		.space = IO_MMIO,
		.addr = run->mmio.phys_addr,
		.size = run->mmio.len,
		.is_write = run->mmio.is_write,
	};
	const struct vcpu_page_ops *ops = vcpu->pages;
	enum exit_action action;
	bool hit;

	atomic_store(&vcpu->state, VCPU_RUNNING_SERVICE_COMPLETION);
	if (acc.size == 0 || acc.size > sizeof(run->mmio.data))
		return exits_stop(stop, STOP_ERROR, KVM_EXIT_MMIO,
				  "malformed KVM_EXIT_MMIO (address %#llx length %u)",
				  (unsigned long long)acc.addr, acc.size);
	if (acc.is_write)
		memcpy(&acc.value, run->mmio.data, acc.size);
	/* (The page hooks' state is the machine's: one vCPU thread at a time.) */
	pthread_mutex_lock(&vcpu->vm->io_lock);
	bool mine = ops && ops->access(vcpu->pages_opaque, &acc, &hit);

	pthread_mutex_unlock(&vcpu->vm->io_lock);
	if (mine)
		action = hit ? exits_watchpoint(vcpu, stop) : EXIT_CONTINUE;
	else if ((action = exits_access(vcpu, &acc, stop)) == EXIT_CONTINUE && ops &&
		 ops->device_hit(vcpu->pages_opaque, &acc))
		action = exits_watchpoint(vcpu, stop);
	if (!acc.is_write)
		memcpy(run->mmio.data, &acc.value, acc.size);
	return action;
}

enum exit_action exits_flush_coalesced(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	struct vm *vm = vcpu->vm;
	struct kvm_coalesced_mmio_ring *ring;
	uint32_t max = (uint32_t)((MEM_PAGE - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]));
	enum exit_action action = EXIT_CONTINUE;

	if (!vm->coalesced_page)
		return EXIT_CONTINUE;
	ring = (struct kvm_coalesced_mmio_ring *)((uint8_t *)vcpu->run + vm->coalesced_page * MEM_PAGE);
	/* KVM fills from last and never overtakes first: when the ring is full a
	 * write exits as plain MMIO, after the ones queued here. */
	while (__atomic_load_n(&ring->first, __ATOMIC_ACQUIRE) != __atomic_load_n(&ring->last,
										   __ATOMIC_ACQUIRE)) {
		const struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->first % max];
		struct io_access acc = {
			.space = e->pio ? IO_PIO : IO_MMIO,
			.addr = e->phys_addr,
			.size = e->len <= sizeof(acc.value) ? e->len : sizeof(acc.value),
			.is_write = true,
			.coalesced = true,
		};

		memcpy(&acc.value, e->data, acc.size);
		__atomic_store_n(&ring->first, (ring->first + 1) % max, __ATOMIC_RELEASE);
		if (exits_access(vcpu, &acc, stop) == EXIT_STOP)
			action = EXIT_STOP;
	}
	return action;
}

static enum exit_action exits_hlt(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	/* No device raises interrupts yet, so a halted vCPU never wakes either way. */
	return exits_stop(stop, STOP_HALTED, KVM_EXIT_HLT, "%s",
			  arch_irqs_enabled(vcpu) ? "interrupts enabled, but no device "
						    "raises interrupts"
						  : "interrupts disabled");
}

/* After an event delivered by hand, the vCPU at the handler's first
 * instruction: a single step ends there (the instruction that raised it, or
 * the delivery, was the step). */
static enum exit_action exits_delivered(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	if (vcpu->mode == VCPU_STEP)
		return exits_stop(stop, STOP_STEPPED, vcpu->run->exit_reason, "%s", "");
	return EXIT_CONTINUE;
}

/* Delivers a software interrupt to the guest. Delivered by hand, the vCPU is
 * at the handler's first instruction: a single step ends there, as the int
 * instruction was the step. Injected, its frame may go onto a page a
 * watchpoint protects, where delivery fails: the step that delivers it runs
 * with every page given back. */
static enum exit_action exits_deliver_soft_int(struct vcpu *vcpu, unsigned vector, unsigned len,
					       struct vcpu_stop *stop, bool *done)
{
	int r = arch_deliver_soft_int(vcpu, vector, len);

	*done = r >= 0;
	if (r == 0 && vcpu->pages)
		vcpu->pages->lift(vcpu->pages_opaque, vcpu);
	return r > 0 ? exits_delivered(vcpu, stop) : EXIT_CONTINUE;
}

/* Lends the pages of the code at pc back (all: gives every page back) for
 * the instruction to run again; true if so. A shared vCPU lends nothing: it
 * sets lend_wanted instead, and its run stops (STOP_LEND) for the debugger
 * to run it alone. */
static bool exits_pages_lend(struct vcpu *vcpu, bool all)
{
	const struct vcpu_page_ops *ops = vcpu->pages;

	if (!ops)
		return false;
	if (vcpu->shared)
		return vcpu->lend_wanted = ops->would_lend(vcpu->pages_opaque, vcpu, arch_pc(vcpu),
							   all);
	return (all ? ops->lift_begin : ops->fetch_begin)(vcpu->pages_opaque, vcpu, arch_pc(vcpu));
}

/* After exits_pages_lend() said yes: the instruction runs again lent, or
 * (shared) the run stops for it. */
static enum exit_action exits_lent(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	if (!vcpu->lend_wanted)
		return EXIT_CONTINUE;
	vcpu->lend_wanted = false;
	return exits_stop(stop, STOP_LEND, vcpu->run->exit_reason, "%s",
			  "code on a page taken out of the map, with other CPUs running");
}

static const char *exits_internal_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception during exception delivery";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected exit reason";
	default: return "unknown suberror";
	}
}

/* The failed instruction runs again (its pages lent or given back). */
static enum exit_action exits_retry(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	if (arch_emulation_failure_retry(vcpu) < 0)
		return exits_stop(stop, STOP_ERROR, KVM_EXIT_INTERNAL_ERROR, "%s", err_msg());
	return exits_lent(vcpu, stop);
}

/* The event KVM holds in flight after failing to deliver it, delivered by
 * hand (*done), as a step's end when stepping. */
static enum exit_action exits_deliver_pending(struct vcpu *vcpu, struct vcpu_stop *stop,
					      bool *done)
{
	int k = arch_deliver_pending(vcpu);

	*done = k != 0;
	if (k < 0)
		return exits_stop(stop, STOP_ERROR, KVM_EXIT_INTERNAL_ERROR, "%s", err_msg());
	return k > 0 ? exits_delivered(vcpu, stop) : EXIT_CONTINUE;
}

static enum exit_action exits_internal_error(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	struct kvm_run *run = vcpu->run;
	char data[160] = "";
	size_t len = 0;
	uint32_t n = run->internal.ndata;

	unsigned vector, insn_len;
	bool done;
	bool emulation = run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION;
	bool soft_int = emulation && arch_soft_int_at(vcpu, &vector, &insn_len);

	/* Code on a page the debugger took away to stop there (a breakpoint where
	 * int3 or DR0-DR3 cannot be). */
	if (emulation && vcpu->fetch_stop && vcpu->fetch_stop(vcpu->own_opaque, vcpu, arch_pc(vcpu)))
		return exits_stop(stop, STOP_FETCH, KVM_EXIT_INTERNAL_ERROR,
				  "code fetched from a trapped page at pc %#llx",
				  (unsigned long long)arch_pc(vcpu));
	/*
	 * A software interrupt is delivered to the guest as the CPU would: PVM's
	 * emulator cannot execute int3 or int n at CPL0 and fails with rip at it
	 * (unless it is the debugger's breakpoint); and on a page taken away it
	 * is not run lent, because a step into a handler on that page would run
	 * the handler unseen on hosts where delivery clears the step's TF.
	 * Delivered from here, the handler's first fetch exits if its page is away.
	 */
	bool own_int3 = soft_int && vector == ARCH_BREAKPOINT_VECTOR && vcpu->own_breakpoint &&
			vcpu->own_breakpoint(vcpu->own_opaque, arch_pc(vcpu));

	/* (Its delivery gives every page back for a step: alone.) */
	if (soft_int && !own_int3 && vcpu->shared && vcpu->pages && exits_pages_lend(vcpu, true))
		return exits_retry(vcpu, stop);
	if (soft_int && !own_int3) {
		enum exit_action a = exits_deliver_soft_int(vcpu, vector, insn_len, stop, &done);

		if (done)
			return a;
	}
	/* An instruction the emulator lacks, done here (not yet while stepping:
	 * a counted step over it was seen to miss a breakpoint just after). */
	if (emulation && !soft_int && vcpu->mode == VCPU_CONTINUE && arch_complete_insn(vcpu))
		return EXIT_CONTINUE;
	/* SVM: an event whose frame goes onto a page taken out of the map ends
	 * in KVM's emulator, which fails: delivered by hand. */
	if (emulation && !soft_int && vcpu->pages) {
		enum exit_action a = exits_deliver_pending(vcpu, stop, &done);

		if (done)
			return a;
	}
	/* Code on a page a read watchpoint or a breakpoint took away: lend it back. */
	if (emulation && exits_pages_lend(vcpu, false))
		return exits_retry(vcpu, stop);
	/* An instruction KVM cannot emulate on protected pages (iret with its
	 * frame on a watched page): run it once with every page given back. */
	if (emulation && !soft_int && exits_pages_lend(vcpu, true))
		return exits_retry(vcpu, stop);

	/* VMX: an event whose frame goes onto a page taken out of the map fails
	 * to be delivered, and KVM holds it in flight: delivered by hand, or run
	 * once more with every page given back. */
	if (run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV && vcpu->pages) {
		enum exit_action a = exits_deliver_pending(vcpu, stop, &done);

		if (done)
			return a;
		if (exits_pages_lend(vcpu, true))
			return exits_lent(vcpu, stop);
	}
	if (n > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		n = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	for (uint32_t i = 0; i < n && len < sizeof(data); i++)
		len += (size_t)snprintf(data + len, sizeof(data) - len, " %#llx",
					(unsigned long long)run->internal.data[i]);
	return exits_stop(stop, STOP_ERROR, KVM_EXIT_INTERNAL_ERROR,
			  "KVM internal error %u (%s) at pc %#llx%s%s",
			  run->internal.suberror, exits_internal_name(run->internal.suberror),
			  (unsigned long long)arch_pc(vcpu), n ? ", data" : "", data);
}

enum exit_action exits_handle(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	struct kvm_run *run = vcpu->run;
	uint32_t reason = run->exit_reason;

	switch (reason) {
	case KVM_EXIT_IO:
		return exits_io(vcpu, stop);
	case KVM_EXIT_MMIO:
		return exits_mmio(vcpu, stop);
	case KVM_EXIT_HLT:
		return exits_hlt(vcpu, stop);
	case KVM_EXIT_INTR:
		return EXIT_CONTINUE;
	case KVM_EXIT_SHUTDOWN:
		/* Delivering an exception onto a protected page fails (PVM): run
		 * that one instruction again with every page given back. */
		if (exits_pages_lend(vcpu, true))
			return exits_lent(vcpu, stop);
		/* SVM re-initialises the vCPU at a shutdown (nested SVM, 6.1): a
		 * step's registers were kept before it. */
		if (host_probe(HOST_SHUTDOWN_REGS)->value == HOST_REGS_RESET) {
			if (arch_shutdown_restore(vcpu))
				return exits_stop(stop, STOP_SHUTDOWN, reason, "shutdown (triple "
						  "fault) at pc %#llx (this host resets the vCPU at a "
						  "shutdown: the registers are the ones before the step "
						  "that shut down)", (unsigned long long)arch_pc(vcpu));
			return exits_stop(stop, STOP_SHUTDOWN, reason, "%s", "shutdown (triple "
					  "fault); this host resets the vCPU at a shutdown, so the "
					  "faulting registers are lost (below: the reset state)");
		}
		return exits_stop(stop, STOP_SHUTDOWN, reason,
				  "shutdown (triple fault) at pc %#llx",
				  (unsigned long long)arch_pc(vcpu));
	case KVM_EXIT_FAIL_ENTRY:
		return exits_stop(stop, STOP_ERROR, reason,
				  "VM entry failed: hardware reason %#llx on host cpu %u",
				  (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				  run->fail_entry.cpu);
	case KVM_EXIT_INTERNAL_ERROR:
		return exits_internal_error(vcpu, stop);
	case KVM_EXIT_DEBUG:
		/* VMX/SVM with KVM_GUESTDBG_USE_SW_BP: every int3 exits here, the
		 * guest's own included; those go back to the guest. */
		if (run->debug.arch.exception == ARCH_BREAKPOINT_VECTOR && !(vcpu->own_breakpoint &&
		    vcpu->own_breakpoint(vcpu->own_opaque, run->debug.arch.pc))) {
			bool done;
			enum exit_action a = exits_deliver_soft_int(vcpu, ARCH_BREAKPOINT_VECTOR, 0,
								    stop, &done);

			if (done)
				return a;
		}
		return exits_stop(stop, STOP_DEBUG, reason, "debug exception %u at pc %#llx",
				  run->debug.arch.exception,
				  (unsigned long long)run->debug.arch.pc);
	case KVM_EXIT_SYSTEM_EVENT:
		return exits_stop(stop, STOP_SHUTDOWN, reason, "system event type %u",
				  run->system_event.type);
	default:
		return exits_stop(stop, STOP_ERROR, reason, "unhandled exit %s (%u)",
				  stats_exit_name(reason), reason);
	}
}
