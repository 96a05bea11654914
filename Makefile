# Aisle: the commands a newcomer runs. `make demo` and `make test` are the quick start.
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT ?= swift
# Tests run optimized (the 10,000-schedule simulation is 5× faster) with the invariant checks of
# STYLE.md §11 compiled in, which plain release builds leave out.
TEST_FLAGS := -c release -Xswiftc -DAISLE_INTERNAL_CHECKS --scratch-path .build-test

.PHONY: deps build demo test bench format clean

deps:
	@scripts/deps

build: deps
	$(SWIFT) build

demo: deps
	$(SWIFT) build --product aisle
	.build/debug/aisle demo

test: deps
	$(SWIFT) test $(TEST_FLAGS)

bench: deps
	scripts/bench

clean:
	rm -rf .build .build-test Benchmarks/.build
