#!/usr/bin/env bats
# The gdb server against clients that misbehave: connections that never speak
# RSP, refused clients that trickle bytes, clients that do not read, a
# monitor command that leaves the guest running. The server never stalls and
# the guest keeps the state it had before the connection.

load helper

teardown() {
	exec 7>&- 8>&- 2>/dev/null || true
	[ -z "${TRICKLER:-}" ] || kill "$TRICKLER" 2>/dev/null || true
	stop_stub
}

# Lines the ticker guest has printed so far.
ticks() {
	wc -l <"$BATS_TEST_TMPDIR/stub.out"
}

# Waits (up to 30 s, scaled) until the ticker prints more than $1 lines.
ticks_above() {
	local end=$((SECONDS + 30 * TIME_SCALE))

	until [ "$(ticks)" -gt "$1" ]; do
		[ $SECONDS -lt $end ] || fail "the guest is not running: still $(ticks) lines"
		sleep 0.05
	done
}

@test "a bare TCP connection does not stop a running guest, nor its disconnect; gdb's detach lets it run on" {
	STUB_WAIT= start_stub "$(guest ticker.elf)"
	ticks_above 0
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	n=$(ticks)
	ticks_above "$n"
	exec 7>&-
	n=$(ticks)
	ticks_above "$n"
	# gdb stops it while connected; after gdb's detach it runs again.
	run gdb_batch -ex 'info registers rip' -ex detach "$(guest ticker.elf)"
	assert_success
	assert_line --regexp '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <[a-z_]+\+[0-9]+>$'
	n=$(ticks)
	ticks_above "$n"
	# A client that drops the connection without a word does the same.
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	[[ "$(rsp '?')" == T02* ]] || fail "not stopped by the connection"

	n=$(ticks)
	sleep 0.5
	assert_equal "$(ticks)" "$n"
	exec 7>&-
	ticks_above "$n"
	kill -0 $STUB_PID
}

@test "a client that never sends a gdb packet is closed after 10 s, and gdb can connect then" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	printf 'GET / HTTP/1.0\r\n\r\n' >&7
	# Meanwhile gdb is turned away with the reason.
	run gdb_batch -ex 'info registers rip' "$(guest regs.elf)"
	assert_output --partial 'another debugger is already connected'
	sleep 11
	run cat "$STUB_ERR"
	assert_line 'kvmdbg: a client sent no gdb packet in 10 s: closed, so that a debugger can connect'
	exec 7>&-
	run gdb_batch -ex 'info registers rip' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x100000 '
}

@test "a refused second client that trickles bytes gets its answer and does not delay the first" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	regs=$(rsp g)
	start=$EPOCHREALTIME
	for _ in $(seq 20); do rsp g >/dev/null; done
	idle=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	exec 8<>/dev/tcp/127.0.0.1/$STUB_PORT
	(while printf '$' >&8 2>/dev/null; do sleep 0.01; done) &
	TRICKLER=$!
	IFS= read -r -t 5 -d '#' busy <&8 || fail "the second client got no answer"
	assert_equal "$busy" '+$E.kvmdbg: another debugger is already connected'
	start=$EPOCHREALTIME
	for _ in $(seq 20); do
		assert_equal "$(rsp g)" "$regs"
	done
	busy=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "20 register reads: $idle ms alone, $busy ms while a refused client trickled" >&3
	[ "$busy" -lt $((2 * idle + 1000)) ] || fail "the first client waited"
	# The refused client is closed after a while, however slowly it sends.
	for _ in $(seq 100); do
		kill -0 "$TRICKLER" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$TRICKLER" 2>/dev/null || fail "the refused client is still connected"
	TRICKLER=
}

@test "a client that sends requests and never reads the replies is dropped; the server and the guest go on" {
	STUB_WAIT= start_stub "$(guest ticker.elf)"
	ticks_above 0
	# 5000 reads of the target description (6 KiB each, text that run-length
	# encoding does not shrink), 30 MiB of replies: far more than the 4 MiB
	# queued per client and what the sockets hold. Made before connecting: a
	# client silent for 10 s is closed (the test VM builds this slowly).
	frame=$(send_packet 'qXfer:features:read:target.xml:0,ffff' 7>&1)
	flood=
	for _ in $(seq 5000); do flood+=$frame; done
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	printf '%s' "$flood" >&7
	# Dropped: the guest, stopped by the connection, runs again.
	n=$(ticks)
	ticks_above "$n"
	exec 7>&-
	run gdb_batch -ex 'info registers rip' "$(guest ticker.elf)"
	assert_success
	assert_line --regexp '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <[a-z_]+\+[0-9]+>$'
}

