#!/usr/bin/env bash
# redis.sh: a real redis-server for the tests of the Redis trace store
# (internal/tracestore).
#
#   tools/redis.sh install       install Debian's redis-server when missing
#                                (apt-get; through sudo when not root)
#   tools/redis.sh start DIR     start one on a free loopback port; write
#                                DIR/env (shell variables, printed too),
#                                DIR/redis.pid and DIR/redis.log
#   tools/redis.sh stop DIR      stop the redis-server that `start DIR` started
#
# With REDIS_WATCH_PID set, start also stops the server when that process
# exits (a test binary killed by its timeout leaves no server behind).
#
# DIR/env sets REDIS_PID and REDIS_URL (redis://127.0.0.1:PORT/0). The
# server listens on 127.0.0.1 only, keeps everything in memory (no RDB
# snapshots, no AOF) and works in DIR. Tests read a URL from
# JSTRACE_TEST_REDIS; without it they start their own server with this
# script.
#
# The version is the distribution's (Debian 12: 7.0): the store needs Redis
# 6.2 or later, and says so when it opens an older one.
set -euo pipefail

install() {
	if command -v redis-server >/dev/null; then
		return
	fi
	local sudo=()
	if [[ $(id -u) != 0 ]]; then
		if ! command -v sudo >/dev/null; then
			echo "redis.sh: redis-server is missing and installing it needs root (apt-get install redis-server)" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	echo "redis.sh: installing redis-server (apt-get)" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >&2 ||
		{ "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >&2; }
	command -v redis-server >/dev/null
}

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
	echo "redis.sh: no free port" >&2
	return 1
}

# ping reports whether a redis-server answers on port $1.
ping() {
	if command -v redis-cli >/dev/null; then
		[[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
		return
	fi
	local reply
	exec 8<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
	printf 'PING\r\n' >&8
	read -r -t 1 reply <&8 || true
	exec 8>&-
	[[ $reply == +PONG* ]]
}

start() {
	local dir=$1
	if ! command -v redis-server >/dev/null; then
		echo "redis.sh: redis-server is not installed (tools/redis.sh install)" >&2
		return 1
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	for attempt in 1 2 3; do
		local port pid
		port=$(freeport)
		setsid redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
			--save '' --appendonly no --dir "$dir" --pidfile "$dir/redis.pid" \
			--daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 100); do # 10 s
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if ping "$port"; then
				echo "$pid" >"$dir/redis.pid"
				cat >"$dir/env" <<ENV
REDIS_PID=$pid
REDIS_URL=redis://127.0.0.1:$port/0
ENV
				cat "$dir/env"
				if [[ -n ${REDIS_WATCH_PID:-} ]]; then
					watch "$REDIS_WATCH_PID" "$pid" </dev/null >/dev/null 2>&1 &
				fi
				return
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "redis.sh: redis-server did not come up (attempt $attempt); log:" >&2
		tail -5 "$dir/redis.log" >&2 || true
	done
	return 1
}

# watch stops redis-server (pid $2) when process $1 has exited, or it has.
watch() {
	while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do
		sleep 1
	done
	kill "$2" 2>/dev/null || true
}

stop() {
	local dir=$1 pid
	[[ -f $dir/env ]] || return 0
	pid=$(sed -n 's/^REDIS_PID=//p' "$dir/env")
	if [[ -n $pid ]] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 100); do # 10 s; a zombie has exited too
			[[ $(ps -o stat= -p "$pid" 2>/dev/null) =~ ^[^Z] ]] || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/env" "$dir/redis.pid"
}

case ${1:-} in
install) install ;;
start) start "${2:?usage: redis.sh start DIR}" ;;
stop) stop "${2:?usage: redis.sh stop DIR}" ;;
*)
	echo "usage: redis.sh install | start DIR | stop DIR" >&2
	exit 2
	;;
esac
