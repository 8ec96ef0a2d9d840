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
