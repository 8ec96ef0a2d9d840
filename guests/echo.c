/*
 * Reads a line from the serial port (polling the line status) and echoes it:
 * "ready", then "echo: LINE". Exits 0 after a line, 2 if none came in a
 * while (stdin at its end, or nobody typing).
 */
#include "lib/guest.h"

#define LSR (LAYOUT_SERIAL_PORT + 5)
#define LSR_DR 0x01

int main(void)
{
	char line[128];
	unsigned n = 0;

	serial_init();
	serial_puts("ready\n");
	for (unsigned idle = 0; idle < 50000;) {
		if (!(inb(LSR) & LSR_DR)) {
			idle++;
			continue;
		}
		char c = (char)inb(LAYOUT_SERIAL_PORT);

		idle = 0;
		if (c == '\n' || n == sizeof(line) - 1) {
			line[n] = '\0';
			serial_puts("echo: ");
			serial_puts(line);
			serial_puts("\n");
			return 0;
		}
		line[n++] = c;
	}
	serial_puts("nothing came\n");
	return 2;
}
