#include "target_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/arch.h"

char *target_xml(const struct arch_gdb_layout *layout, size_t *len)
{
	char *xml = NULL;
	size_t xml_len = 0;
	const char *feature = NULL;
	FILE *f;

	f = open_memstream(&xml, &xml_len);
	if (!f)
		return NULL;
	fprintf(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		   "<target version=\"1.0\">\n<architecture>%s</architecture>\n",
		layout->architecture);
	for (unsigned i = 0; i < layout->n; i++) {
		const struct arch_reg *r = &layout->regs[i];

		if (!feature || strcmp(feature, r->feature)) {
			if (feature)
				fputs("</feature>\n", f);
			feature = r->feature;
			fprintf(f, "<feature name=\"%s\">\n%s\n", feature, arch_gdb_types(feature));
		}
		fprintf(f, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"", r->name,
			r->bits, r->type, i);
		if (r->group)
			fprintf(f, " group=\"%s\"", r->group);
		fputs("/>\n", f);
	}
	if (feature)
		fputs("</feature>\n", f);
	fputs("</target>\n", f);
	if (fclose(f)) {
		free(xml);
		return NULL;
	}
	*len = xml_len;
	return xml;
}
