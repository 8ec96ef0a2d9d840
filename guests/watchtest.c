/*
 * A C guest for gdb's watch, rwatch and awatch: a counter written three
 * times, a flag only read, a word read and then written, and a table of 100
 * entries each written once. Its data shares pages with its code, so the
 * code must keep running from pages that watchpoints protect. Exit status 0
 * if every value comes out right.
 */
#include "lib/guest.h"

#define TABLE 100

volatile int counter;
volatile int flag = 7;
volatile int both = 5;
volatile long table[TABLE];

int main(void)
{
	long sum = 0;
	int seen;

	serial_init();
	for (int i = 1; i <= 3; i++)
		counter += i;
	seen = flag;
	both = both * 2;
	for (int i = 0; i < TABLE; i++)
		table[i] = i + 1;
	for (int i = 0; i < TABLE; i++)
		sum += table[i];
	serial_puts("sum ");
	serial_put_dec((unsigned long)sum);
	serial_putc('\n');
	return counter == 6 && seen == 7 && both == 10 && sum == TABLE * (TABLE + 1) / 2 ? 0 : 1;
}
