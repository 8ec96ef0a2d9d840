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

#define CR4_PSE (1ULL << 4)         /* 4 MiB pages in 32-bit paging */
#define CR4_PAE (1ULL << 5)         /* physical address extension */
#define CR4_OSFXSR (1ULL << 9)      /* fxsave/fxrstor and SSE enabled */
#define CR4_OSXMMEXCPT (1ULL << 10) /* SIMD floating-point exceptions */

#define EFER_SCE (1ULL << 0)  /* syscall enable */
#define EFER_LME (1ULL << 8)  /* long mode enable */
#define EFER_LMA (1ULL << 10) /* long mode active */
#define EFER_NXE (1ULL << 11) /* no-execute enable */

#define RFLAGS_FIXED (1ULL << 1) /* reserved, always 1 */
#define RFLAGS_IF (1ULL << 9)    /* interrupts enabled */

#define PTE_P (1ULL << 0)  /* present */
#define PTE_RW (1ULL << 1) /* writable */
#define PTE_PS (1ULL << 7) /* large page (2 MiB in a PD entry) */

/* Segment descriptor type field (S=1). */
#define SEG_TYPE_DATA_RW_A 0x3 /* read/write data, accessed */
#define SEG_TYPE_CODE_RX_A 0xb /* execute/read code, accessed */

/* Selectors of the GDT that kvmdbg's loader builds. */
#define GDT_SEL_CODE32 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_CODE64 0x18
#define GDT_ENTRIES 4

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002U /* EAX at a multiboot entry */

#endif
