# lineage — see README.md.
GO ?= go

.PHONY: test test-deps build run fuzz bench

## test: install what the tests need if it is missing, then run every test with the race detector
test: test-deps
	$(GO) test -race -count=1 -timeout 20m ./...

test-deps:
	@scripts/test-deps.sh

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/lineage ./cmd/lineage

## run: the issuer in development mode on the embedded store
run:
	$(GO) run ./cmd/lineage serve --dev

## fuzz: each fuzz target for FUZZTIME (default 60s)
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./config
	$(GO) test -run='^$$' -fuzz=FuzzTokenEndpoint -fuzztime=$(FUZZTIME) ./cmd/lineage
	$(GO) test -run='^$$' -fuzz=FuzzVerify -fuzztime=$(FUZZTIME) ./jwks

## bench: the go test benchmarks behind docs/benchmarks.md
bench:
	$(GO) test -run='^$$' -bench=. -benchtime=2s ./jwks ./cmd/lineage
