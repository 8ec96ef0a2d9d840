/* kvmdbg's built-in devices; guest-visible addresses are in layout.h. */
#ifndef KVMDBG_DEVICES_H
#define KVMDBG_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../iobus.h"
#include "layout.h"
#include "output.h"


/*
 * Where received bytes come from: poll() returns true with the byte that
 * arrived by the seq-th look (seq counts the looks, and is part of the
 * device's state, so a machine put back looks again with the same numbers).
 */
struct devices_input {
	bool (*poll)(void *opaque, uint64_t seq, uint8_t *byte);
	void *opaque;
};

/* Raises and lowers an ISA interrupt line (the machine's; any thread). */
struct devices_irq {
	void (*set)(void *opaque, unsigned irq, bool level);
	void *opaque;
};

/* 16550 UART state: received bytes show in LSR; with an irq, IRQ 4 for
 * "received data available" and "transmitter holding register empty". */
struct serial {
	struct devices_output *output; /* where transmitted bytes go */
	const struct devices_input *input; /* where received ones come from (NULL: none) */
	const struct devices_irq *irq; /* its interrupt line's owner (NULL: none) */
	bool thre_pending;             /* the THR-empty interrupt is pending */
	bool line;                     /* the level IRQ 4 was last set to */
	uint64_t looks;                /* input->poll() calls so far */
	uint8_t rx;                    /* the byte received, if rx_full */
	bool rx_full;
	uint8_t ier, lcr, mcr, scr;    /* interrupt enable, line/modem control, scratch */
	uint8_t dll, dlm;              /* divisor latch */
	uint8_t fcr;                   /* last FIFO control written */
	/* On instruction-count time: the clock (NULL: none), and when the
	 * UART next looks at its input for a byte (a character's time after
	 * the last look: 10 bits at the divisor's rate). */
	const struct devices_clock *clock;
	uint64_t next_look;
};

/* The test MMIO device's registers (layout.h: TESTDEV_*). */
struct testdev {
	uint64_t scratch;  /* TESTDEV_SCRATCH */
	uint64_t counter;  /* TESTDEV_COUNTER */
	uint64_t accesses; /* TESTDEV_ACCESSES */
	uint8_t data[TESTDEV_DATA_SIZE]; /* the data window (TESTDEV_DATA) */
};

/* fw_cfg (layout.h: FWCFG_*): what it is reading, kept with checkpoints
 * (first, so that the kept state is this alone), then its items. */
#define FWCFG_ITEMS_SIZE 4096
struct fwcfg {
	uint16_t key;      /* the item selected */
	uint32_t offset;   /* the next byte of it to read */
	struct fwcfg_item {
		uint16_t key;
		uint32_t size;
		uint32_t at;   /* in data, unless: */
		uint8_t *own;  /* a large item's own copy (malloc'd), or */
		int fd;        /* a file it is read from (its own; -1: none), at */
		uint64_t file_off;
	} items[32];
	unsigned nitems;
	uint8_t data[FWCFG_ITEMS_SIZE];
	uint32_t used;
	/* The piece of a file item read last (a cache, not state). */
	uint8_t chunk[4096];
	int chunk_item;    /* whose (-1: none) */
	uint32_t chunk_at, chunk_len;
};

/* The i8042 (reset line, probing). */
struct i8042 {
	uint8_t ctr;       /* configuration byte */
	uint8_t pending;   /* a command waiting for its data byte, 0: none */
	bool last_cmd;     /* the last write was to the command port */
	uint8_t out[8];    /* bytes for the guest to read at 0x60 */
	uint8_t nout;
};

