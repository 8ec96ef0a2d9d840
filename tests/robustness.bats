#!/usr/bin/env bats
# Nothing a client or a console user types crashes kvmdbg: random packets and
# random command lines, then the server or console still answers.

load helper

teardown() {
	stop_stub
}

# Sets the variable named $1 to a random hex number below $2 (no subshell:
# the test VM forks slowly).
hex() {
	printf -v "$1" '%x' $(( (RANDOM << 15 | RANDOM) % $2 ))
}

@test "two thousand random well-formed packets leave the server answering gdb" {
	start_stub "$(guest regs.elf)"
	exec 7<>/dev/tcp/127.0.0.1/$STUB_PORT
	send_packet QStartNoAckMode
	RANDOM=42
	kinds=(m M X g G p P Z z H T qXfer:features:read:target.xml: qRcmd, vCont\; q Q v '?' s S)
	for ((n = 0; n < 2000; n++)); do
		k=${kinds[RANDOM % ${#kinds[@]}]}
		case $k in
		m) hex a 0x200000000; hex b 0x30000; send_packet "m$a,$b" ;;
		M) hex a 0x2000000; hex b 0xffffffff; send_packet "M$a,4:$b" ;;
		X) hex a 0x2000000; hex b 8; send_packet "X$a,$b:abc" ;;
		G) printf -v a '%*s' $((RANDOM % 300)) ""; send_packet "G${a// /1}" ;;
		p) hex a 0x60; send_packet "p$a" ;;
		P) hex a 0x60; hex b 0xffffffff; send_packet "P$a=$b" ;;
		Z | z) hex a 0x200000; hex b 0x3000; send_packet "$k$((RANDOM % 6)),$a,$b" ;;
		qRcmd,)
			# x/Nx M in hex, as gdb sends monitor commands.
			printf -v a 'x/%dx %d' $((RANDOM % 9)) $RANDOM
			b=
			for ((i = 0; i < ${#a}; i++)); do
				printf -v c '%02x' "'${a:i:1}"
				b+=$c
			done
			send_packet "qRcmd,$b" ;;
		qXfer*) hex a 0x4000; hex b 0x8000; send_packet "$k$a,$b" ;;
		*) hex a 0xffff; send_packet "$k$a" ;;
		esac
		# A step or continue may leave the guest running; Ctrl-C brings it back.
		((n % 50)) || printf '\003' >&7
	done
	printf '\003' >&7
	exec 7>&-
	sleep 0.5
	kill -0 $STUB_PID
	run gdb_batch -ex 'info registers rip' -ex 'x/2i $pc' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x'
}

@test "random console lines never crash the console" {
	RANDOM=7
	words=(regs sregs fpu xmm dregs onereg list get dump msr x x/4xg x/s xp/2i disas print sym addr
		stepi cont break hbreak delete info stats help '$rip' '$esp' '$nosuch' main leaf
		watch r w a rw mmio pio unwatch list stats testdev serial 0xd0000000-0xd0000fff 0xe9
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
