# groundwork — make targets. `make demo` and `make test` work alone on a fresh Debian machine.
BUILD_DIR ?= build
INVENTORY ?= inventories/sim.yaml
GW := $(BUILD_DIR)/groundwork
JOBS ?= 4
SIM_STATE ?= $(BUILD_DIR)/sim-state

.PHONY: all deps configure build test plan bootstrap drill demo bench clean

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

plan: build
	$(GW) -i $(INVENTORY) plan

bootstrap: build
	$(GW) -i $(INVENTORY) bootstrap -j $(JOBS)

drill: build
	$(GW) -i $(INVENTORY) drill $(PLAYBOOK) $(foreach p,$(PARAMS),--param $(p))

demo: deps
	@$(MAKE) --no-print-directory build
	@bash scripts/demo.sh $(GW)

bench: build
	bash bench/run.sh $(GW)

clean:
	rm -rf $(BUILD_DIR) .groundwork