@test "monitor cont: the server still reads, Ctrl-C (0x03) stops the guest and the reply says where" {
	start_stub "$(guest ticker.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	send_packet "qRcmd,$(printf cont | od -An -tx1 | tr -d ' \n')"
	reply=$(read_packet)
	assert_equal "$(xxd -r -p <<<"${reply#O}")" "Continuing."
	ticks_above 1
	printf '\003' >&7
	text=
	while reply=$(read_packet) && [ "$reply" != OK ]; do
		[ "${reply:0:1}" = O ] || fail "not console output: $reply"
		text+=$(xxd -r -p <<<"${reply#O}")
	done
	assert_equal "$reply" OK
	# (wherever the guest was: in main's loop or printing its line)
	[[ "$text" == "Stopped at 0x"*" <"*">"* ]] || fail "the reply does not say where: $text"
	n=$(ticks)
	sleep 0.3
	assert_equal "$(ticks)" "$n"
	[[ "$(rsp g)" == [0-9a-f]* ]]
}

# A gdb session that measures its single-stepping rate with and without
# load, in alternating windows: the host's own speed drifts over seconds
# (other machines' load), and only windows side by side compare the server.
# It creates $LOAD_FLAG, waits for $LOAD_FLAG.up (the load's process ids),
# then ROUNDS times: SIGCONT the load and step LOADED_WINDOW seconds, SIGSTOP
# it and step IDLE_WINDOW seconds. Each loaded window's rate is divided by
# the mean of the idle windows on either side; prints the ratios' median in
# percent, the lowest and highest, and the mean rates (steps/s).
STEP_RATES_PY='
import os, signal, time
def rate(seconds):
    n, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        gdb.execute("stepi 100", to_string=True)
        n += 100
    return n / (time.time() - t0)
flag = os.environ["LOAD_FLAG"]
open(flag, "w").close()
while not os.path.exists(flag + ".up"):
    time.sleep(0.05)
pids = [int(p) for p in open(flag + ".up").read().split()]
def load(sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass
load(signal.SIGSTOP)
idle = [rate(float(os.environ["IDLE_WINDOW"]))]
loaded, ratios = [], []
for r in range(int(os.environ["ROUNDS"])):
    load(signal.SIGCONT)
    loaded.append(rate(float(os.environ["LOADED_WINDOW"])))
    load(signal.SIGSTOP)
    idle.append(rate(float(os.environ["IDLE_WINDOW"])))
    ratios.append(loaded[-1] / ((idle[-2] + idle[-1]) / 2))
load(signal.SIGCONT)
print("RATIOS " + " ".join("%d" % (100 * x) for x in ratios))
ratios.sort()
print("RATES %d %d %d %d %d" % (100 * ratios[len(ratios) // 2], 100 * ratios[0],
      100 * ratios[-1], sum(idle) / len(idle), sum(loaded) / len(loaded)))
'

# One hostile client: connects, sends random bytes (framing characters and
# Ctrl-C among them) in bursts, reconnects whenever it is turned away, until
# $1 exists, with RANDOM seeded by $2; then adds the bytes it sent to $1.sent. Builtins only (no process per
# byte or pause): 50 of these must not eat the machine.
garbage_client() {
	local stop=$1 fd chunks=() chunk i k=0 x c hex
	RANDOM=$2
	# Without bats's traps: its DEBUG trap runs at every command, and 50
	# clients of it would load the CPU rather than the server.
	set +eET
	trap - DEBUG ERR EXIT
	trap "" PIPE
	# At the lowest priority: on a busy machine their own CPU time must not
	# be what slows gdb (the server's work for them is kvmdbg's, and counts).
	renice -n 19 -p $BASHPID >/dev/null
	# Four chunks of 64 bytes made once: the clients must load the server,
	# not the CPU (a VM's single one included).
	while [ ${#chunks[@]} -lt 4 ]; do
		chunk=
		for ((i = 0; i < 64; i++)); do
			case $((RANDOM % 8)) in
			0) chunk+='$' ;; 1) chunk+='#' ;; 2) chunk+=$'\003' ;; 3) chunk+='}' ;;
			*)
				printf -v hex %x $((RANDOM % 94 + 33))
				printf -v c "\\x$hex"
				chunk+=$c
				;;
			esac
		done
		chunks+=("$chunk")
	done
	while [ ! -e "$stop" ]; do
		exec {fd}<>/dev/tcp/127.0.0.1/$STUB_PORT || { read -r -t 0.1 x <>"$BATS_TEST_TMPDIR/never" || true; continue; }
		while [ ! -e "$stop" ]; do
			printf '%s' "${chunks[k++ % 4]}" >&$fd 2>/dev/null || break
			# (a read as the pause: no sleep process)
			read -r -t 0.2 -N 4096 x <&$fd 2>/dev/null
			[ $? -gt 128 ] || [ -n "$x" ] || break
		done
		exec {fd}>&-
	done
	echo $((k * 64)) >>"$stop.sent"
}

