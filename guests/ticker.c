/*
 * Prints a line (a dot) every 65536 turns of a loop, forever: a guest whose progress
 * shows from outside (tests of a running guest and its debugger connections).
 */
#include "lib/guest.h"

int main(void)
{
	serial_init();
	for (unsigned i = 1;; i++) {
		__asm__ volatile("" : "+r"(i)); /* keep the loop */
		if (!(i & 0xffff))
			serial_puts(".\n");
	}
}
