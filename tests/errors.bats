#!/usr/bin/env bats
# Bad devices, images and options: a clear message, status 2, never a crash.

load helper

# A 52-byte ELF32 header for ARM (e_machine 40): enough for any loader to look at.
arm_elf() {
	printf '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf '\x02\x00\x28\x00\x01\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00'
	printf '\x00\x00\x00\x00\x00\x00\x00\x05\x34\x00\x20\x00\x00\x00\x28\x00'
	printf '\x00\x00\x00\x00'
}

@test "missing KVM device names the cause and the fix" {
	KVMDBG_KVM_DEVICE=/nonexistent/kvm run kvmdbg "$(guest hello64.elf)"
	assert_equal "$status" 2
	assert_output --partial "kvmdbg: cannot open /nonexistent/kvm: No such file or directory — the kvm module is not loaded"
}

@test "a device that is not KVM is refused" {
	KVMDBG_KVM_DEVICE=/dev/null run kvmdbg "$(guest hello64.elf)"
	assert_equal "$status" 2
	assert_output "kvmdbg: /dev/null is not a KVM device (KVM_GET_API_VERSION: Inappropriate ioctl for device)"
}

@test "permission denied on /dev/kvm says to join the kvm group" {
	run_as_nobody "$(guest hello64.elf)"
	assert_equal "$status" 2
	assert_output "kvmdbg: cannot open /dev/kvm: Permission denied — run as root or add yourself to the kvm group (sudo usermod -aG kvm \$USER, then log in again)"
}

