/*
 * What generic code needs from the architecture. src/x86/ implements it; a
 * port to another architecture adds its own folder and changes nothing else.
 */
#ifndef KVMDBG_ARCH_H
#define KVMDBG_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"

struct vm;
struct mem;
struct vcpu;
struct symtab;

/* A KVM capability the architecture cannot do without. */
struct arch_cap {
	int cap;          /* KVM_CAP_* */
	const char *name; /* its name, for the error message */
};
extern const struct arch_cap arch_required_caps[]; /* ends with { 0, NULL } */

/* How the guest starts. */
enum boot_mode {
	BOOT_REAL16, /* real mode at cs:ip = entry as segment:offset */
	BOOT_PROT32, /* flat 32-bit protected mode, paging off (multiboot state) */
	BOOT_LONG64, /* 64-bit long mode, low memory identity-mapped */
	BOOT_LINUX64, /* the same, entered as Linux's 64-bit boot protocol asks */
};

#define BOOT_MAX_MODULES 16
struct boot_info {
	enum boot_mode mode; /* CPU mode at the first instruction */
	uint64_t entry;      /* physical address of the first instruction */
	uint64_t area;       /* guest-physical start of arch_boot_area_size() bytes of
				free RAM for page tables, GDT, stack (not for BOOT_REAL16) */
	/* BOOT_PROT32 (multiboot): the command line and modules, in guest RAM
	 * already (guest-physical addresses; cmdline 0: none). */
	uint64_t cmdline;
	struct boot_module {
		uint64_t start, end; /* [start, end) */
		uint64_t string;     /* its NUL-terminated string */
	} mods[BOOT_MAX_MODULES];
	unsigned nmods;
	/* BOOT_LINUX64: the kernel's setup header (file bytes 0x1f1 on), for the
	 * zero page; cmdline above, and the initrd as mods[0]. */
	uint8_t linux_hdr[0x80];
	/* Whether the machine's description tables (arch_tables_range()) have
	 * their room: nothing of the image is there. */
	bool tables;
};
/* The mapping a kernel booted so will set up for its own image (x86: a
 * Linux bzImage's __START_KERNEL_map, without KASLR), and the step by which
 * KASLR may move the image in it; false: none known. */
bool arch_kernel_map(const struct boot_info *boot, uint64_t *va, uint64_t *pa, uint64_t *size,
		     uint64_t *align);
/* Where the architecture writes the machine's description tables for
 * kernels to find (x86: the MP table, in the BIOS area), guest-physical. */
void arch_tables_range(uint64_t *start, uint64_t *end);

int arch_vm_init(struct vm *vm);
/* The architecture's part of a vCPU (struct vcpu's arch): arch_vcpu_init()
 * creates it once the vCPU's descriptor and kvm_run exist. */
struct arch_vcpu;
int arch_vcpu_init(struct vcpu *vcpu);
void arch_vcpu_free(struct vcpu *vcpu);
/* The architecture's register cache around KVM_RUN: written back before it
 * (flush; -errno with a message), forgotten as it starts (invalidate), and
 * told that KVM left a copy in kvm_run when it returns (exited). */
int arch_regs_flush(struct vcpu *vcpu);
void arch_regs_invalidate(struct vcpu *vcpu);
void arch_regs_exited(struct vcpu *vcpu);
/* A hint to the CPU inside a spin-wait loop (x86: pause). */
void arch_relax(void);
/* Bytes of RAM the boot structures need for this mode (0: none). */
uint64_t arch_boot_area_size(const struct mem *mem, enum boot_mode mode);
/* Writes the boot structures into guest RAM and sets the registers. */
int arch_boot(struct vcpu *vcpu, const struct boot_info *boot);
/* Whether an interrupt could wake the vCPU from HLT (x86: RFLAGS.IF). */
bool arch_irqs_enabled(struct vcpu *vcpu);
/* Current instruction pointer, as a linear address. */
uint64_t arch_pc(struct vcpu *vcpu);
/* While a PIO/MMIO exit is being handled: the linear address of the
 * instruction that made the access (syms, if any, help find it); false if it
 * cannot be known. */
bool arch_access_pc(struct vcpu *vcpu, const struct symtab *syms, bool pio, bool is_write,
		    uint64_t *pc);
/* Whether the instruction at pc reads memory through an explicit operand;
 * if so, the operand's linear address and size. */
