#!/bin/sh
# The collector demo: three services, gateway → orders → payments
# (examples/shop), payments sometimes slow and sometimes failing, export
# every finished span to `jstrace collect` (JSTRACE_EXPORTERS=collector),
# which keeps them in an embedded store; then `jstrace slow` lists the
# slowest traces, naming payments' "charge card" as their bottleneck,
# `jstrace trace` draws the slowest one's waterfall and `jstrace errors`
# lists the failed ones. Run by make demo-collect. Logs and the store stay
# in .demo-collect/.
set -eu
cd "$(dirname "$0")/.."

dir=.demo-collect
rm -rf "$dir" && mkdir -p "$dir"
export JSTRACE_RUN_DIR="$PWD/$dir/run"
export JSTRACE_STORE="$PWD/$dir/traces.db"
pids=""
cleanup() {
	[ -n "$pids" ] && kill $pids 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# waitfor FILE SED: prints what the sed script extracts from FILE once it
# does, within 10 s.
waitfor() {
	i=0
	while [ $i -lt 100 ]; do
		v=$(sed -n "$2" "$1")
		if [ -n "$v" ]; then
			echo "$v"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "no line in $1:" >&2
	cat "$1" >&2
	exit 1
}

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

bin/jstrace collect --listen 127.0.0.1:0 --report-every 1s 2>"$dir/collect.log" &
collect=$!
pids="$pids $collect"
endpoint=$(waitfor "$dir/collect.log" 's|.*receiving spans at \(http://[^/]*\)/v1/spans.*|\1|p')
export JSTRACE_EXPORTERS=collector JSTRACE_COLLECTOR_ENDPOINT="$endpoint"
printf 'jstrace collect receives spans at %s, stores them in %s\n' "$endpoint" "$JSTRACE_STORE"

# start ROLE ARGS...: runs bin/shop as ROLE, its output in $dir/ROLE.log,
# and sets url to the address it serves once it says so.
start() {
	role=$1
	shift
	bin/shop -role "$role" "$@" >"$dir/$role.log" 2>&1 &
	pids="$pids $!"
	url=$(waitfor "$dir/$role.log" 's|^shop: [a-z]* pid [0-9]*, \(http://[^,]*\),.*|\1|p')
}

start payments -slow 0.3 -slow-delay 300ms -fail 0.15
payments=$url
start orders -payments "$payments"
orders=$url
start gateway -orders "$orders"
gateway=$url
printf 'gateway %s → orders %s → payments %s, exporting to jstrace collect\n' "$gateway" "$orders" "$payments"

step bin/shop -role load -gateway "$gateway" -n 40 -rps 10 -quiet
# The exporters post within a second (their batch interval) of a span's
# end; then Ctrl-C: collect stores what it holds and says what it stored.
sleep 2
kill -INT "$collect"
wait "$collect" || true
printf '\n\033[1mjstrace collect said:\033[0m\n'
cat "$dir/collect.log"

step bin/jstrace slow --limit 5
trace=$(bin/jstrace slow --json | sed -n '1s/.*"trace_id": *"\([0-9a-f]*\)".*/\1/p')
[ -n "$trace" ] && step bin/jstrace trace "$trace"
step bin/jstrace errors
