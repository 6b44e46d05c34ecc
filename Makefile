# groundwork — make targets. `make demo` and `make test` work alone on a fresh Debian machine.
BUILD_DIR ?= build
INVENTORY ?= inventories/sim.yaml
GW := $(BUILD_DIR)/groundwork
JOBS ?= 4
SIM_STATE ?= $(BUILD_DIR)/sim-state

.PHONY: all deps configure build test test-sanitize test-asan test-tsan fuzz plan bootstrap drill demo \
        bench clean

all: build

deps:
	@bash scripts/install-deps.sh

# ccache, when installed, speeds up rebuilds (and builds of other checkouts: paths under the
# checkout are made relative).
CCACHE := $(shell command -v ccache 2>/dev/null)
export CCACHE_BASEDIR := $(CURDIR)

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE))

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j 2

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

# ---- Checking builds (docs/reliability.md); not part of `make test`. Each has its own build folder.
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
SAN_LOGS = $(CURDIR)/$(ASAN_DIR)/sanitizer-logs
CCACHE_FLAG := $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE))
# -O1 -g: readable stacks, quicker build. File by file (no unity build): these builds also check that
# each .cc compiles on its own includes, which the batches of the normal build would not notice.
SAN_BUILD := -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DGW_UNITY=OFF
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1

# ASan+UBSan: the whole ctest suite (the e2e tests run the sanitized binary), then TSan over the
# scheduler and process-runner unit tests.
test-sanitize: test-asan test-tsan

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DGW_SANITIZE=address,undefined $(SAN_BUILD) $(CCACHE_FLAG)
	cmake --build $(ASAN_DIR) -j 2
	rm -rf $(ASAN_DIR)/sanitizer-logs && mkdir -p $(ASAN_DIR)/sanitizer-logs
	cd $(ASAN_DIR) && ASAN_OPTIONS=$(ASAN_OPTIONS):log_path=$(SAN_LOGS)/asan \
	  UBSAN_OPTIONS=$(UBSAN_OPTIONS):log_path=$(SAN_LOGS)/ubsan ctest --output-on-failure -j 2
	@# A report from a process whose exit status a test expects to be non-zero, or whose stderr
	@# it keeps to itself, would otherwise go unnoticed: every report is a file here.
	@if [ -n "$$(ls -A $(ASAN_DIR)/sanitizer-logs)" ]; then \
	  echo "test-asan: sanitizer reports in $(ASAN_DIR)/sanitizer-logs:"; \
	  head -n 40 $(ASAN_DIR)/sanitizer-logs/*; exit 1; fi
	@echo "test-asan: the whole suite ran without a sanitizer report"

test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DGW_SANITIZE=thread $(SAN_BUILD) $(CCACHE_FLAG)
	cmake --build $(TSAN_DIR) -j 2 --target groundwork_tests
	setarch $$(uname -m) -R $(TSAN_DIR)/groundwork_tests -# "[#test_executor],[#test_process_runner],[#test_schedule]"

# libFuzzer targets of tests/fuzz, each run for FUZZ_SECONDS; fails when one finds a crash
# (the input is left in $(FUZZ_DIR)/artifacts/). Needs clang (installed by install-deps.sh fuzz).
fuzz:
	@bash scripts/install-deps.sh fuzz
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DGW_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 $(CCACHE_FLAG)
	cmake --build $(FUZZ_DIR) -j 2
	bash tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

plan: build
	$(GW) -i $(INVENTORY) plan

bootstrap: build
	$(GW) -i $(INVENTORY) bootstrap -j $(JOBS)

drill: build
	$(GW) -i $(INVENTORY) drill $(PLAYBOOK) $(foreach p,$(PARAMS),--param $(p))

demo: deps
	@$(MAKE) --no-print-directory build
	@bash scripts/demo.sh $(GW)

# The benchmark suite (bench/README.md): groundwork against make, ninja, Ansible and a bare spawn
# loop, plus the planning benchmark. Installs ansible-core (only here, never for make test).
bench: build
	@bash scripts/install-deps.sh bench
	bash bench/suite/run.sh $(GW)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR) .groundwork
