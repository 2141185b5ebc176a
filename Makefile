# jstrace: make demo, make test. Only Go is needed.
GO      ?= go
BIN     := bin
SCRIPTS := $(wildcard examples/scripts/*.go)

.PHONY: all build demo demo-traces test jaeger redis chromium lint vet-scripts updatedocs oldgo fuzz bench bench-overhead bench-flight clean

all: build

build:
	$(GO) build -o $(BIN)/jstrace ./cmd/jstrace
	$(GO) build -o $(BIN)/service ./examples/service
	$(GO) build -o $(BIN)/shop ./examples/shop

## demo: build, start two example services, trace them with a few scripts.
demo: build
	./tools/demo.sh

## demo-traces: build, start three services calling each other (gateway →
## orders → payments, examples/shop) that print every trace's waterfall,
## then a script's span p99 by service naming the slow one.
demo-traces: build
	./tools/demo-traces.sh

## demo-collect: build, run jstrace collect and the three services of
## demo-traces exporting to it, then list the slowest traces (their
## bottleneck named), draw the slowest one and list the failed ones.
.PHONY: demo-collect
demo-collect: build
	./tools/demo-collect.sh

## test: static checks, every test with the race detector, then the
## zero-allocation guards again on the normal build (what services run),
## and the host-impact harness's own tests (bench is a module of its own).
## The end-to-end tests (internal/e2e) run after the rest rather than beside
## it: some time real services for a few seconds, and the other packages'
## tests would take the cores from them.
E2E := ./internal/e2e
test: lint jaeger redis chromium
	JSTRACE_TEST_ARTIFACTS=$(CURDIR)/.artifacts $(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/internal/e2e$$')
	JSTRACE_TEST_ARTIFACTS=$(CURDIR)/.artifacts $(GO) test -race -count=1 $(E2E)
	$(GO) test -count=1 -run 'Alloc|NotAllocate|WorstAdmitted|RingMemory' . ./script ./internal/match ./jstracehttp ./jstracesql ./export
	cd bench && $(GO) test -count=1 ./overhead

## jaeger: build the Jaeger v2 that package otel's tests start (minutes
## the first time, then cached outside the repository: tools/jaeger.sh).
jaeger:
	./tools/jaeger.sh build >/dev/null

## redis: install the redis-server that the Redis trace store's tests
## start (Debian's package, when missing: tools/redis.sh).
redis:
	./tools/redis.sh install

## chromium: install the headless browser the web page's tests drive
## (Debian's chromium, when missing: tools/chromium.sh). Screenshots the
## tests take go to .artifacts/.
chromium:
	./tools/chromium.sh install

## lint: gofmt, go vet on the packages and on every example script.
lint: vet-scripts
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

vet-scripts:
	@for f in $(SCRIPTS); do $(GO) vet $$f || exit 1; done

## updatedocs: rewrite what the Markdown docs quote from code (the README's
## quick starts, the scripts' import allowlist, the exit codes); make test
## fails while it is stale (internal/docgen).
updatedocs:
	$(GO) run ./internal/docgen/updatedocs

## oldgo: build, vet and test the packages a service imports with the
## oldest Go go.mod allows (its go line; the module proxy serves that
## toolchain): fails if code needs a newer Go than the go line says.
OLDGO ?= go$(shell sed -n 's/^go //p' go.mod)
oldgo:
	GOTOOLCHAIN=$(OLDGO) $(GO) vet ./...
	GOTOOLCHAIN=$(OLDGO) $(GO) test -count=1 . ./agent ./script

## fuzz: run every fuzz target of the module (found by name, so none is
## forgotten) for FUZZTIME each (default 30s).
FUZZTIME ?= 30s
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' --exclude-dir=bench . | sort | while read -r f; do \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
			echo "fuzz $$(dirname "$$f") $$fn"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) "./$$(dirname "$$f")" || exit 1; \
		done; \
	done

## bench: the benchmark suite (bench/, a module of its own), ours and the
## peers' in the same run; medians by benchstat. Figures go in bench/README.md.
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCHOUT  := bench/results
bench:
	@mkdir -p $(BENCHOUT)
	cd bench && $(GO) test -run '^$$' -bench 'Disabled|Enabled|ScriptCall|MachineParallel|ProbeInService' -count 5 | tee results/probes.txt
	cd bench && $(GO) test -run '^$$' -bench 'Throughput|Footprint|SessionMemory' -benchtime 1x -count 3 | tee results/throughput.txt
	cd bench && $(GO) test -run '^$$' -bench 'Attach|MachinePageFault' -benchtime 5x -count 3 | tee results/attach.txt
	cd bench && $(GO) test -run '^$$' -bench 'HandlerRate|IsolatedEvent' -benchtime 1x | tee results/rate.txt
	cd bench && $(GO) test -run '^$$' -bench 'HandlerInProbe' -benchtime 200000x -count 5 | tee -a results/rate.txt
	cd bench && $(GO) test -run '^$$' -bench '^Benchmark(Span|PropagationHop)$$' -count 5 | tee results/spans.txt
	$(GO) test -run '^$$' -bench 'File|Redis' -count 3 ./internal/tracestore | tee bench/results/stores.txt
	$(GO) test -run '^$$' -bench 'Receiver|DecodeNDJSON|Render|ShowFromFile' -count 3 ./internal/collector ./internal/waterfall ./internal/cli | tee bench/results/collector.txt
	cd bench && for f in probes throughput attach rate spans stores collector; do $(GO) run $(BENCHSTAT) results/$$f.txt; done

## bench-overhead: two example services at half their saturation rate, on a
## core of their own: untraced against untraced (the control), then untraced
## against traced by a session reducing every request with a native
## Aggregation, the session on each service in turn.
bench-overhead: build
	cd bench && $(GO) run ./overhead -bin ../bin -control -rounds 40

## bench-flight: the host impact of the flight recorder: the example service
## recording every request probe (JSTRACE_FLIGHT=8MiB:request:*) against
## one without, at half their saturation rate, no session attached.
bench-flight: build
	cd bench && $(GO) run ./overhead -bin ../bin -flight '8MiB:request:*' -rounds 20

clean:
	rm -rf $(BIN) .demo .demo-traces .demo-collect bench/results