/* The RTC and CMOS memory: 128 bytes and the index. */
struct rtc {
	uint8_t index;
	uint8_t cmos[128];
	/* On instruction-count time (clock set): the time is base + the
	 * clock's seconds, drawn into the time registers at every look
	 * (unless the guest holds them with SET); the periodic and the
	 * update-ended (and alarm) events come at the clock's times. */
	int64_t base;          /* the time (seconds since 1970) at clock 0 */
	uint64_t next_pf;      /* the clock's next periodic tick (ns) */
	uint64_t next_second;  /* ... and its next second */
	bool line;             /* the level IRQ 8 was last set to */
	/* Not kept with checkpoints (from here on). */
	const struct devices_clock *clock; /* NULL: the time stands still */
	const struct devices_irq *irq;     /* IRQ 8's owner */
};

/* pc-testdev (pctestdev.c; layout.h: LAYOUT_TESTDEV_PORT ...). */
struct pc_testdev {
	uint32_t data;                      /* ports 0xe0-0xe3, 0xe8-0xeb */
	uint32_t lines;                     /* the levels it set (bit n: line n) */
	uint8_t mem[PC_TESTDEV_MEM_SIZE];   /* the MMIO memory */
	/* Not kept with checkpoints (from here on). */
	const struct devices_irq *irq;      /* the machine's lines (NULL: none) */
};

/* ACPI power management registers (acpi.c; layout.h: ACPI_*). The PM timer
 * runs on the machine's clock where it has one, else on the host's. */
struct acpi_pm {
	uint16_t sts, en, cnt; /* PM1a status, enable, control */
	/* Not kept with checkpoints (from here on). */
	const struct devices_clock *clock; /* NULL: the host's monotonic clock */
	uint64_t host_start;   /* ... from this (ns) */
	bool still;            /* no clock and no host time: the timer reads 0 */
};

struct devices;
/* pc-testdev's ranges on bus, its state in devs->pc_testdev; -errno. */
int pc_testdev_create(struct devices *devs, struct iobus *bus);

void acpi_pm_init(struct acpi_pm *pm, const struct devices_clock *clock);
enum io_result acpi_pm_access(void *opaque, struct io_access *acc);
const char *acpi_pm_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);
enum io_result acpi_reset_access(void *opaque, struct io_access *acc);

/* The machine's clock: virtual time now, in nanoseconds since power-on. */
struct devices_clock {
	uint64_t (*now)(void *opaque);
	void *opaque;
};

/* One 8254 counter (pit.c). Times are PIT input ticks since power-on. */
#define PIT_UNPROGRAMMED 0xff /* mode: no control word written yet */
struct pit_channel {
	uint32_t count;       /* the count loaded, 1-65536 (BCD: 1-10000) */
	uint64_t start;       /* when counting last started */
	uint64_t held;        /* ticks counted before that (a gate that paused it) */
	uint8_t mode;         /* 0-5, or PIT_UNPROGRAMMED */
	uint8_t access;       /* 1 low byte, 2 high byte, 3 low then high */
	bool bcd;             /* counting in BCD */
	bool gate;            /* the gate input (counters 0 and 1: always high) */
	bool loaded;          /* a count was written since the control word */
	bool running;         /* counting now */
	bool started;         /* counting began since the count was written */
	bool null_count;      /* the status's null count: no count loaded yet */
	bool write_high;      /* the next count byte written is the high one */
	bool read_high;       /* the next count byte read is the high one */
	uint8_t low;          /* a low byte written, waiting for its high byte */
	uint8_t latched;      /* bytes of latch still to read (0: not latched) */
	uint16_t latch;       /* the count latched */
	bool status_latched;  /* a read-back status waits to be read first */
	uint8_t status;       /* that status */
};

/* The PIT and port 0x61; what a checkpoint keeps comes before clock. */
struct pit {
	struct pit_channel ch[3];
	bool speaker;         /* port 0x61's speaker data bit */
	bool out0;            /* the level IRQ 0 was last set to */
	uint64_t skipped;     /* ns the machine's clock jumped (halts waiting for it):
				 kept here, with the state checkpoints keep */
	const struct devices_clock *clock; /* virtual time (NULL: always 0) */
	const struct devices_irq *irq;     /* IRQ 0's owner (NULL: none) */
};

