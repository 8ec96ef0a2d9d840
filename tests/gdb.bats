#!/usr/bin/env bats
# Real gdb (batch mode) against kvmdbg's gdb server.

load helper

teardown() {
	stop_stub
}

@test "gdb stops at a C function by name, shows bt, prints a global, finishes" {
	start_stub "$(guest gdbtest.elf)"
	run gdb_batch -ex 'break bump' -ex continue -ex continue -ex bt -ex 'print counter' \
		-ex 'print by' -ex finish -ex 'print total' "$(guest gdbtest.elf)"
	assert_success
	assert_line --regexp '^Breakpoint 1, bump \(by=1\) at guests/gdbtest.c:[0-9]+$'
	assert_line --regexp '^Breakpoint 1, bump \(by=2\) at guests/gdbtest.c:[0-9]+$'
	assert_line --regexp '^#0  bump \(by=2\) at guests/gdbtest.c:[0-9]+$'
	assert_line --regexp '^#1  0x[0-9a-f]+ in main \(\) at guests/gdbtest.c:[0-9]+$'
	assert_line '$1 = 1'
	assert_line '$2 = 2'
	# finish returns to main, after add() has made total 1 + 2.
	assert_line --regexp '^main \(\) at guests/gdbtest.c:[0-9]+$'
	assert_line '$3 = 3'
}

@test "gdb next steps over a call line by line" {
	start_stub "$(guest gdbtest.elf)"
	run gdb_batch -ex 'break bump' -ex continue -ex next -ex next -ex 'print total' \
		-ex 'print counter' "$(guest gdbtest.elf)"
	assert_success
	assert_line --regexp '^[0-9]+		counter \+= by;$'
	assert_line --regexp '^[0-9]+		total = add\(total, by\);$'
	assert_line --regexp '^[0-9]+	}$'
	assert_line '$1 = 1'
	assert_line '$2 = 1'
}

@test "set var changes what the guest computes and the exit code shows it" {
	start_stub "$(guest gdbtest.elf)"
	run gdb_batch -ex 'break bump' -ex continue -ex 'set var total = 100' -ex 'delete' \
		-ex continue "$(guest gdbtest.elf)"
	assert_success
	assert_line '[Inferior 1 (Remote target) exited with code 01]'
	run cat "$BATS_TEST_TMPDIR/stub.out"
	assert_output "total 115"
}

@test "x/4i \$pc, info registers with system registers, stepi" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'x/4i $pc' -ex 'stepi' -ex 'stepi' -ex 'stepi' \
		-ex 'info registers rax rcx rip eflags cr0 cr3 cr4 efer fs_base gs_base k_gs_base' \
		"$(guest regs.elf)"
	assert_success
	assert_line --regexp '^=> 0x100000 <_start>:	movabs \$0x1122334455667788,%rax$'
	assert_line --regexp '^   0x100011 <after_xor>:	call +0x10001c <leaf>$'
	assert_line --regexp '^rax +0x1122334455667788 +1234605616436508552$'
	assert_line --regexp '^rcx +0x5 +5$'
	assert_line --regexp '^rip +0x100011 +0x100011 <after_xor>$'
	assert_line --regexp '^eflags +0x46 +\[ PF ZF \]$'
	# Control registers as flags, as QEMU gives them.
	assert_line --regexp '^cr0 +0x80010033 +\[ PE MP ET NE WP PG \]$'
	assert_line --regexp '^cr4 +0x[0-9a-f]+ +\[ .*PAE.* \]$'
	assert_line --regexp '^efer +0x500 +\[ LME LMA \]$'
	assert_line --regexp '^k_gs_base +0x0 '
}

@test "hbreak stops with a hardware breakpoint and continue runs to the exit" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'hbreak leaf' -ex continue -ex 'info registers rip' -ex continue \
		"$(guest regs.elf)"
	assert_success
	assert_line --regexp '^Hardware assisted breakpoint 1 at 0x10001c'
	assert_line --regexp '^rip +0x10001c +0x10001c <leaf>$'
	assert_line '[Inferior 1 (Remote target) exited with code 07]'
}

