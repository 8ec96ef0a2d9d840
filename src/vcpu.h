/*
 * One vCPU: its kvm_run mapping, the run state machine (after gem5's
 * BaseKvmCPU), and the thread that runs KVM_RUN. Its registers are the
 * architecture's (arch.h).
 *
 * The control thread owns the vCPU while it is Idle: it may read and write
 * registers then. vcpu_resume() hands it to the vCPU thread, which runs the
 * guest until something stops it and signals stop_fd.
 */
#ifndef KVMDBG_VCPU_H
#define KVMDBG_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "handoff.h"
#include "stats.h"

struct vm;
struct icount_perf;
struct io_access;
struct vcpu;

/* Sent to the vCPU thread to make KVM_RUN return with EINTR (kicks, and the
 * perf counter's overflow). */
#define VCPU_KICK_SIGNAL SIGUSR1
/* Sent to it every VCPU_WATCH_MS while it runs with in-kernel interrupt
 * controllers, where hlt does not exit: it looks whether the guest waits
 * for an interrupt nothing can send. */
#define VCPU_WATCH_SIGNAL SIGUSR2
#define VCPU_WATCH_MS 100

enum vcpu_state {
	VCPU_IDLE,                       /* stopped; registers may be touched */
	VCPU_RUNNING,                    /* in or about to enter KVM_RUN */
	VCPU_RUNNING_SERVICE,            /* an exit is being handled */
	VCPU_RUNNING_SERVICE_COMPLETION, /* a PIO/MMIO result waits for one more
					    KVM_RUN; registers are off limits */
};

enum stop_reason {
	STOP_NONE,
	STOP_REQUESTED, /* vcpu_request_stop() */
	STOP_EXITED,    /* the guest wrote the exit port */
	STOP_HALTED,    /* HLT with nothing that could wake the vCPU */
	STOP_SHUTDOWN,  /* shutdown (triple fault) */
	STOP_DEBUG,     /* KVM_EXIT_DEBUG: a step or breakpoint */
	STOP_ERROR,     /* KVM reported an error or an exit kvmdbg cannot handle */
	STOP_STEPPED,   /* VCPU_STEP: one instruction completed */
	STOP_BREAKPOINT, /* a debugger breakpoint (set by the debug layer) */
	STOP_ICOUNT,    /* an instruction count the debugger asked for was reached */
	STOP_WATCHPOINT, /* a memory watchpoint caught an access (hit_stop said which) */
	STOP_FETCH,     /* code at pc was fetched from a page the debugger traps
			   (fetch_stop said so): a breakpoint where int3 cannot be */
	STOP_LEND,      /* shared: the instruction at pc needs pages lent (or given
			   back), which only a vCPU running alone may have; it runs
			   again when resumed */
};

enum vcpu_run_mode {
	VCPU_CONTINUE, /* run until something stops the guest */
	VCPU_STEP,     /* run one instruction (guest debug single-step must be on) */
	VCPU_COUNT,    /* single-step until count_hook says stop */
};

struct vcpu_stop {
	enum stop_reason reason; /* why the vCPU stopped */
	int status;              /* STOP_EXITED: exit status (value & 0xff) */
	bool reset;              /* STOP_EXITED: the guest reset the machine instead */
	bool poweroff;           /* STOP_EXITED: the guest powered it off (ACPI S5; status 0) */
	uint32_t exit_reason;    /* the KVM_EXIT_* that caused the stop, if any */
	char detail[256];        /* one line for the user ("" if the reason says it all) */
	int breakpoint;          /* STOP_BREAKPOINT, STOP_WATCHPOINT: its number */
	bool replayed;           /* history: below the furthest point reached */
	signed char history;     /* history: -1 its start reached going back, 1 its
				    end (the guest's exit) */
};

/*
 * Pages the layers above take out of the guest's memory map or make
 * read-only (memory watchpoints, breakpoints by page), and code lent back
 * from them to run: the run loop and the exit handlers reach that work only
 * through these hooks (watch.h fills them). All run on the vCPU thread.
 */
struct vcpu_page_ops {
	/* An MMIO exit: if it is an access to a protected RAM page, performs it
	 * and returns true; *hit then says whether a watchpoint caught it. */
	bool (*access)(void *opaque, struct io_access *acc, bool *hit);
	/* After a device handled an MMIO access: whether a watchpoint caught it. */
	bool (*device_hit)(void *opaque, const struct io_access *acc);
	/* Fills a STOP_WATCHPOINT stop for the access last caught. */
	void (*hit_stop)(void *opaque, struct vcpu_stop *stop);
	/* After an emulation failure at pc on a page taken away: lends it back
	 * (fetch_begin), or gives every page back for one step (lift_begin, also
	 * after a shutdown); true if so, and the instruction is to run again. */
	bool (*fetch_begin)(void *opaque, struct vcpu *vcpu, uint64_t pc);
	bool (*lift_begin)(void *opaque, struct vcpu *vcpu, uint64_t pc);
	/* Gives every page back for one step (kvmdbg delivers an event). */
	void (*lift)(void *opaque, struct vcpu *vcpu);
	/* Before each entry: whether code runs lent now, and *halt whether the
	 * lent instruction halts (run it, do not step it: a step skips hlt). */
	bool (*run_begin)(void *opaque, bool *halt);
	/* The lent run failed at pc even so: not to be lent again for it. */
	void (*failed)(void *opaque, uint64_t pc);
	/* After a lent step (done: the instruction ran): whether it read watched
	 * memory from the lent pages (hit_stop says what); whether the next
	 * instruction is still on them (then they stay lent); taking them away. */
	bool (*fetch_hit)(void *opaque, bool done);
	bool (*fetch_next)(void *opaque, struct vcpu *vcpu);
	void (*fetch_end)(void *opaque, struct vcpu *vcpu);
	/* Whether the guest page at gpa is not protected: kvmdbg may read and
	 * write it itself (REP string iterations, arch_rep_advance()). */
	bool (*plain)(void *opaque, uint64_t gpa);
	/* Whether fetch_begin (all: lift_begin) would lend for code at pc,
	 * changing nothing (a shared vCPU asks instead of lending). */
	bool (*would_lend)(void *opaque, struct vcpu *vcpu, uint64_t pc, bool all);
};

