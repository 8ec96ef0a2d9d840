/*
 * The x86 probe VMs behind host.h: each mechanism is measured on a fresh
 * VM of 64 KiB running a few hand-assembled instructions at 0x1000, in real
 * mode (interrupt vectors at 0) or in flat 32-bit protected mode (GDT at
 * 0x500, IDT at 0x600), with the stack at 0x8000. The page at 0x3000 is
 * what the probe needs: RAM, read-only, dirty-logged, or no memslot.
 * Every program ends at an out to port 0xf4, a hlt or a fault, so no run
 * can go on for ever.
 */
#include "../arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../host.h"
#include "msr.h"
#include "x86.h"

#define PROBE_MEM 0x10000
#define PROBE_CODE 0x1000
#define PROBE_PAGE 0x3000 /* the page whose kind a probe chooses */
#define PROBE_STACK 0x8000
#define PROBE_MAX_RUNS 64 /* exits any probe program takes, with room */
#define PROBE_EXIT_PORT 0xf4
#define PROBE_BP_PORT 0x73 /* the guest's own breakpoint handler says it ran */
#define PROBE_GDT 0x500
#define PROBE_IDT 0x600
#define PROBE_HANDLER 0x1100

enum probe_page {
	PAGE_RAM,      /* plain RAM */
	PAGE_NONE,     /* no memslot: every access exits */
	PAGE_READONLY, /* KVM_MEM_READONLY */
	PAGE_DIRTY,    /* KVM_MEM_LOG_DIRTY_PAGES, in slot 1 */
	PAGE_RAM_PROT32, /* plain RAM, and the CPU in flat 32-bit protected mode */
};

struct probe_vm {
	int kvm, fd, cpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

static void probe_close(struct probe_vm *p)
{
	if (p->run && p->run != MAP_FAILED)
		munmap(p->run, p->run_size);
	if (p->mem && p->mem != MAP_FAILED)
		munmap(p->mem, PROBE_MEM);
	if (p->cpu >= 0)
		close(p->cpu);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = p->cpu = -1;
	p->run = NULL;
	p->mem = NULL;
}

static int probe_slot(struct probe_vm *p, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)(p->mem + gpa),
	};

	return ioctl(p->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/* Flat 32-bit protected mode: a GDT (0x08 code, 0x10 data) and an empty IDT. */
static void probe_prot32(struct probe_vm *p, struct kvm_sregs *s)
{
	static const uint64_t gdt[] = { 0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL };
	const struct kvm_segment code = { .limit = 0xffffffff, .selector = 0x08,
					  .type = SEG_TYPE_CODE_RX_A, .present = 1, .db = 1, .s = 1,
					  .g = 1 };
	struct kvm_segment data = code;

	memcpy(p->mem + PROBE_GDT, gdt, sizeof(gdt));
	data.selector = 0x10;
	data.type = SEG_TYPE_DATA_RW_A;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->gdt.base = PROBE_GDT;
	s->gdt.limit = sizeof(gdt) - 1;
	s->idt.base = PROBE_IDT;
	s->idt.limit = 0;
	s->cr0 |= CR0_PE;
}

/* A VM with code at PROBE_CODE, stopped at its first instruction; false with
 * res filled if it cannot be made. */
static bool probe_open(struct probe_vm *p, const struct host_env *env, const uint8_t *code,
		       size_t len, enum probe_page page, struct host_result *res)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = PROBE_CODE, .rflags = RFLAGS_FIXED, .rsp = PROBE_STACK };
	uint32_t flags = page == PAGE_READONLY ? KVM_MEM_READONLY
			 : page == PAGE_DIRTY  ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	const char *what = "KVM_CREATE_VM";

	*p = (struct probe_vm){ .kvm = env->kvm_fd, .fd = -1, .cpu = -1, .run_size = env->run_size };
	p->fd = ioctl(env->kvm_fd, KVM_CREATE_VM, 0);
	if (p->fd < 0)
		goto fail;
	/* As kvmdbg's own VM: an emulation failure only exits. */
	x86_exit_on_emulation_failure(p->fd);
	what = "guest memory";
	p->mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED)
		goto fail;
	memcpy(p->mem + PROBE_CODE, code, len);
	what = "KVM_SET_USER_MEMORY_REGION";
	if (page == PAGE_RAM || page == PAGE_RAM_PROT32) {
		if (probe_slot(p, 0, 0, 0, PROBE_MEM) < 0)
			goto fail;
	} else if (probe_slot(p, 0, 0, 0, PROBE_PAGE) < 0 ||
		   (page != PAGE_NONE && probe_slot(p, 1, flags, PROBE_PAGE, 0x1000) < 0) ||
		   probe_slot(p, 2, 0, PROBE_PAGE + 0x1000, PROBE_MEM - PROBE_PAGE - 0x1000) < 0) {
		goto fail;
	}
	what = "KVM_CREATE_VCPU";
	p->cpu = ioctl(p->fd, KVM_CREATE_VCPU, 0);
	if (p->cpu < 0)
		goto fail;
	what = "kvm_run";
	p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->cpu, 0);
	if (p->run == MAP_FAILED)
		goto fail;
	what = "real-mode registers";
	if (ioctl(p->cpu, KVM_GET_SREGS, &s) < 0)
		goto fail;
	s.cs.base = 0;
	s.cs.selector = 0;
	if (page == PAGE_RAM_PROT32)
		probe_prot32(p, &s);
	if (ioctl(p->cpu, KVM_SET_SREGS, &s) < 0 || ioctl(p->cpu, KVM_SET_REGS, &r) < 0)
		goto fail;
	return true;