@test "memory reads show original bytes under a planted breakpoint; writes keep it" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'break leaf' -ex 'set breakpoint always-inserted on' \
		-ex 'x/1xb leaf' -ex 'set var *(unsigned char *)leaf = 0x90' -ex continue \
		-ex 'info registers rip' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^0x10001c <leaf>:	0x90$'
	assert_line --regexp '^rip +0x10001c +0x10001c <leaf>$'
}

@test "writes to registers and memory are seen by the guest" {
	start_stub "$(guest regs.elf)"
	# Skip the call: jump straight to the exit with al = 42.
	run gdb_batch -ex 'set $pc = after_xor + 7' -ex 'set $rax = 42' -ex continue \
		"$(guest regs.elf)"
	assert_success
	assert_line '[Inferior 1 (Remote target) exited with code 052]'
}

@test "a 32-bit ELF in gdb connects and debugs without 'g' packet errors" {
	start_stub "$(guest hello32.elf)"
	run gdb_batch -ex 'break serial_puts' -ex continue -ex 'info registers eip cr0' \
		-ex 'x/2i $pc' -ex bt -ex finish "$(guest hello32.elf)"
	assert_success
	refute_output --partial "too long"
	refute_output --partial "warning"
	assert_line --regexp '^Breakpoint 1(\.1)?, serial_puts \(s=0x[0-9a-f]+ "Hello from 32-bit protected mode!\\n"\) at guests/lib/serial.c:[0-9]+$'
	assert_line --regexp '^eip +0x[0-9a-f]+ +0x[0-9a-f]+ <serial_puts>$'
	assert_line --regexp '^cr0 +0x33 +\[ PE MP ET NE \]$'
	assert_line --regexp '^=> 0x[0-9a-f]+ <serial_puts>:	push +%edi$'
	assert_line --regexp '^#1  0x[0-9a-f]+ in main \(\) at guests/hello.c:[0-9]+$'
}

@test "a real-mode guest: pc at 0x7c00 and stepping" {
	start_stub --raw "$(guest hello16.bin)@0x7c00"
	run gdb_batch -ex 'p/x $pc' -ex 'stepi' -ex 'p/x $pc' -ex 'p/x $cs'
	assert_success
	assert_line '$1 = 0x7c00'
	assert_line '$2 = 0x7c01'
	assert_line '$3 = 0x0'
}

@test "detach (and gdb's quit) resumes the guest as QEMU's gdbstub does, after -S too; kvmdbg ends with the guest's status once no debugger is left" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'stepi' -ex 'stepi' -ex detach "$(guest regs.elf)"
	assert_success
	status=0
	wait $STUB_PID || status=$?
	STUB_PID=
	assert_equal "$status" 7
	run cat "$STUB_ERR"
	assert_line 'kvmdbg: the debugger left; the guest runs on'
	assert_line 'kvmdbg: [guest exited with status 7]'
	# Without -S and without a client, the run ends with the guest too.
	run kvmdbg --gdb 127.0.0.1:0 "$(guest regs.elf)"
	assert_equal "$status" 7
	assert_line --regexp '^kvmdbg: gdb server on 127\.0\.0\.1:[0-9]+$'
}

@test "disconnect leaves the guest as it is and a new gdb reconnects" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'stepi' -ex 'stepi' -ex disconnect "$(guest regs.elf)"
	assert_success
	run gdb_batch -ex 'info registers rip' -ex disconnect "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x10000f +0x10000f <_start\+15>$'
}

@test "--no-shutdown keeps the server after the guest's end: a new gdb hears the target is not running" {
	start_stub --no-shutdown "$(guest regs.elf)"
	run gdb_batch -ex continue "$(guest regs.elf)"
	assert_line '[Inferior 1 (Remote target) exited with code 07]'
	sleep 0.5
	kill -0 $STUB_PID
	run gdb_batch -ex 'info registers rip' "$(guest regs.elf)"
	assert_output --partial 'The target is not running'
	kill -0 $STUB_PID
}

