#include "machine.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "err.h"

enum machine_built { BUILT_NONE, BUILT_VM, BUILT_VCPU, BUILT_IMAGE, BUILT_ALL };

/* An ELF image in memory, loaded through a memfd as if it were a file. */
static int machine_load_builtin(struct machine *m, struct image *img)
{
	const struct machine_config *cfg = &m->cfg;
	int fd = memfd_create("kvmdbg-builtin", MFD_CLOEXEC);

	if (fd < 0)
		return err_set(errno, "memfd_create: %s", strerror(errno));
	if (write(fd, cfg->builtin, cfg->builtin_len) != (ssize_t)cfg->builtin_len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return err_set(EIO, "cannot stage the %s guest", cfg->builtin_name);
	}
	return loader_load_elf_fd(&m->vm, img, cfg->builtin_name, fd);
}

/* The guest into RAM with its command line and modules, img saying how it
 * starts; the boot structures written and vCPU 0 set to start it. */
static int machine_load(struct machine *m, struct image *img)
{
	const struct machine_config *cfg = &m->cfg;
	int r;

	if (cfg->guest)
		r = loader_load_elf(&m->vm, img, cfg->guest);
	else if (cfg->raw)
		r = loader_load_raw(&m->vm, img, cfg->raw, cfg->raw_addr);
	else if (cfg->builtin)
		r = machine_load_builtin(m, img);
	else
		r = err_set(EINVAL, "no guest to load");
	if (r < 0)
		return r;
	if (cfg->boot_extras)
		r = loader_boot_extras(&m->vm, img, cfg->append, cfg->mods, cfg->nmods);
	if (r == 0)
		r = loader_boot(&m->vcpus[0], img);
	if (r < 0)
		image_free(img);
	return r;
}

static void machine_irq_set(void *opaque, unsigned irq, bool level)
{
	vm_irq_line(opaque, irq, level);
}

/*
 * The clock of a machine on instruction-count time (--clock icount): one
 * nanosecond per instruction retired, plus the time halts skipped. Its
 * devices are the PIT and the PIC (devices_timers_create()); counted runs
 * drive them through struct debug_clock, on the vCPU thread.
 */
static uint64_t machine_clock_now(void *opaque)
{
	struct machine *m = opaque;

	return (m->dbg ? debug_icount(m->dbg) : 0) + m->devs.pit.skipped;
}

/* The clock's time of the timers' next change: the PIT's or the RTC's. */
static uint64_t machine_clock_deadline(const struct machine *m)
{
	uint64_t pit = pit_next(&m->devs.pit), rtc = rtc_next(&m->devs.rtc);

	return pit < rtc ? pit : rtc;
}

static uint64_t machine_clock_next(void *opaque)
{
	struct machine *m = opaque;
	uint64_t ns = machine_clock_deadline(m);

	if (ns == UINT64_MAX)
		return ns;
	return ns > m->devs.pit.skipped ? ns - m->devs.pit.skipped : 0;
}

static void machine_clock_update(void *opaque)
{
	struct machine *m = opaque;

	pit_update(&m->devs.pit);
	rtc_update(&m->devs.rtc);
	serial_tick(&m->devs.serial);
}

static void machine_clock_skip(void *opaque)
{
	struct machine *m = opaque;
	uint64_t ns = machine_clock_deadline(m), now = machine_clock_now(m);

	if (ns != UINT64_MAX && ns > now)
		m->devs.pit.skipped += ns - now;
}

static int machine_clock_pending(void *opaque)
{
	struct machine *m = opaque;

	return pic_intr(&m->devs.pic);
}

static unsigned machine_clock_ack(void *opaque)
{
	struct machine *m = opaque;

	return pic_ack(&m->devs.pic);
}

static bool machine_clock_input_waits(void *opaque)
{
	struct machine *m = opaque;

	return m->input_fd >= 0 && serial_takes_input(&m->devs.serial);
}