fail:
	res->value = HOST_FAILED;
	snprintf(res->detail, sizeof(res->detail), "probe VM: %s: %s", what, strerror(errno));
	probe_close(p);
	return false;
}

/* Points interrupt vector v at PROBE_HANDLER, holding code: in the real-mode
 * vector table, or (prot32) through a 32-bit interrupt gate. */
static int probe_vector(struct probe_vm *p, unsigned v, const uint8_t *code, size_t len,
			bool prot32)
{
	struct kvm_sregs s;
	uint8_t gate[8] = { PROBE_HANDLER & 0xff, PROBE_HANDLER >> 8, 0x08, 0, 0, 0x8e, 0, 0 };

	memcpy(p->mem + PROBE_HANDLER, code, len);
	if (!prot32) {
		memcpy(p->mem + v * 4, gate, 2);
		memset(p->mem + v * 4 + 2, 0, 2);
		return 0;
	}
	memcpy(p->mem + PROBE_IDT + v * 8, gate, sizeof(gate));
	if (ioctl(p->cpu, KVM_GET_SREGS, &s) < 0)
		return -errno;
	s.idt.limit = (uint16_t)(8 * (v + 1) - 1);
	return ioctl(p->cpu, KVM_SET_SREGS, &s) < 0 ? -errno : 0;
}

static int probe_debug(struct probe_vm *p, uint32_t control, uint64_t dr0, uint64_t dr7)
{
	struct kvm_guest_debug d = { .control = control };

	d.arch.debugreg[0] = dr0;
	d.arch.debugreg[7] = dr7;
	return ioctl(p->cpu, KVM_SET_GUEST_DEBUG, &d);
}

/*
 * One KVM_RUN: the exit reason, or -errno; *rip after it. A signal (the
 * calling vCPU thread's halt watch or perf overflow: probes run where they
 * are first needed) interrupts it with nothing to report: run on, unless
 * immediate_exit asked for just that.
 */
static int probe_run(struct probe_vm *p, uint64_t *rip)
{
	struct kvm_regs r;
	int e = 0;

	while (ioctl(p->cpu, KVM_RUN, 0) < 0) {
		e = -errno;
		if (e != -EINTR || p->run->immediate_exit)
			break;
		e = 0;
	}
	*rip = ioctl(p->cpu, KVM_GET_REGS, &r) == 0 ? r.rip : ~0ULL;
	return e ? e : (int)p->run->exit_reason;
}

static bool probe_is_port(const struct probe_vm *p, int exit, uint16_t port)
{
	return exit == KVM_EXIT_IO && p->run->io.port == port;
}

