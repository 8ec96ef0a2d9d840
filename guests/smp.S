/*
 * SMP bring-up, as a PC's firmware or kernel does it: the boot CPU copies a
 * real-mode trampoline to 0x8000 and sends INIT, SIPI, SIPI (vector 0x08) to
 * every other CPU through its local APIC. Each CPU takes the next slot of
 * cpus[] (lock xadd on ncpus) and writes its initial APIC id there (CPUID 1,
 * EBX bits 31-24; the boot CPU's is slot 0), then the APs wait in hlt with
 * interrupts off at ap_park. The boot CPU waits until the count stops
 * growing (a bounded spin), passes boot_done, and exits with the number of
 * CPUs that came up.
 *
 * ncpus and cpus[] are at fixed low addresses the APs reach in real mode:
 * gdb reads them as *(short *)0x9000 and *(char *)0x9010@N.
 *
 * Loop mode (a debugger sets the byte at 0x9008 before the APs start): the
 * boot CPU halts for good after the SIPIs, and each AP counts for ever in
 * its word of counts[] (0x9020 + 2 * slot), one pass of ap_count at a time:
 * a breakpoint there stops each AP once per pass.
 */
#define APIC 0xfee00000
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_INIT 0x000c4500 /* INIT, assert, level, all excluding self */
#define ICR_SIPI 0x000c4600 /* start-up, all excluding self; | vector */
#define TRAMPOLINE 0x8000
#define NCPUS 0x9000
#define CPUS 0x9010
#define LOOP 0x9008
#define COUNTS 0x9020
#define SPIN 2000000        /* turns of the wait without a new CPU before giving up */

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	/* The trampoline into low memory. */
	lea trampoline(%rip), %rsi
	mov $TRAMPOLINE, %edi
	mov $(trampoline_end - trampoline), %ecx
	rep movsb
	/* Slot 0: the boot CPU. */
	movw $1, NCPUS
	mov $1, %eax
	cpuid
	shr $24, %ebx
	mov %bl, CPUS
	/* INIT, then two SIPIs (the delays are the guest's business; KVM's
	 * APIC needs none). */
	mov $APIC, %edi
	movl $0, APIC_ICR_HI(%rdi)
	movl $ICR_INIT, APIC_ICR_LO(%rdi)
	movl $(ICR_SIPI | (TRAMPOLINE >> 12)), APIC_ICR_LO(%rdi)
	movl $(ICR_SIPI | (TRAMPOLINE >> 12)), APIC_ICR_LO(%rdi)
	cmpb $0, LOOP
	jne bsp_park
	/* Wait until no new CPU came for SPIN turns. */
	.globl wait_aps
wait_aps:
	movzwl NCPUS, %eax
	mov $SPIN, %ecx
1:	pause
	cmpw %ax, NCPUS
	jne wait_aps
	dec %ecx
	jnz 1b
	.globl boot_done
boot_done:
	movzwl NCPUS, %eax
	outb %al, $0xf4
	ud2 /* not reached */
bsp_park:
	cli
1:	hlt
	jmp 1b

	/* Each AP starts here in real mode at 0800:0000, and goes on at
	 * 0000:8000+ (pc = linear address, for gdb's breakpoints). */
	.code16
	.globl trampoline
trampoline:
	ljmp $0, $(TRAMPOLINE + ap_flat - trampoline)
ap_flat:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov $1, %eax
	cpuid
	shr $24, %ebx
	mov $1, %ax
	lock xadd %ax, NCPUS
	mov %ax, %si
	mov %bl, CPUS(%si)
	cmpb $0, LOOP
	jne 2f
	.globl ap_park
ap_park = . - trampoline + TRAMPOLINE
1:	hlt
	jmp 1b
2:	shl %si
ap_count_here:
	lock incw COUNTS(%si)
	jmp ap_count_here
	.globl ap_count
ap_count = ap_count_here - trampoline + TRAMPOLINE
trampoline_end:
	.section .note.GNU-stack, "", @progbits
