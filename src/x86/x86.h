/* x86 architectural constants shared by the files under src/x86/. */
#ifndef KVMDBG_X86_H
#define KVMDBG_X86_H

#define CR0_PE (1ULL << 0)  /* protected mode */
#define CR0_MP (1ULL << 1)  /* monitor coprocessor */
#define CR0_EM (1ULL << 2)  /* x87 emulation */
#define CR0_ET (1ULL << 4)  /* extension type (always 1) */
#define CR0_NE (1ULL << 5)  /* native x87 errors */
#define CR0_WP (1ULL << 16) /* write-protect at CPL0 */
#define CR0_PG (1ULL << 31) /* paging */

#define CR0_TS (1ULL << 3)  /* task switched */
#define CR0_AM (1ULL << 18) /* alignment mask */
#define CR0_NW (1ULL << 29) /* not write-through */
#define CR0_CD (1ULL << 30) /* cache disable */

#define CR4_VME (1ULL << 0)         /* virtual-8086 mode extensions */
#define CR4_PVI (1ULL << 1)         /* protected-mode virtual interrupts */
#define CR4_TSD (1ULL << 2)         /* rdtsc at CPL0 only */
#define CR4_DE (1ULL << 3)          /* debugging extensions */
#define CR4_PSE (1ULL << 4)         /* 4 MiB pages in 32-bit paging */
#define CR4_MCE (1ULL << 6)         /* machine check enable */
#define CR4_PGE (1ULL << 7)         /* global pages */
#define CR4_PCE (1ULL << 8)         /* rdpmc at any CPL */
#define CR4_UMIP (1ULL << 11)       /* user-mode instruction prevention */
#define CR4_LA57 (1ULL << 12)       /* 5-level paging */
#define CR4_VMXE (1ULL << 13)       /* VMX enable */
#define CR4_FSGSBASE (1ULL << 16)   /* rdfsbase and friends */
#define CR4_PCIDE (1ULL << 17)      /* process-context identifiers */
#define CR4_OSXSAVE (1ULL << 18)    /* xsave enabled */
#define CR4_SMEP (1ULL << 20)       /* supervisor-mode execution prevention */
#define CR4_SMAP (1ULL << 21)       /* supervisor-mode access prevention */
#define CR4_PKE (1ULL << 22)        /* protection keys */
#define CR4_PAE (1ULL << 5)         /* physical address extension */
#define CR4_OSFXSR (1ULL << 9)      /* fxsave/fxrstor and SSE enabled */
#define CR4_OSXMMEXCPT (1ULL << 10) /* SIMD floating-point exceptions */

#define EFER_SCE (1ULL << 0)  /* syscall enable */
#define EFER_LME (1ULL << 8)  /* long mode enable */
#define EFER_LMA (1ULL << 10) /* long mode active */
#define EFER_NXE (1ULL << 11) /* no-execute enable */

#define RFLAGS_FIXED (1ULL << 1) /* reserved, always 1 */
#define RFLAGS_TF (1ULL << 8)    /* trap (single-step) */
#define RFLAGS_RF (1ULL << 16)   /* resume (no instruction breakpoint once) */
#define RFLAGS_IF (1ULL << 9)    /* interrupts enabled */
#define RFLAGS_DF (1ULL << 10)   /* direction: string instructions count down */
#define RFLAGS_VM (1ULL << 17)   /* virtual-8086 mode */

#define PTE_P (1ULL << 0)  /* present */
#define PTE_RW (1ULL << 1) /* writable */
#define PTE_US (1ULL << 2) /* user */
#define PTE_PS (1ULL << 7) /* large page (2 MiB in a PD entry) */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL /* physical address bits of a PAE/long entry */

/* DR6 and DR7. */
#define DR6_BS (1ULL << 14) /* single step */
#define DR6_BD (1ULL << 13) /* debug register access */
#define DR6_BT (1ULL << 15) /* task switch */
#define DR7_L(n) (1ULL << (2 * (n)))      /* local enable of breakpoint n */
#define DR7_G(n) (1ULL << (2 * (n) + 1))  /* global enable of breakpoint n */
#define DR7_RW_SHIFT(n) (16 + 4 * (n))    /* 2 bits: 0 exec, 1 write, 2 io, 3 access */
#define DR7_LEN_SHIFT(n) (18 + 4 * (n))   /* 2 bits: 0 1 byte, 1 2, 3 4, 2 8 */

