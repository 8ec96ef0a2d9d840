#!/usr/bin/env bats
# The interactive console in a real terminal (tmux): completion, history,
# Ctrl-C while the guest runs, Ctrl-D.

load helper

setup() {
	command -v tmux >/dev/null || fail "tmux is not installed"
	SOCK=$BATS_TEST_TMPDIR/tmux.sock
	export KVMDBG_TEST_HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$KVMDBG_TEST_HOME"
}

teardown() {
	tmux -S "$SOCK" kill-server 2>/dev/null || true
}

# Starts kvmdbg --console on GUEST in a detached tmux terminal.
start_console() {
	tmux -S "$SOCK" new-session -d -x 120 -y 50 \
		"env HOME=$KVMDBG_TEST_HOME XDG_STATE_HOME=$KVMDBG_TEST_HOME/state $KVMDBG --console $1; echo KVMDBG-EXIT=\$?; sleep 60"
	wait_screen '^\(kvmdbg\)$'
}

# The terminal's lines, without the blank ones below the last text (tmux drops
# trailing blanks of each line, so a prompt reads "(kvmdbg)").
screen() {
	tmux -S "$SOCK" capture-pane -p | awk 'NF { last = NR } { line[NR] = $0 } END { for (i = 1; i <= last; i++) print line[i] }'
}

keys() {
	tmux -S "$SOCK" send-keys "$@"
}

