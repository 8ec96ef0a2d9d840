/* kvmdbg: the command line, and the wiring of a machine to the run it asks for (run.c). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../src/debug.h"
#include "../src/err.h"
#include "../src/host.h"
#include "../src/machine.h"
#include "commands.h"
#include "options.h"
#include "term.h"

/* The demo guest linked into the binary (cli/demo.S). */
extern const unsigned char demo_guest_start[], demo_guest_end[];

#define GDB_DEFAULT "127.0.0.1:1234" /* -s, as in QEMU but on loopback */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kvmdbg [OPTIONS] [GUEST]\n"
		"Run GUEST, an x86-64 or i386 ELF executable (multiboot kernels included) or a\n"
		"Linux bzImage, in its own KVM virtual machine.\n"
		"Without GUEST, run the built-in demo guest.\n"
		"\n"
		"  -m, --mem SIZE         guest RAM (default 128M; suffixes K, M, G; a bare\n"
		"                         number is MiB, as QEMU's -m)\n"
		"      --smp N            N CPUs (1 to 16; default 1; also QEMU's -smp N and\n"
		"                         -smp cpus=N): CPU 0 boots, the others wait for\n"
		"                         INIT and SIPI. Steps, --icount and --stop-at-icount\n"
		"                         run the selected CPU alone (gdb's thread, 'cpu N')\n"
		"      --raw FILE@ADDR    load a flat image at guest-physical ADDR and start it\n"
		"                         in real mode at 0000:ADDR (ADDR below 1 MiB)\n"
		"      --serial WHERE     serial and debug-console output: stdio (default),\n"
		"                         none, or a file name\n"
		"      --timeout SECONDS  end the run after SECONDS, whatever the mode (a\n"
		"                         debugger waiting for a stop hears SIGALRM)\n"
		"      --stats            print exit and I/O statistics when the run ends\n"
		"      --mmio-log FILE    log MMIO and port accesses to FILE (JSON Lines if it\n"
		"                         ends in .jsonl, else aligned text): all of them, or\n"
		"                         the watched ones\n"
		"      --watch-mmio RANGE[,r|w|rw]  watch MMIO accesses (RANGE: ADDR, ADDR-END,\n"
		"                         ADDR+LEN or a device name); repeatable. Without\n"
		"                         --mmio-log they are printed on stdout\n"
		"      --watch-pio PORT[-PORT][,r|w|rw]  watch port accesses, likewise\n"
		"      --catch LIST       stop at these exceptions before the guest's handler\n"
		"                         runs (pf,gp,ud..., numbers, all, irq; README: When\n"
		"                         the guest faults); repeatable\n"
		"      --trace-exceptions[=[irq,]FILE]  a line for each exception delivered\n"
		"                         (with irq: and interrupt), the guest running on, to\n"
		"                         FILE (JSON Lines if it ends in .jsonl) or stderr\n"
		"  -c, --console          stop at the first instruction and open the console\n"
		"                         (commands from stdin when it is not a terminal)\n"
		"  -e, --eval COMMAND     run a console command with the guest stopped at the\n"
		"                         start (repeatable); then exit unless --console\n"
		"  -x, --script FILE      run the console commands in FILE, likewise\n"
		"  -g, --gdb [HOST:]PORT  serve gdb's remote protocol (HOST defaults to\n"
		"                         127.0.0.1); or --gdb unix:PATH (a 0600 socket)\n"
		"  -s                     --gdb 127.0.0.1:1234\n"
		"  -S, --wait             with --gdb: the guest waits for the debugger to\n"
		"                         continue it (else it starts running at once)\n"
		"      --allow-monitor-files  let gdb's monitor open host files (mmio log FILE,\n"
		"                         pio log FILE), as kvmdbg's user; else console-only\n"
		"      --icount MODE      count instructions retired since power-on: auto,\n"
		"                         step or perf (see README, Instruction counts)\n"
		"      --icount-margin N  perf backend: stop N instructions early, then single-\n"
		"                         step (default by CPU vendor)\n"
		"      --stop-at-icount N run to exactly N instructions, print the count and\n"
		"                         the registers, then exit (or go on with --console,\n"
		"                         --eval, --script, --gdb)\n"
		"      --history          keep an execution history: go back with gdb's\n"
		"                         reverse-* commands or the console's rstepi,\n"
		"                         rcont and goto (turns on --clock icount, or with\n"
		"                         --clock host or --icount perf, --icount auto)\n"
		"      --history-mem SIZE memory for the history's checkpoints (default\n"
		"                         256M; older ones are thinned out to fit)\n"
		"      --irqchip on|off   KVM's interrupt controllers (PIC, IOAPIC, local\n"
		"                         APIC) and PIT: on, unless --history or --clock\n"
		"                         icount (interrupts in host time cannot be replayed)\n"
		"      --clock icount|host  the machine's time: host (KVM's PIC, PIT and\n"
		"                         APICs, as the host's clock runs) or icount (kvmdbg's\n"
		"                         own PIC and PIT, 1 ns per instruction: interrupts\n"
		"                         come at exact counts; turns on --icount step)\n"
		"      --cpu host[,+F|-F...]  CPUID as QEMU's -cpu host (with the hypervisor\n"
		"                         bit, KVM's leaves, the host's brand string), each\n"
		"                         feature F (QEMU's name) on or off; kvm=off hides\n"
		"                         KVM's leaves (also QEMU's -cpu)\n"
		"      --acpi on|off      ACPI tables (RSDP, RSDT, XSDT, FADT, FACS, MADT,\n"
		"                         DSDT with _S5: power-off) with the interrupt\n"
		"                         controllers: on (off: the MP table alone; also\n"
		"                         QEMU's -no-acpi)\n"
		"      --device pc-testdev  QEMU's test device for kvm-unit-tests (ports\n"
		"                         0xe0-0xe4, 0xe8-0xeb, 0x2000-0x2017, 64 KiB MMIO at\n"
		"                         0xff000000); the debug console keeps 0x402 only\n"
		"                         (also QEMU's -device)\n"
		"      --append CMDLINE   the kernel's command line (Linux bzImage; multiboot:\n"
		"                         after its name, as QEMU passes it)\n"
		"      --initrd FILE[,FILE...]  Linux's initrd, or multiboot modules (each\n"
		"                         'FILE[ STRING]')\n"
		"      --kernel FILE      the guest (QEMU's spelling; also -kernel, -initrd,\n"
		"                         -append, -smp and -no-shutdown)\n"
		"      --no-shutdown      with --gdb: keep serving after the guest's end\n"
		"                         (else kvmdbg ends with it once no debugger is\n"
		"                         connected)\n"
		"      --exit-code MODE   what a write of V to port 0xf4 makes kvmdbg's exit\n"
		"                         status: kvmdbg (V & 0xff, the default) or qemu\n"
		"                         ((V << 1) | 1, as QEMU's isa-debug-exit)\n"
		"      --symbols FILE     more guest symbols: an ELF's symbol table or a\n"
		"                         System.map (a stripped kernel's, with nokaslr)\n"
		"      --host             measure and print what this host's KVM does\n"
		"                         (single-step, breakpoints, PMU, memslots...), then\n"
		"                         exit; with --json, as one JSON object\n"
		"  -h, --help             this text\n"
		"  -V, --version          the version\n"
		"\n"
		"Guests start in 64-bit long mode (x86-64 ELF), flat 32-bit protected mode\n"
		"(i386 ELF, multiboot register state) or real mode (--raw). A guest ends the\n"
		"run by writing its exit status to port 0xf4.\n"
		"\n"
		"Exit status: the guest's own (value written to port 0xf4, & 0xff); 0 when the\n"
		"guest halts for good; 3 when it shuts down (triple fault); 4 when KVM stops it\n"
		"with an error; 124 on --timeout; 130 when interrupted; 2 for bad options and\n"
		"set-up errors. With --eval/--script: 1 if a command failed, else 0.\n"
		"\n"
		"Environment: %s names the KVM device (default /dev/kvm).\n",
		VM_KVM_DEVICE_ENV);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kvmdbg: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kvmdbg --help' for more information.\n", stderr);
	return -EINVAL;
}

