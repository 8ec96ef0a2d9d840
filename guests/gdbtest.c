/*
 * A C guest for gdb sessions, built without optimisation so that `next`,
 * `finish`, `bt` and `set var` behave as they do on ordinary programs.
 * Exit status 0 if total comes out as 15, else 1.
 */
#include "lib/guest.h"

volatile int counter;
int total;

__attribute__((noinline)) int add(int a, int b)
{
	return a + b;
}

__attribute__((noinline)) void bump(int by)
{
	counter += by;
	total = add(total, by);
}

int main(void)
{
	serial_init();
	for (int i = 1; i <= 5; i++)
		bump(i);
	serial_puts("total ");
	serial_put_dec((unsigned long)total);
	serial_putc('\n');
	return total == 15 ? 0 : 1;
}