@test "a second debugger is refused while the first stays connected" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	run gdb_batch -ex 'info registers rip' "$(guest regs.elf)"
	assert_failure
	assert_output --partial "another debugger is already connected"
	send_packet g
	IFS= read -r -t 5 -N 8 reply <&7
	[[ "$reply" == '+$'* ]]
	exec 7>&-
}

@test "garbage, bad checksums and oversized packets leave the server answering" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	printf 'garbage\x00\xff' >&7
	printf '$g#00' >&7
	IFS= read -r -t 5 -N 1 nak <&7
	assert_equal "$nak" "-"
	{ printf '$M0,1:'; head -c 300000 /dev/zero | tr '\0' 'a'; printf '#00'; } >&7
	IFS= read -r -t 5 -N 1 nak <&7
	assert_equal "$nak" "-"
	# An oversized packet with a good checksum: acknowledged and refused.
	sum=$(( (300000 * 0x61) % 256 ))
	{ printf '$'; head -c 300000 /dev/zero | tr '\0' 'a'; printf '#%02x' $sum; } >&7
	IFS= read -r -t 5 -N 8 reply <&7
	assert_equal "$reply" '+$E22#a9'
	send_packet 'm0,zz'
	IFS= read -r -t 5 -N 8 reply <&7
	assert_equal "$reply" '+$E22#a9'
	exec 7>&-
	run gdb_batch -ex 'info registers rip' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x100000 +0x100000 <_start>$'
}

@test "Ctrl-C stops a running guest within 100 ms of what a plain request takes" {
	start_stub "$(guest spin.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	send_packet QStartNoAckMode
	IFS= read -r -t 5 -N 7 reply <&7
	assert_equal "$reply" '+$OK#9a'
	# What a request and its reply cost here, measured the same way (the
	# test VM's emulated CPUs take most of 100 ms just to run date).
	start=$(date +%s%N)
	send_packet qC
	IFS= read -r -t 5 -d '#' reply <&7
	IFS= read -r -t 5 -N 2 reply <&7
	end=$(date +%s%N)
	base=$(( (end - start) / 1000000 ))
	send_packet c
	sleep 0.3
	start=$(date +%s%N)
	printf '\003' >&7
	IFS= read -r -t 5 -d '#' reply <&7
	end=$(date +%s%N)
	[[ "$reply" == '$T02thread:01;'* ]]
	echo "stop after $(( (end - start) / 1000000 )) ms (a round trip: $base ms)"
	[ $(( (end - start) / 1000000 - base )) -lt 100 ]
	exec 7>&-
}

@test "monitor runs console commands and prints what the console prints" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'stepi 3' -ex 'monitor regs' -ex 'monitor onereg get EFER' \
		-ex 'monitor frobnicate' -ex 'monitor info version' "$(guest regs.elf)"
	assert_success
	gdb_out=$output
	# What the kernel's gdb scripts ask to know a QEMU-like stub (CPUs as threads).
	assert_line "kvmdbg $("$KVMDBG" --version | cut -d' ' -f2)"
	stop_stub
	run kvmdbg -e 'stepi 3' -e regs -e 'onereg get EFER' "$(guest regs.elf)"
	assert_success
	expected=$(tail -n +2 <<<"$output")
	# (the console's own output, at least the registers and EFER's fields)
	[[ "$expected" == *rip*EFER* ]] || fail "the console printed no registers: $expected"
	grep -qF -- "$expected" <<<"$gdb_out" || fail "monitor output differs: $gdb_out"
	grep -qF "unknown command 'frobnicate'; 'help' lists them" <<<"$gdb_out" ||
		fail "no refusal of frobnicate: $gdb_out"
}

@test "monitor onereg dump and monitor phys switch to physical addresses" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'monitor onereg dump' -ex 'monitor phys on' -ex 'x/1xg 0x16000' \
		-ex 'monitor phys off' -ex 'x/1xg 0x40000000000' "$(guest regs.elf)"
	assert_line --regexp '^IA32_PAT \(0x2030000200000277: x86 u64 msr 0x277\) = 0x7040600070406 '
	assert_line 'memory addresses are guest-physical'
	assert_line --regexp '^0x16000:	0x0000000000017003$'
	assert_line --partial 'Cannot access memory at address 0x40000000000'
}