/* "exit 17 (internal error 1) at 0x1000", for details. */
static void probe_describe(const struct probe_vm *p, int exit, uint64_t rip, char *buf, size_t len)
{
	if (exit < 0)
		snprintf(buf, len, "KVM_RUN failed: %s", strerror(-exit));
	else if (exit == KVM_EXIT_IO)
		snprintf(buf, len, "port %#x exit at %#llx", p->run->io.port, (unsigned long long)rip);
	else if (exit == KVM_EXIT_INTERNAL_ERROR)
		snprintf(buf, len, "internal error %u at %#llx", p->run->internal.suberror,
			 (unsigned long long)rip);
	else if (exit == KVM_EXIT_DEBUG)
		snprintf(buf, len, "debug exit, exception %u at %#llx", p->run->debug.arch.exception,
			 (unsigned long long)rip);
	else
		snprintf(buf, len, "exit %d at %#llx", exit, (unsigned long long)rip);
}

static void probe_set(struct host_result *res, enum host_value v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void probe_set(struct host_result *res, enum host_value v, const char *fmt, ...)
{
	va_list ap;

	res->value = v;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/* ---- single-step ------------------------------------------------------------ */

/* nop; cpuid; nop; mov cx,3; mov di,0x5000; rep stosb; nop; out 0x80,al;
 * nop; nop; hlt; nop; out 0xf4,al; hlt */
static const uint8_t probe_step_code[] = {
	0x90, 0x0f, 0xa2, 0x90, 0xb9, 0x03, 0x00, 0xbf, 0x00, 0x50, 0xf3, 0xaa,
	0x90, 0xe6, 0x80, 0x90, 0x90, 0xf4, 0x90, 0xe6, 0xf4, 0xf4,
};
#define STEP_REP 0x100a  /* rep stosb */
#define STEP_OUT 0x100d  /* out 0x80 */
#define STEP_HLT 0x1011  /* hlt */

/* Steps the whole program once, completing port exits with immediate_exit. */
static void probe_step_all(const struct host_env *env, struct host_result *res)
{
	static const uint64_t first[] = { 0x1001, 0x1003, 0x1004, 0x1007, STEP_REP };
	struct host_result *rep = &res[HOST_STEP_REP - HOST_STEP];
	struct host_result *hlt = &res[HOST_STEP_HLT - HOST_STEP];
	struct probe_vm p;
	unsigned at_rep = 0, n = 0;
	uint64_t rip, prev = PROBE_CODE;
	char what[96];
	int exit;

	if (!probe_open(&p, env, probe_step_code, sizeof(probe_step_code), PAGE_RAM, res))
		goto copy_failure;
	if (probe_debug(&p, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0, 0) < 0) {
		probe_set(res, HOST_NO, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
		probe_close(&p);
		goto copy_failure;
	}
	probe_set(rep, HOST_OTHER, "the step did not reach the rep instruction");
	probe_set(hlt, HOST_OTHER, "the step did not reach hlt");
	for (unsigned runs = 0; runs < PROBE_MAX_RUNS; runs++, prev = rip) {
		exit = probe_run(&p, &rip);
		if (probe_is_port(&p, exit, 0x80)) {
			p.run->immediate_exit = 1;
			exit = probe_run(&p, &rip);
			p.run->immediate_exit = 0;
			if (exit == -EINTR || exit == KVM_EXIT_DEBUG)
				continue;
		}
		if (n < sizeof(first) / sizeof(first[0])) {
			if (exit != KVM_EXIT_DEBUG || rip != first[n]) {
				probe_describe(&p, exit, rip, what, sizeof(what));
				probe_set(res, HOST_NO, "step %u from %#llx: %s (expected a step to "
					  "%#llx)", n + 1, (unsigned long long)prev, what,
					  (unsigned long long)first[n]);
				break;
			}
			if (++n == sizeof(first) / sizeof(first[0]))
				probe_set(res, HOST_YES, "one debug exit per instruction, cpuid "
					  "included");
			continue;
		}
		if (prev == STEP_REP && exit == KVM_EXIT_DEBUG) {
			if (rip == STEP_REP) {
				at_rep++;
				continue;
			}
			if (at_rep >= 2)
				probe_set(rep, HOST_REP_PER_ITERATION, "a step per iteration, rip "
					  "unchanged until the last (%u of 3)", at_rep);
			else if (at_rep == 1)
				probe_set(rep, HOST_REP_WHOLE, "all iterations in one step with rip "
					  "unchanged, one more step moves on");
			else
				probe_set(rep, HOST_OTHER, "all iterations and the move on in one "
					  "step");
		}
		if (prev == STEP_HLT) {
			if (exit == KVM_EXIT_HLT) {
				probe_set(hlt, HOST_HLT_EXITS, "KVM_EXIT_HLT");
				break;
			}
			probe_describe(&p, exit, rip, what, sizeof(what));
			probe_set(hlt, exit == KVM_EXIT_DEBUG && rip == STEP_HLT + 1 ?
				  HOST_HLT_SKIPPED : HOST_OTHER, "%s", exit == KVM_EXIT_DEBUG &&
				  rip == STEP_HLT + 1 ? "stepped over like a no-op" : what);
		}
		if (exit != KVM_EXIT_DEBUG)
			break;
	}
	probe_close(&p);
	return;
copy_failure:
	*rep = *hlt = res[0];
}

/* After a port exit under single-step, a plain KVM_RUN: exact, or one more? */
static void probe_step_io(const struct host_env *env, struct host_result *res)
{
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit = 0;

	if (!probe_open(&p, env, probe_step_code, sizeof(probe_step_code), PAGE_RAM, res))
		return;
	probe_debug(&p, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0, 0);
	for (unsigned runs = 0; runs < PROBE_MAX_RUNS; runs++) {
		exit = probe_run(&p, &rip);
		if (exit != KVM_EXIT_DEBUG)
			break;
	}
	if (!probe_is_port(&p, exit, 0x80)) {
		probe_describe(&p, exit, rip, what, sizeof(what));
		probe_set(res, HOST_OTHER, "stepping did not reach the out: %s", what);
	} else {
		exit = probe_run(&p, &rip);
		probe_describe(&p, exit, rip, what, sizeof(what));
		if (exit == KVM_EXIT_DEBUG && rip == STEP_OUT + 2)
			probe_set(res, HOST_YES, "the step trap comes right after the out");
		else if (exit == KVM_EXIT_DEBUG && rip == STEP_OUT + 3)
			probe_set(res, HOST_IO_RUNS_NEXT, "re-entering runs the next instruction "
				  "before the trap (kvmdbg completes the access with immediate_exit)");
		else
			probe_set(res, HOST_OTHER, "after the out: %s", what);
	}
	probe_close(&p);
}

/* A KVM_GET_REGS + KVM_SET_REGS of unchanged registers between two steps. */
static void probe_step_regs(const struct host_env *env, struct host_result *res)
{
	struct probe_vm p;
	struct kvm_regs r;
	uint64_t rip;
	char what[96];
	int exit;

	if (!probe_open(&p, env, probe_step_code, sizeof(probe_step_code), PAGE_RAM, res))
		return;
	probe_debug(&p, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0, 0);
	exit = probe_run(&p, &rip);
	if (exit == KVM_EXIT_DEBUG && ioctl(p.cpu, KVM_GET_REGS, &r) == 0 &&
	    ioctl(p.cpu, KVM_SET_REGS, &r) == 0)
		exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit == KVM_EXIT_DEBUG && rip == 0x1003)
		probe_set(res, HOST_YES, "the next step still traps");
	else
		probe_set(res, HOST_REGS_DROP_STEP, "the next step ran on (%s); kvmdbg gives "
			  "guest debug again after such writes", what);
	probe_close(&p);
}

/* ---- breakpoints --------------------------------------------------------------- */

static const uint8_t probe_handler[] = { 0xe6, PROBE_BP_PORT, 0xcf }; /* out 0x73,al; iret */

/* PVM emulates int3 in real mode (delivering it) but not in protected mode. */
static void probe_swbp(const struct host_env *env, bool prot32, struct host_result *res)
{
	static const uint8_t code[] = { 0xcc, 0xe6, 0xf4, 0xf4 }; /* int3; out 0xf4,al; hlt */
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit;

	if (!probe_open(&p, env, code, sizeof(code), prot32 ? PAGE_RAM_PROT32 : PAGE_RAM, res))
		return;
	probe_vector(&p, 3, probe_handler, sizeof(probe_handler), prot32);
	probe_debug(&p, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, 0, 0);
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit == KVM_EXIT_DEBUG && p.run->debug.arch.exception == 3)
		probe_set(res, HOST_SWBP_DEBUG_EXIT, "debug exit, exception 3");
	else if (exit == KVM_EXIT_INTERNAL_ERROR &&
		 p.run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && rip == PROBE_CODE)
		probe_set(res, HOST_SWBP_EMULATION, "emulation failure with rip at the int3 "
			  "(kvmdbg takes it as the hit)");
	else if (probe_is_port(&p, exit, PROBE_BP_PORT))
		probe_set(res, HOST_SWBP_GUEST, "delivered to the guest's #BP handler, no exit");
	else
		probe_set(res, HOST_OTHER, "%s", what);
	probe_close(&p);
}

/* DR0 with DR7 = dr7: an execution breakpoint at 0x1002 or a write one at
 * PROBE_PAGE, in front of mov %al,PROBE_PAGE; nop; nop; out. */
static void probe_dr(const struct host_env *env, uint64_t dr0, uint64_t dr7,
		     struct host_result *res)
{
	static const uint8_t code[] = { 0xa2, 0x00, 0x30, 0x90, 0x90, 0xe6, 0xf4, 0xf4 };
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit;

	if (!probe_open(&p, env, code, sizeof(code), PAGE_RAM, res))
		return;
	if (probe_debug(&p, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr0, dr7) < 0) {
		probe_set(res, HOST_NO, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
		probe_close(&p);
		return;
	}
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit == KVM_EXIT_DEBUG && p.run->debug.arch.exception == 1 &&
	    (p.run->debug.arch.dr6 & 1))
		probe_set(res, HOST_YES, "debug exit with DR6.B0 at %#llx",
			  (unsigned long long)rip);
	else if (probe_is_port(&p, exit, PROBE_EXIT_PORT))
		probe_set(res, HOST_NO, "never fire: the guest ran past DR0 to its end");
	else
		probe_set(res, HOST_OTHER, "%s", what);
	probe_close(&p);
}

/* jmp 0x3000 with no memslot there. */
static void probe_fetch(const struct host_env *env, struct host_result *res)
{
	static const uint8_t code[] = { 0xe9, 0xfd, 0x1f, 0xf4 };
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit;

	if (!probe_open(&p, env, code, sizeof(code), PAGE_NONE, res))
		return;
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit == KVM_EXIT_INTERNAL_ERROR &&
	    p.run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && rip == PROBE_PAGE)
		probe_set(res, HOST_FETCH_EMULATION, "emulation failure with rip at the page: "
			  "code there can be trapped");
	else
		probe_set(res, HOST_OTHER, "%s", what);
	probe_close(&p);
}

