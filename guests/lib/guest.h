/*
 * The guest library: port I/O, serial output and exit, for freestanding guests
 * in real mode (gcc -m16), 32-bit protected mode and 64-bit long mode.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

#include "../../src/devices/layout.h"

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Programs COM1 for 115200 8N1. */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex(uint64_t v);
/* Native width, so 32-bit guests need no libgcc division. */
void serial_put_dec(unsigned long v);
/* Ends the run: kvmdbg exits with status & 0xff. */
__attribute__((noreturn)) void guest_exit(uint32_t status);

#if defined(GUEST_32)
/* What a multiboot loader left in eax and ebx (saved by lib/start.S). */
extern uint32_t multiboot_magic, multiboot_info;
#endif

/* The guest's entry in C; what it returns becomes the exit status. */
int main(void);

#endif