static int parse_raw(char *arg, struct options *opt)
{
	char *at = strrchr(arg, '@'), *end;

	if (!at || at == arg || !at[1])
		return usage_error("--raw wants FILE@ADDR (e.g. boot.bin@0x7c00), not '%s'", arg);
	*at = '\0';
	errno = 0;
	opt->raw_addr = strtoull(at + 1, &end, 0);
	if (errno || *end || at[1] == '-')
		return usage_error("--raw: '%s' is not an address", at + 1);
	opt->raw = arg;
	return 0;
}

/* The long options' codes past the short ones. */
enum { OPT_RAW = 256, OPT_SERIAL, OPT_TIMEOUT, OPT_STATS, OPT_ICOUNT, OPT_STOP_AT,
       OPT_MARGIN, OPT_MMIO_LOG, OPT_CATCH, OPT_TRACE_EXC, OPT_WATCH_MMIO, OPT_WATCH_PIO, OPT_HOST, OPT_JSON,
       OPT_MONITOR_FILES, OPT_HISTORY, OPT_HISTORY_MEM, OPT_SYMBOLS, OPT_EXIT_CODE,
       OPT_APPEND, OPT_INITRD, OPT_IRQCHIP, OPT_SMP, OPT_KERNEL, OPT_NO_SHUTDOWN, OPT_CLOCK, OPT_CPU, OPT_ACPI,
       OPT_NO_ACPI, OPT_DEVICE };

