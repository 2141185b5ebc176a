# jstrace: make demo, make test. Only Go is needed.
GO      ?= go
BIN     := bin
SCRIPTS := $(wildcard examples/scripts/*.go)

.PHONY: all build demo test lint vet-scripts fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/jstrace ./cmd/jstrace
	$(GO) build -o $(BIN)/service ./examples/service

## demo: build, start two example services, trace them with a few scripts.
demo: build
	./scripts/demo.sh

## test: static checks, then every test with the race detector.
test: lint
	$(GO) test -race -count=1 ./...

## lint: gofmt, go vet on the packages and on every example script.
lint: vet-scripts
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

vet-scripts:
	@for f in $(SCRIPTS); do $(GO) vet $$f || exit 1; done

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./protocol
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/sandbox
	$(GO) test -run '^$$' -fuzz '^FuzzHandshake$$' -fuzztime $(FUZZTIME) ./agent

clean:
	rm -rf $(BIN) .demo
