#!/usr/bin/env bats
# kvmdbg --host: what this host's KVM does, each line measured by a probe VM.

load helper

teardown() {
	stop_stub
}

# The probes, as --host --json names them, in report order.
KEYS=(single_step step_rep step_io step_hlt step_regs int3 int3_real_mode hw_breakpoints
	data_breakpoints fetch_exit one_reg pmu readonly_mem coalesced_mmio dirty_log
	immediate_exit blockirq pio_write_pc mmio_write_pc shutdown_regs cpl0_ips)
WORDS='failed|yes|no|per-iteration|whole|runs-next|skipped|exits|drops-step|debug-exit|emulation-failure|guest|at|after|kept|reset|other'

@test "--host prints the module, the kernel and one measured line per mechanism" {
	run kvmdbg --host
	assert_success
	assert_line --index 0 --regexp "^KVM module (kvm_intel|kvm_amd|kvm_pvm|other), kernel $(uname -r) \(each line measured now by a probe VM\)$"
	assert_equal "${#lines[@]}" $((${#KEYS[@]} + 1))
	assert_line --regexp "^single-step +($WORDS) +.+$"
	assert_line --regexp "^int3 with KVM_GUESTDBG_USE_SW_BP +($WORDS) +.+$"
	assert_line --regexp '^CPL 0 instructions per second +[0-9]+ \(a real-mode loop of 200002 instructions in [0-9.]+ ms\)$'
	refute_line --regexp ' failed '
}

@test "--host --json has every key once, with the same words as the table" {
	run kvmdbg --host --json
	assert_success
	json=$output
	assert_line --index 0 '{'
	assert_line --index 1 '  "kvm": true,'
	assert_line --regexp "^  \"module\": \"(kvm_intel|kvm_amd|kvm_pvm|other)\",$"
	assert_line --index -1 '}'
	run kvmdbg --host
	table=$output
	for key in "${KEYS[@]}"; do
		assert_equal "$(grep -c "^  \"$key\": " <<<"$json")" 1
		assert_equal "$(grep -c "^    \"$key\": \".*\",\{0,1\}$" <<<"$json")" 1
	done
	# The words agree with the table where the same probe is shown (speed
	# and timing-dependent details aside).
	for key in single_step step_rep int3 hw_breakpoints fetch_exit one_reg pmu shutdown_regs; do
		word=$(sed -n "s/^  \"$key\": \"\([a-z-]*\)\",$/\1/p" <<<"$json")
		[[ "$word" =~ ^($WORDS)$ ]] || fail "$key: '$word'"
		grep -Eq "  $word +" <<<"$table" || fail "$key: '$word' is not in the table"
	done
	[[ "$(sed -n 's/^  "cpl0_ips": \([0-9]*\),$/\1/p' <<<"$json")" -gt 100000 ]]
}

@test "info host in the console and monitor info host in gdb print the same report" {
	run kvmdbg -e 'info host' "$(guest regs.elf)"
	assert_success
	assert_line --index 0 --regexp '^KVM module [a-z_]+, kernel '
	assert_line --regexp '^x86 KVM_GET_ONE_REG +(yes|no) '
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'monitor info host' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^KVM module [a-z_]+, kernel '
	assert_line --regexp '^hardware execution breakpoints \(DR0-DR3\) +(yes|no|other) '
}

@test "--host without KVM says why with status 2, and the JSON says kvm false" {
	KVMDBG_KVM_DEVICE=/nonexistent run kvmdbg --host
	assert_equal "$status" 2
	assert_output --partial "kvmdbg: no KVM here: cannot open /nonexistent: No such file or directory"
	KVMDBG_KVM_DEVICE=/nonexistent run kvmdbg --host --json
	assert_equal "$status" 2
	assert_line --regexp '^\{"kvm": false, "error": "cannot open /nonexistent: .*"\}$'
}

@test "--json needs --host, and --host runs no guest" {
	run kvmdbg --json
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: --json formats the --host report: give --host too"
	run kvmdbg --host "$(guest regs.elf)"
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: --host measures this machine's KVM and runs no guest: give it alone (or with --json)"
}

@test "a breakpoint stops the guest whatever int3 and DR0-DR3 do here" {
	run kvmdbg -e 'break leaf' -e 'hbreak after_xor' -e cont -e cont -e 'info break' \
		"$(guest regs.elf)"
	assert_success
	assert_line "Breakpoint 2, 0x100011 <after_xor>"
	assert_line "Breakpoint 1, 0x10001c <leaf>"
	# ... and says where it stops by page, from the probe's facts.
	if [ "$(host_fact int3)" = guest ]; then
		assert_line "note: this host does not stop at int3 ($(host_detail int3)): breakpoints take their code page out of the map and step through that page (kvmdbg --host)"
		assert_line --regexp '^1 +breakpoint +0x000000000010001c +1  leaf \(by page\)$'
	else
		assert_line --regexp '^1 +breakpoint +0x000000000010001c +1  leaf$'
	fi
	if [ "$(host_fact hw_breakpoints)" = yes ]; then
		assert_line --regexp '^2 +hw breakpoint 0x0000000000100011 +1  after_xor$'
	else
		assert_line "note: this host does not stop at DR0-DR3 ($(host_detail hw_breakpoints)): breakpoints take their code page out of the map and step through that page (kvmdbg --host)"
		assert_line --regexp '^2 +hw breakpoint 0x0000000000100011 +1  after_xor \(by page\)$'
	fi
}
