#!/usr/bin/env bats
# Nothing a client or a console user types crashes kvmdbg: random packets and
# random command lines, then the server or console still answers.

load helper

teardown() {
	stop_stub
}

# Random packets of the kinds gdb sends, framed and checksummed, with a
# Ctrl-C after every 50 (a step or continue may leave the guest running).
# One awk for all of them: framing them in bash takes most of an hour in the
# test VM.
random_packets() {
	awk -v seed="$1" -v count="$2" 'BEGIN {
		srand(seed)
		for (c = 32; c < 127; c++) ord[sprintf("%c", c)] = c
		n = split("m M X g G p P Z z H T qXfer:features:read:target.xml: qRcmd, vCont; q Q v ? s S", kinds, " ")
		for (i = 0; i < count; i++) {
			k = kinds[int(rand() * n) + 1]
			# Addresses up to 8 GiB: mawk prints no more than 32 bits with %x.
			if (k == "m") p = sprintf("m%x%08x,%x", r(2), r(4294967296), r(196608))
			else if (k == "M") p = sprintf("M%x,4:%x", r(33554432), r(4294967296))
			else if (k == "X") p = sprintf("X%x,%x:abc", r(33554432), r(8))
			else if (k == "G") { p = "G"; for (j = r(300); j > 0; j--) p = p "1" }
			else if (k == "p") p = sprintf("p%x", r(96))
			else if (k == "P") p = sprintf("P%x=%x", r(96), r(4294967296))
			else if ((k == "Z" || k == "z") && r(4) == 0)
				# lengths and addresses anywhere in 64 bits, 2^64-1 included
				p = sprintf("%s%d,%x%08x,%s", k, r(6), r(4294967296), r(4294967296),
					    r(2) ? "ffffffffffffffff" : sprintf("%x%08x", r(4294967296), r(4294967296)))
			else if (k == "Z" || k == "z") p = sprintf("%s%d,%x,%x", k, r(6), r(2097152), r(12288))
			else if (k == "qRcmd,") {
				cmd = sprintf("x/%dx %d", r(9), r(32768))
				p = k
				for (j = 1; j <= length(cmd); j++) p = p sprintf("%02x", ord[substr(cmd, j, 1)])
			} else if (k ~ /^qXfer/) p = sprintf("%s%x,%x", k, r(16384), r(32768))
			else p = sprintf("%s%x", k, r(65536))
			sum = 0
			for (j = 1; j <= length(p); j++) sum += ord[substr(p, j, 1)]
			printf "$%s#%02x", p, sum % 256
			if (i % 50 == 0) printf "\003"
		}
	}
	function r(limit) { return int(rand() * limit) }'
}

# Checks every frame in a file of replies: "$payload#xx" with the right
# checksum ('+' acks and nothing else between them). Prints the number of frames.
check_frames() {
	LC_ALL=C awk 'BEGIN { RS = "\\$"; for (c = 0; c < 256; c++) ord[sprintf("%c", c)] = c }
		NR == 1 { if ($0 !~ /^\+*$/) { print "junk before the first frame: " $0; exit 1 } next }
		{
			h = index($0, "#")
			if (!h || length($0) < h + 2) { print "unterminated frame: " $0; exit 1 }
			sum = 0
			for (j = 1; j < h; j++) sum += ord[substr($0, j, 1)]
			if (sprintf("%02x", sum % 256) != substr($0, h + 1, 2)) { print "bad checksum: " $0; exit 1 }
			if (substr($0, h + 3) !~ /^\+*$/) { print "junk after a frame: " $0; exit 1 }
			n++
		}
		END { print n + 0 }' "$1"
}

@test "two thousand random well-formed packets leave the server answering gdb" {
	# KVMDBG_TEST_SEED=N replays a run.
	seed=${KVMDBG_TEST_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "# random packets: KVMDBG_TEST_SEED=$seed" >&3
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	send_packet QStartNoAckMode
	# Replies are kept meanwhile, so that neither side blocks, and checked after.
	cat <&7 >"$BATS_TEST_TMPDIR/replies" &
	drain=$!
	random_packets "$seed" 2000 >&7
	# Then the guest is stopped and a last command answers with its own text.
	# (A client that sends a packet right after Ctrl-C, without waiting for
	# the stop reply as gdb does, may find the guest still running: "the
	# guest is running" then; so the command is sent again until it answers.)
	printf '\003' >&7
	marker=$(printf '0x1234 (4660)' | od -An -tx1 | tr -d ' \n')
	for _ in $(seq 20); do
		send_packet "qRcmd,$(printf 'print 4660' | od -An -tx1 | tr -d ' \n')"
		for _ in $(seq 10); do
			grep -q "$marker" "$BATS_TEST_TMPDIR/replies" && break 2
			sleep 0.05
		done
	done
	exec 7>&-
	kill $drain 2>/dev/null || true
	grep -q "$marker" "$BATS_TEST_TMPDIR/replies" || fail "no answer to the last command (seed $seed)"
	run check_frames "$BATS_TEST_TMPDIR/replies"
	assert_success
	echo "# $output frames, all well-formed" >&3
	[ "$output" -ge 2000 ] || fail "only $output replies to 2001 packets (seed $seed)"
	kill -0 $STUB_PID
	run gdb_batch -ex 'info registers rip' -ex 'x/2i $pc' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x'
}

@test "random console lines never crash the console" {
	# KVMDBG_TEST_SEED=N replays a run.
	seed=${KVMDBG_TEST_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "# random console lines: KVMDBG_TEST_SEED=$seed" >&3
	RANDOM=$seed
	words=(regs sregs fpu xmm dregs onereg list get dump msr x x/4xg x/s xp/2i disas print sym addr
		stepi cont break hbreak delete info stats help '$rip' '$esp' '$nosuch' main leaf
		watch r w a rw mmio pio unwatch list stats testdev serial 0xd0000000-0xd0000fff 0xe9
		ni nexti finish bt p/x p/c i set '*' '{int}' '*(long *)' gva2gpa mem tlb inb outw nmi 0x64 0xfe
		+ - 0x 0xffffffffffffffff 99999999999999999999 '=' ',' '/' '"' "'" '\\' '%n%s%x')
	for ((n = 0; n < 400; n++)); do
		line=
		for ((w = 0; w < RANDOM % 5 + 1; w++)); do
			line+="${words[RANDOM % ${#words[@]}]} "
		done
		echo "$line"
	done >"$BATS_TEST_TMPDIR/lines"
	# No quit in there: the console must read to the end and still answer.
	echo 'print 1234' >>"$BATS_TEST_TMPDIR/lines"
	run kvmdbg --console --serial none "$(guest regs.elf)" <"$BATS_TEST_TMPDIR/lines"
	[ "$status" -le 1 ]
	assert_line --index -1 "0x4d2 (1234)"
}