bool arch_insn_reads(struct vcpu *vcpu, uint64_t pc, uint64_t *la, unsigned *size);
/* After a single step that left pc on a REP MOVS or STOS (the CPU ran one
 * iteration): runs the further iterations whose memory stays on the pages
 * that one used, all but the last (the CPU still ends the instruction).
 * plain(opaque, gpa) says whether kvmdbg may write or read the guest page at
 * gpa behind the guest's back. Returns how many it ran (0: none). */
uint64_t arch_rep_advance(struct vcpu *vcpu, bool (*plain)(void *opaque, uint64_t gpa), void *opaque);
/* The general and system registers, one screen, for reports of unexpected stops. */
void arch_dump_regs(struct vcpu *vcpu, FILE *out);

/* Measures one host mechanism (host.h) with a probe VM, filling res[probe]
 * (and the results the same probe program measures besides). */
void arch_host_probe(const struct host_env *env, enum host_probe probe, struct host_result *res);

/*
 * The register table: every register gdb and the console name, in the order
 * of gdb's 'g' packet; the gdb target description is generated from it.
 */
struct arch_reg {
	const char *name;    /* gdb's name */
	unsigned bits;       /* width, the same in every CPU mode */
	const char *type;    /* gdb type: int64, code_ptr, i387_ext, vec128, ... */
	const char *feature; /* gdb feature it belongs to */
	const char *group;   /* gdb register group, or NULL */
};
extern const struct arch_reg arch_regs[];
extern const unsigned arch_nregs;

/*
 * What gdb sees: a register layout and its architecture. Each entry shows
 * (the low bits of) one register of arch_regs. A 64-bit guest gets the x86-64
 * layout, which stays the same whatever mode the CPU is in; an i386 or
 * real-mode guest gets gdb's i386 layout, because gdb refuses an x86-64
 * description while an i386 ELF is loaded.
 */
struct arch_gdb_layout {
	const char *architecture;    /* "i386:x86-64", "i386" */
	unsigned n;                  /* registers */
	const struct arch_reg *regs; /* name, width (<= the register's), type, feature */
	const unsigned *index;       /* arch_regs index of each entry; NULL: the same */
};
const struct arch_gdb_layout *arch_gdb_layout(enum boot_mode mode);
/* gdb type definitions (XML) that registers of a feature use; "" if none. */
const char *arch_gdb_types(const char *feature);
/* Index in arch_regs of name or an alias ("pc", "sp", "eax", "ip"), or -1;
 * *mask selects the bits the name covers (0xffffffff for "eax"). */
int arch_reg_find(const char *name, uint64_t *mask);
/* A register as bits / 8 little-endian bytes. */
int arch_reg_read(struct vcpu *vcpu, unsigned idx, uint8_t *buf);
int arch_reg_write(struct vcpu *vcpu, unsigned idx, const uint8_t *buf);
/* Registers up to 64 bits wide as numbers (-EINVAL for wider ones). */
int arch_reg_get(struct vcpu *vcpu, unsigned idx, uint64_t *value);
int arch_reg_set(struct vcpu *vcpu, unsigned idx, uint64_t value);

/* Guest-virtual (linear) to guest-physical through the guest's page tables;
 * -EFAULT when the address is not mapped. */
int arch_virt_to_phys(struct vcpu *vcpu, uint64_t va, uint64_t *pa);
/* Guest-physical pages the CPU itself reads behind the instructions' backs,
 * up to max; how many. x86: the GDT's, IDT's and TSS's pages first (*ndesc
 * of them, if ndesc), then the page tables'. One walk of the tables. */
unsigned arch_system_pages(struct vcpu *vcpu, uint64_t *pages, unsigned max, unsigned *ndesc);
/* A guest-virtual range the page tables map: at its page size, with the
 * permissions every level gives it. */
struct arch_mapping {
	uint64_t va, pa, size;
	bool write, user, exec;
};
/* Calls fn for every mapping of the current page tables, in address order,
 * until fn returns false (or after many page-table entries: a hostile
 * table's loops stay bounded); -ENOENT with a message when paging is off. */
int arch_page_map(struct vcpu *vcpu, bool (*fn)(void *opaque, const struct arch_mapping *m),
		  void *opaque);