@test "a triple fault reaches gdb as SIGSEGV and the server keeps serving" {
	start_stub "$(guest triple.elf)"
	run gdb_batch -ex continue -ex 'info registers rip' "$(guest triple.elf)"
	assert_success
	assert_line --partial 'kvmdbg: guest shut down: shutdown (triple fault)'
	assert_line --regexp '^Program (received|terminated with) signal SIGSEGV'
	run gdb_batch -ex 'info registers rip' "$(guest triple.elf)"
	assert_success
}

@test "kill ends kvmdbg" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex kill "$(guest regs.elf)"
	assert_success
	wait $STUB_PID && status=0 || status=$?
	STUB_PID=
	assert_equal "$status" 0
	run cat "$STUB_ERR"
	assert_line "kvmdbg: killed by the debugger"
}

@test "unix socket with mode 0600" {
	sock=$BATS_TEST_TMPDIR/gdb.sock
	"$KVMDBG" --gdb "unix:$sock" -S "$(guest regs.elf)" 2>"$BATS_TEST_TMPDIR/err" &
	STUB_PID=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
	assert_equal "$(stat -c %a "$sock")" 600
	run timeout $HANG gdb -batch -nx -ex "target remote $sock" -ex 'info registers rip' \
		-ex disconnect "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x100000 '
	# A second kvmdbg does not take over the live socket, nor replace a file.
	run kvmdbg --gdb "unix:$sock" -S "$(guest regs.elf)"
	assert_failure 2
	assert_output "kvmdbg: $sock exists and is not a stale socket (a file, or a server still listening)"
	echo data >"$BATS_TEST_TMPDIR/file"
	run kvmdbg --gdb "unix:$BATS_TEST_TMPDIR/file" -S "$(guest regs.elf)"
	assert_failure 2
	assert_equal "$(cat "$BATS_TEST_TMPDIR/file")" data
	# A socket left by a run that died is replaced.
	kill -KILL $STUB_PID
	wait $STUB_PID || true
	[ -S "$sock" ]
	# (Its own file: the first server's line is in err, and the redirection
	# of a background job may come after wait_file's first look.)
	"$KVMDBG" --gdb "unix:$sock" -S "$(guest regs.elf)" 2>"$BATS_TEST_TMPDIR/err2" &
	STUB_PID=$!
	wait_file "$BATS_TEST_TMPDIR/err2"
	run cat "$BATS_TEST_TMPDIR/err2"
	assert_output "kvmdbg: gdb server on unix:$sock; the guest waits for the debugger"
}

@test "unix socket: the stale check holds the directory's lock; a server removes only its own socket" {
	d=$BATS_TEST_TMPDIR/dir
	mkdir "$d"
	sock=$d/gdb.sock
	# While another process holds the lock, kvmdbg waits for it, then listens.
	flock "$d" sleep 1 3>&- &
	sleep 0.2
	start=$(date +%s%N)
	"$KVMDBG" --gdb "unix:$sock" -S "$(guest regs.elf)" 2>"$BATS_TEST_TMPDIR/a" &
	STUB_PID=$!
	wait_file "$BATS_TEST_TMPDIR/a"
	waited=$((($(date +%s%N) - start) / 1000000))
	[ "$waited" -ge 500 ] || fail "listening after $waited ms, with the lock held for 800 ms"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a")" "kvmdbg: gdb server on unix:$sock; the guest waits for the debugger"
	[ -S "$sock" ]
	# Its file removed by hand and a second server on the same path: the
	# first one's exit leaves the second's socket in place.
	rm "$sock"
	"$KVMDBG" --gdb "unix:$sock" -S "$(guest regs.elf)" 2>"$BATS_TEST_TMPDIR/b" &
	second=$!
	wait_file "$BATS_TEST_TMPDIR/b"
	stop_stub
	[ -S "$sock" ] || fail "the first server removed the second's socket"
	STUB_PID=$second
	stop_stub
	[ ! -e "$sock" ] || fail "the second server left its socket"
	# A lock held for longer than 5 s: a clear refusal.
	flock "$d" sleep 8 3>&- &
	sleep 0.2
	run kvmdbg --gdb "unix:$sock" -S "$(guest regs.elf)"
	assert_failure 2
	assert_output "kvmdbg: cannot lock $d for the socket in it: another process has held the lock for 5 s"
}

