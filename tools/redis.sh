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
. "$(dirname "$0")/lib.sh"

install() { apt_install redis-server redis-server; }

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

stop() { stop_env "$1" REDIS_PID "$1/redis.pid"; }

case ${1:-} in
install) install ;;
start) start "${2:?usage: redis.sh start DIR}" ;;
stop) stop "${2:?usage: redis.sh stop DIR}" ;;
*)
	echo "usage: redis.sh install | start DIR | stop DIR" >&2
	exit 2
	;;
esac
