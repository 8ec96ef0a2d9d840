/*
 * Catching exceptions, the arch's words for them (src/x86/catch.c): vector
 * names as --catch takes them, the signal each gives, and an exception
 * described in one line, with the #PF's and selector error codes decoded.
 * The frame's undo needs a vCPU: tests/faults.bats.
 */
#include <string.h>

#include "../../src/arch.h"
#include "unit.h"

static void names(void)
{
	CHECK(arch_vector_parse("pf") == 14);
	CHECK(arch_vector_parse("#PF") == 14);
	CHECK(arch_vector_parse("Gp") == 13);
	CHECK(arch_vector_parse("nmi") == 2);
	CHECK(arch_vector_parse("cp") == 21);
	CHECK(arch_vector_parse("14") == 14);
	CHECK(arch_vector_parse("0x20") == 32);
	CHECK(arch_vector_parse("255") == 255);
	CHECK(arch_vector_parse("256") == -1);
	CHECK(arch_vector_parse("-1") == -1);
	CHECK(arch_vector_parse("") == -1);
	CHECK(arch_vector_parse("#") == -1);
	CHECK(arch_vector_parse("14x") == -1);
	CHECK(arch_vector_parse("pff") == -1);
	CHECK(arch_vector_parse("99999999999999999999999") == -1);
	CHECK(!strcmp(arch_vector_name(14), "#PF"));
	CHECK(arch_vector_name(9) == NULL && arch_vector_name(32) == NULL);
}

static void signals(void)
{
	static const struct { unsigned v; enum arch_signal sig; } want[] = {
		{ 14, ARCH_SIG_SEGV }, { 13, ARCH_SIG_SEGV }, { 10, ARCH_SIG_SEGV },
		{ 4, ARCH_SIG_SEGV },  { 5, ARCH_SIG_SEGV },  { 21, ARCH_SIG_SEGV },
		{ 6, ARCH_SIG_ILL },   { 0, ARCH_SIG_FPE },   { 16, ARCH_SIG_FPE },
		{ 19, ARCH_SIG_FPE },  { 11, ARCH_SIG_BUS },  { 12, ARCH_SIG_BUS },
		{ 17, ARCH_SIG_BUS },  { 18, ARCH_SIG_BUS },  { 1, ARCH_SIG_TRAP },
		{ 3, ARCH_SIG_TRAP },  { 32, ARCH_SIG_IRQ },  { 255, ARCH_SIG_IRQ },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(arch_vector_signal(want[i].v) == want[i].sig);
}

static void says(const struct arch_caught *c, const char *want)
{
	char out[200];

	arch_catch_describe(c, out, sizeof(out));
	if (strcmp(out, want))
		fprintf(stderr, "got  \"%s\"\nwant \"%s\"\n", out, want);
	CHECK(!strcmp(out, want));
}

static void described(void)
{
	char tiny[8];

	says(&(struct arch_caught){ .vector = 14, .has_error = true, .error = 4, .cr2 = 0x7f0000000040 },
	     "exception #PF error 0x4 (not present, read, user) cr2 0x7f0000000040");
	says(&(struct arch_caught){ .vector = 14, .has_error = true, .error = 0xb, .cr2 = 0x1000 },
	     "exception #PF error 0xb (protection, write, supervisor, reserved bit) cr2 0x1000");
	says(&(struct arch_caught){ .vector = 14, .has_error = true, .error = 0x11 },
	     "exception #PF error 0x11 (protection, fetch, supervisor) cr2 0");
	says(&(struct arch_caught){ .vector = 13, .has_error = true, .error = 0 },
	     "exception #GP error 0x0");
	says(&(struct arch_caught){ .vector = 13, .has_error = true, .error = 0x73 },
	     "exception #GP error 0x73 (IDT selector 0xe, external)");
	says(&(struct arch_caught){ .vector = 11, .has_error = true, .error = 0x18 },
	     "exception #NP error 0x18 (GDT selector 0x18)");
	says(&(struct arch_caught){ .vector = 6 }, "exception #UD");
	says(&(struct arch_caught){ .vector = 14, .soft = true }, "int $0xe");
	says(&(struct arch_caught){ .vector = 0x20 }, "interrupt vector 0x20");
	/* A short buffer holds what fits, terminated. */
	CHECK(arch_catch_describe(&(struct arch_caught){ .vector = 6 }, tiny, sizeof(tiny)) ==
	      sizeof(tiny) - 1 && !strcmp(tiny, "excepti"));
	CHECK(arch_catch_describe(&(struct arch_caught){ .vector = 6 }, tiny, 0) == 0);
}

int main(void)
{
	names();
	signals();
	described();
	return unit_done();
}