@test "-s listens on 127.0.0.1:1234 and a non-loopback address warns" {
	"$KVMDBG" -s -S "$(guest regs.elf)" 2>"$BATS_TEST_TMPDIR/err" &
	STUB_PID=$!
	wait_file "$BATS_TEST_TMPDIR/err"
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "kvmdbg: gdb server on 127.0.0.1:1234; the guest waits for the debugger"
	stop_stub
	# A file of its own: the first run's text in the same file could satisfy
	# wait_file before the background shell truncates it for this run.
	"$KVMDBG" --gdb 0.0.0.0:0 -S "$(guest regs.elf)" 2>"$BATS_TEST_TMPDIR/err2" &
	STUB_PID=$!
	wait_file "$BATS_TEST_TMPDIR/err2"
	run cat "$BATS_TEST_TMPDIR/err2"
	assert_line --index 0 --partial "warning: the gdb server on 0.0.0.0:"
	assert_line --index 0 --partial "is reachable from other machines"
}

@test "bad --gdb values are usage errors" {
	run kvmdbg --gdb notaport "$(guest regs.elf)"
	assert_equal "$status" 2
	assert_output "kvmdbg: 'notaport' is not [HOST:]PORT or unix:PATH"
	run kvmdbg -S "$(guest regs.elf)"
	assert_equal "$status" 2
	assert_line --index 0 "kvmdbg: --wait waits for a debugger: give --gdb (or -s) too"
}

@test "with gdb breakpoints set, the guest's own int3 is delivered to the guest" {
	# Where int3 reaches the guest without an exit, the CPU delivers it (and
	# its handler shares the page kvmdbg takes away): see README, KVM hosts.
	require_host int3 debug-exit emulation-failure
	start_stub "$(guest int3.elf)"
	run gdb_batch -ex 'break after_int3' -ex 'break bp_handler' -ex continue \
		-ex 'x/xg $rsp' -ex continue -ex continue "$(guest int3.elf)"
	assert_success
	assert_line --regexp '^Breakpoint 2, 0x0*100053 in bp_handler \(\)$|^Breakpoint 2, bp_handler \(\)'
	assert_line --regexp '^0x13fd8:	0x0000000000100041$'
	assert_line --regexp 'Breakpoint 1, .*after_int3'
	assert_line '[Inferior 1 (Remote target) exited normally]'
	run cat "$BATS_TEST_TMPDIR/stub.out"
	assert_output "before
#BP
after"
}

@test "lldb attaches with gdb-remote, stops at a C function and reads variables" {
	require_lldb
	start_stub "$(guest gdbtest.elf)"
	run timeout $HANG lldb --batch -o "gdb-remote 127.0.0.1:$STUB_PORT" -o 'register read rip' \
		-o 'breakpoint set -n bump' -o continue -o bt -o 'frame variable' -o kill \
		"$(guest gdbtest.elf)"
	assert_success
	assert_line --regexp '^ +rip = 0x0000000000100000 +gdbtest.elf`_start$'
	assert_line --regexp 'stop reason = breakpoint 1'
	assert_line --regexp 'frame #1: 0x[0-9a-f]+ gdbtest.elf`main at gdbtest.c:[0-9]+'
	assert_line '(int) by = 1'
	refute_output --partial 'failed to send'
}

