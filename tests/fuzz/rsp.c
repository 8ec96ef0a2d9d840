/*
 * Fuzzes the RSP framing and decoder (stub/rsp.c): any bytes from a client.
 * Checks what must hold besides not crashing: a decoded packet is within the
 * advertised size and NUL-terminated; framing it again and feeding the frame
 * back gives the same packet; hex decoding never writes past len / 2.
 */
#include <stdlib.h>
#include <string.h>

#include "../../stub/rsp.h"
#include "fuzz.h"

static struct rsp rx, again;
static uint8_t *frame, *hexout;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	frame = malloc(2 * RSP_PACKET_SIZE + 8);
	hexout = malloc(RSP_PACKET_SIZE / 2 + 1);
	if (!frame || !hexout || rsp_init(&rx) < 0 || rsp_init(&again) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rx.state = 0;
	for (size_t i = 0; i < size; i++) {
		if (rsp_feed(&rx, data[i]) != RSP_PACKET || rx.overflow)
			continue;
		if (rx.len > RSP_PACKET_SIZE || rx.buf[rx.len] != '\0')
			abort();
		/* Hex decoding of the payload, into exactly what it may fill. */
		if (rx.len / 2 <= RSP_PACKET_SIZE / 2)
			(void)rsp_hex_decode((const char *)rx.buf, rx.len & ~(size_t)1, hexout);
		/* The same packet, framed by us and parsed back. */
		size_t n = rsp_frame(rx.buf, rx.len, frame);
		enum rsp_event e = RSP_NONE;

		if (n > 2 * rx.len + 4)
			abort();
		again.state = 0;
		for (size_t j = 0; j < n; j++)
			e = rsp_feed(&again, frame[j]);
		if (e != RSP_PACKET || again.len != rx.len || memcmp(again.buf, rx.buf, rx.len))
			abort();
	}
	return 0;
}
