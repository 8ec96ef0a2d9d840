#!/usr/bin/env bats
# --stats counts exits and accesses exactly as the guests make them.

load helper

@test "--stats counts the MMIO guest's accesses exactly" {
	run kvmdbg --stats "$(guest mmio.elf)"
	assert_success
	# By construction (guests/mmio.c): 11 loads and 5 stores, one load unclaimed.
	assert_equal "$(stat_value io.mmio.reads)" 11
	assert_equal "$(stat_value io.mmio.writes)" 5
	assert_equal "$(stat_value io.mmio.unclaimed_reads)" 1
	assert_equal "$(stat_value io.mmio.unclaimed_writes)" 0
	assert_equal "$(stat_value vcpu0.exits.mmio)" 16
	# One inb and one outb on COM2, which has no device.
	assert_equal "$(stat_value io.pio.unclaimed_reads)" 1
	assert_equal "$(stat_value io.pio.unclaimed_writes)" 1
}

@test "--stats: every port access of hello64 is one IO exit" {
	run kvmdbg --stats "$(guest hello64.elf)"
	assert_success
	reads=$(stat_value io.pio.reads)
	writes=$(stat_value io.pio.writes)
	assert_equal "$(stat_value vcpu0.exits.io)" $((reads + writes))
	# 6 UART set-up writes, then per character an LSR poll and a THR write,
	# then the exit port: "Hello from 64-bit long mode!\n" is 29 characters.
	assert_equal "$reads" 29
	assert_equal "$writes" $((6 + 29 + 1))
}

@test "--stats names exit reasons and counts halts" {
	run kvmdbg --stats --irqchip off "$(guest halt.elf)"
	assert_success
	assert_line --regexp '^vcpu0\.exits\.hlt +1  # KVM_EXIT_HLT$'
	assert_line --regexp '^vcpu0\.runs +1  # KVM_RUN calls$'
	# With KVM's interrupt controllers hlt waits inside KVM_RUN: the halt
	# watch's signal interrupts it, and finds the guest halted for good.
	run kvmdbg --stats "$(guest halt.elf)"
	assert_success
	assert_line --regexp '^vcpu0\.exits\.intr +[1-9][0-9]*  # KVM_EXIT_INTR$'
	refute_line --regexp '^vcpu0\.exits\.hlt '
}

@test "--stats counts the shutdown exit of a triple fault" {
	run kvmdbg --stats "$(guest triple.elf)"
	assert_equal "$status" 3
	assert_line --regexp '^vcpu0\.exits\.shutdown +1  # KVM_EXIT_SHUTDOWN$'
}
