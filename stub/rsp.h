/*
 * GDB remote serial protocol framing: bytes in, packets out, and the other
 * way round. No sockets here, so it can be tested on its own.
 */
#ifndef KVMDBG_RSP_H
#define KVMDBG_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSP_PACKET_SIZE (128 * 1024) /* the PacketSize we advertise */
#define RSP_CTRL_C 0x03               /* the interrupt request, outside packets */

enum rsp_event {
	RSP_NONE,      /* nothing complete yet */
	RSP_PACKET,    /* a packet with a good checksum is in buf/len (or overflowed) */
	RSP_BAD,       /* a packet with a bad checksum: answer '-' */
	RSP_ACK,       /* '+' */
	RSP_NAK,       /* '-': send the last packet again */
	RSP_INTERRUPT, /* 0x03 outside a packet (Ctrl-C) */
};

struct rsp {
	int state;        /* where in a packet the parser is */
	uint8_t *raw;     /* bytes between '$' and '#', as received */
	size_t raw_len;   /* bytes in raw */
	uint8_t sum;      /* running checksum of raw */
	uint8_t rx_sum;   /* checksum received after '#' */
	bool overflow;    /* the packet was longer than RSP_PACKET_SIZE */
	uint8_t *buf;     /* decoded packet (escapes and run lengths undone), NUL-terminated */
	size_t len;       /* bytes in buf */
};

int rsp_init(struct rsp *r);
void rsp_free(struct rsp *r);
/* Whether the parser is between packets (a 0x03 now would be Ctrl-C). */
bool rsp_idle(const struct rsp *r);
/* Feeds one received byte. */
enum rsp_event rsp_feed(struct rsp *r, uint8_t c);
/* Frames payload as $payload#cs, escaping '#', '$', '}' and '*' and
 * run-length encoding repeats. Returns the bytes written to out (which needs
 * 2 * len + 4). */
size_t rsp_frame(const uint8_t *payload, size_t len, uint8_t *out);

/* Hex helpers: -1 on a bad digit or an odd count. */
void rsp_hex_encode(const uint8_t *in, size_t len, char *out);
int rsp_hex_decode(const char *in, size_t hexlen, uint8_t *out);

#endif
