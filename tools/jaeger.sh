#!/usr/bin/env bash
# jaeger.sh: a real Jaeger v2 for the tests of package otel.
#
#   tools/jaeger.sh build        build Jaeger once (cached), print the binary's path
#   tools/jaeger.sh start DIR    start it on free loopback ports; write DIR/env
#                                (shell variables, printed too) and DIR/jaeger.log
#   tools/jaeger.sh stop DIR     stop the Jaeger that `start DIR` started
#
# With JAEGER_WATCH_PID set, start also stops Jaeger when that process
# exits (a test binary killed by its timeout leaves no Jaeger behind).
#
# DIR/env sets JAEGER_PID, JAEGER_OTLP_ENDPOINT (OTLP/HTTP base URL),
# JAEGER_ZIPKIN_ENDPOINT (Zipkin v2 spans URL) and JAEGER_QUERY_URL (the
# query service: /api/traces/<id>). Jaeger keeps spans in memory and
# listens on 127.0.0.1 only.
#
# The build compiles github.com/jaegertracing/jaeger/cmd/jaeger at the
# pinned version from the Go module proxy in a module of its own, at low
# priority with $JAEGER_BUILD_JOBS jobs (default 1: the cores are shared),
# and keeps the binary in $JSTRACE_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/jstrace). The first build downloads ~300
# modules and compiles ~2,300 packages: 16 minutes on two busy cores;
# later ones reuse the binary, or Go's caches (30 s).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

JAEGER_VERSION=v1.76.0
CACHE=${JSTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jstrace}
BIN=$CACHE/jaeger-$JAEGER_VERSION

build() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/jaeger.lock"
	flock 9 # one build at a time; the others wait and reuse it
	if [[ -x $BIN ]]; then
		echo "$BIN"
		return
	fi
	local tmp start
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	start=$(date +%s)
	echo "jaeger.sh: building Jaeger $JAEGER_VERSION (minutes, once)" >&2
	(
		cd "$tmp"
		printf 'module jstrace.local/jaegerbuild\n\ngo 1.26.0\n' >go.mod
		export GOWORK=off GOFLAGS=-mod=mod
		if ! go get "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" 2>get.log; then
			cat get.log >&2
			exit 1
		fi
		nice -n 10 go build -p "${JAEGER_BUILD_JOBS:-1}" -trimpath -o "$BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
	)
	mv "$BIN.tmp" "$BIN"
	echo "jaeger.sh: built in $(($(date +%s) - start))s: $BIN" >&2
	echo "$BIN"
}

config() { # otlp zipkin query grpc health
	cat <<YAML
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp, zipkin]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    enable_tracing: false # else it traces itself to localhost:4317
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$3
    grpc:
      endpoint: 127.0.0.1:$4
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:$5
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$1
  zipkin:
    endpoint: 127.0.0.1:$2
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
YAML
}

start() {
	local dir=$1 bin
	bin=$(build)
	mkdir -p "$dir"
	for attempt in 1 2 3; do
		local otlp zipkin query grpc health pid
		otlp=$(freeport) zipkin=$(freeport) query=$(freeport) grpc=$(freeport) health=$(freeport)
		config "$otlp" "$zipkin" "$query" "$grpc" "$health" >"$dir/jaeger.yaml"
		setsid "$bin" --config "$dir/jaeger.yaml" >"$dir/jaeger.log" 2>&1 </dev/null &
		pid=$!
		for _ in $(seq 300); do # 30 s
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if curl -fsS -o /dev/null "http://127.0.0.1:$query/api/services" 2>/dev/null &&
				curl -fsS -o /dev/null "http://127.0.0.1:$health/status" 2>/dev/null; then
				cat >"$dir/env" <<ENV
JAEGER_PID=$pid
JAEGER_OTLP_ENDPOINT=http://127.0.0.1:$otlp
JAEGER_ZIPKIN_ENDPOINT=http://127.0.0.1:$zipkin/api/v2/spans
JAEGER_QUERY_URL=http://127.0.0.1:$query
ENV
				cat "$dir/env"
				if [[ -n ${JAEGER_WATCH_PID:-} ]]; then
					watch "$JAEGER_WATCH_PID" "$pid" </dev/null >/dev/null 2>&1 &
				fi
				return
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "jaeger.sh: Jaeger did not come up (attempt $attempt); log:" >&2
		tail -5 "$dir/jaeger.log" >&2
	done
	return 1
}

stop() { stop_env "$1" JAEGER_PID; }

case ${1:-} in
build) build ;;
start) start "${2:?usage: jaeger.sh start DIR}" ;;
stop) stop "${2:?usage: jaeger.sh stop DIR}" ;;
*)
	echo "usage: jaeger.sh build | start DIR | stop DIR" >&2
	exit 2
	;;
esac