/* Code size of the current CPU mode for the disassembler: 16, 32 or 64. */
unsigned arch_code_bits(struct vcpu *vcpu);
/* The current CPU mode in words ("64-bit long mode, CPL 0, paging 4-level"). */
void arch_describe_mode(struct vcpu *vcpu, char *buf, size_t len);

/* Reads len bytes of guest-virtual memory at va (as the debugger shows it); 0 or -errno. */
typedef int (*arch_reader)(void *opaque, uint64_t va, void *buf, size_t len);
/* The call chain from the frame pointers, as gdb finds it without debug
 * information: pcs[0] the pc, pcs[1] where its function returns to, ... (a
 * function's prologue is recognised from syms); how many, at most max. Code
 * built without frame pointers gives a short or wrong chain. */
unsigned arch_backtrace(struct vcpu *vcpu, const struct symtab *syms, arch_reader read,
			void *opaque, uint64_t *pcs, unsigned max);

/* Console views; each prints an error line when the state cannot be read. */
int arch_print_regs(struct vcpu *vcpu, FILE *out, const struct symtab *syms);
int arch_print_sregs(struct vcpu *vcpu, FILE *out);
int arch_print_fpu(struct vcpu *vcpu, FILE *out);
int arch_print_xmm(struct vcpu *vcpu, FILE *out);
int arch_print_dregs(struct vcpu *vcpu, FILE *out);

/* Up to this many hardware execution breakpoints. */
#define ARCH_MAX_HW_BREAKPOINTS 4
/* Single steps: none; holding interrupts off while stepping where the host
 * can (KVM_GUESTDBG_BLOCKIRQ), so a step does not land in a handler; or
 * letting them come (counted steps see the handler's entry and count it). */
enum arch_step { ARCH_STEP_NONE, ARCH_STEP_QUIET, ARCH_STEP_IRQS };
/* Guest debug for the next run: single-step, software breakpoints planted,
 * hardware execution breakpoints at hw[0..nhw). */
int arch_set_guest_debug(struct vcpu *vcpu, enum arch_step step, bool sw, const uint64_t *hw,
			 unsigned nhw);
/* Single-steps the next run whatever the debugger set (on), or puts back
 * what it set (off); for the vCPU thread's own use between two runs. */
int arch_guest_debug_step(struct vcpu *vcpu, bool on);
/* Registers were written, or KVM's emulator finished an access (an I/O exit,
 * a coalesced write): rflags may have been written through KVM. */
void arch_rflags_touched(struct vcpu *vcpu);
/* Whether the instruction at pc loads the flags from memory (x86: iret,
 * popf): a step over it leaves the guest's TF, not the debugger's, and a
 * host that sets TF only when told (VMX) steps no more after it. */
bool arch_step_loads_flags(struct vcpu *vcpu);
/* After KVM's emulator failed at an instruction kvmdbg will retry (its page
 * lent back, say): drops what the failure queued for the guest (VMX/SVM
 * before Linux 5.16 queue a #UD). */
int arch_emulation_failure_retry(struct vcpu *vcpu);
/* Whether KVM single-steps the vCPU now. */
bool arch_stepping(struct vcpu *vcpu);
/* Just before KVM_RUN: keeps a single step in force after that (VMX/SVM drop
 * it when rflags are written at another pc than where it was set). */
int arch_step_rearm(struct vcpu *vcpu);
/* Just before a stepping KVM_RUN, where the host drops steps: marks kvm_run
 * so that a step trap KVM makes up after running the instruction in its own
 * emulator (an in-kernel device's MMIO, such as the local APIC's EOI) can be
 * told from the CPU's; after the trap, whether it was such a one: the
 * emulator's write-back of rflags dropped the step for the next run. */
void arch_step_mark(struct vcpu *vcpu);
bool arch_step_emulated(struct vcpu *vcpu);
/* What a STOP_DEBUG means: 1 single-step, 3 software breakpoint, 2 hardware
 * breakpoint (*hw_slot set), 0 anything else. */
int arch_debug_kind(struct vcpu *vcpu, unsigned *hw_slot);

/* After KVM's emulator failed at pc (PVM runs CPL 0 code in it): carries out
 * an instruction it lacks that kvmdbg can (x86: xgetbv of XCR0), rip moved
 * past it; whether it did. */
bool arch_complete_insn(struct vcpu *vcpu);

