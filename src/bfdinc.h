/* bfd.h insists on a config.h; this is ours. Include instead of <bfd.h>. */
#ifndef KVMDBG_BFDINC_H
#define KVMDBG_BFDINC_H

#define PACKAGE "kvmdbg"
#define PACKAGE_VERSION KVMDBG_VERSION
#include <bfd.h>

#endif
