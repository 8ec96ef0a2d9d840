#include "bits.h"

#define TABLE(name, ...)                                                              \
	static const struct x86_bit name##_table[] = { __VA_ARGS__ };                  \
	const struct x86_bits name = { name##_table, sizeof(name##_table) / sizeof(name##_table[0]) }

TABLE(x86_rflags_bits, { 0, "CF" }, { 2, "PF" }, { 4, "AF" }, { 6, "ZF" }, { 7, "SF" },
      { 8, "TF" }, { 9, "IF" }, { 10, "DF" }, { 11, "OF" }, { 14, "NT" }, { 16, "RF" },
      { 17, "VM" }, { 18, "AC" }, { 19, "VIF" }, { 20, "VIP" }, { 21, "ID" });
TABLE(x86_cr0_bits, { 0, "PE" }, { 1, "MP" }, { 2, "EM" }, { 3, "TS" }, { 4, "ET" },
      { 5, "NE" }, { 16, "WP" }, { 18, "AM" }, { 29, "NW" }, { 30, "CD" }, { 31, "PG" });
TABLE(x86_cr4_bits, { 0, "VME" }, { 1, "PVI" }, { 2, "TSD" }, { 3, "DE" }, { 4, "PSE" },
      { 5, "PAE" }, { 6, "MCE" }, { 7, "PGE" }, { 8, "PCE" }, { 9, "OSFXSR" },
      { 10, "OSXMMEXCPT" }, { 11, "UMIP" }, { 12, "LA57" }, { 13, "VMXE" }, { 14, "SMXE" },
      { 16, "FSGSBASE" }, { 17, "PCIDE" }, { 18, "OSXSAVE" }, { 20, "SMEP" }, { 21, "SMAP" },
      { 22, "PKE" }, { 23, "CET" });
TABLE(x86_efer_bits, { 0, "SCE" }, { 8, "LME" }, { 10, "LMA" }, { 11, "NXE" }, { 12, "SVME" },
      { 13, "LMSLE" }, { 14, "FFXSR" }, { 15, "TCE" });

void x86_bits_print(FILE *out, uint64_t value, struct x86_bits bits)
{
	fputc('[', out);
	for (size_t i = 0; i < bits.n; i++)
		if (value & (1ULL << bits.bits[i].bit))
			fprintf(out, " %s", bits.bits[i].name);
	fputs(" ]", out);
}