/* The software breakpoint vector (x86: 3, int3). */
#define ARCH_BREAKPOINT_VECTOR 3
/* Whether a software-interrupt instruction (x86: int3, int n) is at pc; if
 * so, its vector and length. */
bool arch_soft_int_at(struct vcpu *vcpu, unsigned *vector, unsigned *len);
/* Delivers a software interrupt at pc (x86: int3, int n) to the guest as the
 * CPU would, by hand where it can (x86/deliver.c): 1 if so, the vCPU at the
 * handler; 0 if injected for KVM to deliver at the next entry (its frame
 * written then). len: the instruction's length (0: found from its bytes, or
 * KVM's from the #BP exit that reported it). -errno with err_msg(). */
int arch_deliver_soft_int(struct vcpu *vcpu, unsigned vector, unsigned len);
/* The event whose delivery the last exit says failed (its frame on a page
 * out of the map: VMX's "event delivery failed", KVM holding it in flight;
 * SVM's emulator failing at the nested page fault it took), delivered by
 * hand: 1 if so, 0 if left to KVM (none, an NMI, or a case not done by
 * hand), -errno with err_msg(). */
int arch_deliver_pending(struct vcpu *vcpu);
/* On a host that resets the vCPU at a shutdown (SVM): before a single
 * step, keeps the registers; at a shutdown exit right after it, gives them
 * back to the vCPU (true; the general and system registers only: MSRs, FPU
 * and the local APIC stay reset). arch_shutdown_restored(): whether the
 * last exit's shutdown had them given back. */
void arch_step_keep(struct vcpu *vcpu);
bool arch_shutdown_restore(struct vcpu *vcpu);
bool arch_shutdown_restored(struct vcpu *vcpu);
/* Why the vCPU shut down (a triple fault), in words, from its registers and
 * RAM as the shutdown left them: its length (0: nothing to say). */
size_t arch_explain_shutdown(struct vcpu *vcpu, const struct symtab *syms, char *out, size_t len);

/*
 * Instruction counting by single steps (debug.c's icount).
 */
/* What the instruction at pc means for counting it by single steps. */
struct arch_step_info {
	bool rep_string; /* a REP string instruction: hosts may step it, pc unchanged,
			    iteration by iteration or all at once */
	bool delayed;    /* it delays the step trap by one instruction (x86: iret and
			    popf setting TF, mov/pop ss) */
	uint64_t next;   /* delayed: where it alone leaves pc (iret: the address it pops) */
	bool halt;       /* it halts the CPU (x86: hlt) */
	bool nondet;     /* what it yields differs run to run (x86: rdtsc, rdtscp,
			    rdpmc, rdrand, rdseed, rdpid): history records it */
};
/* What an instruction left in the registers it writes (x86: the general
 * registers and flags, struct kvm_regs), copied out (the bytes, 0: none) or
 * put back. At most ARCH_RESULT_SIZE bytes. */
#define ARCH_RESULT_SIZE 160
size_t arch_result_get(struct vcpu *vcpu, void *buf);
int arch_result_put(struct vcpu *vcpu, const void *buf);
/* Whether the registers now are those arch_result_get() gave (as
 * arch_snapshot_same()). */
bool arch_result_same(struct vcpu *vcpu, const void *result, char *what, size_t len);
/* Takes the hypervisor's paravirtual interfaces (x86: the KVM CPUID leaves,
 * kvmclock among them) away from a guest that has not run yet. */
int arch_hide_paravirt(struct vcpu *vcpu);
/* CPUID as the guest sees it: entry N (regs: leaf, index, eax, ebx, ecx, edx)
 * and the names of the features kvmdbg knows (--cpu) that it turns on; 1,
 * 0 past the last, -errno (err_msg) if KVM cannot say. */
int arch_cpuid_nth(struct vcpu *vcpu, unsigned n, uint32_t regs[6], char *features, size_t len);
void arch_step_info(struct vcpu *vcpu, struct arch_step_info *info);
/* After a counted step that entered an exception or interrupt handler: the
 * debugger's TF, where the host pushed it with the interrupted flags (PVM,
 * when the step began where guest debug was given), is taken out of the
 * frame, unless the guest had TF set itself. */
