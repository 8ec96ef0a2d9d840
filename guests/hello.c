/* Hello in every CPU mode: built as hello64.elf, hello32.elf and hello16.bin. */
#include "lib/guest.h"

#if defined(GUEST_16)
#define MODE "16-bit real mode"
#elif defined(GUEST_32)
#define MODE "32-bit protected mode"
#else
#define MODE "64-bit long mode"
#endif

int main(void)
{
	serial_init();
	serial_puts("Hello from " MODE "!\n");
	return 0;
}
