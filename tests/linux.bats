#!/usr/bin/env bats
# Debian's Linux kernel on kvmdbg's machine: the boot protocol, the
# interrupt controllers and timer, the UART both ways, the exit port from
# userspace, the i8042 reset.

load helper

# Guest kernel code runs at the host's CPL 0 rate: where that is emulated
# (PVM, about 2 million instructions a second) a boot to userspace takes many
# minutes, too long for the suite.
MIN_CPL0_IPS=20000000

setup() {
	kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
	[ -n "$kernel" ] && [ -r "$kernel" ] || skip "no readable kernel in /boot (linux-image-amd64)"
	rate=$(host_fact cpl0_ips)
	[ "${rate:-0}" -ge "$MIN_CPL0_IPS" ] ||
		skip "this host runs guest kernel code at ${rate:-?} instructions/s (CPL 0 emulated): a Linux boot would take minutes; it runs on the nested-SVM test host"
	tests_initramfs=$ROOT/tests/initramfs
	"$tests_initramfs" "$BATS_TEST_TMPDIR/initrd.gz"
}

boot() {
	timeout --kill-after=5 600 "$KVMDBG" -m 512M --append "console=ttyS0 nokaslr panic=-1 $1" \
		--initrd "$BATS_TEST_TMPDIR/initrd.gz" "${@:2}" "$kernel"
}

@test "Debian's kernel boots to a busybox initramfs: its marker, a line read from the serial console and echoed, exit 42 through /dev/port" {
	run boot "" <<<'hello from the test'
	echo "$output" | tail -n 20
	assert_line --partial 'kvmdbg-initramfs: up'
	assert_line --partial 'kvmdbg-initramfs: echo hello from the test'
	refute_line --partial 'kvmdbg-initramfs: still here'
	assert_equal "$status" 42
}

@test "Debian's kernel reboots through the i8042: the run ends with status 5 and says so" {
	run boot "reboot=k" <<<'reboot'
	assert_line --partial 'kvmdbg-initramfs: echo reboot'
	assert_output --partial 'the guest reset the machine (i8042 reset line)'
	assert_equal "$status" 5
}
