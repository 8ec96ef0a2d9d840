#!/usr/bin/env bats
# Several vCPUs (--smp): a guest that starts its APs with INIT and SIPI, all-stop
# run control, vCPUs as gdb threads and as the console's CPUs.

load helper

teardown() {
	stop_stub
}

@test "--smp N starts N CPUs through INIT/SIPI/SIPI; each writes its APIC id" {
	for n in 1 2 4; do
		run kvmdbg --serial none --smp "$n" "$(guest smp.elf)"
		[ "$status" -eq "$n" ] || fail "--smp $n: the guest counted $status CPUs ($output)"
	done
	run kvmdbg --serial none -smp cpus=3 "$(guest smp.elf)"
	assert_equal "$status" 3
	# --stats counts each vCPU's runs and exits.
	run kvmdbg --serial none --smp 2 --stats "$(guest smp.elf)"
	assert_equal "$status" 2
	assert_line --regexp '^vcpu0\.runs +[1-9][0-9]* '
	assert_line --regexp '^vcpu1\.runs +[1-9][0-9]* '
	refute_line --regexp '^vcpu2\.'
}

@test "--smp refuses bad counts, --irqchip off and --history with a reason" {
	for bad in 0 17 -1 x 2x cpus=; do
		run kvmdbg --smp "$bad" "$(guest smp.elf)"
		assert_equal "$status" 2
		assert_output --partial "invalid --smp '$bad'"
	done
	run kvmdbg --smp 2 --irqchip off "$(guest smp.elf)"
	assert_equal "$status" 2
	assert_output --partial "--smp 2 needs --irqchip on"
	run kvmdbg --smp 2 --history "$(guest smp.elf)"
	assert_equal "$status" 2
	assert_output --partial "--history replays one CPU"
}

@test "the MP table lists every CPU, the boot CPU first; fw_cfg counts them" {
	run_script "$(guest smp.elf)" --serial none --smp 3 <<-'EOF'
		x/4bx 0xf0000
		x/4bx 0xf003c
		x/4bx 0xf0050
		x/4bx 0xf0064
	EOF
	assert_success
	# "_MP_", then the header (44 bytes at 0xf0010), then one 20-byte
	# processor entry per CPU: type 0, APIC id n, version, flags (3: enabled,
	# boot CPU; 1: enabled).
	assert_line --regexp '^0xf0000:	0x5f	0x4d	0x50	0x5f$'
	assert_line --regexp '^0xf003c:	0x00	0x00	0x14	0x03$'
	assert_line --regexp '^0xf0050:	0x00	0x01	0x14	0x01$'
	assert_line --regexp '^0xf0064:	0x00	0x02	0x14	0x01$'
	run kvmdbg -m 64M --smp 3 "$(guest fwcfg.elf)"
	assert_line 'cpus 3'
}

@test "console: info cpus, cpu N; a stop names its CPU; each AP's breakpoint hit is reported" {
	run_script "$(guest smp.elf)" --serial none --smp 3 <<-EOF
		info cpus
		break $(ap_park)
		cont
		cont
		info cpus
		cpu 0
		cpu 7
		delete
		cont
	EOF
	# (cpu 7 fails: status 1, and the script goes on.)
	assert_equal "$status" 1
	assert_line --regexp '^\* CPU 0  stopped +0x100000 <_start>$'
	assert_line --regexp '^  CPU 1  waiting for SIPI +0xfffffff0$'
	# Both APs stop at the breakpoint, whichever comes first; by the second
	# stop the first has gone on to its hlt, or (its stop kept from the first
	# round, when both were there) nothing ran.
	assert_line --regexp "^  CPU [12]  (halted +$(printf '%#x' $(($(ap_park) + 1)))|stopped +$(ap_park))\$"
	assert_line --regexp "^\\* CPU [12]  stopped +$(ap_park)\$"
	assert_line 'CPU 0 of 3'
	assert_line 'there is no CPU 7 (the machine has 3)'
	assert_line 'CPU 0: [guest exited with status 3]'
	run grep -cE "^CPU [12]: Breakpoint 1, $(ap_park)\$" <<<"$output"
	assert_output 2
}

@test "gdb: vCPUs are threads with CPU#n names; thread N reads that vCPU" {
	start_stub --smp 4 "$(guest smp.elf)"
	run gdb_batch -ex 'info threads' -ex 'thread 3' -ex 'p/x $pc' -ex 'p/x $cs' \
		-ex 'thread 1' -ex 'p/x $pc' "$(guest smp.elf)"
	assert_success
	assert_line --regexp '^\* 1 +Thread 1 \(CPU#0 \[stopped\]\) +_start \(\) at guests/smp.S:[0-9]+$'
	for n in 2 3 4; do
		assert_line --regexp "^  $n +Thread $n \\(CPU#$((n - 1)) \\[waiting for SIPI\\]\\) +0x0+fff0 in \\?\\? \\(\\)$"
	done
	assert_line '$1 = 0xfff0'
	assert_line '$2 = 0xf000'
	assert_line '$3 = 0x100000'
}

