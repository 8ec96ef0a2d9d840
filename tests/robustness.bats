#!/usr/bin/env bats
# Nothing a client or a console user types crashes kvmdbg: random packets and
# random command lines, then the server or console still answers.

load helper

teardown() {
	stop_stub
}

hex() {
	printf '%x' $(( (RANDOM << 15 | RANDOM) % $1 ))
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
		m) send_packet "m$(hex 0x200000000),$(hex 0x30000)" ;;
		M) send_packet "M$(hex 0x2000000),4:$(hex 0xffffffff)" ;;
		X) send_packet "X$(hex 0x2000000),$(hex 8):abc" ;;
		G) send_packet "G$(head -c $((RANDOM % 300)) /dev/zero | tr '\0' '1')" ;;
		p) send_packet "p$(hex 0x60)" ;;
		P) send_packet "P$(hex 0x60)=$(hex 0xffffffff)" ;;
		Z | z) send_packet "$k$((RANDOM % 6)),$(hex 0x200000),$(hex 0x3000)" ;;
		qRcmd,) send_packet "qRcmd,$(printf 'x/%dx %d' $((RANDOM % 9)) $RANDOM | od -An -tx1 | tr -d ' \n')" ;;
		qXfer*) send_packet "$k$(hex 0x4000),$(hex 0x8000)" ;;
		*) send_packet "$k$(hex 0xffff)" ;;
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