/* --smp N, or QEMU's cpus=N. */
static int parse_smp(const char *arg, struct options *opt)
{
	const char *n = strncmp(arg, "cpus=", 5) ? arg : arg + 5;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(n, &end, 10);
	if (errno || *end || end == n || *n == '-' || v < 1 || v > VM_MAX_CPUS)
		return usage_error("invalid --smp '%s': expected a number of CPUs from 1 to %d "
				   "(or cpus=N)", arg, VM_MAX_CPUS);
	opt->smp = (unsigned)v;
	return 0;
}

/* One option as getopt_long() returned it; 0, or -EINVAL after saying why. */
/* --mem's size: a number without a suffix is MiB, as QEMU's -m takes it. */
static int parse_mem(const char *text, uint64_t *bytes)
{
	size_t n = strlen(text);
	char mib[64];

	if (n == 0 || n + 2 > sizeof(mib) || !isdigit((unsigned char)text[n - 1]))
		return commands_parse_size(text, bytes);
	snprintf(mib, sizeof(mib), "%sM", text);
	return commands_parse_size(mib, bytes);
}

static int parse_option(int c, char **argv, struct options *opt)
{
	char *end;

	switch (c) {
	case 'm':
		if (parse_mem(optarg, &opt->mem) < 0)
			return usage_error("invalid --mem '%s': expected a size such as "
					   "128M or 1G", optarg);
		return 0;
	case OPT_RAW:
		if (parse_raw(optarg, opt) < 0)
			return -EINVAL;
		return 0;
	case OPT_SERIAL:
		if (!*optarg)
			return usage_error("--serial wants stdio, none or a file name");
		opt->serial = optarg;
		return 0;
	case OPT_TIMEOUT:
		errno = 0;
		opt->timeout = strtod(optarg, &end);
		if (errno || *end || end == optarg || !(opt->timeout > 0) ||
		    opt->timeout > 1e9)
			return usage_error("invalid --timeout '%s': expected seconds > 0",
					   optarg);
		return 0;
	case OPT_STATS:
		opt->stats = true;
		return 0;
	case 'c':
		opt->console = true;
		return 0;
	case 'g':
		opt->gdb = optarg;
		return 0;
	case OPT_ICOUNT:
		if (strcmp(optarg, "auto") && strcmp(optarg, "step") && strcmp(optarg, "perf"))
			return usage_error("--icount wants auto, step or perf, not '%s'", optarg);
		opt->icount = optarg;
		return 0;
	case OPT_MARGIN:
		errno = 0;
		opt->margin = strtoull(optarg, &end, 0);
		if (errno || *end || !*optarg || *optarg == '-' || !opt->margin)
			return usage_error("invalid --icount-margin '%s': expected a count > 0",
					   optarg);
		return 0;
	case OPT_HISTORY:
		opt->history = true;
		return 0;
	case OPT_SMP:
		return parse_smp(optarg, opt);
	case OPT_IRQCHIP:
		if (strcmp(optarg, "on") && strcmp(optarg, "off"))
			return usage_error("--irqchip wants on or off, not '%s'", optarg);
		opt->irqchip = !strcmp(optarg, "on");
		return 0;
	case OPT_CPU:
		opt->cpu = optarg;
		break;
	case OPT_ACPI:
		if (strcmp(optarg, "on") && strcmp(optarg, "off"))
			return usage_error("--acpi wants on or off, not '%s'", optarg);
		opt->no_acpi = !strcmp(optarg, "off");
		break;
	case OPT_NO_ACPI:
		opt->no_acpi = true;
		break;
	case OPT_DEVICE:
		if (strcmp(optarg, "pc-testdev"))
			return usage_error("--device: kvmdbg has pc-testdev (QEMU's, for "
					   "kvm-unit-tests), not '%s'", optarg);
		opt->pc_testdev = true;
		break;
	case OPT_CLOCK:
		if (strcmp(optarg, "icount") && strcmp(optarg, "host"))
			return usage_error("--clock wants icount or host, not '%s'", optarg);
		opt->clock_icount = !strcmp(optarg, "icount");
		return 0;
	case OPT_APPEND:
		opt->append = optarg;
		return 0;
	case OPT_KERNEL:
		if (opt->guest)
			return usage_error("--kernel names the guest: '%s' is one already",
					   opt->guest);
		opt->guest = optarg;
		return 0;
	case OPT_NO_SHUTDOWN:
		opt->no_shutdown = true;
		return 0;
	case OPT_INITRD:
		/* Split where it is (argv's strings are ours to change). */
		opt->nmods = 0;
		for (char *p = optarg, *next; p; p = next) {
			next = strchr(p, ',');
			if (next)
				*next++ = '\0';
			if (!*p)
				return usage_error("--initrd: an empty module (FILE[,FILE...])");
			if (opt->nmods == sizeof(opt->mods) / sizeof(opt->mods[0]))
				return usage_error("--initrd: at most %zu modules",
						   sizeof(opt->mods) / sizeof(opt->mods[0]));
			opt->mods[opt->nmods++] = p;
		}
		return 0;
	case OPT_EXIT_CODE:
		if (strcmp(optarg, "qemu") && strcmp(optarg, "kvmdbg"))
			return usage_error("--exit-code wants kvmdbg or qemu, not '%s'", optarg);
		opt->exit_qemu = !strcmp(optarg, "qemu");
		return 0;
	case OPT_SYMBOLS:
		if (!*optarg)
			return usage_error("--symbols wants a file: an ELF or a System.map");
		opt->symbols = optarg;
		return 0;
	case OPT_HISTORY_MEM:
		if (commands_parse_size(optarg, &opt->history_mem) < 0 || !opt->history_mem)
			return usage_error("invalid --history-mem '%s': expected a size such as 64M",
					   optarg);
		opt->history = true;
		return 0;
	case OPT_STOP_AT:
		errno = 0;
		opt->stop_at = strtoull(optarg, &end, 0);
		if (errno || *end || !*optarg || *optarg == '-')
			return usage_error("invalid --stop-at-icount '%s': expected a count", optarg);
		opt->stop_at_set = true;
		return 0;
	case OPT_CATCH:
		if (opt->ncatch == MAX_WATCHES)
			return usage_error("at most %d --catch options", MAX_WATCHES);
		opt->catch[opt->ncatch++] = optarg;
		return 0;
	case OPT_TRACE_EXC:
		opt->trace_exceptions = true;
		opt->trace_file = NULL;
		opt->trace_irqs = false;
		if (optarg && !strncmp(optarg, "irq", 3) && (!optarg[3] || optarg[3] == ',')) {
			opt->trace_irqs = true;
			optarg += optarg[3] ? 4 : 3;
		}
		if (optarg && *optarg)
			opt->trace_file = optarg;
		return 0;
	case OPT_MMIO_LOG:
		if (!*optarg)
			return usage_error("--mmio-log wants a file name");
		opt->mmio_log = optarg;
		return 0;
	case OPT_WATCH_MMIO:
	case OPT_WATCH_PIO:
		if (opt->nwatches == MAX_WATCHES)
			return usage_error("at most %d --watch-mmio and --watch-pio options",
					   MAX_WATCHES);
		opt->watches[opt->nwatches++] = (struct io_watch_opt){
			c == OPT_WATCH_PIO ? IO_PIO : IO_MMIO, optarg };
		return 0;
	case OPT_HOST:
		opt->host = true;
		return 0;
	case OPT_JSON:
		opt->json = true;
		return 0;
	case OPT_MONITOR_FILES:
		opt->monitor_files = true;
		return 0;
	case 's':
		opt->gdb = GDB_DEFAULT;
		return 0;
	case 'S':
		opt->wait = true;
		return 0;
	case 'e':
	case 'x':
		if (opt->nbatch == MAX_BATCH)
			return usage_error("at most %d --eval and --script options", MAX_BATCH);
		opt->batch[opt->nbatch++] = (struct batch_item){ c == 'x', optarg };
		return 0;
	case 'h':
		usage(stdout);
		exit(STATUS_OK);
	case 'V':
		printf("kvmdbg %s\n", KVMDBG_VERSION);
		exit(STATUS_OK);
	case ':':
		return usage_error("option '%s' needs an argument", argv[optind - 1]);
	default:
		if (optopt)
			return usage_error("unknown option '-%c'", optopt);
		return usage_error("unknown option '%s'", argv[optind - 1]);
	}
	return 0;
}