@test "gdb: two APs hit one breakpoint; both stops are reported, then the exit" {
	local ap_park
	ap_park=$(ap_park)
	start_stub --smp 3 "$(guest smp.elf)"
	run gdb_batch -ex "break *$ap_park" -ex continue -ex continue -ex 'info threads' \
		-ex delete -ex continue "$(guest smp.elf)"
	assert_success
	assert_line --partial '[Inferior 1 (Remote target) exited with code 03]'
	run grep -cE "^Thread [23] hit Breakpoint 1, 0x0+${ap_park#0x} in \\?\\? \\(\\)\$" <<<"$output"
	assert_output 2
}

@test "gdb: Ctrl-C stops every vCPU; the stop names one" {
	start_stub --smp 2 "$(guest spin.elf)"
	run gdb_batch -ex 'shell (sleep 2; kill -INT $PPID) &' -ex continue -ex 'info threads' \
		"$(guest spin.elf)"
	assert_success
	assert_line --regexp '^Thread [12] received signal SIGINT, Interrupt\.$|^Program received signal SIGINT'
	assert_line --regexp 'Thread 1 \(CPU#0 \[stopped\]\)'
	assert_line --regexp 'Thread 2 \(CPU#1 \[waiting for SIPI\]\)'
}

@test "gdb: bad thread ids get errors and change nothing" {
	start_stub --smp 2 "$(guest smp.elf)"
	exec 7<>/dev/tcp/127.0.0.1/"$STUB_PORT"
	assert_equal "$(rsp 'Hg3')" E22
	assert_equal "$(rsp 'Hgzz')" E22
	assert_equal "$(rsp 'T5')" E01
	assert_equal "$(rsp 'qThreadExtraInfo,9')" E22
	assert_equal "$(rsp 'vCont;s:7')" E22
	assert_equal "$(rsp 'qC')" QC01
	assert_equal "$(rsp 'Hg2')" OK
	assert_equal "$(rsp 'qC')" QC02
	assert_equal "$(rsp 'T02')" OK
	assert_equal "$(rsp 'qfThreadInfo')" m01,02
	assert_equal "$(rsp 'qsThreadInfo')" l
	# "CPU#1 [waiting for SIPI]", hex-encoded.
	assert_equal "$(rsp 'qThreadExtraInfo,2')" \
		"$(printf 'CPU#1 [waiting for SIPI]' | od -An -tx1 | tr -d ' \n')"
	exec 7>&-
}

# The address of an AP's counting instruction in loop mode.
ap_count() {
	printf '0x%s' "$(nm "$(guest smp.elf)" | awk '$3 == "ap_count" { print $1 }' | sed 's/^0*//')"
}

@test "gdb: 100 continues with two APs at one breakpoint lose no stop, and neither starves" {
	start_stub --smp 3 "$(guest smp.elf)"
	local cmds=(-ex 'set *(char *)0x9008 = 1' -ex "break *$(ap_count)") i
	for ((i = 0; i < 100; i++)); do
		cmds+=(-ex continue)
	done
	run gdb_batch "${cmds[@]}" -ex 'p/d *(unsigned char *)0x9010@3' \
		-ex 'p/d *(unsigned short *)0x9020@3' "$(guest smp.elf)"
	assert_success
	local hits
	hits=$(grep -cE '^Thread [23] hit Breakpoint 1, ' <<<"$output")
	assert_equal "$hits" 100 || { tail -n 20 <<<"$output"; false; }
	# Slot s of counts[] is the AP whose APIC id (= thread - 1) is cpus[s].
	local ids counts last t s n
	ids=($(sed -n 's/^\$1 = {\(.*\)}$/\1/p' <<<"$output" | tr -d ,))
	counts=($(sed -n 's/^\$2 = {\(.*\)}$/\1/p' <<<"$output" | tr -d ,))
	last=$(grep -E '^Thread [23] hit Breakpoint 1, ' <<<"$output" | tail -n1 | cut -d' ' -f2)
	for t in 2 3; do
		for s in 1 2; do
			[ "${ids[s]}" = $((t - 1)) ] || continue
			n=$(grep -cE "^Thread $t hit Breakpoint 1, " <<<"$output" || true)
			# Each pass stops once before it counts: the thread at the stop
			# reported last has one hit more than passes done.
			assert_equal "$n" $((counts[s] + (t == last ? 1 : 0)))
			# Neither AP starves the other.
			[ "$n" -ge 20 ] || fail "thread $t stopped only $n times of 100"
		done
	done
}

