# Shared by every suite: bats-support/bats-assert, paths, guest runners.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
KVMDBG=$ROOT/kvmdbg
GUESTS=$ROOT/guests

# Limits that catch hangs, not speed, are multiplied by
# KVMDBG_TEST_TIME_SCALE (a whole number; tests/vm/run sets 3: the test VM
# emulates its CPU in software, tens of times slower, and shares the
# machine). HANG is the usual one, in seconds; READ_WAIT a reply's.
TIME_SCALE=${KVMDBG_TEST_TIME_SCALE:-1}
[[ $TIME_SCALE =~ ^[1-9][0-9]?$ ]] || TIME_SCALE=1
HANG=$((60 * TIME_SCALE))
READ_WAIT=$((5 * TIME_SCALE))

# kvmdbg with a safety net: no test may hang the suite.
kvmdbg() {
	timeout --kill-after=5 $HANG "$KVMDBG" "$@"
}

# The file name of a guest under guests/ (fails the test if it was not built).
guest() {
	local path=$GUESTS/$1

	[ -f "$path" ] || fail "guest $1 was not built (run make)"
	echo "$path"
}

# The address of a symbol of a guest, as 0x... without leading zeros.
sym_addr() {
	printf '0x%x\n' "0x$(nm "$(guest "$1")" | awk -v s="$2" '$3 == s { print $1 }')"
}

# What this host's KVM does: the value of one key of kvmdbg --host --json
# ("yes", "guest", ...), measured once per test run.
host_fact() {
	local file=$BATS_RUN_TMPDIR/host.json

	if [ ! -s "$file" ]; then
		"$KVMDBG" --host --json >"$file.$$" 2>/dev/null
		mv "$file.$$" "$file"
	fi
	sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$file"
}

# The probe's words for one key.
host_detail() {
	host_fact >/dev/null
	sed -n "s/^    \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" "$BATS_RUN_TMPDIR/host.json"
}

# Skips the test unless the probe's KEY is one of VALUES; the reason is the
# probe's own ("this host: int3: delivered to the guest's #BP handler").
require_host() {
	local key=$1 v value

	shift
	value=$(host_fact "$key")
	for v; do
		[ "$value" = "$v" ] && return 0
	done
	skip "this host: $key: $(host_detail "$key")"
}

# Skips an lldb test where the test host has no lldb by design: the VMX
# host (tests/vm/vmx) boots from an initramfs, and lldb's LLVM libraries
# (some 250 MB) are not packed there. Everywhere else lldb is a test
# dependency, and its absence fails the test.
require_lldb() {
	[ -z "${KVMDBG_TEST_NO_LLDB:-}" ] || skip "$KVMDBG_TEST_NO_LLDB"
}

# The value of one --stats counter in $output.
stat_value() {
	awk -v name="$1" '$1 == name { print $2 }' <<<"$output"
}

# Runs kvmdbg as user nobody from a world-readable copy (the checkout may be
# private to root). Sets $NOBODY_DIR, where the copy and its files live.
run_as_nobody() {
	[ "$(id -u)" = 0 ] || skip "needs root to drop to an unprivileged user"
	NOBODY_DIR=$(mktemp -d /tmp/kvmdbg-nobody.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	cp "$KVMDBG" "$NOBODY_DIR/kvmdbg"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$NOBODY_DIR/kvmdbg" "$@"
	rm -rf "$NOBODY_DIR"
}

# Starts kvmdbg with a gdb server on a free loopback port, the guest waiting
# (-S; set STUB_WAIT= for none), in the background; extra arguments are
# kvmdbg's. Sets STUB_PID, STUB_PORT and STUB_ERR (its stderr).
start_stub() {
	STUB_ERR=$BATS_TEST_TMPDIR/stub.err
	# There before the background job opens it (the first look may come first).
	: >"$STUB_ERR"
	"$KVMDBG" --gdb 127.0.0.1:0 ${STUB_WAIT--S} "$@" >"$BATS_TEST_TMPDIR/stub.out" 2>"$STUB_ERR" &
	STUB_PID=$!
	for _ in $(seq 100); do
		STUB_PORT=$(sed -n 's/^kvmdbg: gdb server on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$STUB_ERR")
		[ -n "$STUB_PORT" ] && return 0
		kill -0 $STUB_PID 2>/dev/null || break
		sleep 0.05
	done
	cat "$STUB_ERR" >&2
	fail "the gdb server did not start"
}

# Runs the console commands on stdin (a script file: the test VM has no
# /dev/stdin) on a guest, with kvmdbg's extra options.
run_script() {
	local guest=$1

	shift
	cat >"$BATS_TEST_TMPDIR/commands"
	run kvmdbg "$@" --script "$BATS_TEST_TMPDIR/commands" "$guest"
}

# Waits (up to 30 s, scaled) until a file has a whole line in it.
# Two access logs (--mmio-log, text) hold the same records, the time each
# was made aside.
assert_same_log() {
	run diff <(awk '{ $2 = ""; print }' "$1") <(awk '{ $2 = ""; print }' "$2")
	assert_success
}

wait_file() {
	local end=$((SECONDS + 30 * TIME_SCALE))

	until grep -q . "$1" 2>/dev/null && [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; do
		[ $SECONDS -lt $end ] || fail "nothing was written to $1"
		sleep 0.05
	done
}

stop_stub() {
	[ -n "${STUB_PID:-}" ] || return 0
	kill -TERM $STUB_PID 2>/dev/null || true
	wait $STUB_PID 2>/dev/null || true
	STUB_PID=
}

# Real gdb in batch mode against the stub; extra arguments are gdb's.
gdb_batch() {
	timeout $HANG gdb -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
		-ex "target remote 127.0.0.1:$STUB_PORT" "$@"
}

# Sends one well-formed packet on fd 7 (bats keeps fd 3 for itself). No
# subshells here or in read_packet: the test VM forks slowly.
send_packet() {
	local sum=0 i c
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%d' "'${1:i:1}"
		sum=$(( (sum + c) % 256 ))
	done
	printf '$%s#%02x' "$1" $sum >&7
}

# Reads one reply packet from fd 7 (after its '+' ack) and prints its payload.
read_packet() {
	local LC_ALL=C c payload=""
	IFS= read -r -t $READ_WAIT -N 1 c <&7 || return 1
	[ "$c" = "+" ] && { IFS= read -r -t $READ_WAIT -N 1 c <&7 || return 1; }
	[ "$c" = '$' ] || return 1
	IFS= read -r -t $READ_WAIT -d '#' payload <&7 || return 1
	IFS= read -r -t $READ_WAIT -N 2 c <&7 || return 1
	rsp_unrle "$payload"
}

# A packet's payload with run-length encoding undone: X*n is X and (n - 29)
# more of it.
rsp_unrle() {
	local LC_ALL=C payload=$1 out="" i=0 n pad
	while ((i < ${#payload})); do
		if [ "${payload:i:1}" = '*' ]; then
			printf -v n '%d' "'${payload:i+1:1}"
			printf -v pad '%*s' $((n - 29)) ""
			out+=${pad// /"${out: -1}"}
			i=$((i + 2))
		else
			out+=${payload:i:1}
			i=$((i + 1))
		fi
	done
	printf '%s' "$out"
}

rsp() {
	send_packet "$1"
	read_packet
}

# The address of smp.elf's AP hlt loop in low memory (an absolute symbol).
ap_park() {
	printf '0x%s' "$(nm "$(guest smp.elf)" | awk '$3 == "ap_park" { print $1 }' | sed 's/^0*//')"
}
