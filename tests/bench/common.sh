# Shared by the benchmarks that run QEMU side by side with kvmdbg.

# Installs QEMU when running as root, else says how and exits.
need_qemu() {
	command -v qemu-system-x86_64 >/dev/null && return 0
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -qq qemu-system-x86 >/dev/null
	else
		echo "needs QEMU: sudo apt-get install qemu-system-x86" >&2
		exit 2
	fi
}

# A free TCP port on the loopback interface.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

# Waits until a server listens on PORT: at most 60 s (a slow host's start-up),
# and no longer than process PID lives.
listening() {
	local i

	for ((i = 0; i < 600; i++)); do
		[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
}

# Throughput a over b, as "2.5x" ("n/a" if either is missing).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.1fx", a / b; else print "n/a" }'
}

# Best wall-clock seconds of $1 runs of the command that follows (its
# standard output discarded).
best_of() {
	local n=$1 b="" start end s i

	shift
	for ((i = 0; i < n; i++)); do
		start=$(date +%s%N)
		"$@" >/dev/null
		end=$(date +%s%N)
		s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
		b=$(awk -v b="$b" -v s="$s" 'BEGIN { print (b == "" || s < b) ? s : b }')
	done
	echo "$b"
}

# Busy loops for a measurement on a loaded machine: LOAD of them, or one on
# each core but one (at least one; LOAD=0: none).
load_loops() {
	local loops=${LOAD:-$(($(nproc) - 1))}

	[ "$loops" -ge 1 ] || loops=1
	[ "${LOAD:-}" = 0 ] && loops=0
	echo "$loops"
}

# Runs the command that follows with $1 busy loops beside it.
while_loaded() {
	local busy=() i

	for ((i = 0; i < $1; i++)); do
		timeout 900 bash -c 'while :; do :; done' &
		busy+=($!)
	done
	shift
	"$@"
	kill "${busy[@]}" 2>/dev/null || true
	wait "${busy[@]}" 2>/dev/null || true
}