# counts[1..2] (the APs' words) as "A B".
ap_counts() {
	sed -n "s/^\\\$$1 = {[0-9]*, \\([0-9]*\\), \\([0-9]*\\)}\$/\\1 \\2/p" <<<"$output"
}

@test "gdb: a step lets the other vCPUs run (vCont;s:N;c) unless scheduler-locking keeps them" {
	start_stub --smp 3 "$(guest smp.elf)"
	# Both APs count; one stops at the breakpoint, which goes (a stop the
	# other kept for it is dropped with it). Twenty steps of that AP are ten
	# passes: alone, the other AP's count stays; else it goes on counting.
	run gdb_batch -ex 'set *(char *)0x9008 = 1' -ex "break *$(ap_count)" -ex continue \
		-ex delete -ex 'set scheduler-locking step' -ex 'p/u *(unsigned short *)0x9020@3' \
		-ex 'stepi 20' -ex 'p/u *(unsigned short *)0x9020@3' \
		-ex 'set scheduler-locking off' -ex 'stepi 20' -ex 'p/u *(unsigned short *)0x9020@3' \
		-ex 'info threads' "$(guest smp.elf)"
	assert_success
	refute_output --partial SIGTRAP
	local a0 b0 a1 b1 a2 b2
	read -r a0 b0 <<<"$(ap_counts 1)"
	read -r a1 b1 <<<"$(ap_counts 2)"
	read -r a2 b2 <<<"$(ap_counts 3)"
	[ -n "$a0" ] && [ -n "$b2" ] || fail "no counts in: $output"
	# Locked: exactly one AP made ten passes, the other none.
	[ $((a1 - a0)) -eq 10 -a "$b1" -eq "$b0" ] || [ $((b1 - b0)) -eq 10 -a "$a1" -eq "$a0" ] ||
		fail "locked steps: counts $a0 $b0 -> $a1 $b1"
	# Not locked: the stepping AP made ten more, the other ran meanwhile
	# (its 16-bit count may wrap: it differs).
	if [ $((a1 - a0)) -eq 10 ]; then
		assert_equal $((a2 - a1)) 10
		[ "$b2" -ne "$b1" ] || fail "the other AP did not run during the steps ($b1 -> $b2)"
	else
		assert_equal $((b2 - b1)) 10
		[ "$a2" -ne "$a1" ] || fail "the other AP did not run during the steps ($a1 -> $a2)"
	fi
}

@test "lldb: vCPUs are threads; thread select reads that vCPU" {
	require_lldb
	start_stub --smp 4 "$(guest smp.elf)"
	run timeout $HANG lldb --batch -o "gdb-remote 127.0.0.1:$STUB_PORT" -o 'thread list' \
		-o 'thread select 3' -o 'register read pc cs' -o 'thread select 1' \
		-o 'register read pc' -o kill "$(guest smp.elf)"
	assert_success
	assert_line --regexp '^\* thread #1: tid = 0x0001, 0x0+100000 smp.elf`_start at smp.S:[0-9]+, stop reason = signal SIGTRAP$'
	for n in 2 3 4; do
		assert_line --regexp "^  thread #$n: tid = 0x000$n, 0x0+fff0\$"
	done
	assert_line --regexp '^ +cs = 0x0000f000$'
	assert_line --regexp '^ +rip = 0x0+fff0$'
	assert_line --regexp '^ +rip = 0x0+100000 +smp.elf`_start$'
}

@test "a timeout with several CPUs says which CPU the pc is of, and where the others are" {
	run kvmdbg --serial none --smp 2 --timeout 1 "$(guest spin.elf)"
	assert_equal "$status" 124
	# (Whichever CPU stopped first is the one named first; CPU 1 waits for
	# SIPI at the reset vector, linear 0xfffffff0.)
	assert_line --regexp '^kvmdbg: timeout at pc 0x[0-9a-f]+ <[a-z_]+(\+0x[0-9a-f]+)?> \(CPU 0\)$|^kvmdbg: timeout at pc 0xfffffff0 \(CPU 1\)$'
	assert_line --regexp '^kvmdbg: CPU 1 at pc 0xfffffff0$|^kvmdbg: CPU 0 at pc 0x[0-9a-f]+ <[a-z_]+(\+0x[0-9a-f]+)?>$'
}
