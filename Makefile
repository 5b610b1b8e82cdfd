# lameduck: every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_STAMP := node_modules/.package-lock.json

.PHONY: help deps system-deps build test lint bench demo clean

help:
	@echo "make demo   - install what is missing, then replay the incident: the example service drilled in three modes"
	@echo "make test   - install what is missing, then run every test"
	@echo "make bench  - run the benchmarks; figures go to bench/results/*.json"
	@echo "make lint   - biome and the type checker"
	@echo "make build  - compile to dist/"

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

deps: $(NODE_STAMP) system-deps

# etcd for the registry tests and the drill, and the other sides of the interop tests: Debian's
# packages when they are missing.
system-deps:
	@scripts/ensure-system-deps.sh test

build: $(NODE_STAMP)
	npx tsc -p tsconfig.build.json

lint: $(NODE_STAMP)
	npx biome check .
	npx tsc -p tsconfig.json --noEmit

test: deps lint
	node --import tsx --test --test-concurrency=2 --test-timeout=180000 \
	  $$(find src test -name '*.test.ts' | sort)

bench: deps
	@scripts/ensure-system-deps.sh bench
	node --import tsx bench/run.ts

# The demo runs compiled (pods start in a fraction of the time tsx takes), from dist-demo/.
demo: $(NODE_STAMP)
	@scripts/ensure-system-deps.sh demo
	npx tsc -p tsconfig.demo.json
	cp examples/passport/passport.proto dist-demo/examples/passport/
	node dist-demo/examples/passport/demo.js

clean:
	rm -rf dist dist-demo demo-report
