# Tandem — two commands on a fresh Debian machine:
#   make run    installs what is missing, builds, runs the main job
#   make test   installs what is missing, builds, runs every test (release mode)

SWIFT := $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
RELEASE := -c release
TEST_FLAGS := $(RELEASE) -Xswiftc -enable-testing

.PHONY: all dependencies build run test clean

all: build

dependencies:
	@bash scripts/install-dependencies.sh

build: dependencies
	$(SWIFT) build $(RELEASE) --product tandem

run: build
	$(SWIFT) run $(RELEASE) --skip-build tandem demo

test: dependencies
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

clean:
	rm -rf .build

-include benchmarks/Makefile.inc
