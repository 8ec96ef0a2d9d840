/* The libFuzzer entry points every harness here defines (Initialize optionally). */
#ifndef KVMDBG_FUZZ_H
#define KVMDBG_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#endif
