#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch.h"
#include "devices/layout.h"
#include "err.h"

static const struct arch_cap vm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ 0, NULL },
};

int vm_open_kvm(void)
{
	const char *path = getenv(VM_KVM_DEVICE_ENV);
	int fd, e;

	if (!path || !*path)
		path = "/dev/kvm";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return err_set(e, "cannot open %s: %s — the kvm module is not loaded or "
				       "this machine has no virtualization: load kvm_intel, kvm_amd "
				       "or the host's KVM module, or enable VT-x/AMD-V (nested "
				       "virtualization in a VM)", path, strerror(e));
		if (e == EACCES || e == EPERM)
			return err_set(e, "cannot open %s: %s — run as root or add yourself "
				       "to the kvm group (sudo usermod -aG kvm $USER, then log in "
				       "again)", path, strerror(e));
		return err_set(e, "cannot open %s: %s", path, strerror(e));
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version < 0) {
		e = errno;
		close(fd);
		return err_set(e, "%s is not a KVM device (KVM_GET_API_VERSION: %s)", path,
			       strerror(e));
	}
	if (version != KVM_API_VERSION) {
		close(fd);
		return err_set(ENOTSUP, "%s speaks KVM API version %d; kvmdbg needs %d", path,
			       version, KVM_API_VERSION);
	}
	return fd;
}

static int vm_check_caps(struct vm *vm, const struct arch_cap *caps)
{
	for (; caps->name; caps++) {
		if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, caps->cap) <= 0)
			return err_set(ENOTSUP, "this KVM lacks %s, which kvmdbg needs — use a "
				       "newer host kernel", caps->name);
	}
	return 0;
}

/* Registers a slot, or deletes it with size 0. */
static int vm_set_slot(struct vm *vm, const struct mem_slot *s, uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = s->id,
		.flags = (s->readonly ? KVM_MEM_READONLY : 0) |
			 (vm->mem.dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0),
		.guest_phys_addr = s->gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)(vm->mem.ram + s->offset),
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return err_set(errno, "KVM_SET_USER_MEMORY_REGION (slot %u, %#llx+%#llx): %s",
			       s->id, (unsigned long long)s->gpa, (unsigned long long)size,
			       strerror(errno));
	return 0;
}

/* The slot of list that is s (but for its number), or NULL. */
static const struct mem_slot *vm_slot_in(const struct mem_slot *list, unsigned n,
					const struct mem_slot *s)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i].gpa == s->gpa && list[i].size == s->size &&
		    list[i].offset == s->offset && list[i].readonly == s->readonly)
			return &list[i];
	return NULL;
}

#define VM_SLOT_UNSET UINT32_MAX

/* The lowest slot number no slot of list[0..n) has. */
static uint32_t vm_slot_free_id(const struct mem_slot *list, unsigned n)
{
	for (uint32_t id = 0;; id++) {
		bool used = false;

		for (unsigned i = 0; i < n && !used; i++)
			used = list[i].id == id;
		if (!used)
			return id;
	}
}

int vm_protect(struct vm *vm, const struct mem_page_prot *pages, unsigned n)
{
	struct mem_slot *list;
	unsigned nl;
	int r;

	r = mem_slots(&vm->mem, pages, n, &list, &nl);
	/* A slot deleted takes its dirty log with it: collect that first. */
	if (!r)
		r = vm_dirty_sync(vm);
	if (r < 0)
		goto out;
	/*
	 * KVM cannot move or resize a slot, and deleting one drops the shadow
	 * pages of its memory: keep the slots that stay as they are, delete the
	 * others, then add the new ones under free numbers.
	 */
	for (unsigned i = 0; i < vm->nslots && r == 0; i++)
		if (!vm_slot_in(list, nl, &vm->slots[i]))
			r = vm_set_slot(vm, &vm->slots[i], 0);
	for (unsigned i = 0; i < nl; i++) {
		const struct mem_slot *kept = vm_slot_in(vm->slots, vm->nslots, &list[i]);

		list[i].id = kept ? kept->id : VM_SLOT_UNSET;
	}
	unsigned added = 0;

	for (unsigned i = 0; i < nl && r == 0; i++) {
		if (list[i].id != VM_SLOT_UNSET)
			continue;
		list[i].id = vm_slot_free_id(list, nl);
		r = vm_set_slot(vm, &list[i], list[i].size);
		added = i + 1;
	}
	if (r < 0) {
		/* Put the old layout back as far as KVM lets us, so RAM stays RAM. */
		for (unsigned i = 0; i < added; i++)
			if (!vm_slot_in(vm->slots, vm->nslots, &list[i]))
				vm_set_slot(vm, &list[i], 0);
		for (unsigned i = 0; i < vm->nslots; i++)
			if (!vm_slot_in(list, nl, &vm->slots[i]))
				vm_set_slot(vm, &vm->slots[i], vm->slots[i].size);
		goto out;
	}
	free(vm->slots);
	vm->slots = list;
	vm->nslots = nl;
	list = NULL;
out:
	free(list);
	return r;
}