/* ---- registers, counters, memory ---------------------------------------------- */

static void probe_onereg(const struct host_env *env, struct host_result *res)
{
	static const uint8_t code[] = { 0xf4 };
	struct probe_vm p;
	uint64_t value = 0;
	struct kvm_one_reg reg = { .id = X86_MSR_ID(MSR_IA32_APIC_BASE),
				   .addr = (uint64_t)(uintptr_t)&value };

	if (!probe_open(&p, env, code, sizeof(code), PAGE_RAM, res))
		return;
	if (ioctl(p.cpu, KVM_GET_ONE_REG, &reg) == 0)
		probe_set(res, HOST_YES, "IA32_APIC_BASE read as %#llx", (unsigned long long)value);
	else
		probe_set(res, HOST_NO, "KVM_GET_ONE_REG: %s (kernels before 6.17); kvmdbg reads "
			  "MSRs with KVM_GET_MSRS", strerror(errno));
	probe_close(&p);
}

/* mov ecx,N; 1: dec ecx; jnz 1b; out 0xf4,al: 2N + 1 instructions before the out. */
static void probe_loop_code(uint8_t *code, uint32_t n)
{
	static const uint8_t tail[] = { 0x66, 0x49, 0x75, 0xfc, 0xe6, 0xf4, 0xf4 };

	code[0] = 0x66;
	code[1] = 0xb9;
	memcpy(code + 2, &n, 4);
	memcpy(code + 6, tail, sizeof(tail));
}
#define PROBE_LOOP_LEN 13

