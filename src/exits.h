/* One switch on kvm_run->exit_reason: every reason handled or reported. */
#ifndef KVMDBG_EXITS_H
#define KVMDBG_EXITS_H

#include <stdint.h>

struct vcpu;
struct vcpu_stop;

enum exit_action {
	EXIT_CONTINUE, /* re-enter the guest */
	EXIT_STOP,     /* stop; *stop says why */
};

/* Handles the exit in vcpu->run; fills *stop when it returns EXIT_STOP. */
enum exit_action exits_handle(struct vcpu *vcpu, struct vcpu_stop *stop);
/* Delivers the writes KVM queued in the coalesced MMIO ring, in guest order
 * (after every exit, before the exit itself is handled). */
enum exit_action exits_flush_coalesced(struct vcpu *vcpu, struct vcpu_stop *stop);
/* A memory watchpoint caught an access (vcpu_page_ops hit_stop): the stop for it, once
 * the instruction completes. */
enum exit_action exits_watchpoint(struct vcpu *vcpu, struct vcpu_stop *stop);

#endif
