# Aisle: the commands a newcomer runs. `make demo` and `make test` are the quick start.
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT ?= swift
# Tests run optimized (the 10,000-schedule simulation is 5× faster) with the invariant checks of
# STYLE.md §11 compiled in, which plain release builds leave out.
TEST_FLAGS := -c release -Xswiftc -DAISLE_INTERNAL_CHECKS --scratch-path .build-test

.PHONY: deps build demo test bench format lint clean

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

SOURCES := Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Benchmarks

format:
	$(SWIFT) format format --parallel --in-place --recursive $(SOURCES)

# Fails when any file is not formatted as `make format` would write it (.swift-format).
lint:
	$(SWIFT) format lint --strict --parallel --recursive $(SOURCES)

clean:
	rm -rf .build .build-test Benchmarks/.build
