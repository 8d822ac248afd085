# Tandem — two commands on a fresh Debian machine:
#   make run    installs what is missing, builds, runs the main job
#   make test   installs what is missing, builds, runs every test (release mode)

SHELL := /bin/bash
SWIFT := $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
RELEASE := -c release
TEST_FLAGS := $(RELEASE) -Xswiftc -enable-testing

.PHONY: all dependencies build run test test-slurm clean fuzz fuzz-corpus

all: build

dependencies:
	@bash scripts/install-dependencies.sh

build: dependencies
	$(SWIFT) build $(RELEASE) --product tandem

# The main job: the quickstart suite (15 strategies × 3 seeds + single-task baselines on synthetic
# scenes) in two processes, printing the comparison table. Finished cells are kept and skipped.
# `tandem` picks its kernels by TANDEM_NUMERICS (default portable: the README's numbers on any
# AVX2 machine).
run: build
	@.build/release/tandem suite recipes/quickstart.yaml --jobs 2

# The whole test suite runs once per OpenBLAS kernel family the CPU can run (TEST_KERNELS; AVX2
# Haswell and AVX-512 SkylakeX give different rounding, and no test may depend on either), each
# pass with a private single-node Slurm cluster up (scripts/with-slurm.sh: installs slurm-wlm and
# munge as root, starts the daemons, stops them by PID afterwards) for the job-array test.
TEST_KERNELS ?= Haswell SkylakeX
test: dependencies
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) build $(TEST_FLAGS) --product tandem
	@bash scripts/test-kernel-families.sh $(SWIFT) .build/test $(TEST_KERNELS) -- $(TEST_FLAGS) --skip-build

# Fuzzing (Fuzz/, a separate package so the main build never needs the fuzzer runtime): one
# libFuzzer target per reader of untrusted input, each run for FUZZ_RUNS inputs from the seed corpus
# in Fuzz/Corpus (findings land in Fuzz/.build/findings). CI runs the deterministic mutation pass
# instead (Tests/FuzzingTests, 20,000 inputs per reader, part of `make test`). 100,000 inputs per
# reader take about 10 minutes on 2 cores (the checkpoint target trains a step per input).
FUZZ_RUNS ?= 100000
FUZZ_READERS := recipe npy idx tree cifar checkpoint
fuzz: dependencies
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	@set -e; for reader in $(FUZZ_READERS); do \
	  mkdir -p Fuzz/.build/findings/$$reader Fuzz/.build/corpus/$$reader; \
	  cp Fuzz/Corpus/$$reader/* Fuzz/.build/corpus/$$reader/; \
	  echo "fuzz-$$reader: $(FUZZ_RUNS) inputs"; \
	  Fuzz/.build/release/fuzz-$$reader -runs=$(FUZZ_RUNS) -seed=1 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=Fuzz/.build/findings/$$reader/ Fuzz/.build/corpus/$$reader 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==|SUMMARY)" || true; \
	  if ls Fuzz/.build/findings/$$reader/* >/dev/null 2>&1; then echo "findings in Fuzz/.build/findings/$$reader"; exit 1; fi; \
	done

# Rewrites Fuzz/Corpus from the seeds in Fuzz/Harness/FuzzSeeds.swift.
fuzz-corpus: dependencies
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	TANDEM_WRITE_FUZZ_CORPUS=1 $(SWIFT) test $(TEST_FLAGS) --skip-build --filter FuzzPassTests/testSeedsAreAcceptedAndTheCommittedCorpusIsCurrent

# Only the Slurm tests, on their own cluster.
test-slurm: dependencies
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) build $(TEST_FLAGS) --product tandem
	@bash scripts/with-slurm.sh $(SWIFT) test $(TEST_FLAGS) --skip-build --filter SlurmTests

clean:
	rm -rf .build Fuzz/.build

-include benchmarks/Makefile.inc
