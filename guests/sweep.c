/*
 * Sweeps its RAM: each round writes a byte in every page of a 4 MiB area
 * (1024 pages), and after ROUNDS rounds exits with a checksum. A guest whose
 * every checkpoint has hundreds of pages to keep: for the history's memory
 * benchmark (tests/bench/history.sh).
 */
#include "lib/guest.h"

#define PAGES 1024
#define ROUNDS 200

static uint8_t area[PAGES * 4096] __attribute__((aligned(4096)));

int main(void)
{
	unsigned sum = 0;

	serial_init();
	for (unsigned round = 1; round <= ROUNDS; round++) {
		for (unsigned p = 0; p < PAGES; p++) {
			area[p * 4096 + (round & 0xfff)] += (uint8_t)round;
			sum += area[p * 4096];
		}
		if (!(round % 50)) {
			serial_puts("round ");
			serial_put_dec(round);
			serial_puts("\n");
		}
	}
	return (int)(sum & 0xff);
}