void arch_frame_untrace(struct vcpu *vcpu);
/* Moves pc past the halting instruction at pc (arch_step_info() said halt). */
int arch_skip_halt(struct vcpu *vcpu);
/* pc back on the hlt that just ran (it runs again). */
int arch_halt_again(struct vcpu *vcpu);
/* Where the interrupt table is (x86: IDTR, or the real-mode IVT) and its size. */
int arch_idt(struct vcpu *vcpu, uint64_t *base, unsigned *size);
/* The handler addresses (linear) of the present entries of a copy of the table. */
unsigned arch_idt_targets(struct vcpu *vcpu, const uint8_t *idt, unsigned size,
			  uint64_t *targets, unsigned max);
/* The handler address (linear) of vector's present entry in a copy of the
 * table; false if the table has none there. */
bool arch_gate_target(struct vcpu *vcpu, const uint8_t *idt, unsigned size, unsigned vector,
		      uint64_t *target);

/*
 * Exceptions caught at their handler's entry (src/debug/catch.c): the
 * vectors by name, the signal a process would get, and the frame the CPU
 * pushed taken back, so that the registers are as before delivery.
 */
#define ARCH_MAX_VECTORS 256
#define ARCH_FIRST_IRQ 32 /* vectors from here on are interrupts */
/* A vector from its name ("pf", "#PF", "14", "0xe"); -1 if none. */
int arch_vector_parse(const char *name);
/* "#PF", or NULL for a vector without a name (an interrupt). */
const char *arch_vector_name(unsigned vector);
/* The signal Linux gives a process for it. */
enum arch_signal { ARCH_SIG_TRAP, ARCH_SIG_SEGV, ARCH_SIG_ILL, ARCH_SIG_FPE, ARCH_SIG_BUS,
		   ARCH_SIG_IRQ };
enum arch_signal arch_vector_signal(unsigned vector);
struct arch_caught {
	unsigned vector;
	bool has_error;     /* the CPU pushed an error code */
	bool soft;          /* int n raised it (no error code, pc after the int) */
	uint64_t error, cr2;
	uint64_t pc;        /* where it happened: the faulting instruction (after a trap) */
	uint64_t handler;   /* its handler's entry */
	uint64_t cs;        /* x86: the code segment's selector where it happened */
	uint64_t entry[12]; /* the arch's: the state at the handler's entry */
};
/* At the entry of vector's handler: takes the frame the CPU pushed back off
 * the stack, so that the registers are as before delivery (memory is left
 * as it is); *c describes it and keeps the entry state. -errno with
 * err_msg() if the stack holds no such frame. */
int arch_catch_undo(struct vcpu *vcpu, unsigned vector, struct arch_caught *c);
/* The exception delivered again: the state at its handler's entry back. */
int arch_catch_redo(struct vcpu *vcpu, const struct arch_caught *c);
/* "#PF error 0x4 (not present, read, supervisor) cr2 0x…": its length. */
size_t arch_catch_describe(const struct arch_caught *c, char *out, size_t len);

/* Just after entering a handler: whether the frame's return address is
 * prev_pc, i.e. the instruction there faulted and did not retire. */
bool arch_fault_frame(struct vcpu *vcpu, uint64_t prev_pc);

/*
 * The in-kernel interrupt controllers and timers (x86: the PIC pair, the
 * IOAPIC and the PIT; each vCPU's local APIC). Devices raise ISA lines
 * (vm_irq_line()); line n goes to PIC input n and IOAPIC pin n.
 */
/* Creates them in vm, before any vCPU; -errno with a message. */
int arch_irqchip_create(struct vm *vm);
/* Queues an NMI on vcpu (taken when it next runs and NMIs are not blocked);
 * -errno with a message. */
int arch_nmi(struct vcpu *vcpu);
/* The devices arch_irqchip_create() gives KVM that overlap [base, base + len)
 * of the MMIO (mmio) or port space, whose accesses never leave the kernel:
 * their names and ranges in buf ("the PIT (ports 0x40-0x43)", joined by
 * commas), and how many. */
