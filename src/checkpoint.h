/*
 * Checkpoints of the whole machine: the vCPU's state as KVM holds it
 * (arch_snapshot), the devices' state, and guest RAM by dirty-page logging —
 * each checkpoint keeps only the pages written since the one the machine
 * came from, so checkpoints form a tree (going back to one and on from there
 * starts a branch). Taken and put back only while the vCPU is Idle, between
 * instructions (never with an I/O access half done).
 */
#ifndef KVMDBG_CHECKPOINT_H
#define KVMDBG_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct arch_snapshot;

struct checkpoint {
	int parent;                 /* index of the one RAM descends from, -1: none */
	struct arch_snapshot *cpu;  /* the vCPU; NULL: the slot is free */
	uint8_t *devices;           /* the devices' state, back to back */
	size_t devices_size;
	uint64_t *pages;            /* pages of RAM (indexes into mem.ram) it holds, sorted */
	uint8_t *data;              /* their contents, MEM_PAGE bytes each */
	size_t npages;
};

struct checkpoints {
	struct vm *vm;
	struct vcpu *vcpu;
	struct checkpoint *v;       /* by index; slots of dropped ones are reused */
	unsigned n, cap;            /* slots used so far, and allocated */
	unsigned live;              /* checkpoints kept */
	int base;                   /* the one RAM descends from now, -1: none yet */
	uint64_t bytes;             /* what they all keep */
	unsigned *mark;             /* scratch for restore (a slot per checkpoint) */
	unsigned stamp;
};

void checkpoints_init(struct checkpoints *c, struct vm *vm, struct vcpu *vcpu);
/* Frees them all and stops the dirty log. */
void checkpoints_free(struct checkpoints *c);
/* Takes a checkpoint of the machine as it is (the first one starts the dirty
 * log and keeps every page that is not zero); its index, or -errno (-E2BIG
 * if its pages would take more than budget bytes). */
int checkpoint_take(struct checkpoints *c, uint64_t budget);
/* Puts the machine back as it was at checkpoint i; -errno (the machine may
 * then be in between: the message says so). */
int checkpoint_restore(struct checkpoints *c, unsigned i);
/* Bytes checkpoint i keeps. */
size_t checkpoint_bytes(const struct checkpoints *c, unsigned i);
/* Whether slot i holds a checkpoint. */
static inline bool checkpoint_live(const struct checkpoints *c, unsigned i)
{
	return i < c->n && c->v[i].cpu;
}
/* Forgets checkpoint i: the pages its children need from it are handed down
 * to them (it fails, -ENOMEM, only when that cannot be done, and then nothing
 * changes). Its slot may be reused by a later checkpoint_take(). */
int checkpoint_drop(struct checkpoints *c, unsigned i);

#endif
