# Shared by every suite: bats-support/bats-assert, paths, guest runners.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
KVMDBG=$ROOT/kvmdbg
GUESTS=$ROOT/guests

# kvmdbg with a safety net: no test may hang the suite.
kvmdbg() {
	timeout --kill-after=5 60 "$KVMDBG" "$@"
}

# The file name of a guest under guests/ (fails the test if it was not built).
guest() {
	local path=$GUESTS/$1

	[ -f "$path" ] || fail "guest $1 was not built (run make)"
	echo "$path"
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
# (-S), in the background. Sets STUB_PID, STUB_PORT and STUB_ERR (its stderr).
start_stub() {
	STUB_ERR=$BATS_TEST_TMPDIR/stub.err
	"$KVMDBG" --gdb 127.0.0.1:0 -S "$@" >"$BATS_TEST_TMPDIR/stub.out" 2>"$STUB_ERR" &
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

stop_stub() {
	[ -n "${STUB_PID:-}" ] || return 0
	kill -TERM $STUB_PID 2>/dev/null || true
	wait $STUB_PID 2>/dev/null || true
	STUB_PID=
}

# Real gdb in batch mode against the stub; extra arguments are gdb's.
gdb_batch() {
	timeout 60 gdb -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
		-ex "target remote 127.0.0.1:$STUB_PORT" "$@"
}