/* Time jumps to the UART's next look; every device catches up (the UART
 * looks then), as at any instruction boundary. */
static bool machine_clock_input_look(void *opaque)
{
	struct machine *m = opaque;

	m->devs.pit.skipped += serial_next_look(&m->devs.serial) - machine_clock_now(m);
	machine_clock_update(m);
	return m->devs.serial.rx_full;
}

static void machine_clock_print(void *opaque, FILE *out)
{
	struct machine *m = opaque;

	pic_print(&m->devs.pic, out);
	rtc_print(&m->devs.rtc, out);
	pit_print(&m->devs.pit, out);
}

/* Whether the input has ended: the UART read its end already, a pipe's
 * writer closed it, or a file was read to its end (poll says a file is
 * always readable). */
static bool machine_input_ended(struct machine *m, int fd, short revents)
{
	struct stat st;
	off_t at;

	if (debug_input_ended(m->dbg))
		return true;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return (at = lseek(fd, 0, SEEK_CUR)) >= 0 && at >= st.st_size;
	return (revents & (POLLHUP | POLLERR | POLLNVAL)) && !(revents & POLLIN);
}

#define MACHINE_INPUT_RECHECK_MS 10

/*
 * With interrupt controllers, the UART interrupts the guest when input waits
 * (the guest may be in hlt, reading nothing). This thread watches the input
 * and raises IRQ 4 while the guest has not taken it; the UART reads it when
 * the guest asks and sets the line right at every access.
 */
static void *machine_input_watch(void *arg)
{
	struct machine *m = arg;
	struct pollfd pfd[2] = { { .fd = m->input_fd, .events = POLLIN },
				 { .fd = m->input_quit, .events = POLLIN } };

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			return NULL;
		if (machine_input_ended(m, pfd[0].fd, pfd[0].revents))
			break;
		/* The UART is the machine's: vCPUs enter it under io_lock too. */
		if (pfd[0].revents & POLLIN) {
			pthread_mutex_lock(&m->vm.io_lock);
			serial_input_waits(&m->devs.serial);
			pthread_mutex_unlock(&m->vm.io_lock);
		}
		/* The guest takes it in its own time: look again in a while. */
		if (poll(&pfd[1], 1, MACHINE_INPUT_RECHECK_MS) > 0)
			return NULL;
	}
	/* Nothing more will come: a guest waiting for it waits for good. */
	atomic_fetch_and_explicit(&m->vm.irq_live, ~(1U << LAYOUT_SERIAL_IRQ), memory_order_relaxed);
	return NULL;
}

