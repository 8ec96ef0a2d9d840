/*
 * Writes memory in a loop: each round stirs a 64 KiB table (16 pages) and a
 * running sum, prints the sum every 4 rounds, and after 64 rounds exits with
 * its low byte. Its state at any instruction is its RAM and registers:
 * a guest for checkpoints and going back in time.
 */
#include "lib/guest.h"

#define WORDS (64 * 1024 / 8)
#define ROUNDS 64

static uint64_t table[WORDS];
static uint64_t sum;

int main(void)
{
	serial_init();
	for (unsigned round = 1; round <= ROUNDS; round++) {
		/* A few hundred words a round, strided across the table's pages. */
		for (unsigned i = 0; i < 512; i++) {
			unsigned k = (round * 977 + i * 131) % WORDS;

			table[k] = table[k] * 6364136223846793005ULL + round + i;
			sum += table[k] >> 7;
		}
		if (!(round % 4)) {
			serial_puts("round ");
			serial_put_dec(round);
			serial_puts(" sum ");
			serial_put_hex(sum);
			serial_puts("\n");
		}
	}
	return (int)(sum & 0xff);
}
