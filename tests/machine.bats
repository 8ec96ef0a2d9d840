#!/usr/bin/env bats
# The platform pieces firmware and kernels ask the machine about: fw_cfg.

load helper

@test "fw_cfg: signature, interface, RAM size, CPUs and the e820 map through the file directory" {
	run kvmdbg -m 64M "$(guest fwcfg.elf)"
	assert_success
	assert_line 'signature QEMU then 0x0 unknown 0x0 id 1'
	assert_line 'ram 0x4000000'
	assert_line 'cpus 1'
	assert_line 'file etc/e820'
	assert_line 'e820 0x0 0x4000000 1'
	# Past the MMIO hole, RAM goes on at 4 GiB: two ranges.
	run kvmdbg -m 5G "$(guest fwcfg.elf)"
	assert_success
	assert_line 'ram 0x140000000'
	assert_line 'e820 0x0 0xc0000000 1'
	assert_line 'e820 0x100000000 0x80000000 1'
}

@test "fw_cfg's ports are named in the access log" {
	run kvmdbg -m 64M --watch-pio fw_cfg,w "$(guest fwcfg.elf)"
	assert_success
	assert_line --regexp 'pio +w +0x510 +2 +0x0019 +fw_cfg\.SELECTOR$'
}

@test "fw_cfg's position is part of a checkpoint: going back mid-item reads on from there" {
	# Break after the signature's first byte was read, checkpoint, finish, go back.
	run kvmdbg --history --icount step -m 64M -e 'goto icount 60' -e 'cont' -e 'goto icount 60' \
		-e 'cont' "$(guest fwcfg.elf)"
	assert_success
	assert_equal "$(grep -c '^signature QEMU then 0x0 unknown 0x0 id 1' <<<"$output")" 1
	assert_equal "$(grep -c '^\[guest exited with status 0: the end of its history' <<<"$output")" 2
}