struct vcpu {
	struct vm *vm;           /* the VM this vCPU belongs to */
	int id;                  /* vCPU index */
	int fd;                  /* KVM vCPU file descriptor */
	struct kvm_run *run;     /* shared kvm_run mapping */
	_Atomic enum vcpu_state state;

	struct arch_vcpu *arch;  /* the architecture's part: registers, guest debug */
	bool lent_step;          /* single-stepping code on lent pages (vcpu_page_ops) */
	bool shared;             /* other vCPUs run meanwhile: nothing is lent (STOP_LEND) */
	bool lend_wanted;        /* ... and the exit being handled needs it */
	uint64_t lent_pc;        /* pc where the lent step in progress began */

	/* Hand-off between the control thread and the vCPU thread (handoff.h). */
	pthread_t thread;         /* runs KVM_RUN */
	_Atomic pid_t tid;        /* its kernel thread id (0 until it runs) */
	struct icount_perf *perf; /* counter whose overflow ends a run, or NULL */
	uint64_t perf_period;     /* ... when it has counted this much (0: never) */
	bool thread_started;      /* thread exists */
	timer_t watch;            /* VCPU_WATCH_SIGNAL's timer */
	bool watch_made;          /* ... exists (only with in-kernel interrupt controllers) */
	struct handoff go;        /* runs asked for (control thread -> vCPU thread); busy:
				     the control thread may soon ask for the next */
	struct handoff done;      /* runs finished (vCPU thread -> control thread); busy:
				     one is asked for and not finished */
	struct handoff entered;   /* runs that have entered KVM_RUN, or ended before they
				     did (vCPU thread -> control thread) */
	uint32_t runs;            /* runs asked for (control thread's count) */
	atomic_bool quit;         /* thread should exit */
	enum vcpu_run_mode mode;  /* how the next resume runs */
	atomic_bool stop_req;     /* control thread wants the vCPU stopped */
	int stop_fd;              /* eventfd, readable when the vCPU has stopped */
	/* The debugger's: whether an int3 at pc is its own breakpoint (else the
	 * guest's, delivered to the guest). NULL without a debugger. */
	bool (*own_breakpoint)(void *opaque, uint64_t pc);
	/* The debugger's: whether it stops when code at pc is fetched from a page
	 * it took out of the map (watch.h); else the page is lent and the code runs. */
	bool (*fetch_stop)(void *opaque, struct vcpu *vcpu, uint64_t pc);
	void *own_opaque;
	/* VCPU_COUNT: called on the vCPU thread after every step (or other stop);
	 * returns true to stop there, with *stop saying why. */
	bool (*count_hook)(void *opaque, struct vcpu_stop *stop);
	/* The debugger's: after each exit handled in a plain run (VCPU_CONTINUE),
	 * on the vCPU thread; true stops the run there (STOP_REQUESTED). */
	bool (*exit_hook)(void *opaque, struct vcpu *vcpu);
	struct vcpu_stop stop;    /* why it stopped, valid while Idle */
	struct stats stats;       /* its KVM_RUN calls and exits (accesses: the VM's) */
	/* Observers (hooks set by the layers above; NULL: none). */
	const struct vcpu_page_ops *pages; /* protected pages and lent code */
	void *pages_opaque;
	/* Every PIO/MMIO access after its device handled it (the access log). */
	void (*on_access)(void *opaque, struct vcpu *vcpu, const struct io_access *acc);
	void *access_opaque;
};

int vcpu_create(struct vcpu *vcpu, struct vm *vm, int id);
void vcpu_destroy(struct vcpu *vcpu);

/* Starts the vCPU thread; the vCPU stays Idle until vcpu_resume(). */
int vcpu_start_thread(struct vcpu *vcpu);
/* Lets an Idle vCPU run; stop_fd becomes readable when it stops again. */
void vcpu_resume(struct vcpu *vcpu, enum vcpu_run_mode mode);
/* Asks a running vCPU to stop soon (kicks it out of KVM_RUN). */
void vcpu_request_stop(struct vcpu *vcpu);
/* Consumes the stop notification and returns why the vCPU stopped. */
const struct vcpu_stop *vcpu_collect_stop(struct vcpu *vcpu);
/* Blocks until the vCPU has stopped (stop_fd readable); collect it next. */
void vcpu_wait(struct vcpu *vcpu);
/* Blocks until the run in progress has entered the guest (or ended first):
 * a stop asked for after that lets the guest run at least briefly. */
void vcpu_wait_entered(struct vcpu *vcpu);
/* The control thread leaves the stopped vCPU for a while (it reported the
 * stop to a front end): the vCPU thread stops looking out for its next run. */
void vcpu_release(struct vcpu *vcpu);

/* On the vCPU thread, during a run: waits until fd is readable (1) or a
 * stop is asked for (0, at once if it was already); -errno. */
int vcpu_wait_fd(struct vcpu *vcpu, int fd);

/* Runs the guest on the calling thread until it stops (used by the vCPU thread). */
void vcpu_run(struct vcpu *vcpu, struct vcpu_stop *stop);

#endif
