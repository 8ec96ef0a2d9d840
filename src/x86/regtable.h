/* Indices of the x86 register table (gdb's amd64 order, then system registers). */
#ifndef KVMDBG_X86_REGTABLE_H
#define KVMDBG_X86_REGTABLE_H

enum x86_reg {
	R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
	R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
	R_RIP, R_EFLAGS, R_CS, R_SS, R_DS, R_ES, R_FS, R_GS,
	R_ST0, R_ST7 = R_ST0 + 7,
	R_FCTRL, R_FSTAT, R_FTAG, R_FISEG, R_FIOFF, R_FOSEG, R_FOOFF, R_FOP,
	R_XMM0, R_XMM15 = R_XMM0 + 15,
	R_MXCSR,
	R_FS_BASE, R_GS_BASE, R_K_GS_BASE, R_CR0, R_CR2, R_CR3, R_CR4, R_CR8, R_EFER,
	R_COUNT
};

#endif