static void probe_pmu(const struct host_env *env, struct host_result *res)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE, .size = sizeof(attr),
		.config = PERF_COUNT_HW_INSTRUCTIONS, .exclude_host = 1, .disabled = 1,
	};
	uint8_t code[PROBE_LOOP_LEN];
	const uint32_t loops = 1000;
	uint64_t count = 0, rip, want = 2 * loops + 1;
	struct probe_vm p;
	int fd, exit;

	fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		probe_set(res, HOST_NO, "perf_event_open (instructions, guest only): %s",
			  strerror(errno));
		return;
	}
	probe_loop_code(code, loops);
	if (probe_open(&p, env, code, sizeof(code), PAGE_RAM, res)) {
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		exit = probe_run(&p, &rip);
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		if (read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
			probe_set(res, HOST_FAILED, "cannot read the counter");
		else if (!probe_is_port(&p, exit, PROBE_EXIT_PORT))
			probe_set(res, HOST_FAILED, "the loop did not reach its end");
		else if (count == want || count == want + 1)
			probe_set(res, HOST_YES, "counted %llu for a loop of %llu instructions "
				  "and its out: exact", (unsigned long long)count,
				  (unsigned long long)want);
		else
			probe_set(res, HOST_OTHER, "counted %llu for a loop of %llu instructions "
				  "and its out: not exact", (unsigned long long)count,
				  (unsigned long long)want);
		probe_close(&p);
	}
	close(fd);
}

