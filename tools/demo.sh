#!/bin/sh
# The demo: two instrumented services under load on simulated hosts api-1
# and api-2, traced with a few of the example scripts. Run by make demo.
set -eu
cd "$(dirname "$0")/.."

export JSTRACE_RUN_DIR="$PWD/.demo/run"
rm -rf .demo && mkdir -p .demo
pids=""
cleanup() {
	[ -n "$pids" ] && kill $pids 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

JSTRACE_TITLE=api JSTRACE_HOSTNAME=api-1 bin/service -load 40 >.demo/api-1.log 2>&1 &
pids="$pids $!"
JSTRACE_TITLE=api JSTRACE_HOSTNAME=api-2 bin/service -load 20 >.demo/api-2.log 2>&1 &
pids="$pids $!"
sleep 1

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

step bin/jstrace ls
step bin/jstrace -t api --duration 3s examples/scripts/durations-by-process.go
step bin/jstrace -H api-1 --duration 3s examples/scripts/status-bars.go
step bin/jstrace -t api --duration 2s examples/scripts/buffer-size.go
step bin/jstrace -t api --duration 2s examples/scripts/remote-errors.go || true
step bin/jstrace -t api --duration 3s examples/scripts/cleanup.go
printf '\nThe services logged every session (.demo/api-1.log):\n'
grep -E 'msg="session (attached|ended)"' .demo/api-1.log | tail -4
