/*
 * Which instruction made a PIO or MMIO access, for the access log.
 *
 * At the exit KVM leaves rip at the instruction for reads (it finishes them
 * when the data comes back) but, for writes, where its emulator left it: past
 * the instruction (MMIO stores on every host; out on PVM, whose emulator runs
 * all CPL0 code), or at it (out on VMX/SVM, which finish it later). A probe
 * VM at first use tells which; a rip past the instruction is traced back by
 * disassembling the bytes before it.
 */
#include "../arch.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../disasm.h"
#include "../symbols.h"
#include "x86.h"

#define EXITPC_BACK X86_TRACE_BACK /* bytes before rip the trace-back starts from */
#define EXITPC_CACHE 256    /* traced-back instructions remembered */
#define EXITPC_SWEEP 4096   /* farthest a symbol may start before the instruction */
#define EXITPC_PROBE_CODE 0x1000
#define EXITPC_PROBE_MMIO 0x3000

/* Whether this host reports writes with rip past the instruction; -1: not probed. */
static int exitpc_pio_after = -1, exitpc_mmio_after = -1;

struct exitpc_entry {
	uint64_t after;                 /* rip KVM reported */
	uint64_t start;                 /* the instruction that ends there */
	uint8_t bytes[EXITPC_BACK];     /* the code it was traced in */
	bool used;
};
static struct exitpc_entry exitpc_cache[EXITPC_CACHE];