@test "50 clients sending garbage for 30 s: gdb's stepping on the first connection keeps its rate, kvmdbg's memory does not grow" {
	seconds=${KVMDBG_LOAD_SECONDS:-30}
	# On one CPU gdb, kvmdbg and the 50 clients take turns on it: the rate
	# would measure the CPU, not whether the server makes gdb wait.
	[ "$(nproc)" -ge 2 ] || skip "one CPU: gdb's rate under load would measure the CPU's sharing, not the server"
	mkfifo "$BATS_TEST_TMPDIR/never"
	start_stub "$(guest ticker.elf)"
	flag=$BATS_TEST_TMPDIR/load
	stop=$BATS_TEST_TMPDIR/stop
	# The clients run for $seconds in all, in windows of 2 s, each between
	# two idle seconds.
	ROUNDS=$((seconds / 2)) LOADED_WINDOW=2 IDLE_WINDOW=1 LOAD_FLAG=$flag \
		timeout $((seconds * 3 + 120)) gdb -batch -nx \
		-ex "target remote 127.0.0.1:$STUB_PORT" -ex "python $STEP_RATES_PY" \
		"$(guest ticker.elf)" >"$BATS_TEST_TMPDIR/gdb.out" 2>&1 &
	gdb_pid=$!
	# $2: tenths of a second to wait, 60 s unless given
	wait_file_exists() { for _ in $(seq "${2:-600}"); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
	wait_file_exists "$flag" || fail "gdb did not start: $(cat "$BATS_TEST_TMPDIR/gdb.out")"
	rss_before=$(awk '/^VmRSS/ { print $2 }' /proc/$STUB_PID/status)
	# KVMDBG_TEST_SEED=N replays the garbage.
	seed=${KVMDBG_TEST_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "# garbage clients: KVMDBG_TEST_SEED=$seed" >&3
	pids=()
	for ((c = 0; c < 50; c++)); do
		garbage_client "$stop" $((seed + c)) &
		pids+=($!)
	done
	sleep 2
	rss_early=$(awk '/^VmRSS/ { print $2 }' /proc/$STUB_PID/status)
	echo "${pids[*]}" >"$flag.tmp" && mv "$flag.tmp" "$flag.up"
	wait $gdb_pid || { touch "$stop"; kill -CONT "${pids[@]}"; fail "gdb failed: $(cat "$BATS_TEST_TMPDIR/gdb.out")"; }
	rss_after=$(awk '/^VmRSS/ { print $2 }' /proc/$STUB_PID/status)
	# The load was there all along: every client is alive (a client that
	# died early would leave a test that measures nothing).
	alive=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	touch "$stop"
	wait "${pids[@]}" 2>/dev/null || true
	read -r _ median lowest highest idle loaded < <(grep '^RATES' "$BATS_TEST_TMPDIR/gdb.out")
	echo "# stepi: $idle/s idle, $loaded/s under 50 garbage clients (means); loaded/idle side by side: median $median%, $lowest% to $highest% ($(sed -n 's/^RATIOS //p' "$BATS_TEST_TMPDIR/gdb.out")); $alive clients to the end, $(awk '{ n += $1 } END { print n }' "$stop.sent") bytes sent; kvmdbg RSS $rss_before kB, $rss_early kB after 2 s, $rss_after kB at the end" >&3
	[ "$alive" -eq 50 ] || fail "only $alive of the 50 clients lasted to the end"
	[ "$median" -ge 80 ] || fail "stepping slowed down: a loaded window's rate is $median% of the idle ones beside it (median of $((seconds / 2)))"
	[ "$rss_after" -le $((rss_early + 2048)) ] || fail "kvmdbg grew from $rss_early kB to $rss_after kB"
	kill -0 $STUB_PID
}

@test "a monitor command's output is bounded while it is made: xp/65536s over 64 MiB of 0x01 stops at 1 MiB, memory stays flat" {
	head -c $((64 << 20)) /dev/zero | tr '\0' '\1' >"$BATS_TEST_TMPDIR/ones"
	start_stub -m 128M --initrd "$BATS_TEST_TMPDIR/ones" "$(guest multiboot.elf)"
	# The module goes right above the guest (1 MiB): past its first pages it
	# is all 0x01, and each string is 4096 of them, 16 KiB of escapes: 1 GiB
	# of text for the whole command. (One gdb session: the guest ends soon
	# once it runs. gdb wraps long lines slowly: width 0, and pipe.)
	hwm="awk '/^VmHWM/ { print \$2 }' /proc/$STUB_PID/status"
	start=$SECONDS
	run gdb_batch -ex 'set width 0' -ex 'monitor xp/1xb 0x200000' \
		-ex "shell $hwm >$BATS_TEST_TMPDIR/before" \
		-ex "pipe monitor xp/65536s 0x200000 | tee $BATS_TEST_TMPDIR/text | wc -c" \
		-ex "shell $hwm >$BATS_TEST_TMPDIR/after" -ex 'monitor print 7' "$(guest multiboot.elf)"
	assert_success
	assert_line --regexp '^0x200000:	0x01$'
	assert_line '0x7 (7)'
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/text")" = '[kvmdbg: monitor output cut at 1 MiB, and the command stopped there; the console shows all]' ]
	bytes=$(wc -c <"$BATS_TEST_TMPDIR/text")
	[ "$bytes" -gt $((1000 * 1024)) ] && [ "$bytes" -le $((1024 * 1024 + 200)) ] || fail "$bytes bytes"
	hwm_before=$(cat "$BATS_TEST_TMPDIR/before")
	hwm_after=$(cat "$BATS_TEST_TMPDIR/after")
	# The peak may grow by the 1 MiB kept and the packets made of it, no more.
	[ $((hwm_after - hwm_before)) -lt $((16 * 1024)) ] ||
		fail "peak RSS grew from $hwm_before to $hwm_after KiB"
	# The command stopped at the limit instead of reading all 256 MiB.
	[ $((SECONDS - start)) -lt 60 ] || fail "took $((SECONDS - start)) s"
}

@test "a long monitor command stops at a client's Ctrl-C (0x03): stepi 65536 and rstepi 65536 answer at once, saying how far they got" {
	start_stub "$(guest memloop.elf)" --history --icount step
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	for cmd in 'stepi 65536' 'rstepi 65536'; do
		send_packet "qRcmd,$(printf '%s' "$cmd" | od -An -tx1 | tr -d ' \n')"
		IFS= read -r -t 5 -N 1 c <&7 && [ "$c" = + ] || fail "$cmd: no ack"
		# Mid-way: stepi runs some 30,000 steps a second here (65536 would
		# be done in about 2 s), the test VM's far fewer.
		sleep 0.5
		# Timed to the first byte of the answer (no subshell in between).
		t0=$(date +%s%N)
		printf '\003' >&7
		IFS= read -r -t 5 -N 1 c <&7 && [ "$c" = '$' ] || fail "$cmd: no answer"
		ms=$((($(date +%s%N) - t0) / 1000000))
		IFS= read -r -t 5 -d '#' payload <&7 && IFS= read -r -t 5 -N 2 c <&7
		payload=$(rsp_unrle "$payload")
		text=$(xxd -r -p <<<"${payload#O}")
		while reply=$(read_packet) && [ "$reply" != OK ]; do
			[ "${reply:0:1}" = O ] || fail "not console output: $reply"
			text+=$(xxd -r -p <<<"${reply#O}")
		done
		assert_equal "$reply" OK
		what=stepped
		[ "${cmd%% *}" = stepi ] || what='stepped back'
		re="Interrupted: $what ([0-9]+) of 65536\\."
		[[ "$text" =~ $re ]] ||
			fail "$cmd: no note of the interruption: $text"
		[ "${BASH_REMATCH[1]}" -gt 0 ] || fail "$cmd: nothing done: $text"
		[ "$ms" -lt 1000 ] || fail "$cmd: answered $ms ms after Ctrl-C"
		# No stray stop reply: the next packet gets its own answer.
		[[ "$(rsp '?')" == [ST]* ]]
	done
}

@test "gdb giving up on a long monitor command (Ctrl-C twice) stops it: the next gdb gets in at once" {
	# gdb sends nothing on the first Ctrl-C while a monitor command runs; on
	# the second it offers to stop debugging (yes, in batch) and disconnects.
	start_stub "$(guest memloop.elf)" --history --icount step
	run timeout $HANG gdb -batch -nx -ex "target remote 127.0.0.1:$STUB_PORT" \
		-ex 'shell (sleep 1.5; kill -INT $PPID; sleep 0.3; kill -INT $PPID) &' \
		-ex 'monitor stepi 65536' "$(guest memloop.elf)"
	assert_line --partial 'Disconnected from target.'
	# The command stops with the connection: the next client is answered at
	# once, and the guest stands where the command stopped, well short of
	# 65536 steps (they take some 16 s on PVM, minutes in the test VM).
	t0=$(date +%s%N)
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	reply=$(rsp '?')
	ms=$((($(date +%s%N) - t0) / 1000000))
	[[ "$reply" == [ST]* ]] || fail "no stop reply: $reply"
	echo "# answered after $ms ms" >&3
	[ "$ms" -lt 5000 ] || fail "the next client was answered after $ms ms"
	exec 7>&-
	run gdb_batch -ex 'monitor icount' "$(guest memloop.elf)"
	n=$(sed -n 's/^icount \([0-9]*\)$/\1/p' <<<"$output")
	[ -n "$n" ] && [ "$n" -lt 65536 ] || fail "the command ran on: $output"
}