/* Segment descriptor type field (S=1). */
#define SEG_TYPE_DATA_RW_A 0x3 /* read/write data, accessed */
#define SEG_TYPE_CODE_RX_A 0xb /* execute/read code, accessed */

/* Selectors of the GDT that kvmdbg's loader builds. */
#define GDT_SEL_CODE32 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_CODE64 0x18
#define GDT_ENTRIES 4
#define LINUX_BOOT_CS 0x10 /* Linux's boot protocol's selectors */
#define LINUX_BOOT_DS 0x18

#define X86_UD_VECTOR 6 /* invalid opcode */

/* Power-on values (SDM vol. 3 table 9-1; FCW as finit and QEMU leave it). */
#define X86_FCW_RESET 0x37f                  /* every x87 exception masked */
#define X86_MXCSR_RESET 0x1f80               /* every SIMD exception masked */
#define X86_XSTATE_X87_SSE 0x3               /* XSTATE_BV: the legacy area's two parts */
#define X86_DR6_RESET 0xffff0ff0ULL          /* the bits that read 1 */
#define X86_DR7_RESET 0x400ULL               /* bit 10 reads 1 */
#define X86_XCR0_RESET 1ULL                  /* x87 state only */
#define X86_PAT_RESET 0x0007040600070406ULL  /* WB WT UC- UC, twice */

#define MSR_APIC_BASE 0x1b             /* IA32_APIC_BASE */
#define APIC_BASE_ENABLE (1ULL << 11)   /* the local APIC is on */

/* CPUID leaf 1 feature bits. */
#define CPUID_1_EDX_APIC (1U << 9)          /* a local APIC */
#define CPUID_1_ECX_X2APIC (1U << 21)       /* ... with x2APIC mode */
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24) /* ... and the TSC-deadline timer */
#define CPUID_1_ECX_HYPERVISOR (1U << 31)   /* running under a hypervisor */

/* Hypervisor leaves (KVM's, as QEMU gives them with -cpu host). */
#define CPUID_HV_BASE 0x40000000U     /* max leaf, "KVMKVMKVM\0\0\0" */
#define CPUID_HV_TIMING 0x40000010U   /* TSC and APIC bus frequencies, kHz */
#define CPUID_HV_APIC_BUS_KHZ 1000000 /* KVM's local APIC timer runs at 1 GHz */
#define CPUID_BRAND_FIRST 0x80000002U /* three leaves of the brand string */

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002U /* EAX at a multiboot entry */

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vcpu.h"

struct mem;
struct symtab;

/*
 * Guest debug of one vCPU (cpu.c): what the debugger asked for, and what KVM
 * was last given (the debugger's, or that plus a single step of the vCPU
 * thread's own); a stepping debugger would otherwise repeat the same ioctl
 * before every step.
 */
struct x86_debug {
	struct kvm_guest_debug want; /* arch_set_guest_debug()'s */
	struct kvm_guest_debug now;  /* KVM's, if known */
	bool known;                  /* now holds what KVM has */
	uint64_t step_pc;            /* linear pc when it was given, if it single-steps */
	bool touched;                /* rflags may have been written through KVM since */
	int caps;                    /* KVM_CAP_SET_GUEST_DEBUG2 */
};