static int machine_input_start(struct machine *m)
{
	int r;

	m->input_quit = eventfd(0, EFD_CLOEXEC);
	if (m->input_quit < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	atomic_fetch_or_explicit(&m->vm.irq_live, 1U << LAYOUT_SERIAL_IRQ, memory_order_relaxed);
	r = pthread_create(&m->input_watch, NULL, machine_input_watch, m);
	if (r) {
		close(m->input_quit);
		m->input_quit = -1;
		return err_set(r, "cannot start the serial input thread: %s", strerror(r));
	}
	return 0;
}

static void machine_input_stop(struct machine *m)
{
	const uint64_t one = 1;

	if (m->input_quit < 0)
		return;
	if (write(m->input_quit, &one, sizeof(one)) == sizeof(one))
		pthread_join(m->input_watch, NULL);
	close(m->input_quit);
	m->input_quit = -1;
}

/* fw_cfg's items for what was loaded (a loader in the guest reads them). */
static int machine_fwcfg_boot(struct machine *m)
{
	const struct boot_info *b = &m->img.boot;
	struct fwcfg_boot fb = { .kernel = m->img.kernel, .kernel_size = m->img.kernel_size,
				 .entry = b->entry, .cmdline = b->cmdline,
				 .setup = m->img.setup, .setup_size = m->img.setup_size,
				 .kernel_fd = -1, .initrd_fd = -1 };
	char path[4096];

	/* A bzImage's protected-mode part and the initrd are served from their
	 * files (unchanged since loaded), not from a second copy. */
	if (m->img.setup && m->cfg.guest) {
		fb.kernel_fd = image_reopen(&m->img, m->cfg.guest);
		fb.kernel_off = m->img.setup_size;
	}
	if (b->nmods) {
		fb.initrd = b->mods[0].start;
		fb.initrd_size = b->mods[0].end - b->mods[0].start;
		if (m->cfg.nmods && loader_module_path(m->cfg.mods[0], path, sizeof(path)) == 0)
			fb.initrd_fd = image_reopen(&m->img, path);
	}
	return fwcfg_add_boot(&m->devs.fwcfg, &m->vm.mem, &fb);
}

/* What reset puts back: every vCPU and the devices as they are now, before
 * the guest's first instruction. */
static int machine_power_on_keep(struct machine *m)
{
	size_t n = iobus_state(&m->vm.bus, NULL, false);

	for (unsigned i = 0; i < m->ncpus; i++)
		if (!(m->power_on[i] = arch_snapshot_take(&m->vcpus[i])))
			return -EIO;
	if (!(m->power_devices = malloc(n ? n : 1)))
		return err_set(ENOMEM, "out of memory");
	pthread_mutex_lock(&m->vm.io_lock);
	iobus_state(&m->vm.bus, m->power_devices, false);
	pthread_mutex_unlock(&m->vm.io_lock);
	return 0;
}

/*
 * Power-on again (debug_reset()'s hook; the guest is stopped): RAM zeroed
 * and the guest loaded again from its files, which must be as they were (or
 * this would be another guest than the one its symbols describe), then the
 * devices and every vCPU as they were before its first instruction.
 */
static int machine_reset(void *opaque)
{
	struct machine *m = opaque;
	struct image img;
	int r = image_unchanged(&m->img);

	if (r < 0)
		return err_set(r, "%s: start kvmdbg again for the new one", err_msg());
	mem_zero(&m->vm.mem);
	r = machine_load(m, &img);
	if (r < 0)
		return err_set(r, "%s (RAM is empty now: start kvmdbg again)", err_msg());
	image_free(&img);
	pthread_mutex_lock(&m->vm.io_lock);
	iobus_state(&m->vm.bus, m->power_devices, true);
	pthread_mutex_unlock(&m->vm.io_lock);
	for (unsigned i = 0; i < m->ncpus; i++) {
		r = arch_snapshot_restore(&m->vcpus[i], m->power_on[i]);
		if (r < 0)
			return err_set(r, "CPU %u could not be put back: %s", i, err_msg());
	}
	return 0;
}

int machine_create(struct machine *m, const struct machine_config *cfg)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->input_quit = m->input_fd = -1;
	m->cfg = *cfg;
	unsigned cpus = cfg->cpus ? cfg->cpus : 1;

	if (cfg->clock_icount && cfg->irqchip)
		return err_set(EINVAL, "a machine on instruction-count time has kvmdbg's own "
			       "interrupt controllers, not KVM's: not with --irqchip on");
	if (cpus > 1 && !cfg->irqchip)
		return err_set(EINVAL, "%u CPUs need the interrupt controllers (their local APICs "
			       "start the other CPUs): not with --irqchip off", cpus);
	r = vm_create(&m->vm, cfg->ram, cfg->irqchip, cpus); /* undoes itself on failure */
	if (r < 0)
		return r;
	m->built = BUILT_VM;
	m->vm.cpu = cfg->cpu;
	m->vm.no_acpi = cfg->no_acpi;
	r = devices_create(&m->devs, &m->vm.bus, cfg->serial, &m->vm.mem, cpus, cfg->pc_testdev);
	/* The ACPI PM timer: on the host's time with KVM's timers, on the
	 * machine's clock on instruction-count time, else standing still. */
	m->devs.acpi.still = !cfg->irqchip && !cfg->clock_icount;
	if (r == 0 && cfg->clock_icount) {
		m->devs.clock = (struct devices_clock){ .now = machine_clock_now, .opaque = m };
		r = devices_timers_create(&m->devs, &m->vm.bus);
	}
	if (r < 0) {
		r = err_set(r, "cannot register the built-in devices: %s", strerror(-r));
		goto err;
	}
	m->built = BUILT_VCPU;
	for (; m->ncpus < cpus; m->ncpus++) {
		r = vcpu_create(&m->vcpus[m->ncpus], &m->vm, (int)m->ncpus);
		if (r < 0)
			goto err;
	}
	r = machine_load(m, &m->img);
	if (r < 0)
		goto err;
	m->built = BUILT_IMAGE;
	r = machine_fwcfg_boot(m);
	if (r < 0)
		goto err;
	if (cfg->symbols && (r = symbols_load_file(&m->img.symbols, cfg->symbols)) < 0) {
		r = err_set(-r, "--symbols: %s", err_msg());
		goto err;
	}
	m->dbg = debug_create(&m->vm, m->vcpus, m->ncpus, &m->img.symbols);
	if (!m->dbg) {
		r = -ENOMEM;
		goto err;
	}
	struct debug_early_map em;

	if (arch_kernel_map(&m->img.boot, &em.va, &em.pa, &em.size, &em.align))
		debug_set_early_map(m->dbg, &em);
	debug_set_boot_version(m->dbg, m->img.version);
	debug_set_output(m->dbg, &m->devs.output);
	m->devs.input = (struct devices_input){ .poll = debug_input_poll, .opaque = m->dbg };
	m->devs.serial.input = &m->devs.input;
	m->input_fd = cfg->serial_stdin ? cfg->serial_fd : -1;
	debug_set_input(m->dbg, m->input_fd);
	if (m->vm.irqchip) {
		m->devs.irq = (struct devices_irq){ .set = machine_irq_set, .opaque = &m->vm };
		m->devs.serial.irq = &m->devs.irq;
	}
	if (cfg->clock_icount) {
		m->clock = (struct debug_clock){ .next = machine_clock_next,
						 .update = machine_clock_update,
						 .skip = machine_clock_skip,
						 .pending = machine_clock_pending,
						 .ack = machine_clock_ack,
						 .print = machine_clock_print,
						 .input_waits = machine_clock_input_waits,
						 .input_look = machine_clock_input_look, .opaque = m };
		debug_set_clock(m->dbg, &m->clock);
	}
	r = machine_power_on_keep(m);
	if (r < 0)
		goto err;
	debug_set_reset(m->dbg, machine_reset, m);
	m->built = BUILT_ALL;
	for (unsigned i = 0; i < m->ncpus && r == 0; i++)
		r = vcpu_start_thread(&m->vcpus[i]);
	if (r == 0 && m->vm.irqchip && m->input_fd >= 0)
		r = machine_input_start(m);
	if (r < 0)
		goto err;
	return 0;
err:
	machine_destroy(m);
	return r;
}

void machine_flush(struct machine *m)
{
	devices_output_flush(&m->devs.output);
}

void machine_destroy(struct machine *m)
{
	machine_input_stop(m);
	/* The vCPU threads go first: nothing runs the guest after this. */
	for (unsigned i = 0; i < m->ncpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	m->ncpus = 0;
	debug_destroy(m->dbg);
	m->dbg = NULL;
	for (unsigned i = 0; i < VM_MAX_CPUS; i++) {
		arch_snapshot_free(m->power_on[i]);
		m->power_on[i] = NULL;
	}
	free(m->power_devices);
	m->power_devices = NULL;
	if (m->built >= BUILT_IMAGE)
		image_free(&m->img);
	if (m->built >= BUILT_VM)
		vm_destroy(&m->vm);
	devices_free(&m->devs);
	m->built = BUILT_NONE;
}
