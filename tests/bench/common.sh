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
