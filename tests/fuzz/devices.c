/*
 * Fuzzes what a guest controls at the device level, without KVM: each input
 * is a sequence of exits as KVM would hand them over in kvm_run (port I/O,
 * string port I/O, MMIO, writes queued in the coalesced MMIO ring), built
 * from the input's bytes, and handled by the exit handlers (src/exits.c)
 * through the bus to every built-in device (UART with input and its
 * interrupt line, fw_cfg with a kernel, command line and an initrd read from
 * a file, i8042, RTC/CMOS, testdev, debug console, exit port; for half the
 * inputs also the PIC pair, ELCR, PIT and port 0x61 of --clock icount, and
 * the RTC's and the UART's interrupts on that clock, with time passing and
 * the CPU acknowledging as the input says), with the
 * access log recording each access. The exits' own fields (sizes, counts,
 * offsets) come from the input too, as checks on KVM's word. After the
 * input, the devices' kept state goes through a checkpoint's save and
 * restore. The machine is new for each input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/devices/devices.h"
#include "../../src/exits.h"
#include "../../src/iolog.h"
#include "fuzz.h"
#include "nokvm.h"

#define FUZZ_RAM (4ULL << 20)
#define FUZZ_MAX_EXITS 256

static struct vm vm;
static struct vcpu vcpu;
static struct devices devs;
static struct iolog iolog;
static FILE *sink;
static int initrd_fd = -1;

/* The input being replayed: bytes the UART receives come from it too. */
static const uint8_t *in_data;
static size_t in_size, in_at;

static uint8_t next(void)
{
	return in_at < in_size ? in_data[in_at++] : 0;
}

static uint64_t next_n(unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)next() << (8 * i);
	return v;
}

static bool input_poll(void *opaque, uint64_t seq, uint8_t *byte)
{
	(void)opaque;
	if (seq % 3 || in_at >= in_size)
		return false;
	*byte = next();
	return true;
}

static void irq_set(void *opaque, unsigned irq, bool level)
{
	(void)opaque;
	(void)level;
	if (irq >= 16)
		abort();
}

static const struct devices_input input = { .poll = input_poll };
static const struct devices_irq irq = { .set = irq_set };

/* Virtual time for the timers, moved on by the input. */
static uint64_t now_ns;

static uint64_t clock_now(void *opaque)
{
	(void)opaque;
	return now_ns;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	nokvm_init(&vm, &vcpu, FUZZ_RAM);
	/* A kernel, its command line and an initrd for fw_cfg to serve. */
	static const char cmdline[] = "console=ttyS0 fuzz";
	static const uint8_t initrd[6000] = { 0x07, 0x07, 0x01 };

	memcpy(mem_ptr(&vm.mem, 0x20000, sizeof(cmdline)), cmdline, sizeof(cmdline));
	memset(mem_ptr(&vm.mem, 0x100000, 0x3000), 0x90, 0x3000);
	initrd_fd = nokvm_file(initrd, sizeof(initrd));
	return 0;
}

static void machine_new(bool timers, bool pc_testdev)
{
	static const uint8_t setup[600] = { [0x1fe] = 0x55, [0x1ff] = 0xaa };
	struct fwcfg_boot boot = {
		.kernel = 0x100000, .kernel_size = 0x3000, .entry = 0x100000, .kernel_fd = -1,
		.cmdline = 0x20000, .initrd = 0x200000, .initrd_size = 6000,
		.initrd_fd = dup(initrd_fd), .setup = setup, .setup_size = sizeof(setup),
	};

	iobus_init(&vm.bus, &vm.stats);
	if (devices_create(&devs, &vm.bus, sink, &vm.mem, 1, pc_testdev) < 0 ||
	    fwcfg_add_boot(&devs.fwcfg, &vm.mem, &boot) < 0)
		abort();
	devs.serial.input = &input;
	devs.serial.irq = &irq;
	now_ns = 0;
	if (timers) {
		devs.clock = (struct devices_clock){ .now = clock_now };
		if (devices_timers_create(&devs, &vm.bus) < 0)
			abort();
	}
	iolog_init(&iolog);
	iolog.out = sink;
	vcpu.on_access = iolog_record;
	vcpu.access_opaque = &iolog;
}

static void machine_end(void)
{
	iolog_stats(&iolog, sink);
	iolog_free(&iolog);
	devices_free(&devs);
	iobus_free(&vm.bus);
}

/* Ports and addresses worth hitting: each device's, and their neighbours. */
static uint64_t pick_port(void)
{
	static const uint16_t ports[] = {
		LAYOUT_SERIAL_PORT, LAYOUT_DEBUGCON_PORT, LAYOUT_DEBUGCON_PORT_FW,
		LAYOUT_EXIT_PORT, LAYOUT_FWCFG_PORT, LAYOUT_I8042_PORT,
		LAYOUT_I8042_COMMAND, LAYOUT_RTC_PORT, LAYOUT_PIC1_PORT, LAYOUT_PIC2_PORT,
		LAYOUT_ELCR_PORT, LAYOUT_PIT_PORT, LAYOUT_PORTB,
	};
	uint8_t b = next();

	if (b >= 0xf0)
		return next_n(2);
	return (uint64_t)ports[b % (sizeof(ports) / sizeof(ports[0]))] + (b >> 3) % 9;
}

