#!/bin/sh
# The distributed-traces demo: three services, gateway → orders → payments
# (examples/shop), each exporting its finished traces to the console; a
# few checkouts; the waterfall of the slowest one as each service printed
# it; then a jstrace script attached to all three, p99 of span durations
# by service and operation, naming the slow service. Run by make
# demo-traces. Logs stay in .demo-traces/.
set -eu
cd "$(dirname "$0")/.."

dir=.demo-traces
export JSTRACE_RUN_DIR="$PWD/$dir/run"
export JSTRACE_EXPORTERS=console
rm -rf "$dir" && mkdir -p "$dir"
pids=""
cleanup() {
	[ -n "$pids" ] && kill $pids 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# start ROLE ARGS...: runs bin/shop as ROLE, its output in $dir/ROLE.log,
# and sets url to the address it serves once it says so.
start() {
	role=$1
	shift
	bin/shop -role "$role" "$@" >"$dir/$role.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ $i -lt 100 ]; do
		url=$(sed -n 's|^shop: [a-z]* pid [0-9]*, \(http://[^,]*\),.*|\1|p' "$dir/$role.log")
		[ -n "$url" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$role did not start:" >&2
	cat "$dir/$role.log" >&2
	exit 1
}

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

start payments -slow 0.3 -fail 0.15
payments=$url
start orders -payments "$payments"
orders=$url
start gateway -orders "$orders"
gateway=$url
printf 'gateway %s → orders %s → payments %s\n' "$gateway" "$orders" "$payments"

step bin/shop -role load -gateway "$gateway" -n 10 -rps 5 | tee "$dir/load.txt"
trace=$(sed -n 's/^slowest: .*, trace \([0-9a-f]*\)$/\1/p' "$dir/load.txt")
# The console exporters print a trace within a second (their batch
# interval) of its last span's end.
i=0
while [ $i -lt 50 ] && [ "$(grep -l "^trace $trace" "$dir"/*.log | wc -l)" -lt 3 ]; do
	sleep 0.1
	i=$((i + 1))
done

printf '\n\033[1mThe slowest checkout, trace %s, as each service printed it (JSTRACE_EXPORTERS=console):\033[0m\n' "$trace"
for role in gateway orders payments; do
	printf '\n%s:\n' "$role"
	# A waterfall is a block of lines that starts with a line naming the
	# trace and ends at the first empty line.
	awk -v t="trace $trace" 'index($0, t) == 1 { on = 1 } on && /^$/ { exit } on' "$dir/$role.log"
done

bin/shop -role load -gateway "$gateway" -rps 40 -quiet >/dev/null &
pids="$pids $!"
step bin/jstrace -t '{gateway,orders,payments}' --duration 4s examples/scripts/span-p99.go
