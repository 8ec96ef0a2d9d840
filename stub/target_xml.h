/* The gdb target description, generated from the architecture's register table. */
#ifndef KVMDBG_TARGET_XML_H
#define KVMDBG_TARGET_XML_H

#include <stddef.h>

struct arch_gdb_layout;

/* The XML document for a register layout, malloc'd; NULL when out of memory. */
char *target_xml(const struct arch_gdb_layout *layout, size_t *len);

#endif
