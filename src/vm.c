#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "devices/layout.h"
#include "err.h"

static const struct arch_cap vm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ 0, NULL },
};

static int vm_open_device(struct vm *vm)
{
	const char *path = getenv(VM_KVM_DEVICE_ENV);
	int e;

	if (!path || !*path)
		path = "/dev/kvm";
	vm->sys_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
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
	int version = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (version < 0) {
		e = errno;
		close(vm->sys_fd);
		vm->sys_fd = -1;
		return err_set(e, "%s is not a KVM device (KVM_GET_API_VERSION: %s)", path,
			       strerror(e));
	}
	if (version != KVM_API_VERSION) {
		close(vm->sys_fd);
		vm->sys_fd = -1;
		return err_set(ENOTSUP, "%s speaks KVM API version %d; kvmdbg needs %d", path,
			       version, KVM_API_VERSION);
	}
	return 0;
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

static int vm_add_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return err_set(errno, "KVM_SET_USER_MEMORY_REGION (slot %u, %#llx+%#llx): %s",
			       slot, (unsigned long long)gpa, (unsigned long long)size,
			       strerror(errno));
	return 0;
}

static int vm_setup_ram(struct vm *vm, uint64_t ram_size)
{
	int r;

	vm->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return err_set(errno, "cannot allocate %llu MiB of guest RAM: %s",
			       (unsigned long long)(ram_size >> 20), strerror(errno));
	}
	vm->ram_size = ram_size;
	vm->low_size = ram_size < LAYOUT_MMIO_HOLE ? ram_size : LAYOUT_MMIO_HOLE;
	r = vm_add_slot(vm, 0, 0, vm->low_size, vm->ram);
	if (r < 0)
		return r;
	if (ram_size > vm->low_size)
		return vm_add_slot(vm, 1, LAYOUT_HIGH_RAM, ram_size - vm->low_size,
				   vm->ram + vm->low_size);
	return 0;
}

int vm_create(struct vm *vm, uint64_t ram_size)
{
	int r;

	*vm = (struct vm){ .sys_fd = -1, .fd = -1 };
	iobus_init(&vm->bus, &vm->stats);
	if (ram_size < VM_MIN_RAM || ram_size > VM_MAX_RAM || ram_size % 4096)
		return err_set(EINVAL, "guest RAM must be a multiple of 4 KiB between %llu MiB "
			       "and %llu GiB", VM_MIN_RAM >> 20, VM_MAX_RAM >> 30);
	r = vm_open_device(vm);
	if (r < 0)
		return r;
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
	if (r < 0)
		goto err_close;
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
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	vm->ram = NULL;
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->fd = vm->sys_fd = -1;
}

uint64_t vm_ram_end(const struct vm *vm)
{
	if (vm->ram_size > vm->low_size)
		return LAYOUT_HIGH_RAM + vm->ram_size - vm->low_size;
	return vm->low_size;
}

void *vm_phys_ptr(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t high = vm->ram_size - vm->low_size;

	if (gpa + len < gpa)
		return NULL;
	if (gpa < vm->low_size && len <= vm->low_size - gpa)
		return vm->ram + gpa;
	if (gpa >= LAYOUT_HIGH_RAM && gpa - LAYOUT_HIGH_RAM < high &&
	    len <= high - (gpa - LAYOUT_HIGH_RAM))
		return vm->ram + vm->low_size + (gpa - LAYOUT_HIGH_RAM);
	return NULL;
}

static int vm_fault(uint64_t gpa, size_t len)
{
	return err_set(EFAULT, "guest-physical %#llx+%#zx is not RAM", (unsigned long long)gpa,
		       len);
}

int vm_read_phys(const struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
	const void *p = vm_phys_ptr(vm, gpa, len);

	if (!p)
		return vm_fault(gpa, len);
	memcpy(buf, p, len);
	return 0;
}

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	void *p = vm_phys_ptr(vm, gpa, len);

	if (!p)
		return vm_fault(gpa, len);
	memcpy(p, buf, len);
	return 0;
}
