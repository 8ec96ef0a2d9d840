#include "rsp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { RSP_IDLE, RSP_DATA, RSP_CSUM1, RSP_CSUM2 };

#define RSP_ESCAPE '}'
#define RSP_RUNLENGTH '*'
#define RSP_ESCAPE_XOR 0x20
#define RSP_RUNLENGTH_BIAS 29 /* a run-length count is sent as n + 29 */
#define RSP_RUNLENGTH_MAX (126 - RSP_RUNLENGTH_BIAS) /* repeats one count can carry */

int rsp_init(struct rsp *r)
{
	*r = (struct rsp){ 0 };
	r->raw = malloc(RSP_PACKET_SIZE);
	r->buf = malloc(RSP_PACKET_SIZE + 1);
	if (!r->raw || !r->buf) {
		rsp_free(r);
		return -ENOMEM;
	}
	return 0;
}

void rsp_free(struct rsp *r)
{
	free(r->raw);
	free(r->buf);
	r->raw = r->buf = NULL;
}

static int rsp_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undoes escapes and run-length encoding; false if the packet does not decode. */
static bool rsp_decode(struct rsp *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->raw_len; i++) {
		uint8_t c = r->raw[i];

		if (c == RSP_ESCAPE) {
			if (++i == r->raw_len)
				return false;
			c = r->raw[i] ^ RSP_ESCAPE_XOR;
		} else if (c == RSP_RUNLENGTH) {
			if (!n || ++i == r->raw_len || r->raw[i] < RSP_RUNLENGTH_BIAS)
				return false;
			size_t repeat = (size_t)(r->raw[i] - RSP_RUNLENGTH_BIAS);

			if (n + repeat > RSP_PACKET_SIZE)
				return false;
			memset(r->buf + n, r->buf[n - 1], repeat);
			n += repeat;
			continue;
		}
		if (n == RSP_PACKET_SIZE)
			return false;
		r->buf[n++] = c;
	}
	r->buf[n] = '\0';
	r->len = n;
	return true;
}

bool rsp_idle(const struct rsp *r)
{
	return r->state == RSP_IDLE;
}

enum rsp_event rsp_feed(struct rsp *r, uint8_t c)
{
	int v;

	switch (r->state) {
	case RSP_IDLE:
		if (c == '$') {
			r->state = RSP_DATA;
			r->raw_len = 0;
			r->sum = 0;
			r->overflow = false;
			return RSP_NONE;
		}
		if (c == '+')
			return RSP_ACK;
		if (c == '-')
			return RSP_NAK;
		if (c == RSP_CTRL_C)
			return RSP_INTERRUPT;
		return RSP_NONE; /* noise between packets */
	case RSP_DATA:
		if (c == '#') {
			r->state = RSP_CSUM1;
			return RSP_NONE;
		}
		if (c == '$') { /* a new packet starts: the old one was cut short */
			r->raw_len = 0;
			r->sum = 0;
			r->overflow = false;
			return RSP_BAD;
		}
		r->sum += c;
		if (r->raw_len < RSP_PACKET_SIZE)
			r->raw[r->raw_len++] = c;
		else
			r->overflow = true;
		return RSP_NONE;
	case RSP_CSUM1:
		v = rsp_hexval(c);
		if (v < 0) {
			r->state = RSP_IDLE;
			return RSP_BAD;
		}
		r->rx_sum = (uint8_t)(v << 4);
		r->state = RSP_CSUM2;
		return RSP_NONE;
	default:
		r->state = RSP_IDLE;
		v = rsp_hexval(c);
		if (v < 0 || (uint8_t)(r->rx_sum | v) != r->sum)
			return RSP_BAD;
		if (r->overflow || !rsp_decode(r)) {
			/* Acknowledged (it arrived intact), answered with an error. */
			r->overflow = true;
			r->len = 0;
			r->buf[0] = '\0';
		}
		return RSP_PACKET;
	}
}

size_t rsp_frame(const uint8_t *payload, size_t len, uint8_t *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	uint8_t sum = 0;

	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = payload[i];
		size_t run = 1;

		if (c == '#' || c == '$' || c == RSP_ESCAPE || c == RSP_RUNLENGTH) {
			out[n++] = RSP_ESCAPE;
			sum += RSP_ESCAPE;
			c ^= RSP_ESCAPE_XOR;
			out[n++] = c;
			sum += c;
			continue;
		}
		out[n++] = c;
		sum += c;
		/* Run-length encoding: c '*' (repeats + 29), where the count is a
		 * printable character that is neither '#' nor '$' (at most 97). */
		while (i + run < len && payload[i + run] == c && run <= RSP_RUNLENGTH_MAX)
			run++;
		if (run < 4)
			continue;
		size_t repeat = run - 1;

		if (repeat + RSP_RUNLENGTH_BIAS == '#' || repeat + RSP_RUNLENGTH_BIAS == '$')
			repeat = '"' - RSP_RUNLENGTH_BIAS;
		out[n++] = RSP_RUNLENGTH;
		out[n++] = (uint8_t)(repeat + RSP_RUNLENGTH_BIAS);
		sum += RSP_RUNLENGTH + (uint8_t)(repeat + RSP_RUNLENGTH_BIAS);
		i += repeat;
	}
	out[n++] = '#';
	out[n++] = (uint8_t)hex[sum >> 4];
	out[n++] = (uint8_t)hex[sum & 15];
	return n;
}

void rsp_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int rsp_hex_decode(const char *in, size_t hexlen, uint8_t *out)
{
	if (hexlen % 2)
		return -1;
	for (size_t i = 0; i < hexlen / 2; i++) {
		int hi = rsp_hexval((uint8_t)in[2 * i]), lo = rsp_hexval((uint8_t)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
