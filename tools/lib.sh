# lib.sh: what the scripts that give tests real servers (jaeger.sh,
# redis.sh) and browsers (chromium.sh) share. Source it; every function
# reports errors under $me (the sourcing script's name).

me=$(basename "$0")

# freeport prints a loopback TCP port nothing listens on now.
freeport() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Htln "sport = :$p" | grep -q .; then
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