@test "raw protocol: queries, thread packets, G round trip, C and S, unknown packets" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	assert_equal "$(rsp 'qSupported:multiprocess+;swbreak+')" \
		"PacketSize=20000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+;binary-upload+;ReverseStep+;ReverseContinue+"
	# x without binary-upload+ from the client: lldb's flavour.
	assert_equal "$(rsp 'x0,0')" OK
	assert_equal "$(rsp 'x10001c,2' | od -An -tx1 | tr -d ' \n')" 90c3
	assert_equal "$(rsp 'x40000000000,4')" E14
	assert_equal "$(rsp '?')" "$(rsp '?')"
	assert_equal "$(rsp qAttached)" 1
	assert_equal "$(rsp qC)" QC01
	assert_equal "$(rsp qfThreadInfo)" m01
	assert_equal "$(rsp qsThreadInfo)" l
	assert_equal "$(rsp 'vCont?')" 'vCont;c;C;s;S'
	assert_equal "$(rsp Hg0)" OK
	assert_equal "$(rsp T01)" OK
	assert_equal "$(rsp qTStatus)" ""
	assert_equal "$(rsp vMustReplyEmpty)" ""
	# No section offsets claimed (a guest is linked where it runs).
	assert_equal "$(rsp qOffsets)" ""
	assert_equal "$(rsp 'Z5,100000,1')" ""
	assert_equal "$(rsp 'Z2,100000,1')" OK
	assert_equal "$(rsp 'z2,100000,1')" OK
	assert_equal "$(rsp 'Z3,100000,0')" E22
	assert_equal "$(rsp 'Z4,40000000000,4')" E14
	assert_equal "$(rsp 'Z2,ffffffffffffffff,2')" E22
	# G writes back what g read; p 10 (rip) is unchanged.
	regs=$(rsp g)
	assert_equal "$(rsp "G$regs")" OK
	assert_equal "$(rsp g)" "$regs"
	assert_equal "$(rsp 'p10')" 0000100000000000
	assert_equal "$(rsp 'G00')" E22
	assert_equal "$(rsp 'pfff')" E22
	# S with a signal steps one instruction (signals mean nothing here).
	[[ "$(rsp 'S05')" == T05thread:01\;* ]]
	assert_equal "$(rsp 'p10')" 0a00100000000000
	# Hardware breakpoints: four, then E28 (by page, where DR0-DR3 never
	# fire, there is no such limit).
	for a in 100011 10001c 100016 100018; do assert_equal "$(rsp "Z1,$a,1")" OK; done
	if [ "$(host_fact hw_breakpoints)" = yes ]; then
		assert_equal "$(rsp 'Z1,10001d,1')" E28
	else
		assert_equal "$(rsp 'Z1,10001d,1')" OK
	fi
	[[ "$(rsp 'C05')" == T05thread:01\;*10:1100100000000000\;hwbreak:\; ]]
	# A NAK gets the last packet again.
	send_packet qC
	assert_equal "$(read_packet)" QC01
	printf '%s' - >&7
	IFS= read -r -t 5 -N 8 again <&7
	assert_equal "$again" '$QC01#f5'
	exec 7>&-
}

@test "x reads memory as binary: gdb 16's form after binary-upload+" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	[[ "$(rsp 'qSupported:binary-upload+;swbreak+')" == *binary-upload+\;* ]]
	assert_equal "$(rsp 'x0,0')" b
	assert_equal "$(rsp 'x10001c,2' | od -An -tx1 | tr -d ' \n')" 6290c3
	exec 7>&-
}

@test "lldb reads memory" {
	require_lldb
	start_stub "$(guest regs.elf)"
	run timeout $HANG lldb --batch -o "gdb-remote 127.0.0.1:$STUB_PORT" \
		-o 'memory read --size 1 --count 8 --format x 0x100000' -o kill "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^0x00100000: 0x48 0xb8 0x88 0x77 0x66 0x55 0x44 0x33$'
}

@test "raw protocol: after the guest's exit, c, s and ? all answer with the exit again" {
	start_stub "$(guest exit8.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	exited=$(rsp c)
	[[ "$exited" == W* ]] || fail "not an exit: $exited"
	assert_equal "$(rsp c)" "$exited"
	assert_equal "$(rsp s)" "$exited"
	assert_equal "$(rsp '?')" "$exited"
}

