# lib.sh: what the scripts that give tests real servers (jaeger.sh,
# redis.sh) and browsers (chromium.sh) share. Source it; every function
# reports errors under $me (the sourcing script's name).

me=$(basename "$0")

# freeport prints a loopback TCP port no socket uses now. It picks below
# the kernel's ephemeral range, where outgoing connections take their
# local ports: a port chosen there can be taken by a connection before the
# server binds it (seen while another test held thousands of connections).
freeport() {
	local p lo=32768 base=10000 span
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	span=$((lo - base))
	if [ "$span" -lt 2000 ]; then # the ephemeral range starts low: no port is safe from it
		base=20000 span=40000
	fi
	for _ in $(seq 100); do
		p=$((base + RANDOM % span))
		if ! ss -Htan "sport = :$p" | grep -q .; then
			echo "$p"
			return
		fi
	done
	echo "$me: no free port" >&2
	return 1
}

# apt_install CMD PKG: installs Debian's PKG with apt-get (through sudo when
# not root) unless CMD is already on PATH, and fails unless CMD then is.
apt_install() {
	local cmd=$1 pkg=$2 sudo=()
	if command -v "$cmd" >/dev/null; then
		return
	fi
	if [[ $(id -u) != 0 ]]; then
		if ! command -v sudo >/dev/null; then
			echo "$me: $cmd is missing and installing it needs root (apt-get install $pkg)" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	echo "$me: installing $pkg (apt-get)" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" >&2 ||
		{ "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" >&2; }
	command -v "$cmd" >/dev/null
}

# watch stops process $2 when process $1 has exited, or it has.
watch() {
	while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do
		sleep 1
	done
	kill "$2" 2>/dev/null || true
}

# stop_env DIR VAR FILE...: stops the process whose pid DIR/env sets in VAR
# (within 10 s, then with SIGKILL), and removes DIR/env and the FILEs.
stop_env() {
	local dir=$1 var=$2 pid
	shift 2
	[[ -f $dir/env ]] || return 0
	pid=$(sed -n "s/^$var=//p" "$dir/env")
	if [[ -n $pid ]] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 100); do # 10 s; a zombie has exited too
			[[ $(ps -o stat= -p "$pid" 2>/dev/null) =~ ^[^Z] ]] || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/env" "$@"
}