/* What the options mean together. */
static int check_options(struct options *opt)
{
	if (opt->pc_testdev && !opt->host)
		fprintf(stderr, "kvmdbg: pc-testdev has ports 0xe8-0xeb: the debug console is on "
			"port 0x402 only\n");
	if (opt->json && !opt->host)
		return usage_error("--json formats the --host report: give --host too");
	if (opt->host && (opt->guest || opt->raw || opt->console || opt->nbatch || opt->gdb ||
			  opt->icount || opt->mmio_log || opt->nwatches))
		return usage_error("--host measures this machine's KVM and runs no guest: give it "
				   "alone (or with --json)");
	if (opt->guest && opt->raw)
		return usage_error("give either a GUEST ELF or --raw FILE@ADDR, not both");
	if (opt->wait && !opt->gdb)
		return usage_error("--wait waits for a debugger: give --gdb (or -s) too");
	/* History runs on instruction-count time unless told otherwise: its
	 * guests keep their timer. (--icount perf keeps the machine without
	 * controllers, where the perf backend counts.) */
	if (opt->clock_icount < 0)
		opt->clock_icount = opt->history && opt->irqchip <= 0 &&
				    !(opt->icount && !strcmp(opt->icount, "perf"));
	if (opt->clock_icount) {
		if (opt->icount && !strcmp(opt->icount, "perf"))
			return usage_error("--clock icount counts by single steps for now: not with "
					   "--icount perf (the perf backend does not yet stop at the "
					   "timer's deadlines)");
		if (opt->irqchip > 0)
			return usage_error("--clock icount brings kvmdbg's own PIC and PIT: not with "
					   "--irqchip on (KVM's run on the host's time)");
		opt->icount = "step";
		opt->irqchip = 0;
	}
	if ((opt->stop_at_set || opt->history) && !opt->icount)
		opt->icount = "auto";
	if (opt->irqchip < 0)
		opt->irqchip = !opt->history;
	else if (opt->irqchip && opt->history)
		return usage_error("--history cannot go with --irqchip on: the in-kernel "
				   "interrupt controllers and timer interrupt the guest in host "
				   "time, which a replay could not repeat (with --history the "
				   "machine has none)");
	if (opt->smp > 1 && opt->history)
		return usage_error("--history replays one CPU: not with --smp %u (a deterministic "
				   "replay of several is later work)", opt->smp);
	if (opt->smp > 1 && !opt->irqchip)
		return usage_error("--smp %u needs --irqchip on: the local APICs start the other "
				   "CPUs", opt->smp);
	return 0;
}

