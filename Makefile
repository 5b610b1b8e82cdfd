# lameduck: every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_STAMP := node_modules/.package-lock.json

.PHONY: help deps system-deps build test lint bench clean

help:
	@echo "make test   - install what is missing, then run every test"
	@echo "make bench  - run the benchmarks; figures go to bench/results/*.json"
	@echo "make lint   - biome and the type checker"
	@echo "make build  - compile to dist/"

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

deps: $(NODE_STAMP) system-deps

# etcd for the registry tests and the drill: Debian's etcd-server when it is missing.
system-deps:
	@scripts/ensure-system-deps.sh

build: $(NODE_STAMP)
	npx tsc -p tsconfig.build.json

lint: $(NODE_STAMP)
	npx biome check .
	npx tsc -p tsconfig.json --noEmit

test: deps lint
	node --import tsx --test --test-concurrency=2 --test-timeout=180000 \
	  $$(find src test -name '*.test.ts' | sort)

bench: deps
	node --import tsx bench/run.ts

clean:
	rm -rf dist