int vm_dirty_sync(struct vm *vm)
{
	uint64_t *bits = NULL;
	size_t cap = 0;
	int r = 0;

	if (!vm->mem.dirty)
		return 0;
	for (unsigned i = 0; i < vm->nslots && r == 0; i++) {
		const struct mem_slot *s = &vm->slots[i];
		uint64_t pages = s->size / MEM_PAGE, words = (pages + 63) / 64;
		struct kvm_dirty_log log = { .slot = s->id };

		if (words > cap) {
			free(bits);
			cap = words;
			bits = calloc(cap, 8);
			if (!bits)
				return err_set(ENOMEM, "out of memory for a dirty log");
		}
		memset(bits, 0, words * 8);
		log.dirty_bitmap = bits;
		if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) < 0) {
			r = err_set(errno, "KVM_GET_DIRTY_LOG (slot %u): %s", s->id, strerror(errno));
			break;
		}
		for (uint64_t p = 0; p < pages; p++)
			if (bits[p / 64] >> (p % 64) & 1)
				mem_mark_page(&vm->mem, s->offset / MEM_PAGE + p);
	}
	free(bits);
	return r;
}

int vm_dirty_track(struct vm *vm, bool on)
{
	int r;

	if (on == (vm->mem.dirty != NULL))
		return 0;
	r = mem_track(&vm->mem, on);
	/* Flags are the one thing KVM lets change on a slot in place. */
	for (unsigned i = 0; i < vm->nslots && r == 0; i++)
		r = vm_set_slot(vm, &vm->slots[i], vm->slots[i].size);
	if (r < 0)
		mem_track(&vm->mem, false);
	return r;
}

/* Queues guest writes to a zone in the ring instead of exiting (iobus's coalesce). */
static int vm_coalesce(void *opaque, enum io_space space, uint64_t base, uint64_t len)
{
	struct vm *vm = opaque;
	struct kvm_coalesced_mmio_zone zone = {
		.addr = base,
		.size = (uint32_t)len,
		.pio = space == IO_PIO,
	};

	if (!vm->coalesced_page || len > UINT32_MAX ||
	    (space == IO_PIO && ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0))
		return -ENOTSUP;
	if (ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		return err_set(errno, "KVM_REGISTER_COALESCED_MMIO (%#llx+%#llx): %s",
			       (unsigned long long)base, (unsigned long long)len, strerror(errno));
	return 0;
}

static int vm_setup_ram(struct vm *vm, uint64_t ram_size)
{
	int r = mem_init(&vm->mem, ram_size);

	return r < 0 ? r : vm_protect(vm, NULL, 0);
}

int vm_irq_line(struct vm *vm, unsigned irq, bool level)
{
	struct kvm_irq_level line = { .irq = irq, .level = level };

	if (!vm->irqchip)
		return 0;
	if (ioctl(vm->fd, KVM_IRQ_LINE, &line) < 0)
		return err_set(errno, "KVM_IRQ_LINE %u: %s", irq, strerror(errno));
	return 0;
}

int vm_create(struct vm *vm, uint64_t ram_size, bool irqchip, unsigned ncpus)
{
	int r;

	*vm = (struct vm){ .sys_fd = -1, .fd = -1, .ncpus = ncpus };
	pthread_mutex_init(&vm->io_lock, NULL);
	iobus_init(&vm->bus, &vm->stats);
	if (ncpus < 1 || ncpus > VM_MAX_CPUS)
		return err_set(EINVAL, "the machine has 1 to %d CPUs", VM_MAX_CPUS);
	if (ram_size < VM_MIN_RAM || ram_size > VM_MAX_RAM || ram_size % 4096)
		return err_set(EINVAL, "guest RAM must be a multiple of 4 KiB between %llu MiB "
			       "and %llu GiB", VM_MIN_RAM >> 20, VM_MAX_RAM >> 30);
	r = vm_open_kvm();
	if (r < 0)
		return r;
	vm->sys_fd = r;
	r = vm_check_caps(vm, vm_required_caps);
	if (r < 0)
		goto err_close;
	r = vm_check_caps(vm, arch_required_caps);
	if (r < 0)
		goto err_close;
	r = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0) {
		r = err_set(errno, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto err_close;
	}
	vm->run_size = (size_t)r;
	vm->fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		r = err_set(errno, "KVM_CREATE_VM: %s%s", strerror(errno),
			    errno == EBUSY ? " — another hypervisor owns the CPU's "
					     "virtualization extensions" : "");
		goto err_close;
	}
	r = arch_vm_init(vm);
	if (r == 0 && irqchip)
		r = arch_irqchip_create(vm);
	if (r < 0)
		goto err_close;
	vm->irqchip = irqchip;
	r = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	vm->coalesced_page = r > 0 ? r : 0;
	vm->bus.coalesce = vm_coalesce;
	vm->bus.coalesce_opaque = vm;
	vm->readonly_mem = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	r = vm_setup_ram(vm, ram_size);
	if (r < 0)
		goto err_close;
	return 0;

err_close:
	vm_destroy(vm);
	return r;
}

void vm_destroy(struct vm *vm)
{
	iobus_free(&vm->bus);
	free(vm->slots);
	vm->slots = NULL;
	vm->nslots = 0;
	mem_free(&vm->mem);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->fd = vm->sys_fd = -1;
}
