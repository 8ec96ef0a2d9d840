#include "vcpu.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "err.h"
#include "exits.h"
#include "host.h"
#include "icount.h"
#include "vm.h"


static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

static pthread_once_t vcpu_kick_once = PTHREAD_ONCE_INIT;

static void vcpu_install_kick(void)
{
	/* No SA_RESTART: the point of the signal is to interrupt KVM_RUN. */
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	/* KVM_RUN returns EINTR whatever the flags; other calls (a device's
	 * write to the terminal) had better go on as if nothing happened. */
	sa.sa_flags = SA_RESTART;
	sigaction(VCPU_WATCH_SIGNAL, &sa, NULL);
}

/* The halt watch's timer, to the vCPU thread itself (called on it). */
static void vcpu_watch_create(struct vcpu *vcpu)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = VCPU_WATCH_SIGNAL };

	ev._sigev_un._tid = atomic_load(&vcpu->tid);
	vcpu->watch_made = vcpu->vm->irqchip && timer_create(CLOCK_MONOTONIC, &ev, &vcpu->watch) == 0;
}

static void vcpu_watch_arm(struct vcpu *vcpu, bool on)
{
	const long ns = VCPU_WATCH_MS * 1000000L;
	struct itimerspec t = { .it_interval = { 0, on ? ns : 0 }, .it_value = { 0, on ? ns : 0 } };

	if (vcpu->watch_made)
		timer_settime(vcpu->watch, 0, &t, NULL);
}

/*
 * With in-kernel interrupt controllers hlt does not exit: KVM waits inside
 * KVM_RUN for an interrupt. Each time the watch interrupts it, the vCPU is
 * halted for good if it waits with interrupts off (there is no NMI source),
 * or when no interrupt waits, no timer is armed and no line a device may
 * raise is open: a stop, as KVM_EXIT_HLT is without them.
 */
/* Rounds of vCPU 0's halt watch with every vCPU asleep and none woken
 * between: each vCPU's own round comes every VCPU_WATCH_MS, so an awake one
 * has cleared its bit within one. */
#define VCPU_ASLEEP_ROUNDS 3

/* This vCPU leaves the asleep set (or was never in it). */
static void vcpu_awake(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (atomic_fetch_and(&vm->asleep, ~(1U << vcpu->id)) & (1U << vcpu->id))
		atomic_fetch_add(&vm->wakes, 1);
}

/*
 * With several vCPUs one that waits for good may be woken by another (an
 * IPI, INIT and SIPI): the machine stops only when every vCPU waits, for an
 * interrupt nothing can send or for a SIPI, and stays so for
 * VCPU_ASLEEP_ROUNDS of vCPU 0's rounds. vCPU 0 reports it.
 */
static bool vcpu_all_asleep(struct vcpu *vcpu, bool asleep)
{
	struct vm *vm = vcpu->vm;
	uint32_t all = (1U << vm->ncpus) - 1;

	if (!asleep) {
		vcpu_awake(vcpu);
		return false;
	}
	if ((atomic_fetch_or(&vm->asleep, 1U << vcpu->id) | (1U << vcpu->id)) != all ||
	    vcpu->id != 0)
		return false;
	if (vm->asleep_rounds == 0 || vm->asleep_wakes != atomic_load(&vm->wakes)) {
		vm->asleep_wakes = atomic_load(&vm->wakes);
		vm->asleep_rounds = 1;
		return false;
	}
	return ++vm->asleep_rounds > VCPU_ASLEEP_ROUNDS;
}

static bool vcpu_halted_for_good(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	struct arch_wake w;
	uint32_t live = atomic_load(&vcpu->vm->irq_live);
	bool asleep = arch_wake_sources(vcpu, &w) == 0 &&
		      (w.sipi || (w.halted && !(w.irqs_on && (w.pending || w.timer ||
							       (w.lines & live)))));

	if (vcpu->vm->ncpus > 1) {
		if (!vcpu_all_asleep(vcpu, asleep))
			return false;
		vcpu->vm->asleep_rounds = 0;
		*stop = (struct vcpu_stop){ .reason = STOP_HALTED, .exit_reason = KVM_EXIT_HLT };
		snprintf(stop->detail, sizeof(stop->detail),
			 "every CPU waits for an interrupt nothing can send, or for a SIPI");
		return true;
	}
	if (!asleep || !w.halted)
		return false;
	*stop = (struct vcpu_stop){ .reason = STOP_HALTED, .exit_reason = KVM_EXIT_HLT };
	snprintf(stop->detail, sizeof(stop->detail), "%s",
		 !w.irqs_on ? "interrupts disabled"
			    : "interrupts enabled, but nothing can send one (no timer armed, "
			      "no device on an unmasked line)");
	return true;
}

