/*
 * Fuzzes the console's command parser (cli/commands.c) on a real engine:
 * each input is up to 16 lines typed at the console, run as monitor
 * commands are (so that no input can make the harness open host files);
 * then the guest is stopped again. FUZZ_PREFIX (compile-time) puts a command
 * word before each line: the address-expression harness is this one with
 * "print ".
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzz.h"

#ifndef FUZZ_PREFIX
#define FUZZ_PREFIX ""
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	engine_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[4096];
	size_t at = 0;

	for (int n = 0; n < 16 && at < size; n++) {
		size_t len = strlen(FUZZ_PREFIX), i = at;

		memcpy(line, FUZZ_PREFIX, len);
		while (i < size && data[i] != '\n' && len < sizeof(line) - 1)
			line[len++] = data[i] ? (char)data[i] : ' ', i++;
		line[len] = '\0';
		at = i + 1;
		engine.session.remote = true;
		commands_execute(&engine.session, line, engine.sink);
		engine_settle();
	}
	return 0;
}