@test "monitor cannot make kvmdbg open host files, unless --allow-monitor-files, and then only regular files" {
	start_stub "$(guest mmiolog.elf)"
	run gdb_batch -ex "monitor mmio log $BATS_TEST_TMPDIR/made" \
		-ex "monitor pio log $BATS_TEST_TMPDIR/made" -ex 'monitor pio log off' \
		-ex 'monitor mmio list' -ex continue "$(guest mmiolog.elf)"
	assert_success
	assert_line "mmio log FILE is refused over gdb's monitor: it would create or overwrite a host file as kvmdbg's user; use the console, or start kvmdbg with --allow-monitor-files"
	assert_line "pio log FILE is refused over gdb's monitor: it would create or overwrite a host file as kvmdbg's user; use the console, or start kvmdbg with --allow-monitor-files"
	assert_line "No log file: watched accesses are printed here."
	assert_line "[Inferior 1 (Remote target) exited normally]"
	[ ! -e "$BATS_TEST_TMPDIR/made" ] || fail "monitor created a host file"
	stop_stub

	echo precious >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$BATS_TEST_TMPDIR/link"
	mkdir "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/dirlink"
	start_stub --allow-monitor-files "$(guest mmiolog.elf)"
	run gdb_batch -ex "monitor mmio log $BATS_TEST_TMPDIR/link" -ex 'monitor mmio log /dev/null' \
		-ex "monitor mmio log $BATS_TEST_TMPDIR/target" \
		-ex "monitor mmio log $BATS_TEST_TMPDIR/dirlink/new.jsonl" \
		-ex "monitor mmio log $BATS_TEST_TMPDIR/log.jsonl" -ex continue "$(guest mmiolog.elf)"
	assert_success
	exists="File exists (a remote client's log is a new file: kvmdbg does not write over one that exists)"
	assert_line "cannot open $BATS_TEST_TMPDIR/link: $exists"
	assert_line "cannot open /dev/null: $exists"
	assert_line "cannot open $BATS_TEST_TMPDIR/target: $exists"
	# A symbolic link on the way is refused too, not only at the end.
	assert_line "cannot open $BATS_TEST_TMPDIR/dirlink/new.jsonl: Too many levels of symbolic links (no symbolic links on the way)"
	[ ! -e "$BATS_TEST_TMPDIR/real/new.jsonl" ] || fail "created through a symbolic link"
	assert_line "[Inferior 1 (Remote target) exited normally]"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/target")" precious
	stop_stub
	grep -q '"kind":"mmio","dir":"r","addr":"0xd0000000"' "$BATS_TEST_TMPDIR/log.jsonl" || fail "no log written: $(head -3 "$BATS_TEST_TMPDIR/log.jsonl")"
}

@test "a monitor command with megabytes of output is cut at 1 MiB, and gdb stays connected" {
	start_stub "$(guest regs.elf)"
	run gdb_batch -ex 'monitor x/65536xg 0x100000' -ex 'info registers rip' -ex disconnect \
		"$(guest regs.elf)"
	assert_success
	assert_line '[kvmdbg: monitor output cut at 1 MiB, and the command stopped there; the console shows all]'
	assert_line --regexp '^rip +0x100000 '
	kill -0 $STUB_PID
}

@test "a breakpoint at an address the guest maps only later (a kernel's before its page tables) stops there: console and gdb" {
	require_host hw_breakpoints yes
	run kvmdbg "$(guest highmap.elf)" -e 'break high_alias' -e cont -e 'info break' -e cont
	assert_line 'Breakpoint 1 at 0xffff80000010004a'
	assert_line 'Breakpoint 1, 0xffff80000010004a'
	assert_line --regexp '^1 +breakpoint +0xffff80000010004a +1 '
	assert_line '[guest exited with status 7]'
	start_stub "$(guest highmap.elf)"
	run gdb_batch "$(guest highmap.elf)" -ex 'break *high_alias' -ex continue -ex 'p/x $pc' \
		-ex continue
	assert_line '$1 = 0xffff80000010004a'
	assert_line '[Inferior 1 (Remote target) exited with code 07]'
}