/* What x86 keeps of a vCPU (struct vcpu's arch; state.c). */
struct arch_vcpu {
	int vm_fd, sys_fd;       /* its VM, and /dev/kvm */
	size_t run_size;         /* bytes of a kvm_run mapping */
	struct mem *mem;         /* guest RAM */
	/* Register cache: read once per stop, written back once before entry. */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	bool regs_valid, sregs_valid, fpu_valid; /* cache holds KVM's current values */
	bool regs_dirty, sregs_dirty, fpu_dirty; /* must be written back before KVM_RUN */
	uint64_t kernel_gs_base; /* MSR_KERNEL_GS_BASE (gdb's k_gs_base), read once per stop */
	bool kernel_gs_valid;
	unsigned long changes;   /* register and MSR writes so far (arch_state_changes) */
	uint64_t step_flags;     /* rflags and cs before the counted step in progress */
	uint16_t step_cs;        /* (arch_step_info(); arch_frame_untrace()) */
	bool step_known;
	bool sync_regs;          /* KVM copies regs and sregs into kvm_run at every exit */
	bool synced;             /* ... and it has done so since our last write */
	bool irqchip;            /* its VM has KVM's interrupt controllers (irq.c) */
	struct x86_debug debug;
	/* Before a single step on a host that resets the vCPU at a shutdown: the
	 * registers, given back if the step shuts down (arch_step_keep()). */
	struct kvm_regs kept_regs;
	struct kvm_sregs kept_sregs;
	unsigned long kept_run;  /* vcpu->stats.runs when kept */
	bool kept_valid;
	bool kept_restored;      /* the last exit's shutdown has them back */
};

/* Creates vcpu->arch (state.c; arch_vcpu_init() goes on with CPUID). */
int x86_vcpu_state_init(struct vcpu *vcpu);
/* The cached registers (state.c); NULL with err_msg() set if they cannot be
 * read now. */
struct kvm_regs *x86_regs(struct vcpu *vcpu);
struct kvm_sregs *x86_sregs(struct vcpu *vcpu);
struct kvm_fpu *x86_fpu(struct vcpu *vcpu);
/* Bytes of KVM_GET_XSAVE(2) state, 0 without XSAVE. */
size_t x86_xsave_size(const struct arch_vcpu *a);
/* KVM_GET_XSAVE(2) of n (x86_xsave_size) bytes, malloc'd; NULL: err_msg(). */
struct kvm_xsave *x86_xsave_read(struct vcpu *vcpu, size_t n);
/* Marks the cached registers as changed: written back before the next entry. */
void x86_regs_changed(struct vcpu *vcpu);
void x86_sregs_changed(struct vcpu *vcpu);
void x86_fpu_changed(struct vcpu *vcpu);
/* KVM changed the system registers behind the cache's back (an MSR write). */
void x86_sregs_stale(struct vcpu *vcpu);
/* Whether KVM left the registers of the last exit in kvm_run. */
bool x86_regs_synced(struct vcpu *vcpu);

/* The in-kernel interrupt controllers' state (irq.c): the vCPU's local APIC,
 * the PICs, the IOAPIC and the PIT; saved and put back with checkpoints. */
struct x86_irq_state {
	struct kvm_lapic_state lapic;
	struct kvm_irqchip pic[2], ioapic;
	struct kvm_pit_state2 pit;
};
int x86_irq_save(struct vcpu *vcpu, struct x86_irq_state *s);
int x86_irq_restore(struct vcpu *vcpu, const struct x86_irq_state *s);

/* Writes the MP table (mptable.c) at its place in the BIOS area. */
int x86_mptable_write(struct mem *mem, unsigned ncpus);
/* What makes len bytes at p sum to 0 (the MP and ACPI tables' checksums). */
uint8_t x86_checksum(const void *p, size_t len);
/* Writes the ACPI tables (acpi.c) after it; where they end. */
int x86_acpi_write(struct mem *mem, unsigned ncpus, bool apics);
uint64_t x86_acpi_end(void);

/* Enables KVM_CAP_EXIT_ON_EMULATION_FAILURE on a VM where offered (cpu.c). */
bool x86_exit_on_emulation_failure(int vm_fd);

/* Guest-virtual (linear) to guest-physical through the page tables that the
 * system registers s select in mem (mmu.c); -EFAULT with a message when the
 * address is not mapped. */
int x86_walk(const struct mem *mem, const struct kvm_sregs *s, uint64_t va, uint64_t *pa);
/* x86_walk, and in words where it failed, or the rights the entries give. */
struct x86_walk_info {
	uint64_t pa;
	bool w, u, x;  /* writable, user, executable (NX only with EFER.NXE) */
	char why[80];  /* "PML4 entry 254 not present", "PT at 0x… outside RAM" */
};
int x86_walk_info(const struct mem *mem, const struct kvm_sregs *s, uint64_t va,
		  struct x86_walk_info *wi);
