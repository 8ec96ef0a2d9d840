/* kvmdbg's command line as parsed (main.c), and the run modes it selects (run.c). */
#ifndef KVMDBG_OPTIONS_H
#define KVMDBG_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "../src/iobus.h"

struct debug;
struct image;
struct session;

/* Exit statuses besides the guest's own. */
#define STATUS_OK 0
#define STATUS_COMMAND_FAILED 1 /* --eval/--script: a command failed */
#define STATUS_USAGE 2    /* bad command line or set-up failure */
#define STATUS_SHUTDOWN 3 /* the guest shut down (triple fault) */
#define STATUS_KVM_ERROR 4 /* KVM stopped the guest with an error */
#define STATUS_RESET 5     /* the guest reset the machine (i8042) */
#define STATUS_CAUGHT 6    /* a caught exception stopped the guest (--catch) */
#define STATUS_TIMEOUT 124
#define STATUS_INTERRUPTED 130

/* One --eval command or --script file, in command-line order. */
struct batch_item {
	bool script;      /* text names a file of commands */
	const char *text; /* the command or the file name */
};

#define MAX_BATCH 64
#define MAX_WATCHES 64

/* One --watch-mmio or --watch-pio. */
struct io_watch_opt {
	enum io_space space; /* which */
	const char *range;   /* RANGE[,r|w|rw] as given */
};

struct options {
	uint64_t mem;          /* bytes of guest RAM */
	unsigned smp;          /* --smp: vCPUs */
	const char *guest;     /* ELF path, or NULL */
	const char *raw;       /* --raw FILE, or NULL */
	uint64_t raw_addr;     /* --raw @ADDR */
	const char *serial;    /* stdio, none or a file name */
	double timeout;        /* seconds; 0: none */
	bool stats;            /* --stats */
	bool console;          /* --console */
	struct batch_item batch[MAX_BATCH]; /* --eval and --script */
	unsigned nbatch;
	const char *gdb;       /* --gdb [HOST:]PORT or unix:PATH, or NULL */
	const char *icount;    /* --icount auto|step|perf, or NULL: not counting */
	bool stop_at_set;      /* --stop-at-icount given */
	uint64_t margin;       /* --icount-margin, 0: the CPU vendor's default */
	bool history;          /* --history: keep checkpoints to go back in time */
	int irqchip;           /* --irqchip: 1 on, 0 off, -1 not given (on unless --history) */
	bool no_acpi;          /* --acpi off (QEMU's -no-acpi) */
	bool pc_testdev;       /* --device pc-testdev */
	const char *cpu;       /* --cpu: "host[,+FEATURE|-FEATURE|kvm=off...]" (NULL: host) */
	int clock_icount;      /* --clock: 1 icount (kvmdbg's PIC and PIT on instruction-count
				  time), 0 host, -1 not given (icount with --history) */
	const char *symbols;   /* --symbols FILE */
	bool exit_qemu;        /* --exit-code qemu: status (V << 1) | 1 */
	const char *append;    /* --append CMDLINE */
	const char *mods[16];  /* --initrd FILE[,FILE...], split at the commas (in argv) */
	unsigned nmods;
	uint64_t history_mem;  /* --history-mem, 0: the default */
	uint64_t stop_at;      /* its count */
	bool wait;             /* --wait: the guest waits for a debugger to continue it */
	const char *mmio_log;  /* --mmio-log FILE, or NULL */
	const char *catch[MAX_WATCHES]; /* --catch LIST, each */
	unsigned ncatch;
	bool trace_exceptions;  /* --trace-exceptions[=[irq,]FILE] */
	bool trace_irqs;
	const char *trace_file; /* NULL: stderr */
	struct io_watch_opt watches[MAX_WATCHES]; /* --watch-mmio, --watch-pio */
	unsigned nwatches;
	bool host;             /* --host: report what this host's KVM does */
	bool json;             /* --json: that report as JSON */
	bool monitor_files;    /* --allow-monitor-files */
	bool no_shutdown;      /* --no-shutdown: the gdb server outlives the guest */
};

/* A plain run: until the guest stops by itself, the session's deadline
 * (--timeout) passes or a signal comes on its signalfd; the exit status for
 * how it ended. */
struct session;
int run_guest(struct session *s, const struct options *opt);
/* --eval, --script, --console, --gdb and --icount: the guest waits at its first
 * instruction for what the options say; the exit status. */
int run_session(struct session *s, const struct options *opt);

#endif
