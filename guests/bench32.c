/*
 * Benchmark guest: a 32-bit multiboot kernel (so QEMU's -kernel runs it too)
 * that calls tick() forever, for stepping and breakpoint round trips.
 */
#include "lib/guest.h"

volatile unsigned long ticks;

__attribute__((noinline)) void tick(void)
{
	ticks++;
}

int main(void)
{
	for (;;)
		tick();
}