int vcpu_create(struct vcpu *vcpu, struct vm *vm, int id)
{
	int r;

	*vcpu = (struct vcpu){ .vm = vm, .id = id, .fd = -1, .stop_fd = -1 };
	atomic_init(&vcpu->state, VCPU_IDLE);
	atomic_init(&vcpu->stop_req, false);
	atomic_init(&vcpu->quit, false);
	handoff_init(&vcpu->go, 0);
	handoff_init(&vcpu->done, 0);
	handoff_init(&vcpu->entered, 0);

	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		r = err_set(errno, "KVM_CREATE_VCPU %d: %s", id, strerror(errno));
		goto err;
	}
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		r = err_set(errno, "cannot map kvm_run of vCPU %d: %s", id, strerror(errno));
		goto err;
	}
	vcpu->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vcpu->stop_fd < 0) {
		r = err_set(errno, "eventfd: %s", strerror(errno));
		goto err;
	}
	r = arch_vcpu_init(vcpu);
	if (r < 0)
		goto err;
	return 0;

err:
	vcpu_destroy(vcpu);
	return r;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->thread_started) {
		vcpu_request_stop(vcpu);
		atomic_store(&vcpu->quit, true);
		handoff_set(&vcpu->go, ++vcpu->runs);
		pthread_join(vcpu->thread, NULL);
		vcpu->thread_started = false;
	}
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	vcpu->run = NULL;
	if (vcpu->stop_fd >= 0)
		close(vcpu->stop_fd);
	arch_vcpu_free(vcpu);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = vcpu->stop_fd = -1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	const uint64_t one = 1;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	sigaddset(&kick, VCPU_WATCH_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	atomic_store(&vcpu->tid, (pid_t)syscall(SYS_gettid));
	vcpu_watch_create(vcpu);

	for (uint32_t run = 0;;) {
		run = handoff_wait(&vcpu->go, run);
		if (atomic_load(&vcpu->quit))
			break;
		vcpu_run(vcpu, &vcpu->stop);
		handoff_set(&vcpu->entered, run);
		/* The eventfd first: a waiter that sees the run done may read it at once. */
		while (write(vcpu->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		handoff_set(&vcpu->done, run);
	}
	if (vcpu->watch_made)
		timer_delete(vcpu->watch);
	return NULL;
}

int vcpu_start_thread(struct vcpu *vcpu)
{
	sigset_t all, old;
	int r;

	pthread_once(&vcpu_kick_once, vcpu_install_kick);
	/* The thread starts with every signal blocked (SIGINT and friends belong to
	 * the control thread) and unblocks only the kick. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return err_set(r, "cannot start the vCPU thread: %s", strerror(r));
	vcpu->thread_started = true;
	while (!atomic_load(&vcpu->tid))
		sched_yield();
	return 0;
}

/* kvm_run's immediate_exit: the control thread sets it to kick, the vCPU
 * thread clears and sets it around KVM_RUN (atomic: both write it). */
static void vcpu_immediate_exit(struct vcpu *vcpu, bool on)
{
	__atomic_store_n(&vcpu->run->immediate_exit, on, __ATOMIC_RELAXED);
}

void vcpu_resume(struct vcpu *vcpu, enum vcpu_run_mode mode)
{
	vcpu->mode = mode;
	atomic_store(&vcpu->stop_req, false);
	vcpu_immediate_exit(vcpu, false);
	vcpu->stop = (struct vcpu_stop){ .reason = STOP_NONE };
	atomic_store(&vcpu->state, VCPU_RUNNING);
	/* The control thread handles the stop this run ends with, and may ask
	 * for another at once (stepping off a breakpoint, say). */
	handoff_busy(&vcpu->go, true);
	/* (Sequentially consistent: everything above is the vCPU thread's now.)
	 * A vCPU thread that was awake runs it at once: its stop is worth a
	 * short spin. One that slept takes longer to wake than a spin lasts. */
	handoff_busy(&vcpu->done, !handoff_set(&vcpu->go, ++vcpu->runs));
}

void vcpu_request_stop(struct vcpu *vcpu)
{
	/*
	 * stop_req is checked before each entry; immediate_exit covers a kick that
	 * lands between that check and KVM_RUN; the signal covers a vCPU already
	 * inside KVM_RUN.
	 */
	atomic_store(&vcpu->stop_req, true);
	if (vcpu->run)
		vcpu_immediate_exit(vcpu, true);
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

int vcpu_wait_fd(struct vcpu *vcpu, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	sigset_t kick, old;
	int r;

	/* The kick is held off from the look at stop_req until ppoll, which lets
	 * it in: one sent in between interrupts the wait. */
	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	/* While it waits, the halt watch's periodic signal stays pending: it
	 * would only wake it (0.04 s of CPU a second in the nested-SVM VM). */
	sigset_t wait = old;

	sigaddset(&wait, VCPU_WATCH_SIGNAL);
	for (;;) {
		if (atomic_load(&vcpu->stop_req)) {
			r = 0;
			break;
		}
		r = ppoll(&pfd, 1, NULL, &wait);
		if (r > 0) {
			r = 1;
			break;
		}
		if (r < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

void vcpu_wait(struct vcpu *vcpu)
{
	handoff_wait_for(&vcpu->done, vcpu->runs);
}

void vcpu_wait_entered(struct vcpu *vcpu)
{
	handoff_wait_for(&vcpu->entered, vcpu->runs);
}

void vcpu_release(struct vcpu *vcpu)
{
	handoff_busy(&vcpu->go, false);
}

const struct vcpu_stop *vcpu_collect_stop(struct vcpu *vcpu)
{
	uint64_t n;

	/* Written before the run is marked done; a poll loop may come first. */
	while (read(vcpu->stop_fd, &n, sizeof(n)) < 0) {
		struct pollfd pfd = { .fd = vcpu->stop_fd, .events = POLLIN };

		if (errno == EAGAIN)
			poll(&pfd, 1, -1);
		else if (errno != EINTR)
			break;
	}
	return &vcpu->stop;
}

static void vcpu_stop_error(struct vcpu_stop *stop, const char *msg)
{
	stop->reason = STOP_ERROR;
	snprintf(stop->detail, sizeof(stop->detail), "%s", msg);
}

/*
 * A PIO/MMIO instruction is finished only by the next KVM_RUN. With
 * immediate_exit set, KVM completes it and returns EINTR without running
 * further guest code (seen on PVM and documented for VMX/SVM), so registers
 * are consistent afterwards. While single-stepping, VMX/SVM finish the
 * instruction and report the step trap at once (KVM_RUN returns 0 with
 * KVM_EXIT_DEBUG); that is a completed instruction too.
 */
#define VCPU_MAX_ACCESSES 64 /* exits one instruction may take for its accesses */

static int vcpu_complete_io(struct vcpu *vcpu)
{
	struct vcpu_stop ignored;
	int r;

	/*
	 * An instruction with several accesses (iret from a stack in MMIO space
	 * or on a watched page, add to a device register) exits once for each:
	 * serve them all. The stop already decided stands.
	 */
	for (unsigned n = 0;; n++) {
		vcpu_immediate_exit(vcpu, true);
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		vcpu->stats.runs++;
		arch_regs_exited(vcpu);
		atomic_store(&vcpu->state, VCPU_RUNNING_SERVICE);
		exits_flush_coalesced(vcpu, &ignored);
		if (r != 0 || n == VCPU_MAX_ACCESSES ||
		    (vcpu->run->exit_reason != KVM_EXIT_MMIO && vcpu->run->exit_reason != KVM_EXIT_IO))
			break;
		stats_count_exit(&vcpu->stats, vcpu->run->exit_reason);
		exits_handle(vcpu, &ignored);
	}
	/* A counted run goes on stepping; a stop request that raced with this is
	 * seen by stop_req before the next entry. */
	if (!atomic_load(&vcpu->stop_req))
		vcpu_immediate_exit(vcpu, false);
	if (r == 0 && vcpu->run->exit_reason == KVM_EXIT_DEBUG)
		return 0;
	if (r == 0)
		return err_set(EIO, "KVM_RUN with immediate_exit ran the guest (exit %s)",
			       stats_exit_name(vcpu->run->exit_reason));
	if (errno != EINTR)
		return err_set(errno, "KVM_RUN (completing I/O): %s", strerror(errno));
	return 0;
}

/* Whether the perf counter's overflow (the signal that just interrupted
 * KVM_RUN) says the run has gone far enough. */
static bool vcpu_perf_reached(struct vcpu *vcpu)
{
	uint64_t n;

	return vcpu->perf && vcpu->perf_period && icount_perf_read(vcpu->perf, &n) == 0 &&
	       n >= vcpu->perf_period;
}

/* Whether this host loses a single step when rflags are written through KVM
 * (VMX/SVM do, PVM does not): then steps are set again after such writes. */
static bool vcpu_host_drops_steps(void)
{
	return host_probe(HOST_STEP_REGS)->value == HOST_REGS_DROP_STEP;
}

/* Whether the last exit is a single-step trap. */
static bool vcpu_step_trap(struct vcpu *vcpu)
{
	unsigned slot;

	return vcpu->run->exit_reason == KVM_EXIT_DEBUG && arch_debug_kind(vcpu, &slot) == 1;
}

/* Takes lent pages away again and gives the debugger its guest debug back. */
static void vcpu_lend_end(struct vcpu *vcpu)
{
	if (vcpu->lent_step)
		arch_guest_debug_step(vcpu, false);
	vcpu->lent_step = false;
	if (vcpu->pages)
		vcpu->pages->fetch_end(vcpu->pages_opaque, vcpu);
}

/*
 * After a run of code on lent pages (vcpu_page_ops), which KVM_RUN returned r:
 * *read_hit says whether the instruction read watched memory from them.
 * While a continuing run stays on them, they stay lent for the next step;
 * else they go. True if the exit is that single step's own trap, which
 * nobody else asked for.
 */
static bool vcpu_lent_step_done(struct vcpu *vcpu, int r, bool *read_hit)
{
	const struct vcpu_page_ops *ops = vcpu->pages;
	void *w = vcpu->pages_opaque;
	uint32_t reason = r == 0 ? vcpu->run->exit_reason : KVM_EXIT_INTR;
	bool trap = r == 0 && vcpu_step_trap(vcpu), own = trap && vcpu->mode == VCPU_CONTINUE;

	*read_hit = ops->fetch_hit(w, trap || reason == KVM_EXIT_MMIO || reason == KVM_EXIT_IO);
	if (reason == KVM_EXIT_INTERNAL_ERROR || reason == KVM_EXIT_SHUTDOWN)
		ops->failed(w, arch_pc(vcpu));
	/* A step that left pc where it was ran one iteration of a string
	 * instruction: the rest of its page need not be stepped. */
	if (own && !*read_hit && ops->plain && arch_pc(vcpu) == vcpu->lent_pc)
		arch_rep_advance(vcpu, ops->plain, w);
	if (!(own && !*read_hit && ops->fetch_next(w, vcpu)))
		vcpu_lend_end(vcpu);
	return own && !*read_hit;
}

/*
 * A single step of a software interrupt (x86: int3, int n): delivered by
 * hand, the step ends at the handler's first instruction on every host. Run,
 * VMX and SVM would deliver it with the step's TF cleared, run the handler
 * unseen to its next exit, and leave TF in the frame for its iret.
 */
static bool vcpu_step_soft_int(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	unsigned vector, len;
	int r;

	if (!arch_soft_int_at(vcpu, &vector, &len))
		return false;
	r = arch_deliver_soft_int(vcpu, vector, len);
	if (r == 0)
		return false;
	if (r < 0)
		vcpu_stop_error(stop, err_msg());
	else
		stop->reason = STOP_STEPPED;
	return true;
}

/* The debugger's look after an exit of a plain run: true if it stops the run. */
static bool vcpu_exit_hook(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	if (!vcpu->exit_hook || vcpu->mode != VCPU_CONTINUE || !vcpu->exit_hook(vcpu->own_opaque, vcpu))
		return false;
	stop->reason = STOP_REQUESTED;
	return true;
}

/* Runs until one stop (one step in VCPU_STEP and VCPU_COUNT modes). */
static void vcpu_run_once(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	bool first = true;

	*stop = (struct vcpu_stop){ .reason = STOP_NONE };
	for (;;) {
		if (atomic_load(&vcpu->stop_req)) {
			stop->reason = STOP_REQUESTED;
			break;
		}
		if (arch_regs_flush(vcpu) < 0) {
			vcpu_stop_error(stop, err_msg());
			break;
		}
		if (first && vcpu->mode == VCPU_STEP && vcpu_step_soft_int(vcpu, stop))
			break;
		first = false;
		/* Code on a lent page runs by single steps (vcpu_page_ops). */
		bool halt = false;
		bool lent = vcpu->pages && !vcpu->shared &&
			    vcpu->pages->run_begin(vcpu->pages_opaque, &halt);

		if (lent && halt && vcpu->lent_step)
			vcpu->lent_step = arch_guest_debug_step(vcpu, false) != 0;
		else if (lent && !halt && !vcpu->lent_step)
			vcpu->lent_step = arch_guest_debug_step(vcpu, true) == 0;
		bool drops = arch_stepping(vcpu) && vcpu_host_drops_steps();

		if (drops && arch_step_rearm(vcpu) < 0) {
			vcpu_stop_error(stop, err_msg());
			break;
		}
		/* A step over iret or popf: the flags it loads have no step TF. */
		bool loads_flags = drops && arch_step_loads_flags(vcpu);

		if (lent)
			vcpu->lent_pc = arch_pc(vcpu);
		if (drops)
			arch_step_mark(vcpu);
		/* A shutdown in the step leaves its registers here too. */
		if (arch_stepping(vcpu) &&
		    host_probe(HOST_SHUTDOWN_REGS)->value == HOST_REGS_RESET)
			arch_step_keep(vcpu);
		arch_regs_invalidate(vcpu);
		atomic_store(&vcpu->state, VCPU_RUNNING);
		/* (During a run, go's word is its number.) */
		uint32_t run = atomic_load(&vcpu->go.word);

		if (atomic_load(&vcpu->entered.word) != run)
			handoff_set(&vcpu->entered, run);
		int r = ioctl(vcpu->fd, KVM_RUN, 0);
		int e = errno;

		vcpu->stats.runs++;
		arch_regs_exited(vcpu);
		atomic_store(&vcpu->state, VCPU_RUNNING_SERVICE);
		/* Anything but a step trap may have cleared the step's TF (an event
		 * delivered, an instruction emulated), and so may a step trap KVM's
		 * emulator made up: see arch_step_rearm(), arch_step_mark(). */
		if (!(r == 0 && vcpu_step_trap(vcpu)) || loads_flags ||
		    (drops && r == 0 && arch_step_emulated(vcpu)))
			arch_rflags_touched(vcpu);
		bool read_hit = false, own_trap = lent && vcpu_lent_step_done(vcpu, r, &read_hit);
		bool queued_stop = exits_flush_coalesced(vcpu, stop) == EXIT_STOP;

		if (r < 0) {
			if (queued_stop)
				break;
			if (e == EINTR || e == EAGAIN) {
				stats_count_exit(&vcpu->stats, KVM_EXIT_INTR);
				if (vcpu_perf_reached(vcpu)) {
					stop->reason = STOP_ICOUNT;
					break;
				}
				if (vcpu->watch_made && vcpu_halted_for_good(vcpu, stop))
					break;
				/* (Also after the halt watch's kick, every VCPU_WATCH_MS.) */
				if (vcpu_exit_hook(vcpu, stop))
					break;
				continue;
			}
			char msg[128];

			snprintf(msg, sizeof(msg), "KVM_RUN: %s", strerror(e));
			vcpu_stop_error(stop, msg);
			break;
		}
		stats_count_exit(&vcpu->stats, vcpu->run->exit_reason);
		/* The lent step read watched memory: stop after it (and after the
		 * access it exited for, if any). */
		if (read_hit) {
			if ((vcpu_step_trap(vcpu) || exits_handle(vcpu, stop) == EXIT_CONTINUE) &&
			    !queued_stop)
				exits_watchpoint(vcpu, stop);
			break;
		}
		if (own_trap && !queued_stop) {
			/* Stepping through lent code onto a breakpoint the debugger traps by page. */
			if (vcpu->fetch_stop && vcpu->fetch_stop(vcpu->own_opaque, vcpu, arch_pc(vcpu))) {
				stop->reason = STOP_FETCH;
				stop->exit_reason = KVM_EXIT_DEBUG;
				break;
			}
			continue;
		}
		if (exits_handle(vcpu, stop) == EXIT_STOP || queued_stop)
			break;
		if (vcpu_exit_hook(vcpu, stop))
			break;
		/*
		 * Stepping: an instruction that exited for PIO/MMIO is the step.
		 * Re-entering normally would, on PVM, also run the next instruction
		 * before the trap; it is completed below with immediate_exit instead.
		 */
		if (vcpu->mode != VCPU_CONTINUE &&
		    atomic_load(&vcpu->state) == VCPU_RUNNING_SERVICE_COMPLETION) {
			stop->reason = STOP_STEPPED;
			break;
		}
	}
	if (atomic_load(&vcpu->state) == VCPU_RUNNING_SERVICE_COMPLETION &&
	    vcpu_complete_io(vcpu) < 0 && stop->reason != STOP_ERROR)
		vcpu_stop_error(stop, err_msg());
	vcpu_lend_end(vcpu);
	arch_regs_invalidate(vcpu);
	atomic_store(&vcpu->state, VCPU_IDLE);
}

void vcpu_run(struct vcpu *vcpu, struct vcpu_stop *stop)
{
	vcpu_awake(vcpu);
	vcpu_watch_arm(vcpu, true);
	do
		vcpu_run_once(vcpu, stop);
	while (vcpu->mode == VCPU_COUNT && stop->reason != STOP_REQUESTED &&
	       !vcpu->count_hook(vcpu->own_opaque, stop));
	vcpu_watch_arm(vcpu, false);
}
