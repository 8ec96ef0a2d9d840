#include "machine.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"

enum machine_built { BUILT_NONE, BUILT_VM, BUILT_VCPU, BUILT_IMAGE, BUILT_ALL };

/* An ELF image in memory, loaded through a memfd as if it were a file. */
static int machine_load_builtin(struct machine *m, const struct machine_config *cfg)
{
	int fd = memfd_create("kvmdbg-builtin", MFD_CLOEXEC);

	if (fd < 0)
		return err_set(errno, "memfd_create: %s", strerror(errno));
	if (write(fd, cfg->builtin, cfg->builtin_len) != (ssize_t)cfg->builtin_len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return err_set(EIO, "cannot stage the %s guest", cfg->builtin_name);
	}
	return loader_load_elf_fd(&m->vm, &m->img, cfg->builtin_name, fd);
}

static int machine_load(struct machine *m, const struct machine_config *cfg)
{
	if (cfg->guest)
		return loader_load_elf(&m->vm, &m->img, cfg->guest);
	if (cfg->raw)
		return loader_load_raw(&m->vm, &m->img, cfg->raw, cfg->raw_addr);
	if (cfg->builtin)
		return machine_load_builtin(m, cfg);
	return err_set(EINVAL, "no guest to load");
}

int machine_create(struct machine *m, const struct machine_config *cfg)
{
	int r;

	memset(m, 0, sizeof(*m));
	r = vm_create(&m->vm, cfg->ram, cfg->irqchip); /* undoes itself on failure */
	if (r < 0)
		return r;
	m->built = BUILT_VM;
	r = devices_create(&m->devs, &m->vm.bus, cfg->serial, &m->vm.mem);
	if (r < 0) {
		r = err_set(r, "cannot register the built-in devices: %s", strerror(-r));
		goto err;
	}
	r = vcpu_create(&m->vcpu, &m->vm, 0);
	if (r < 0)
		goto err;
	m->built = BUILT_VCPU;
	r = machine_load(m, cfg);
	if (r < 0)
		goto err;
	m->built = BUILT_IMAGE;
	if (cfg->boot_extras &&
	    (r = loader_boot_extras(&m->vm, &m->img, cfg->append, cfg->mods, cfg->nmods)) < 0)
		goto err;
	if (cfg->symbols && (r = symbols_load_file(&m->img.symbols, cfg->symbols)) < 0) {
		r = err_set(-r, "--symbols: %s", err_msg());
		goto err;
	}
	r = loader_boot(&m->vcpu, &m->img);
	if (r < 0)
		goto err;
	debug_init(&m->dbg, &m->vm, &m->vcpu, &m->img.symbols);
	m->dbg.output = &m->devs.output;
	m->devs.input = (struct devices_input){ .poll = debug_input_poll, .opaque = &m->dbg };
	m->devs.serial.input = &m->devs.input;
	m->dbg.input_fd = cfg->serial_stdin ? STDIN_FILENO : -1;
	m->built = BUILT_ALL;
	r = vcpu_start_thread(&m->vcpu);
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
	/* The vCPU thread goes first: nothing runs the guest after this. */
	if (m->built >= BUILT_VCPU)
		vcpu_destroy(&m->vcpu);
	if (m->built >= BUILT_ALL)
		debug_free(&m->dbg);
	if (m->built >= BUILT_IMAGE)
		image_free(&m->img);
	if (m->built >= BUILT_VM)
		vm_destroy(&m->vm);
	m->built = BUILT_NONE;
}