/* getopt's tables: what parse_options() takes, and qemu_spellings() skips values of. */
static const char shortopts[] = ":m:ce:x:g:sShV";
static const struct option longopts[] = {
	{ "mem", required_argument, NULL, 'm' },
	{ "raw", required_argument, NULL, OPT_RAW },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "console", no_argument, NULL, 'c' },
	{ "eval", required_argument, NULL, 'e' },
	{ "script", required_argument, NULL, 'x' },
	{ "gdb", required_argument, NULL, 'g' },
	{ "icount", required_argument, NULL, OPT_ICOUNT },
	{ "stop-at-icount", required_argument, NULL, OPT_STOP_AT },
	{ "icount-margin", required_argument, NULL, OPT_MARGIN },
	{ "history", no_argument, NULL, OPT_HISTORY },
	{ "history-mem", required_argument, NULL, OPT_HISTORY_MEM },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "acpi", required_argument, NULL, OPT_ACPI },
	{ "no-acpi", no_argument, NULL, OPT_NO_ACPI },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "smp", required_argument, NULL, OPT_SMP },
	{ "symbols", required_argument, NULL, OPT_SYMBOLS },
	{ "exit-code", required_argument, NULL, OPT_EXIT_CODE },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "no-shutdown", no_argument, NULL, OPT_NO_SHUTDOWN },
	{ "wait", no_argument, NULL, 'S' },
	{ "mmio-log", required_argument, NULL, OPT_MMIO_LOG },
	{ "catch", required_argument, NULL, OPT_CATCH },
	{ "trace-exceptions", optional_argument, NULL, OPT_TRACE_EXC },
	{ "watch-mmio", required_argument, NULL, OPT_WATCH_MMIO },
	{ "watch-pio", required_argument, NULL, OPT_WATCH_PIO },
	{ "host", no_argument, NULL, OPT_HOST },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "allow-monitor-files", no_argument, NULL, OPT_MONITOR_FILES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * QEMU's single-dash spellings (-kernel FILE, -smp N...) as kvmdbg's long
 * options, wherever they are (getopt takes options after the guest's name
 * too); an option's value is left alone (--append '-smp 2' stays the
 * command line).
 */