static void fuzz_pio(bool string)
{
	struct kvm_run *run = vcpu.run;
	uint8_t shape = next();
	uint32_t count = string ? 1 + next() % 32 : 1;

	run->exit_reason = KVM_EXIT_IO;
	run->io.port = (uint16_t)pick_port();
	run->io.direction = shape & 1 ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = (uint8_t[]){ 1, 2, 4, 1, 2, 4, 1, 0 }[(shape >> 1) & 7];
	run->io.count = count;
	run->io.data_offset = MEM_PAGE;
	/* Now and then a field KVM would never give: the handler must refuse it. */
	if ((shape & 0xf0) == 0xf0) {
		run->io.size = next();
		run->io.count = (uint32_t)next_n(4);
		run->io.data_offset = next_n(8);
	}
	for (uint32_t i = 0; i < count * 4 && i < MEM_PAGE; i++)
		((uint8_t *)run)[MEM_PAGE + i] = next();
}

static void fuzz_mmio(void)
{
	struct kvm_run *run = vcpu.run;
	uint8_t shape = next();

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = shape & 0x80 ? next_n(8) : LAYOUT_TESTDEV_BASE + next_n(2) % (LAYOUT_TESTDEV_SIZE + 16);
	run->mmio.len = (uint32_t[]){ 1, 2, 4, 8 }[shape & 3];
	if ((shape & 0x70) == 0x70)
		run->mmio.len = next();
	run->mmio.is_write = (shape >> 2) & 1;
	for (unsigned i = 0; i < sizeof(run->mmio.data); i++)
		run->mmio.data[i] = next();
}

/* Writes queued in the ring as KVM queues them (first and last are KVM's). */
static void fuzz_coalesced(void)
{
	struct kvm_coalesced_mmio_ring *ring =
		(void *)((uint8_t *)vcpu.run + vm.coalesced_page * MEM_PAGE);
	uint32_t max = (uint32_t)((MEM_PAGE - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]));
	unsigned n = next() % 8;

	for (unsigned i = 0; i < n; i++) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->last % max];
		uint8_t shape = next();

		e->pio = shape & 1;
		e->phys_addr = e->pio ? pick_port() : LAYOUT_TESTDEV_BASE + next_n(2) % LAYOUT_TESTDEV_SIZE;
		e->len = (uint32_t[]){ 1, 2, 4, 8 }[(shape >> 1) & 3];
		if ((shape & 0xf0) == 0xf0)
			e->len = next();
		for (unsigned j = 0; j < sizeof(e->data); j++)
			e->data[j] = next();
		ring->last = (ring->last + 1) % max;
	}
}

/* Time passes as the input says, the timers (PIT, RTC) and the UART catch
 * up, and the CPU may acknowledge what the PIC asks for, as a counted run
 * does between steps. What must hold: the timers' next changes lie ahead,
 * and an acknowledge gives the vector the PIC asked for. */
static void fuzz_time(void)
{
	int want;
	uint64_t next_ns;

	now_ns += next_n(next() % 4);
	pit_update(&devs.pit);
	rtc_update(&devs.rtc);
	serial_tick(&devs.serial);
	next_ns = pit_next(&devs.pit);
	if (next_ns != UINT64_MAX && next_ns <= now_ns)
		abort();
	next_ns = rtc_next(&devs.rtc);
	if (next_ns != UINT64_MAX && next_ns <= now_ns)
		abort();
	want = pic_intr(&devs.pic);
	if (want >= 0 && next() & 1 && pic_ack(&devs.pic) != (unsigned)want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcpu_stop stop;
	uint8_t *saved;
	size_t kept;

	in_data = data;
	in_size = size;
	in_at = 0;
	memset(vcpu.run, 0, vm.run_size);
	uint8_t how = next();
	bool timers = how & 2;

	machine_new(timers, how & 4);
	if (how & 1)
		iolog_watch_add(&iolog, IO_PIO, 0, 0x10000, WATCH_ACCESS, "all ports");
	for (unsigned n = 0; n < FUZZ_MAX_EXITS && in_at < in_size; n++) {
		uint8_t kind = next();

		memset(&stop, 0, sizeof(stop));
		if (timers && kind >= 0xc0) {
			fuzz_time();
			continue;
		}
		switch (kind % 4) {
		case 0: fuzz_pio(false); break;
		case 1: fuzz_pio(true); break;
		case 2: fuzz_mmio(); break;
		case 3:
			fuzz_coalesced();
			exits_flush_coalesced(&vcpu, &stop);
			continue;
		}
		exits_handle(&vcpu, &stop);
	}
	/* A checkpoint's copy of the devices' state, and back. */
	kept = iobus_state(&vm.bus, NULL, false);
	saved = malloc(kept ? kept : 1);
	if (!saved)
		abort();
	iobus_state(&vm.bus, saved, false);
	iobus_state(&vm.bus, saved, true);
	free(saved);
	machine_end();
	return 0;
}
