#include "nokvm.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/x86/x86.h"

void nokvm_init(struct vm *vm, struct vcpu *vcpu, uint64_t ram)
{
	*vm = (struct vm){ .sys_fd = -1, .fd = -1, .ncpus = 1 };
	*vcpu = (struct vcpu){ .vm = vm, .fd = -1 };
	if (mem_init(&vm->mem, ram) < 0)
		abort();
	vm->run_size = NOKVM_RUN_PAGES * MEM_PAGE;
	vm->coalesced_page = NOKVM_RING_PAGE;
	pthread_mutex_init(&vm->io_lock, NULL);
	vcpu->run = aligned_alloc(MEM_PAGE, vm->run_size);
	if (!vcpu->run || x86_vcpu_state_init(vcpu) < 0)
		abort();
	vcpu->arch->sync_regs = false;
	vcpu->arch->regs_valid = vcpu->arch->sregs_valid = true;
}

int nokvm_file(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}
