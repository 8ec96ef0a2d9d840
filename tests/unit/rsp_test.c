/* Unit test of the RSP framing (stub/rsp.c): no socket, no KVM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../stub/rsp.h"
#include "unit.h"

/* Feeds a whole string; returns the last event that was not RSP_NONE. */
static enum rsp_event feed(struct rsp *r, const char *s, size_t len)
{
	enum rsp_event last = RSP_NONE, e;

	for (size_t i = 0; i < len; i++) {
		e = rsp_feed(r, (uint8_t)s[i]);
		if (e != RSP_NONE)
			last = e;
	}
	return last;
}

#define FEED(r, s) feed(r, s, strlen(s))

int main(void)
{
	struct rsp r;
	uint8_t out[64], bin[4];
	char hex[16];
	size_t n;

	if (rsp_init(&r) < 0)
		return 2;

	CHECK(FEED(&r, "$g#67") == RSP_PACKET && r.len == 1 && !strcmp((char *)r.buf, "g"));
	CHECK(FEED(&r, "$g#68") == RSP_BAD);
	CHECK(FEED(&r, "$g#zz") == RSP_BAD);
	CHECK(FEED(&r, "+") == RSP_ACK);
	CHECK(FEED(&r, "-") == RSP_NAK);
	CHECK(FEED(&r, "\003") == RSP_INTERRUPT);
	CHECK(FEED(&r, "garbage") == RSP_NONE);
	/* Escaped '#' (0x23 ^ 0x20 = 0x03) and '}' itself. */
	CHECK(FEED(&r, "$X}\003}]#b2") == RSP_PACKET && r.len == 3 && r.buf[0] == 'X' &&
	      r.buf[1] == '#' && r.buf[2] == '}');
	/* Run length: "0* " is '0' followed by 3 more ('  ' = 32 - 29). */
	CHECK(FEED(&r, "$0* #7a") == RSP_PACKET && !strcmp((char *)r.buf, "0000"));
	/* A run length with nothing before it does not decode: answered as an error. */
	CHECK(FEED(&r, "$* #4a") == RSP_PACKET && r.overflow);
	/* A packet cut short by a new '$' is reported bad, the next one is fine. */
	CHECK(FEED(&r, "$m10") == RSP_NONE);
	CHECK(feed(&r, "$", 1) == RSP_BAD);
	CHECK(FEED(&r, "?#3f") == RSP_PACKET && !strcmp((char *)r.buf, "?"));

	/* Oversized: acknowledged, flagged, and the parser recovers. */
	{
		char *big = malloc(RSP_PACKET_SIZE + 16);
		unsigned sum = 0;

		big[0] = '$';
		for (size_t i = 1; i <= RSP_PACKET_SIZE + 8; i++) {
			big[i] = 'a';
			sum += 'a';
		}
		snprintf(big + RSP_PACKET_SIZE + 9, 5, "#%02x", sum & 0xff);
		CHECK(feed(&r, big, RSP_PACKET_SIZE + 12) == RSP_PACKET && r.overflow);
		CHECK(FEED(&r, "$g#67") == RSP_PACKET && !r.overflow && !strcmp((char *)r.buf, "g"));
		free(big);
	}

	/* Framing escapes what must be escaped and parses back. */
	n = rsp_frame((const uint8_t *)"a#b$c}d*e", 9, out);
	out[n] = '\0';
	CHECK(!strcmp((char *)out, "$a}\003b}\004c}]d}\ne#51"));
	CHECK(feed(&r, (char *)out, n) == RSP_PACKET && !strcmp((char *)r.buf, "a#b$c}d*e"));

	/* Run lengths: 3 alike stay literal; 4 and more are encoded and decode back,
	 * including runs of 7 and 8 whose counts would be '#' and '$'. */
	for (size_t len = 1; len <= 300; len++) {
		char *p = malloc(len + 2), *f = malloc(2 * len + 8);

		memset(p, '0', len);
		p[len] = 'x';
		n = rsp_frame((const uint8_t *)p, len + 1, (uint8_t *)f);
		if (len >= 4 && n >= len + 5)
			CHECK(!"a run was not encoded");
		if (feed(&r, f, n) != RSP_PACKET || r.len != len + 1 || memcmp(r.buf, p, len + 1))
			CHECK(!"run-length round trip failed");
		free(p);
		free(f);
	}
	n = rsp_frame((const uint8_t *)"000", 3, out);
	CHECK(n == 7 && !memcmp(out, "$000#90", 7));

	rsp_hex_encode((const uint8_t *)"\x01\xab\xff", 3, hex);
	CHECK(!strcmp(hex, "01abff"));
	CHECK(rsp_hex_decode("01abff", 6, bin) == 0 && bin[1] == 0xab && bin[2] == 0xff);
	CHECK(rsp_hex_decode("0g", 2, bin) < 0);
	CHECK(rsp_hex_decode("012", 3, bin) < 0);

	rsp_free(&r);
	return unit_done();
}