static void probe_readonly(const struct host_env *env, struct host_result *res)
{
	static const uint8_t code[] = { 0xa2, 0x00, 0x30, 0xe6, 0xf4, 0xf4 };
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit;

	if (ioctl(env->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		probe_set(res, HOST_NO, "KVM_CAP_READONLY_MEM is missing");
		return;
	}
	if (!probe_open(&p, env, code, sizeof(code), PAGE_READONLY, res))
		return;
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit == KVM_EXIT_MMIO && p.run->mmio.is_write && p.run->mmio.phys_addr == PROBE_PAGE)
		probe_set(res, HOST_YES, "a write exits as MMIO; reads hit memory");
	else
		probe_set(res, HOST_OTHER, "a write to it: %s", what);
	probe_close(&p);
}

static void probe_coalesced(const struct host_env *env, struct host_result *res)
{
	/* mov %al,0x3000; mov %al,0x3001; out 0xf4,al */
	static const uint8_t code[] = { 0xa2, 0x00, 0x30, 0xa2, 0x01, 0x30, 0xe6, 0xf4, 0xf4 };
	struct kvm_coalesced_mmio_zone zone = { .addr = PROBE_PAGE, .size = 0x1000 };
	struct kvm_coalesced_mmio_ring *ring;
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int page = ioctl(env->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO), exit;

	if (page <= 0 || (size_t)page * 4096 >= env->run_size) {
		probe_set(res, HOST_NO, "KVM_CAP_COALESCED_MMIO is missing");
		return;
	}
	if (!probe_open(&p, env, code, sizeof(code), PAGE_NONE, res))
		return;
	if (ioctl(p.fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0) {
		probe_set(res, HOST_NO, "KVM_REGISTER_COALESCED_MMIO: %s", strerror(errno));
		probe_close(&p);
		return;
	}
	ring = (struct kvm_coalesced_mmio_ring *)((uint8_t *)p.run + (size_t)page * 4096);
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (probe_is_port(&p, exit, PROBE_EXIT_PORT) && ring->last - ring->first == 2)
		probe_set(res, HOST_YES, "two writes queued in the ring (page %d), no exit", page);
	else
		probe_set(res, HOST_OTHER, "after two writes to the zone: %s, %u queued", what,
			  ring->last - ring->first);
	probe_close(&p);
}

static void probe_dirty_log(const struct host_env *env, struct host_result *res)
{
	static const uint8_t code[] = { 0xa2, 0x00, 0x30, 0xe6, 0xf4, 0xf4 };
	uint64_t bitmap = 0, rip;
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = &bitmap };
	struct probe_vm p;
	bool clear = ioctl(env->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0;

	if (!probe_open(&p, env, code, sizeof(code), PAGE_DIRTY, res))
		return;
	probe_run(&p, &rip);
	if (ioctl(p.fd, KVM_GET_DIRTY_LOG, &log) < 0)
		probe_set(res, HOST_NO, "KVM_GET_DIRTY_LOG: %s", strerror(errno));
	else if (bitmap & 1)
		probe_set(res, HOST_YES, "a written page shows in KVM_GET_DIRTY_LOG; "
			  "KVM_CLEAR_DIRTY_LOG %s", clear ? "offered" : "not offered");
	else
		probe_set(res, HOST_OTHER, "the written page is not in KVM_GET_DIRTY_LOG");
	probe_close(&p);
}

/* out 0x80,al; nop; out 0xf4,al */
static void probe_immediate_exit(const struct host_env *env, struct host_result *res)
{
	static const uint8_t code[] = { 0xe6, 0x80, 0x90, 0xe6, 0xf4, 0xf4 };
	struct probe_vm p;
	uint64_t rip;
	int exit;

	if (ioctl(env->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		probe_set(res, HOST_NO, "KVM_CAP_IMMEDIATE_EXIT is missing");
		return;
	}
	if (!probe_open(&p, env, code, sizeof(code), PAGE_RAM, res))
		return;
	p.run->immediate_exit = 1;
	exit = probe_run(&p, &rip);
	if (exit != -EINTR || rip != PROBE_CODE) {
		probe_set(res, HOST_OTHER, "with nothing pending, KVM_RUN ran the guest");
	} else {
		p.run->immediate_exit = 0;
		exit = probe_run(&p, &rip);
		p.run->immediate_exit = 1;
		if (exit == KVM_EXIT_IO && probe_run(&p, &rip) == -EINTR && rip == PROBE_CODE + 2)
			probe_set(res, HOST_YES, "returns at once; a pending port access is "
				  "completed without running on");
		else
			probe_set(res, HOST_OTHER, "a pending port access was not completed alone");
	}
	probe_close(&p);
}

/* out 0x80,al; mov %al,0x3000 (no memslot): where rip is at each write exit. */
static void probe_write_pc(const struct host_env *env, struct host_result *pio,
			   struct host_result *mmio)
{
	static const uint8_t code[] = { 0xe6, 0x80, 0xa2, 0x00, 0x30, 0xe6, 0xf4, 0xf4 };
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit;

	if (!probe_open(&p, env, code, sizeof(code), PAGE_NONE, pio)) {
		*mmio = *pio;
		return;
	}
	/* A throwaway vCPU: reading its registers before the I/O completes harms nothing. */
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit != KVM_EXIT_IO)
		probe_set(pio, HOST_OTHER, "%s", what);
	else
		probe_set(pio, rip == PROBE_CODE ? HOST_PC_AT : HOST_PC_AFTER, "%s",
			  rip == PROBE_CODE ? "at the out" : "past the out");
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit != KVM_EXIT_MMIO)
		probe_set(mmio, HOST_OTHER, "%s", what);
	else
		probe_set(mmio, rip == PROBE_CODE + 2 ? HOST_PC_AT : HOST_PC_AFTER, "%s",
			  rip == PROBE_CODE + 2 ? "at the store" : "past the store");
	probe_close(&p);
}

