/* The gdb target description, generated from the architecture's register table. */
#ifndef KVMDBG_TARGET_XML_H
#define KVMDBG_TARGET_XML_H

#include <stddef.h>

/* The XML document (built once, owned by this module); NULL when out of memory. */
const char *target_xml(size_t *len);

#endif