static void qemu_spellings(int argc, char **argv)
{
	static const char *const names[] = { "-kernel", "-initrd", "-append", "-smp",
					     "-no-shutdown", "-cpu", "-no-acpi", "-device" };
	static const char *const long_names[] = { "--kernel", "--initrd", "--append", "--smp",
						  "--no-shutdown", "--cpu", "--no-acpi",
						  "--device" };

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		bool value = false;

		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(a, names[k]))
				a = argv[i] = (char *)long_names[k];
		/* "--name VALUE" and "-x VALUE" as getopt will read them. */
		if (a[0] == '-' && a[1] == '-')
			for (const struct option *o = longopts; o->name && !value; o++)
				value = o->has_arg == required_argument && !strcmp(a + 2, o->name);
		else if (a[0] == '-' && a[1] && a[1] != ':' && !a[2])
			value = strchr(shortopts, a[1]) && strchr(shortopts, a[1])[1] == ':';
		i += value;
	}
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	int c, r;

	*opt = (struct options){ .mem = VM_DEFAULT_RAM, .serial = "stdio", .irqchip = -1,
				 .clock_icount = -1, .smp = 1 };
	opterr = 0;
	qemu_spellings(argc, argv);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		if ((r = parse_option(c, argv, opt)) < 0)
			return r;
	if (optind < argc && opt->guest)
		return usage_error("unexpected argument '%s': --kernel named the guest (%s)",
				   argv[optind], opt->guest);
	if (optind < argc)
		opt->guest = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s' (one guest at a time)", argv[optind]);
	return check_options(opt);
}

static int open_output(const char *serial, FILE **out)
{
	if (!strcmp(serial, "stdio")) {
		*out = stdout;
	} else if (!strcmp(serial, "none")) {
		*out = NULL;
	} else {
		*out = fopen(serial, "w");
		if (!*out)
			return err_set(errno, "cannot open serial output %s: %s", serial,
				       strerror(errno));
	}
	return 0;
}

