#!/bin/bash
# How long a Linux kernel takes to boot to userspace: from start to the
# initramfs's marker line ("kvmdbg-initramfs: up"), for kvmdbg and for
# QEMU with KVM given the same kernel, initramfs and command line, side by
# side in one run; then the ratio. The initramfs is tests/initramfs's
# (busybox); each run is stopped once the marker shows.
# Usage: tests/bench/boot.sh [KERNEL [REPEAT]]
#   KERNEL: a bzImage (default: the newest /boot/vmlinuz-*); REPEAT: 3.
# On hosts that emulate guest kernel code (PVM) a boot takes minutes.
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/common.sh

kernel=${1:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)}
repeat=${2:-3}
[ -r "$kernel" ] || { echo "no readable kernel (install linux-image-amd64, or give one)" >&2; exit 2; }
need_qemu
make -s kvmdbg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tests/initramfs "$tmp/initrd.gz"
append="console=ttyS0 nokaslr panic=-1"

# Seconds from start until the marker line shows in what the command prints;
# then the command is stopped.
to_marker() {
	local start end pid out=$tmp/out

	: >"$out"
	start=$(date +%s%N)
	timeout 900 "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	until grep -q 'kvmdbg-initramfs: up' "$out"; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	end=$(date +%s%N)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -q 'kvmdbg-initramfs: up' "$out" || { echo "no marker from: $*" >&2; tail -5 "$out" >&2; }
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

best() {
	local b="" s

	for ((i = 0; i < repeat; i++)); do
		s=$(to_marker "$@")
		b=$(awk -v b="$b" -v s="$s" 'BEGIN { print (b == "" || s < b) ? s : b }')
	done
	echo "$b"
}

k=$(best ./kvmdbg -m 512M --append "$append" --initrd "$tmp/initrd.gz" "$kernel")
q=$(best qemu-system-x86_64 -enable-kvm -m 512M -kernel "$kernel" -initrd "$tmp/initrd.gz" \
	-append "$append" -display none -serial stdio -monitor none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=1)
printf 'boot to the initramfs marker (%s, best of %s)\n' "$(basename "$kernel")" "$repeat"
printf '  kvmdbg        %8s s\n' "$k"
printf '  QEMU (KVM)    %8s s\n' "$q"
awk -v k="$k" -v q="$q" 'BEGIN { printf "  kvmdbg / QEMU %8.2f\n", k / q }'
