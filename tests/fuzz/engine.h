/*
 * A real engine for the harnesses that need one: a KVM VM with the built-in
 * devices, the ticker guest (it runs forever and prints nothing here), its
 * vCPU thread, the debugger, a console session and a gdb stub, wired as
 * cli/main.c wires them. Needs /dev/kvm.
 */
#ifndef KVMDBG_FUZZ_ENGINE_H
#define KVMDBG_FUZZ_ENGINE_H

#include "../../cli/commands.h"
#include "../../src/machine.h"
#include "../../stub/packets.h"

struct engine {
	struct machine m;
	struct session session;
	struct stub stub;
	FILE *sink; /* guest output and command output: /dev/null */
};

extern struct engine engine;

/* Sets the engine up once (exits with a message when it cannot). */
void engine_init(void);
/* After an input: the guest stopped again (if something left it running). */
void engine_settle(void);

#endif