/* --watch-mmio, --watch-pio and --mmio-log, once the devices are there. */
static int setup_watching(struct debug *d, const struct options *opt)
{
	for (unsigned i = 0; i < opt->nwatches; i++) {
		const struct io_watch_opt *o = &opt->watches[i];
		const char *name = o->space == IO_PIO ? "--watch-pio" : "--watch-mmio";
		const char *comma = strrchr(o->range, ',');
		char range[128];
		size_t n = comma ? (size_t)(comma - o->range) : strlen(o->range);

		if (n >= sizeof(range))
			return usage_error("%s: range too long", name);
		memcpy(range, o->range, n);
		range[n] = '\0';
		if (!debug_io_watch(d, o->space, range, comma ? comma + 1 : NULL))
			return usage_error("%s: %s", name, err_msg());
		const char *note = debug_notice(d);

		if (note)
			fprintf(stderr, "kvmdbg: note: %s: %s\n", name, note);
	}
	if (opt->mmio_log && debug_io_log(d, opt->mmio_log, false) < 0)
		return usage_error("--mmio-log: %s", err_msg());
	if (opt->trace_exceptions &&
	    debug_trace_exceptions(d, opt->trace_file, opt->trace_irqs) < 0)
		return usage_error("--trace-exceptions: %s", err_msg());
	for (unsigned i = 0; i < opt->ncatch; i++)
		if (!*opt->catch[i] || debug_catch(d, opt->catch[i], true) < 0)
			return usage_error("--catch: %s", *opt->catch[i] ? err_msg() : "wants a list "
					   "of exceptions (pf,gp,ud, all, irq)");
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct machine m;
	struct session session;
	struct term_serial term = { .running = false, .guest_fd = -1, .pipe_w = -1, .quit_fd = -1 };
	FILE *out = NULL;
	sigset_t sigs;
	int status = STATUS_USAGE, sfd;

	if (parse_options(argc, argv, &opt) < 0)
		return STATUS_USAGE;
	if (opt.host) {
		if (host_report(stdout, opt.json) == 0)
			return STATUS_OK;
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		return STATUS_USAGE;
	}

	/*
	 * The control thread takes these through a signalfd; every thread inherits
	 * the mask. A shell starts background jobs with SIGINT ignored, which would
	 * discard it even from the signalfd: an explicit Ctrl-C or kill -INT
	 * should stop the guest however we were started.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "kvmdbg: signalfd: %s\n", strerror(errno));
		return STATUS_USAGE;
	}

	if (open_output(opt.serial, &out) < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		return STATUS_USAGE;
	}
	bool plain = !(opt.console || opt.nbatch || opt.gdb || opt.icount);

	if (plain && !strcmp(opt.serial, "stdio") && isatty(STDIN_FILENO) &&
	    term_serial_start(&term) < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		goto out;
	}
	struct machine_config cfg = {
		.ram = opt.mem, .serial = out, .guest = opt.guest, .raw = opt.raw,
		.raw_addr = opt.raw_addr, .builtin = demo_guest_start,
		.builtin_len = (size_t)(demo_guest_end - demo_guest_start),
		.builtin_name = "built-in demo", .symbols = opt.symbols,
		/* stdin feeds the guest unless the console reads it; a person's keys
		 * come through the terminal's escape handling (plain runs only) */
		.serial_stdin = !strcmp(opt.serial, "stdio") && !opt.console &&
				(!isatty(STDIN_FILENO) || plain),
		.serial_fd = term.running ? term.guest_fd : STDIN_FILENO,
		.boot_extras = opt.append || opt.nmods, .append = opt.append,
		.mods = opt.mods, .nmods = opt.nmods, .irqchip = opt.irqchip, .cpus = opt.smp,
		.cpu = opt.cpu, .no_acpi = opt.no_acpi, .pc_testdev = opt.pc_testdev,
		.clock_icount = opt.clock_icount,
	};

	if (machine_create(&m, &cfg) < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		goto out;
	}
	/* What the set-up found to say (symbols that are not the kernel's, say). */
	const char *note = debug_notice(m.dbg);

	if (note)
		fprintf(stderr, "kvmdbg: %s\n", note);
	if (setup_watching(m.dbg, &opt) < 0)
		goto out_machine;

	session = (struct session){ .img = &m.img, .dbg = m.dbg, .sigfd = sfd,
				    .monitor_files = opt.monitor_files };
	commands_set_timeout(&session, opt.timeout);
	session.kernel = m.img.version[0] != '\0';
	session.early_hint = session.kernel && !(opt.append && strstr(opt.append, "earlyprintk"));
	if (!plain) {
		status = run_session(&session, &opt);
	} else {
		/* Ctrl-A x is a way out, not an interruption; Ctrl-A c goes on in
		 * the console with the guest stopped, whose `serial` comes back. */
		for (;;) {
			status = run_guest(&session, &opt);
			term_serial_pause(&term);
			if (term.escape == 'x')
				status = STATUS_OK;
			if (term.escape != 'c' || debug_exited(m.dbg, NULL))
				break;
			opt.console = true;
			session.serial_offered = true;
			session.serial_back = session.quit = false;
			status = run_session(&session, &opt);
			if (!session.serial_back)
				break;
			if (term_serial_resume(&term) < 0) {
				fprintf(stderr, "kvmdbg: %s\n", err_msg());
				status = STATUS_USAGE;
				break;
			}
			fputs("kvmdbg: back to the serial console (Ctrl-A c the kvmdbg console)\r\n",
			      stderr);
		}
		term_serial_stop(&term);
	}
	machine_flush(&m);
	if (status < 0) {
		fprintf(stderr, "kvmdbg: %s\n", err_msg());
		status = STATUS_USAGE;
	}
	if (opt.stats) {
		debug_stats(m.dbg, stderr);
		debug_io_stats(m.dbg, stderr);
	}
out_machine:
	machine_destroy(&m);
out:
	term_serial_stop(&term);
	if (out && out != stdout)
		fclose(out);
	return status;
}