/* Real-mode probe: out $0x80,%al, then mov %al,EXITPC_PROBE_MMIO (unbacked). */
static void exitpc_probe(const struct arch_vcpu *vm)
{
	static const uint8_t code[] = { 0xe6, 0x80, 0xa2, 0x00, 0x30, 0xf4 };
	struct kvm_userspace_memory_region region = { .memory_size = 0x2000 };
	struct kvm_run *run = MAP_FAILED;
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = EXITPC_PROBE_CODE, .rflags = 2 };
	uint8_t *mem;
	int fd, cpu = -1;

	exitpc_pio_after = exitpc_mmio_after = 0;
	fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		return;
	mem = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out;
	memcpy(mem + EXITPC_PROBE_CODE, code, sizeof(code));
	region.userspace_addr = (uint64_t)(uintptr_t)mem;
	if (ioctl(fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out;
	cpu = ioctl(fd, KVM_CREATE_VCPU, 0);
	if (cpu < 0)
		goto out;
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED || ioctl(cpu, KVM_GET_SREGS, &s) < 0)
		goto out;
	s.cs.base = 0;
	s.cs.selector = 0;
	if (ioctl(cpu, KVM_SET_SREGS, &s) < 0 || ioctl(cpu, KVM_SET_REGS, &r) < 0)
		goto out;
	/* A throwaway vCPU: reading its registers before the I/O completes harms nothing. */
	if (ioctl(cpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_IO ||
	    ioctl(cpu, KVM_GET_REGS, &r) < 0)
		goto out;
	exitpc_pio_after = r.rip != EXITPC_PROBE_CODE;
	if (ioctl(cpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_MMIO ||
	    ioctl(cpu, KVM_GET_REGS, &r) < 0)
		goto out;
	exitpc_mmio_after = r.rip != EXITPC_PROBE_CODE + 2;
out:
	if (run != MAP_FAILED)
		munmap(run, vm->run_size);
	if (cpu >= 0)
		close(cpu);
	if (mem != MAP_FAILED)
		munmap(mem, 0x2000);
	close(fd);
}

/* Decodes from start on; true if an instruction ends exactly at after. */
static bool exitpc_sweep(struct vcpu *vcpu, unsigned bits, uint64_t start, uint64_t after,
			 uint64_t *found)
{
	uint8_t buf[EXITPC_SWEEP + 16];
	uint64_t len = after - start;

	if (len > EXITPC_SWEEP || !x86_read_virt(vcpu, start, buf, (size_t)len))
		return false;
	x86_read_insn(vcpu, after, buf + len, 16);
	return x86_decode_to(bits, start, buf, len, found);
}

bool x86_decode_to(unsigned bits, uint64_t start, const uint8_t *buf, uint64_t len,
		   uint64_t *found)
{
	char text[160];
	uint64_t p = 0;

	while (p < len) {
		int n = disasm_one(bits, start + p, buf + p, (size_t)(len + 16 - p), NULL, text,
				   sizeof(text));

		if (n <= 0)
			return false;
		if (p + (uint64_t)n == len) {
			*found = start + p;
			return true;
		}
		p += (uint64_t)n;
	}
	return false;
}

/*
 * The start of the instruction that ends at after. Functions decode from
 * their symbol onwards; without one, x86 code decodes back
 * into step within a few instructions, so decoding forward from each of the
 * EXITPC_BACK bytes before and letting the landings on after vote finds it
 * (a lone instruction decoded from the middle of another loses the vote).
 */
static bool exitpc_trace_back(struct vcpu *vcpu, const struct symtab *syms, uint64_t after,
			      uint64_t *start)
{
	struct exitpc_entry *e = &exitpc_cache[(after ^ (after >> 8)) % EXITPC_CACHE];
	uint8_t buf[EXITPC_BACK + 16];
	unsigned bits = arch_code_bits(vcpu);
	uint64_t base = after - EXITPC_BACK;

	if (after < EXITPC_BACK || !x86_read_virt(vcpu, base, buf, EXITPC_BACK))
		return false;
	if (e->used && e->after == after && !memcmp(e->bytes, buf, EXITPC_BACK)) {
		*start = e->start;
		return true;
	}
	const struct symbol *sym = symbols_lookup(syms, after - 1);

	if (sym && exitpc_sweep(vcpu, bits, sym->addr, after, start))
		goto found;
	x86_read_insn(vcpu, after, buf + EXITPC_BACK, 16);
	if (!x86_trace_back(bits, after, buf, start))
		return false;
found:
	*e = (struct exitpc_entry){ .after = after, .start = *start, .used = true };
	memcpy(e->bytes, buf, EXITPC_BACK);
	return true;
}

bool x86_trace_back(unsigned bits, uint64_t after, const uint8_t *buf, uint64_t *start)
{
	unsigned votes[EXITPC_BACK] = { 0 }, best = 0;
	uint64_t base = after - EXITPC_BACK;
	char text[160];

	for (unsigned s = 0; s < EXITPC_BACK; s++) {
		unsigned p = s, last = s;

		while (p < EXITPC_BACK) {
			int len = disasm_one(bits, base + p, buf + p, EXITPC_BACK + 16 - p, NULL,
					     text, sizeof(text));

			if (len <= 0 || strstr(text, "(bad)"))
				break;
			last = p;
			p += (unsigned)len;
		}
		if (p == EXITPC_BACK)
			votes[last]++;
	}
	for (unsigned p = 1; p < EXITPC_BACK; p++)
		if (votes[p] > votes[best])
			best = p;
	if (!votes[best])
		return false;
	*start = base + best;
	return true;
}

bool arch_access_pc(struct vcpu *vcpu, const struct symtab *syms, bool pio, bool is_write,
		    uint64_t *pc)
{
	struct arch_step_info info;

	if (!x86_regs_synced(vcpu))
		return false;
	*pc = arch_pc(vcpu);
	if (!is_write)
		return true;
	if (exitpc_pio_after < 0)
		exitpc_probe(vcpu->arch);
	if (!(pio ? exitpc_pio_after : exitpc_mmio_after))
		return true;
	/* A REP string instruction still iterating is left at rip. */
	arch_step_info(vcpu, &info);
	if (info.rep_string && (x86_regs(vcpu)->rcx & 0xffffffffULL) > 1)
		return true;
	return exitpc_trace_back(vcpu, syms, *pc, pc);
}