# Waits (up to SECONDS, default 30: the test VM's software emulation is slow;
# scaled as HANG is) until a screen line matches the extended regexp.
wait_screen() {
	local end=$((SECONDS + ${2:-30} * TIME_SCALE))

	while [ $SECONDS -lt $end ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never showed /$1/:" >&2
	screen >&2
	return 1
}

@test "console starts at the first instruction with a prompt" {
	start_console "$(guest regs.elf)"
	run screen
	assert_line --index 0 --regexp "^kvmdbg [0-9.]+: .*regs.elf stopped; 'help' lists the commands$"
	assert_line --index 1 --regexp '^=> 0x100000 <_start>: +movabs'
}

@test "tab completes a command name, a register, a symbol, a subcommand and an MSR" {
	start_console "$(guest regs.elf)"
	keys 'sreg' Tab
	wait_screen '^\(kvmdbg\) sregs$'
	keys Enter
	wait_screen '^mode: 64-bit long mode, CPL 0, paging 4-level$'
	keys 'print $ri' Tab
	wait_screen '^\(kvmdbg\) print \$rip$'
	keys Enter
	wait_screen '^0x100000 \(1048576\) <_start>$'
	keys 'break lea' Tab
	wait_screen '^\(kvmdbg\) break leaf$'
	keys Enter
	wait_screen '^Breakpoint 1 at 0x10001c <leaf>$'
	keys 'onereg g' Tab
	wait_screen '^\(kvmdbg\) onereg get$'
	keys 'IA32_APIC_B' Tab
	wait_screen '^\(kvmdbg\) onereg get IA32_APIC_BASE$'
	keys Enter
	wait_screen '= 0xfee00900 \[ BSP EN \] base 0xfee00000$'
}

@test "an interactive session that ends with quit exits 0 after a corrected typo, as gdb's" {
	start_console "$(guest regs.elf)"
	keys 'frobnicate' Enter
	wait_screen "^unknown command 'frobnicate'; 'help' lists them$"
	keys 'print 1' Enter
	wait_screen '^0x1 \(1\)$'
	keys 'quit' Enter
	wait_screen '^KVMDBG-EXIT=0$'
}

@test "up arrow recalls the previous command and history is saved" {
	start_console "$(guest regs.elf)"
	keys 'print 0x1234' Enter
	wait_screen '^0x1234 \(4660\)$'
	keys 'stepi' Enter
	wait_screen '<_start\+0xa>: +mov +\$0x5,%ecx$'
	keys Up Up
	wait_screen '^\(kvmdbg\) print 0x1234$'
	keys C-u 'quit' Enter
	wait_screen '^KVMDBG-EXIT=0$'
	run cat "$KVMDBG_TEST_HOME/state/kvmdbg/history"
	assert_output "print 0x1234
stepi
quit"
}

@test "an empty line repeats the last command" {
	start_console "$(guest regs.elf)"
	keys 'stepi' Enter
	wait_screen '<_start\+0xa>:'
	keys Enter
	wait_screen '^=> 0x10000f <_start\+0xf>: +xor'
}

@test "Ctrl-C during cont stops the guest and returns to the prompt" {
	start_console "$(guest spin.elf)"
	keys 'cont' Enter
	wait_screen '^Continuing\.$'
	sleep 0.5
	keys C-c
	wait_screen '^Stopped at 0x10000[02] <_start(\+0x2)?>$'
	wait_screen '^\(kvmdbg\)$'
	keys 'print $rip' Enter
	wait_screen '^0x10000[02] \([0-9]+\) <_start(\+0x2)?>$'
}

@test "the stop command typed while the guest runs stops it" {
	start_console "$(guest spin.elf)"
	keys 'cont' Enter
	wait_screen '^Continuing\.$'
	keys 'regs' Enter
	wait_screen "^the guest is running; 'stop' or Ctrl-C first$"
	keys 'stop' Enter
	wait_screen '^Stopped at 0x10000[02]'
}

@test "Ctrl-C at the prompt discards the line; Ctrl-D quits" {
	start_console "$(guest regs.elf)"
	keys 'bogus words'
	wait_screen '^\(kvmdbg\) bogus words$'
	keys C-c
	wait_screen '^\(kvmdbg\) bogus words\^C$'
	# The next line is a fresh one: what was typed before Ctrl-C is gone.
	keys 'print $rip' Enter
	wait_screen '^0x100000 \(1048576\) <_start>$'
	keys C-d
	wait_screen '^KVMDBG-EXIT=0$'
	run screen
	assert_line '(kvmdbg) print $rip'
	refute_line --partial "unknown command"
}

@test "--console and --gdb together: both drive the guest and see the same state" {
	tmux -S "$SOCK" new-session -d -x 120 -y 50 \
		"env HOME=$KVMDBG_TEST_HOME $KVMDBG --console --gdb 127.0.0.1:0 $(guest regs.elf); sleep 60"
	wait_screen '^\(kvmdbg\)$'
	STUB_PORT=$(screen | sed -n 's/^kvmdbg: gdb server on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	[ -n "$STUB_PORT" ]
	keys 'break leaf' Enter
	wait_screen '^Breakpoint 1 at 0x10001c <leaf>$'
	# gdb continues; the console's breakpoint stops the guest for both.
	run gdb_batch -ex continue -ex 'info registers rip' -ex 'stepi' -ex disconnect "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x10001c +0x10001c <leaf>$'
	wait_screen '^Breakpoint 1, 0x10001c <leaf>$'
	keys 'print $rip' Enter
	wait_screen '^0x10001d \(1048605\) <leaf\+0x1>$'
	# The console steps; a new gdb sees where it went.
	keys 'stepi' Enter
	wait_screen '^=> 0x100016 <after_xor\+0x5>:'
	run gdb_batch -ex 'info registers rip' "$(guest regs.elf)"
	assert_success
	assert_line --regexp '^rip +0x100016 +0x100016 <after_xor\+5>$'
}

@test "a counted run that takes more than a second shows its progress on a terminal" {
	tmux -S "$SOCK" new-session -d -x 120 -y 50 \
		"$KVMDBG --icount step --stop-at-icount 300000 --serial none $(guest spin.elf) >/dev/null; echo KVMDBG-EXIT=\$?; sleep 60"
	wait_screen '^kvmdbg: icount [0-9]+ of 300000'
	# About 2 s on PVM, 25 s nested under QEMU's emulation.
	wait_screen '^KVMDBG-EXIT=0$' 120
	run screen
	# The progress line is cleared at the end.
	refute_output --partial "of 300000"
}

# Starts a plain run of GUEST (the serial console) in a detached tmux terminal.
start_serial() {
	tmux -S "$SOCK" new-session -d -x 120 -y 50 \
		"env HOME=$KVMDBG_TEST_HOME stty -a > $BATS_TEST_TMPDIR/stty.before; $KVMDBG $1; echo KVMDBG-EXIT=\$?; stty -a > $BATS_TEST_TMPDIR/stty.after; sleep 60"
}

@test "a plain run on a terminal: keys go to the guest's UART, raw, and the terminal comes back as it was" {
	start_serial "$(guest uartirq.elf)"
	wait_screen '^ready$'
	# Raw: no echo by the terminal, and Ctrl-J (a newline) reaches the guest.
	keys 'typed line' C-j
	wait_screen '^irq echo: typed line$'
	wait_screen '^KVMDBG-EXIT=0$'
	run screen
	refute_line 'typed line'
	wait_file "$BATS_TEST_TMPDIR/stty.after"
	diff "$BATS_TEST_TMPDIR/stty.before" "$BATS_TEST_TMPDIR/stty.after"
}

@test "the serial console's Ctrl-A escapes: Ctrl-A Ctrl-A sends one, Ctrl-A h lists them, Ctrl-A x quits" {
	start_serial "$(guest uartirq.elf)"
	wait_screen '^ready$'
	keys C-a C-a 'x' C-a h
	wait_screen 'Ctrl-A x quit, Ctrl-A c the kvmdbg console'
	keys C-a x
	wait_screen '^KVMDBG-EXIT=0$'
	# Polled input works the same without interrupt controllers; Ctrl-C (0x03)
	# is for the guest too, not a signal to kvmdbg.
	tmux -S "$SOCK" kill-server
	start_serial "--irqchip off $(guest echo.elf)"
	wait_screen '^ready$'
	keys 'abc' C-c 'd' C-j
	wait_screen '^echo: abc.?d$'
	wait_screen '^KVMDBG-EXIT=0$'
}

@test "keys a guest never reads: past 64 KiB they are dropped with a note, and Ctrl-A x still quits with the terminal back" {
	start_serial "$(guest spin.elf)"
	sleep 1
	head -c $((80 * 1024)) /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/keys"
	tmux -S "$SOCK" load-buffer "$BATS_TEST_TMPDIR/keys"
	tmux -S "$SOCK" paste-buffer
	wait_screen '^kvmdbg: the guest is not reading its serial input: keys past the 64 KiB waiting are dropped$' 60
	keys C-a x
	wait_screen '^KVMDBG-EXIT=0$'
	run screen
	assert_equal "$(grep -c 'not reading its serial input' <<<"$output")" 1
	wait_file "$BATS_TEST_TMPDIR/stty.after"
	diff "$BATS_TEST_TMPDIR/stty.before" "$BATS_TEST_TMPDIR/stty.after"
}

@test "Ctrl-A c stops the guest and opens kvmdbg's console on the same terminal" {
	start_serial "$(guest ticker.elf)"
	wait_screen '^\.$'
	keys C-a c
	wait_screen '^\(kvmdbg\)$'
	keys 'info icount' Enter
	keys 'regs rip' Enter
	wait_screen '^rip +0x'
	keys quit Enter
	wait_screen '^KVMDBG-EXIT='
}

@test "the console's serial goes back to the serial console from Ctrl-A c, the guest running on; elsewhere it is refused" {
	start_serial "$(guest uartirq.elf)"
	wait_screen '^ready$'
	keys C-a c
	wait_screen '^\(kvmdbg\)$'
	# The console has the terminal as it was: what is typed is echoed.
	keys 'regs rip' Enter
	wait_screen '^rip +0x'
	keys serial Enter
	wait_screen '^kvmdbg: back to the serial console'
	# Raw again, and the guest's UART still has its input: the line reaches it.
	keys 'after the console' C-j
	wait_screen '^irq echo: after the console$'
	wait_screen '^KVMDBG-EXIT=0$'
	run screen
	refute_line 'after the console'
	wait_file "$BATS_TEST_TMPDIR/stty.after"
	diff "$BATS_TEST_TMPDIR/stty.before" "$BATS_TEST_TMPDIR/stty.after"
	run kvmdbg --serial none -e serial "$(guest hello64.elf)"
	assert_line --partial 'no serial console to go back to'
}