unsigned arch_irqchip_overlaps(bool mmio, uint64_t base, uint64_t len, char *buf, size_t size);
/* What could still wake a vCPU waiting for an interrupt. */
struct arch_wake {
	bool halted;       /* it waits for an interrupt (hlt) */
	bool sipi;         /* it waits for INIT and SIPI (an AP not started yet) */
	bool irqs_on;      /* ... and would take one */
	bool pending;      /* one is waiting to be taken already */
	uint32_t lines;    /* ISA lines (bit n: line n) that reach it if raised */
	const char *timer; /* an armed timer whose interrupt reaches it, or NULL */
};
int arch_wake_sources(struct vcpu *vcpu, struct arch_wake *w);
/* Makes the vCPU wait for an interrupt as hlt does (after arch_skip_halt()). */
int arch_halt(struct vcpu *vcpu);
/* Ends an interrupt shadow (x86: that of an sti just before a hlt kvmdbg
 * retired itself), as the halting instruction would have. */
int arch_shadow_end(struct vcpu *vcpu);

/*
 * kvmdbg's own interrupt controller (no in-kernel one: a machine on
 * instruction-count time), delivering at instruction boundaries it chooses.
 */
/* Whether an external interrupt would be taken before the next instruction
 * (x86: IF set, no sti/mov ss shadow, no event being delivered). */
bool arch_irq_ready(struct vcpu *vcpu);
/* Delivers external interrupt vector before the next instruction (x86:
 * KVM_INTERRUPT); -errno with a message. */
int arch_irq_inject(struct vcpu *vcpu, unsigned vector);
/* The console's view: interrupt flag, local APIC (IRR, ISR, timer, LINTs),
 * the PICs, the IOAPIC's unmasked pins and the PIT channels. */
int arch_print_irq(struct vcpu *vcpu, FILE *out);

/*
 * Checkpoints: everything KVM holds for a vCPU (registers, FPU and vector
 * state, MSRs, pending events, debug registers, run state), taken while the
 * vCPU is Idle and put back the same way.
 */
struct arch_snapshot;
struct arch_snapshot *arch_snapshot_take(struct vcpu *vcpu); /* NULL: err_msg() */
int arch_snapshot_restore(struct vcpu *vcpu, const struct arch_snapshot *s);
size_t arch_snapshot_size(const struct arch_snapshot *s);    /* bytes it keeps */
/* Whether the vCPU's registers now are those of s (general registers, pc,
 * flags); if not, what differs first, in what. */
bool arch_snapshot_same(struct vcpu *vcpu, const struct arch_snapshot *s, char *what, size_t len);
/* A number that grows with every register or MSR write through arch_*
 * (so the debugger can tell the user changed state). */
unsigned long arch_state_changes(const struct vcpu *vcpu);
void arch_snapshot_free(struct arch_snapshot *s);

/*
 * Model-specific registers by number or name (the console's msr command; x86:
 * the MSRs; an architecture without them finds no names and refuses access).
 */
/* The name of MSR index, or NULL. */
const char *arch_msr_name(uint32_t index);
/* Index of a named MSR (case-insensitive, with or without "IA32_"/"MSR_"). */
int arch_msr_find(const char *name, uint32_t *index);
/* The n-th known MSR name, for completion; NULL past the end. */
const char *arch_msr_name_at(unsigned n);
int arch_msr_read(struct vcpu *vcpu, uint32_t index, uint64_t *value);
int arch_msr_write(struct vcpu *vcpu, uint32_t index, uint64_t value);
/* Names the bit fields of well-known MSRs ("[ SCE LME LMA ]"); nothing for others. */
void arch_msr_fields(FILE *out, uint32_t index, uint64_t value);

/*
 * ONE_REG: what the architecture adds to the generic id decoding of onereg.c.
 */
/* Ids to list when KVM_GET_REG_LIST offers none (x86: the MSR index list). */
int arch_onereg_ids(struct vcpu *vcpu, uint64_t **ids, size_t *n);
/* The register's name ("IA32_APIC_BASE") or NULL; the id's type ("msr") or NULL. */
const char *arch_onereg_name(uint64_t id);
const char *arch_onereg_type(uint64_t id);
/* The id of a named register; -ENOENT if the name is unknown. */
int arch_onereg_find(const char *name, uint64_t *id);
/* Reads a register another way when the host lacks ONE_REG for it (x86: KVM_GET_MSRS). */
int arch_onereg_get_fallback(struct vcpu *vcpu, uint64_t id, uint64_t *value);
/* Names bit fields of well-known registers after the value. */
void arch_onereg_fields(FILE *out, uint64_t id, uint64_t value);
/* The n-th register name for completion; NULL past the end. */
const char *arch_onereg_name_at(unsigned n);

#endif