/* The memory the instruction at pc (its bytes insn[0..n), bits-bit code,
 * starting with registers r and s) reads through an explicit operand: its
 * linear address and size; false if it reads none (operand.c). */
bool x86_operand_read(const struct kvm_regs *r, const struct kvm_sregs *s, unsigned bits,
		      uint64_t pc, const uint8_t *insn, size_t n, uint64_t *la, unsigned *size);
/* The same for any explicit memory operand: also one only written (*store). */
bool x86_operand_access(const struct kvm_regs *r, const struct kvm_sregs *s, unsigned bits,
			uint64_t pc, const uint8_t *insn, size_t n, uint64_t *la, unsigned *size,
			bool *store);
/* The start of the instruction of bits-bit code that ends at after, from the
 * X86_TRACE_BACK bytes before after and 16 from after on (code), decoding
 * forward from each and letting the landings vote (exitpc.c); false if no
 * decoding ends there. */
#define X86_TRACE_BACK 48
bool x86_trace_back(unsigned bits, uint64_t after, const uint8_t *code, uint64_t *start);
/* Whether an instruction of bits-bit code decoded from start on ends exactly
 * at start + len (code: len bytes at start and 16 more); *found its address. */
bool x86_decode_to(unsigned bits, uint64_t start, const uint8_t *code, uint64_t len,
		   uint64_t *found);
/* A shutdown explained in words from the registers and RAM (explain.c):
 * the first fault, each delivery that failed and why; its length. */
size_t x86_explain(const struct mem *mem, const struct kvm_regs *r, const struct kvm_sregs *s,
		   const struct symtab *syms, char *out, size_t len);
/* Linear bytes through the page tables s selects in mem, one walk per page
 * (mmu.c); false if any byte is not mapped RAM. x86_read_code(): the bytes
 * at pc, as many as are mapped up to len (the rest zero). */
bool x86_read_linear(const struct mem *mem, const struct kvm_sregs *s, uint64_t va, void *buf,
		     size_t len);
bool x86_read_code(const struct mem *mem, const struct kvm_sregs *s, uint64_t pc, uint8_t *buf,
		   size_t len);
/* The same through the vCPU's own page tables. Writing: as the CPU's own supervisor write (an
 * event's frame), all or nothing, refused on a page CR0.WP keeps read-only. */
bool x86_read_virt(struct vcpu *vcpu, uint64_t va, void *buf, size_t len);
bool x86_write_virt(struct vcpu *vcpu, uint64_t va, const void *buf, size_t len);
/* The descriptor selector sel names in the GDT, as a segment register would
 * hold it (deliver.c); false beyond the GDT's limit, for the null or an LDT
 * selector, or if the GDT cannot be read. Present or not: the caller checks. */
bool x86_gdt_segment(struct vcpu *vcpu, const struct kvm_sregs *s, uint16_t sel,
		     struct kvm_segment *seg);
/* The instruction bytes at pc, as many as are mapped up to len (the rest zero). */
bool x86_read_insn(struct vcpu *vcpu, uint64_t pc, uint8_t *buf, size_t len);

/* An instruction's prefixes (at most 14: an instruction is at most 15 bytes). */
#define X86_MAX_PREFIXES 14
struct x86_prefixes {
	size_t len;        /* bytes before the opcode, REX included */
	bool rep, repne;   /* F3, F2 */
	bool lock, opsize, addrsize; /* F0, 66, 67 */
	uint8_t seg;       /* the segment override's byte (26 2E 36 3E 64 65), or 0 */
	uint8_t rex;       /* REX in 64-bit code, if it is the last prefix; else 0 */
};
/* Reads the prefixes at the start of insn (n bytes, bits-bit code) in *p
 * (icount.c); returns p->len, which is below n unless all n are prefixes. */
size_t x86_prefixes(const uint8_t *insn, size_t n, unsigned bits, struct x86_prefixes *p);

#endif