@test "a guest file that cannot be read" {
	[ "$(id -u)" = 0 ] || skip "needs root to drop to an unprivileged user"
	# A KVM device node nobody may open, so that the guest file is what fails.
	mknod "$BATS_TEST_TMPDIR/kvm" c $((16#$(stat -c %t /dev/kvm))) $((16#$(stat -c %T /dev/kvm))) ||
		skip "cannot create device nodes here"
	chmod 666 "$BATS_TEST_TMPDIR/kvm"
	cp "$(guest hello64.elf)" "$BATS_TEST_TMPDIR/secret.elf"
	chmod 600 "$BATS_TEST_TMPDIR/secret.elf"
	chmod 755 "$BATS_TEST_TMPDIR"
	local dir=$BATS_TEST_TMPDIR
	while [ "$dir" != / ]; do chmod o+x "$dir"; dir=$(dirname "$dir"); done
	KVMDBG_KVM_DEVICE=$BATS_TEST_TMPDIR/kvm run_as_nobody "$BATS_TEST_TMPDIR/secret.elf"
	assert_equal "$status" 2
	assert_output "kvmdbg: cannot open guest $BATS_TEST_TMPDIR/secret.elf: Permission denied"
}

@test "a guest file that does not exist" {
	run kvmdbg "$BATS_TEST_TMPDIR/nope.elf"
	assert_equal "$status" 2
	assert_output "kvmdbg: cannot open guest $BATS_TEST_TMPDIR/nope.elf: No such file or directory"
}

@test "a directory as guest" {
	run kvmdbg "$BATS_TEST_TMPDIR"
	assert_equal "$status" 2
	assert_output "kvmdbg: guest $BATS_TEST_TMPDIR is not a regular file"
}

@test "a text file is not an ELF and the message points at --raw" {
	echo "hello" >"$BATS_TEST_TMPDIR/hello.txt"
	run kvmdbg "$BATS_TEST_TMPDIR/hello.txt"
	assert_equal "$status" 2
	assert_output --partial "hello.txt: not an ELF executable (file format not recognized) — use --raw FILE@ADDR"
}

@test "an ARM ELF is recognised as ARM and refused" {
	arm_elf >"$BATS_TEST_TMPDIR/arm.elf"
	run kvmdbg "$BATS_TEST_TMPDIR/arm.elf"
	assert_equal "$status" 2
	assert_output "kvmdbg: $BATS_TEST_TMPDIR/arm.elf: ELF for ARM (e_machine 40), not x86 — kvmdbg runs x86-64 and i386 guests"
}

@test "a relocatable object is refused as not an executable" {
	run kvmdbg "$GUESTS/hello.64.o"
	assert_equal "$status" 2
	assert_output --partial "not an executable (a relocatable object or shared library?)"
}

@test "truncated and corrupted ELF files are refused, never a crash" {
	local elf
	elf=$(guest hello64.elf)
	for n in 4 64 100 1000 3000 4200; do
		head -c $n "$elf" >"$BATS_TEST_TMPDIR/cut.elf"
		run kvmdbg "$BATS_TEST_TMPDIR/cut.elf"
		assert_equal "$status" 2
		assert_output --regexp "^kvmdbg: .*cut.elf: "
	done
	# Random bytes after a valid ELF header, and the ELF with random bytes
	# changed: refused (2), or run as whatever it became, never a crash (a
	# signal, or a sanitizer's report). KVMDBG_TEST_SEED=N replays a run.
	seed=${KVMDBG_TEST_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "# corrupted ELF files: KVMDBG_TEST_SEED=$seed" >&3
	size=$(stat -c %s "$elf")
	for i in $(seq 40); do
		awk -v seed=$((seed + i)) -v size="$size" -v header=$((i % 2)) 'BEGIN {
			srand(seed)
			# Half of them: random bytes after the header; half: 1-16 bytes changed.
			if (header) { for (j = 0; j < 8192; j++) printf "%c", int(rand() * 256); exit }
			for (n = int(rand() * 16) + 1; n > 0; n--)
				printf "%d %d\n", int(rand() * size), int(rand() * 256)
		}' >"$BATS_TEST_TMPDIR/mutation"
		if ((i % 2)); then
			{ head -c 64 "$elf"; cat "$BATS_TEST_TMPDIR/mutation"; } >"$BATS_TEST_TMPDIR/junk.elf"
		else
			cp "$elf" "$BATS_TEST_TMPDIR/junk.elf"
			while read -r off byte; do
				printf "$(printf '\\%03o' "$byte")" |
					dd of="$BATS_TEST_TMPDIR/junk.elf" bs=1 seek="$off" conv=notrunc status=none
			done <"$BATS_TEST_TMPDIR/mutation"
		fi
		# A guest may exit with any status up to 255 (one did with 199):
		# perl (Debian's essential perl-base) tells a signal from that.
		run timeout --kill-after=5 "$HANG" perl -e 'system(@ARGV) == -1 and exit 127;
			print "kvmdbg died of signal ", $? & 127, "\n" if $? & 127; exit $? >> 8' \
			"$KVMDBG" --timeout 5 --serial none "$BATS_TEST_TMPDIR/junk.elf"
		refute_output --partial 'died of signal' || fail "seed $seed, file $i"
		((i % 2 == 0)) || [ "$status" -eq 2 ] || fail "junk after the header ran (seed $seed, file $i)"
		refute_output --partial 'Sanitizer'
		refute_output --partial 'runtime error'
	done
}

@test "sections that overlap are refused" {
	# hello64.elf with .rodata's section header moved onto .text (same address, same bytes).
	elf=$BATS_TEST_TMPDIR/overlap.elf
	cp "$(guest hello64.elf)" "$elf"
	shoff=$(readelf -hW "$elf" | awk '/Start of section headers/ { print $5 }')
	text=$(readelf -SW "$elf" | sed -n 's/^ *\[ *[0-9]*\] \.text  *[A-Z]*  *\([0-9a-f]*\) \([0-9a-f]*\) .*/\1 \2/p')
	text_addr=${text% *}
	text_off=${text#* }
	rodata=$(readelf -SW "$elf" | sed -n 's/^ *\[ *\([0-9]*\)\] \.rodata .*/\1/p')
	[ -n "$text_addr" ] && [ -n "$rodata" ] || fail "readelf: no .text or .rodata"

	le64() { local v=$((16#$1)) i; for ((i = 0; i < 8; i++)); do printf "\\$(printf %03o $(((v >> (8 * i)) & 255)))"; done; }
	{ le64 "$text_addr"; le64 "$text_off"; } |
		dd of="$elf" bs=1 seek=$((shoff + rodata * 64 + 16)) conv=notrunc status=none
	run kvmdbg "$elf"
	assert_equal "$status" 2
	assert_output --regexp "^kvmdbg: .*overlap.elf: sections \.text \(0x100000-0x[0-9a-f]+\) and \.rodata \(0x100000-0x[0-9a-f]+\) overlap — not a well-formed executable$"
}

@test "a segment outside guest RAM is refused with the ranges" {
	run kvmdbg "$(guest far64.elf)"
	assert_equal "$status" 2
	assert_output --regexp "far64.elf: \.text at 0x8000000-0x800[0-9a-f]{4} is outside guest RAM \(0x8000000 bytes at 0\) — link the guest inside RAM or give more with -m$"
}

@test "a raw image that does not fit in RAM is refused" {
	head -c 3M /dev/zero >"$BATS_TEST_TMPDIR/img.bin"
	run kvmdbg -m 2M --raw "$BATS_TEST_TMPDIR/img.bin@0x7c00"
	assert_equal "$status" 2
	assert_output "kvmdbg: $BATS_TEST_TMPDIR/img.bin: image at 0x7c00-0x307c00 is outside guest RAM (0x200000 bytes at 0) — link the guest inside RAM or give more with -m"
	run kvmdbg --raw "$BATS_TEST_TMPDIR/img.bin@0x100000"
	assert_equal "$status" 2
	assert_output --partial "load address 0x100000 is above 1 MiB"
}

@test "an empty raw image is refused" {
	: >"$BATS_TEST_TMPDIR/empty.bin"
	run kvmdbg --raw "$BATS_TEST_TMPDIR/empty.bin@0x7c00"
	assert_equal "$status" 2
	assert_output "kvmdbg: $BATS_TEST_TMPDIR/empty.bin: empty image"
}

@test "unknown options and stray arguments are usage errors" {
	run kvmdbg --frobnicate
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: unknown option '--frobnicate'"
	assert_line --index 1 "Try 'kvmdbg --help' for more information."
	run kvmdbg -q
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: unknown option '-q'"
	run kvmdbg a.elf b.elf
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: unexpected argument 'b.elf' (one guest at a time)"
	run kvmdbg --mem
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: option '--mem' needs an argument"
}

@test "bad --mem values are refused" {
	for bad in 12X -1 "" 1.5G 99999999999999999999G; do
		run kvmdbg --mem "$bad" "$(guest hello64.elf)"
		assert_equal "$status" 2
		assert_line --index 0 "kvmdbg: invalid --mem '$bad': expected a size such as 128M or 1G"
	done
	run kvmdbg -m 1M "$(guest hello64.elf)"
	assert_equal "$status" 2
	assert_output "kvmdbg: guest RAM must be a multiple of 4 KiB between 2 MiB and 256 GiB"
	run kvmdbg -m 1000001 "$(guest hello64.elf)"
	assert_equal "$status" 2
}

@test "bad --raw, --timeout and --serial values are refused" {
	run kvmdbg --raw boot.bin
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: --raw wants FILE@ADDR (e.g. boot.bin@0x7c00), not 'boot.bin'"
	run kvmdbg --raw boot.bin@zz
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: --raw: 'zz' is not an address"
	run kvmdbg --raw "$(guest hello16.bin)@0x7c00" "$(guest hello64.elf)"
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: give either a GUEST ELF or --raw FILE@ADDR, not both"
	for bad in 0 -3 abc 1e99; do
		run kvmdbg --timeout "$bad" "$(guest hello64.elf)"
		assert_equal "$status" 2
		assert_line --index 0 "kvmdbg: invalid --timeout '$bad': expected seconds > 0"
	done
	run kvmdbg --serial /nonexistent/dir/out "$(guest hello64.elf)"
	assert_equal "$status" 2
	assert_output "kvmdbg: cannot open serial output /nonexistent/dir/out: No such file or directory"
}

@test "--help and --version" {
	run kvmdbg --help
	assert_success
	assert_line --index 0 "Usage: kvmdbg [OPTIONS] [GUEST]"
	assert_line --partial "--raw FILE@ADDR"
	run kvmdbg --version
	assert_success
	assert_output --regexp '^kvmdbg [0-9]+\.[0-9]+\.[0-9]+$'
}