/* Power-on: unprogrammed, counter 2's gate low. */
void pit_init(struct pit *p, const struct devices_clock *clock, const struct devices_irq *irq);
/* Sets IRQ 0 to counter 0's output now (after the clock moved). */
void pit_update(struct pit *p);
/* When counter 0's output changes next (virtual ns), UINT64_MAX: never. */
uint64_t pit_next(const struct pit *p);
/* Ports 0x40-0x43; port 0x61. Both update IRQ 0. */
enum io_result pit_access(void *opaque, struct io_access *acc);
/* The console's view: each counter and the clock (a line each). */
void pit_print(const struct pit *p, FILE *out);
enum io_result pit_portb_access(void *opaque, struct io_access *acc);
const char *pit_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);

/*
 * One 8259A (pic.c): requests, in service, masked (a bit per input, input 0
 * is bit 0), and how it was initialised.
 */
struct pic {
	uint8_t irr, isr, imr; /* requested, in service, masked */
	uint8_t level;         /* each input's level now */
	uint8_t elcr;          /* level-triggered inputs (the ELCR) */
	uint8_t base;          /* ICW2: the vector of input 0 */
	uint8_t lowest;        /* the input with the lowest priority (7 unless rotated) */
	uint8_t init;          /* the ICW the data port expects next (2-4), 0: none */
	uint8_t wrote;         /* ... and what its last write was (its name in the access
				  log, made after the write): an ICW (2-4), 0: OCW1 */
	bool ready;            /* initialised: it may request (not at power-on) */
	bool need_icw4, single, ltim; /* ICW1: an ICW4 follows, no slave, all level */
	bool aeoi, rotate_aeoi, sfnm; /* ICW4's automatic EOI, its rotation; SFNM */
	bool special_mask;     /* OCW3: masked inputs in service block nothing */
	bool read_isr;         /* OCW3: the command port reads the ISR, else the IRR */
	bool poll;             /* OCW3: the next command-port read is a poll */
};

/* The PC's pair: chip[0] the master (ports 0x20-0x21, IRQ 0-7), chip[1] the
 * slave (0xa0-0xa1, IRQ 8-15) on the master's input 2. */
struct pic_pair {
	struct pic chip[2];
};

/* Power-on: both uninitialised (no request reaches the CPU until the guest
 * has written the ICWs), nothing requested, all inputs low. */
void pic_init(struct pic_pair *p);
/* ISA line irq (0-15; 2 is 9, as a PC wires it) goes to level. */
void pic_set_irq(struct pic_pair *p, unsigned irq, bool level);
/* The vector the pair would give if the CPU acknowledged now, -1 if INTR is
 * not asserted. Changes nothing. */
int pic_intr(const struct pic_pair *p);
/* The CPU's acknowledge: puts the request in service; its vector (a
 * spurious IRQ 7 or 15's if the request went away). */
uint8_t pic_ack(struct pic_pair *p);
/* Ports 0x20-0x21 and 0xa0-0xa1, opaque the pair; the ELCR at 0x4d0-0x4d1. */
enum io_result pic_access(void *opaque, struct io_access *acc);
/* The console's view: a line per chip. */
void pic_print(const struct pic_pair *p, FILE *out);
enum io_result pic_elcr_access(void *opaque, struct io_access *acc);
const char *pic_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);

struct devices {
	struct devices_output output;
	struct devices_input input;
	struct devices_irq irq;
	struct serial serial;
	struct testdev testdev;
	struct fwcfg fwcfg;
	struct i8042 i8042;
	struct rtc rtc;
	struct acpi_pm acpi;
	struct pc_testdev *pc_testdev; /* --device pc-testdev (malloc'd), or NULL */
	struct devices_clock clock; /* virtual time, for: */
	struct pic_pair pic;  /* kvmdbg's own controllers and timer (devices_timers_create) */
	struct pit pit;
};

struct mem;

