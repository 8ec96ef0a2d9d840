#include "disasm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bfdinc.h"
#include <dis-asm.h>

#include "err.h"
#include "symbols.h"

/* Where libopcodes' printf calls land. */
struct disasm_out {
	char *buf;                 /* text so far */
	size_t len, size;          /* used, capacity */
	const struct symtab *syms; /* for symbols beside addresses */
};

static int disasm_vprintf(struct disasm_out *o, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int disasm_vprintf(struct disasm_out *o, const char *fmt, va_list ap)
{
	int n;

	if (o->len >= o->size)
		return 0;
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	if (n > 0)
		o->len += (size_t)n < o->size - o->len ? (size_t)n : o->size - o->len - 1;
	return n;
}

static int disasm_printf(void *stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int disasm_printf(void *stream, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = disasm_vprintf(stream, fmt, ap);
	va_end(ap);
	return n;
}

static int disasm_styled_printf(void *stream, enum disassembler_style style, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int disasm_styled_printf(void *stream, enum disassembler_style style, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)style;
	va_start(ap, fmt);
	n = disasm_vprintf(stream, fmt, ap);
	va_end(ap);
	return n;
}

static void disasm_print_address(bfd_vma addr, struct disassemble_info *info)
{
	struct disasm_out *o = info->stream;
	char sym[128];

	symbols_format(o->syms, addr, sym, sizeof(sym));
	disasm_printf(o, "%#llx", (unsigned long long)addr);
	if (*sym)
		disasm_printf(o, " <%s>", sym);
}

int disasm_one(unsigned bits, uint64_t addr, const uint8_t *bytes, size_t len,
	       const struct symtab *syms, char *buf, size_t buflen)
{
	struct disasm_out out = { .buf = buf, .size = buflen, .syms = syms };
	struct disassemble_info info;
	disassembler_ftype print;
	unsigned long mach;
	int n;

	if (!buflen)
		return -EINVAL;
	buf[0] = '\0';
	mach = bits == 64 ? bfd_mach_x86_64 : bits == 32 ? bfd_mach_i386_i386 : bfd_mach_i386_i8086;
	init_disassemble_info(&info, &out, disasm_printf, disasm_styled_printf);
	info.arch = bfd_arch_i386;
	info.mach = mach;
	info.buffer = (bfd_byte *)bytes;
	info.buffer_vma = addr;
	info.buffer_length = len;
	info.print_address_func = disasm_print_address;
	disassemble_init_for_target(&info);
	print = disassembler(bfd_arch_i386, false, mach, NULL);
	if (!print)
		return err_set(ENOTSUP, "libopcodes has no x86 disassembler");
	n = print(addr, &info);
	if (n <= 0)
		return err_set(EINVAL, "cannot disassemble at %#llx", (unsigned long long)addr);
	return n;
}