/* ud2 in protected mode with an empty IDT: #UD, #GP, #DF, shutdown. (In real
 * mode PVM takes 12 s to give up on the same.) */
static void probe_shutdown(const struct host_env *env, struct host_result *res)
{
	static const uint8_t code[] = { 0x0f, 0x0b, 0xf4 };
	struct probe_vm p;
	uint64_t rip;
	char what[96];
	int exit;

	if (!probe_open(&p, env, code, sizeof(code), PAGE_RAM_PROT32, res))
		return;
	exit = probe_run(&p, &rip);
	probe_describe(&p, exit, rip, what, sizeof(what));
	if (exit != KVM_EXIT_SHUTDOWN)
		probe_set(res, HOST_OTHER, "no shutdown: %s", what);
	else if (rip == PROBE_CODE)
		probe_set(res, HOST_REGS_KEPT, "rip at the faulting instruction");
	else
		probe_set(res, HOST_REGS_RESET, "rip %#llx: the vCPU was reset, the faulting "
			  "registers are lost", (unsigned long long)rip);
	probe_close(&p);
}

static void probe_speed(const struct host_env *env, struct host_result *res)
{
	uint8_t code[PROBE_LOOP_LEN];
	const uint32_t loops = 100000;
	struct timespec a, b;
	struct probe_vm p;
	uint64_t rip;
	double secs;
	int exit;

	probe_loop_code(code, loops);
	if (!probe_open(&p, env, code, sizeof(code), PAGE_RAM, res))
		return;
	clock_gettime(CLOCK_MONOTONIC, &a);
	exit = probe_run(&p, &rip);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (!probe_is_port(&p, exit, PROBE_EXIT_PORT) || secs <= 0) {
		probe_set(res, HOST_FAILED, "the loop did not reach its end");
	} else {
		res->rate = (2.0 * loops + 2) / secs;
		probe_set(res, HOST_YES, "%.0f (a real-mode loop of %u instructions in %.3f ms)",
			  res->rate, 2 * loops + 2, secs * 1e3);
	}
	probe_close(&p);
}

