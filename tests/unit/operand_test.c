/*
 * Unit test of the decoder that tells which memory an instruction reads
 * through an explicit operand (src/x86/operand.c, x86_operand_read), the one
 * read watchpoints use for code run from a lent page, and of the prefix
 * walker (x86_prefixes). No KVM.
 */
#include <string.h>

#include "../../src/x86/x86.h"
#include "unit.h"

static struct kvm_regs r;
static struct kvm_sregs s;

#define PC 0x401000ULL

/* Decodes bytes at PC in bits-bit code: whether it reads, and where. */
static bool reads(unsigned bits, const char *bytes, size_t n, uint64_t *la, unsigned *size)
{
	uint8_t insn[16] = { 0 };

	memcpy(insn, bytes, n);
	*la = 0;
	*size = 0;
	return x86_operand_read(&r, &s, bits, PC, insn, sizeof(insn), la, size);
}

#define READS(bits, bytes, want_la, want_size)                                           \
	do {                                                                             \
		uint64_t la;                                                             \
		unsigned size;                                                           \
		CHECK(reads(bits, bytes, sizeof(bytes) - 1, &la, &size) && la == (want_la) && \
		      size == (want_size));                                              \
	} while (0)
#define NO_READ(bits, bytes)                                                             \
	do {                                                                             \
		uint64_t la;                                                             \
		unsigned size;                                                           \
		CHECK(!reads(bits, bytes, sizeof(bytes) - 1, &la, &size));               \
	} while (0)

static void long_mode(void)
{
	s = (struct kvm_sregs){ .efer = EFER_LMA | EFER_LME, .cr0 = CR0_PE | CR0_PG };
	s.cs.l = 1;
	s.fs.base = 0x50000;
	s.ds.base = 0x7777000; /* ignored in long mode */
	r = (struct kvm_regs){ .rax = 0x1000, .rbx = 0x2000, .rcx = 3, .rsi = 0x3000,
			       .rsp = 0x8000, .r9 = 0x9000, .rip = PC };

	READS(64, "\x8b\x03", 0x2000, 4);                      /* mov (%rbx),%eax */
	READS(64, "\x01\x03", 0x2000, 4);                      /* add %eax,(%rbx) */
	NO_READ(64, "\x89\x03");                               /* mov %eax,(%rbx) */
	NO_READ(64, "\x48\x8d\x03");                           /* lea (%rbx),%rax */
	READS(64, "\x0f\xb6\x44\x8b\x10", 0x2000 + 3 * 4 + 0x10, 1); /* movzbl 0x10(%rbx,%rcx,4),%eax */
	READS(64, "\x48\x8b\x05\x00\x01\x00\x00", PC + 7 + 0x100, 8); /* mov 0x100(%rip),%rax */
	READS(64, "\x48\x83\x7c\x24\xf8\x05", 0x8000 - 8, 8);   /* cmpq $5,-0x8(%rsp) */
	READS(64, "\x41\x8b\x01", 0x9000, 4);                  /* mov (%r9),%eax */
	READS(64, "\x64\x48\x8b\x04\x25\x10\x00\x00\x00", 0x50000 + 0x10, 8); /* mov %fs:0x10,%rax */
	READS(64, "\xff\x36", 0x3000, 8);                      /* push (%rsi) */
	READS(64, "\xff\x13", 0x2000, 8);                      /* call *(%rbx) */
	READS(64, "\xd3\x23", 0x2000, 4);                      /* shll %cl,(%rbx) */
	READS(64, "\xa4", 0x3000, 1);                          /* movsb (%rsi),(%rdi) */
	NO_READ(64, "\xeb\x0e");                               /* jmp, direct */
	NO_READ(64, "\xe6\x80");                               /* out %al,$0x80 */
	NO_READ(64, "\x0f\x01\x03");                           /* sgdt (%rbx): a store */
	NO_READ(64, "\x48\x89\xd8");                           /* mov %rbx,%rax */
}

static void legacy_modes(void)
{
	/* 32-bit: the stack segment for %esp/%ebp, data otherwise. */
	s = (struct kvm_sregs){ .cr0 = CR0_PE };
	s.ss.base = 0x100000;
	s.ds.base = 0x200000;
	r = (struct kvm_regs){ .rbx = 0x2000, .rsp = 0x8000, .rip = PC };
	READS(32, "\x8b\x44\x24\x04", 0x100000 + 0x8004, 4);  /* mov 0x4(%esp),%eax */
	READS(32, "\x8b\x03", 0x200000 + 0x2000, 4);          /* mov (%ebx),%eax */
	/* Addresses wrap at 32 bits. */
	r.rbx = 0xfffffff0;
	READS(32, "\x8b\x43\x20", 0x200000 + 0x10, 4);        /* mov 0x20(%ebx),%eax */

	/* Real mode: 16-bit offsets into the segment. */
	s = (struct kvm_sregs){ 0 };
	s.ds.base = 0x20000;
	s.es.base = 0x30000;
	r = (struct kvm_regs){ .rbx = 0x12000, .rip = 0x100 };
	READS(16, "\x8b\x07", 0x20000 + 0x2000, 2);           /* mov (%bx),%ax */
	READS(16, "\x26\x8a\x07", 0x30000 + 0x2000, 1);       /* mov %es:(%bx),%al */
}

/* The prefix walker that REP string handling and step bookkeeping share
 * (x86_prefixes). */
static void prefixes(void)
{
	struct x86_prefixes p;

	/* rep movsq with a segment override and REX.W last. */
	CHECK(x86_prefixes((const uint8_t *)"\x65\xf3\x48\xa5", 4, 64, &p) == 3 && p.rep &&
	      !p.repne && p.seg == 0x65 && p.rex == 0x48);
	/* REX before a legacy prefix does not count. */
	CHECK(x86_prefixes((const uint8_t *)"\x48\xf3\xa5", 3, 64, &p) == 2 && p.rep && !p.rex);
	/* 0x48 is dec eax in 32-bit code, an opcode. */
	CHECK(x86_prefixes((const uint8_t *)"\x48", 1, 32, &p) == 0 && !p.rex);
	CHECK(x86_prefixes((const uint8_t *)"\xf0\x66\x67\xf2\xae", 5, 16, &p) == 4 && p.lock &&
	      p.opsize && p.addrsize && p.repne && !p.rep && !p.seg);
	/* Never past n, nor past 14 prefixes. */
	CHECK(x86_prefixes((const uint8_t *)"\x66\x66", 2, 64, &p) == 2);
	uint8_t many[16];

	memset(many, 0x66, sizeof(many));
	CHECK(x86_prefixes(many, sizeof(many), 64, &p) == X86_MAX_PREFIXES);
}

int main(void)
{
	long_mode();
	legacy_modes();
	prefixes();
	return unit_done();
}