/* Registers every built-in device on bus, for a machine with mem's RAM;
 * out receives guest text (may be NULL). With pc_testdev, QEMU's pc-testdev
 * too, and the debug console on port 0x402 only (0xe9 is the device's). */
int devices_create(struct devices *devs, struct iobus *bus, FILE *out, const struct mem *mem,
		   unsigned ncpus, bool pc_testdev);

/* Adds kvmdbg's own PIC pair, ELCR, PIT and port 0x61 on devs->clock (set
 * by the caller), with the serial port's and the PIT's interrupts going to
 * that PIC; -errno. */
int devices_timers_create(struct devices *devs, struct iobus *bus);
/* Fills fw_cfg's items for that machine. */
void fwcfg_init(struct fwcfg *f, const struct mem *mem, unsigned ncpus);
/* What was loaded, for a boot loader in the guest (fw_cfg's kernel, command
 * line, initrd and setup items): guest-physical ranges, copied from RAM as
 * they are now; size 0: none. The kernel and the initrd are read from their
 * files instead where a descriptor is given (taken over: no second copy of a
 * large initrd). setup is a Linux kernel's real-mode part, which is not in
 * RAM. */
struct fwcfg_boot {
	uint64_t kernel, kernel_size, entry;
	int kernel_fd;                /* -1: copy RAM */
	uint64_t kernel_off;          /* where in it */
	uint64_t cmdline;             /* its NUL-terminated text, 0: none */
	uint64_t initrd, initrd_size;
	int initrd_fd;                /* -1: copy RAM; else the whole file */
	const void *setup;
	size_t setup_size;
};
/* Adds those items; -errno with a message. */
int fwcfg_add_boot(struct fwcfg *f, const struct mem *mem, const struct fwcfg_boot *b);
/* Frees what the items own (devices_create() again, or nothing, after). */
void devices_free(struct devices *devs);
enum io_result fwcfg_access(void *opaque, struct io_access *acc);
enum io_result i8042_data_access(void *opaque, struct io_access *acc);
enum io_result i8042_status_access(void *opaque, struct io_access *acc);
const char *i8042_data_name(const void *opaque, uint64_t offset, const struct io_access *acc);
const char *i8042_status_name(const void *opaque, uint64_t offset, const struct io_access *acc);
/* The clock at the host's time now, CMOS memory sizes for mem's RAM. */
void rtc_init(struct rtc *r, const struct mem *mem);
enum io_result rtc_access(void *opaque, struct io_access *acc);
const char *rtc_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);
/* On instruction-count time: the clock (devs->clock) and IRQ 8's owner;
 * the clock's time of the next event that interrupts (UINT64_MAX: none);
 * the events up to now (flags set, IRQ 8 raised). */
void rtc_clock_init(struct rtc *r, const struct devices_clock *clock,
		    const struct devices_irq *irq);
uint64_t rtc_next(const struct rtc *r);
void rtc_update(struct rtc *r);
/* Its time, format, interrupts and flags, a line (info irq). */
void rtc_print(struct rtc *r, FILE *out);
const char *fwcfg_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);

enum io_result serial_access(void *opaque, struct io_access *acc);
/* From another thread, holding what serialises the vCPUs' accesses (the
 * VM's io_lock): input waits, which the guest asked to be interrupted for:
 * raises the line (the guest's next access sets it right). Whether so. */
bool serial_input_waits(struct serial *s);
/*
 * On instruction-count time (s->clock): the UART takes input with an
 * interrupt (its received-data interrupt on, nothing received yet), and
 * when it looks next (the clock's time, at least now). serial_tick() looks
 * if that time has come; whether a byte came.
 */
bool serial_takes_input(const struct serial *s);
uint64_t serial_next_look(const struct serial *s);
bool serial_tick(struct serial *s);
enum io_result debugcon_access(void *opaque, struct io_access *acc);
enum io_result exitdev_access(void *opaque, struct io_access *acc);
enum io_result testdev_access(void *opaque, struct io_access *acc);
const char *serial_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);
const char *testdev_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc);

#endif