void arch_host_probe(const struct host_env *env, enum host_probe probe, struct host_result *res)
{
	switch (probe) {
	case HOST_STEP:
	case HOST_STEP_REP:
	case HOST_STEP_HLT:
		probe_step_all(env, &res[HOST_STEP]);
		break;
	case HOST_STEP_IO:
		probe_step_io(env, &res[probe]);
		break;
	case HOST_STEP_REGS:
		probe_step_regs(env, &res[probe]);
		break;
	case HOST_SWBP:
	case HOST_SWBP_REAL:
		probe_swbp(env, probe == HOST_SWBP, &res[probe]);
		break;
	case HOST_HWBP:
		probe_dr(env, PROBE_CODE + 3, DR7_G(0), &res[probe]);
		break;
	case HOST_DATABP:
		probe_dr(env, PROBE_PAGE, DR7_G(0) | 1ULL << DR7_RW_SHIFT(0), &res[probe]);
		break;
	case HOST_FETCH:
		probe_fetch(env, &res[probe]);
		break;
	case HOST_ONEREG:
		probe_onereg(env, &res[probe]);
		break;
	case HOST_PMU:
		probe_pmu(env, &res[probe]);
		break;
	case HOST_READONLY:
		probe_readonly(env, &res[probe]);
		break;
	case HOST_COALESCED:
		probe_coalesced(env, &res[probe]);
		break;
	case HOST_DIRTY_LOG:
		probe_dirty_log(env, &res[probe]);
		break;
	case HOST_IMMEDIATE_EXIT:
		probe_immediate_exit(env, &res[probe]);
		break;
	case HOST_PIO_WRITE_PC:
	case HOST_MMIO_WRITE_PC:
		probe_write_pc(env, &res[HOST_PIO_WRITE_PC], &res[HOST_MMIO_WRITE_PC]);
		break;
	case HOST_SHUTDOWN_REGS:
		probe_shutdown(env, &res[probe]);
		break;
	case HOST_SPEED:
		probe_speed(env, &res[probe]);
		break;
	case HOST_BLOCKIRQ:
	case HOST_NPROBES:
		break;
	}
}
