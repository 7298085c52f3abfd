# dynobs entry points. `make run` and `make test` work on a fresh Debian 12 machine: they
# install what is missing (scripts/install-deps.sh), configure, build, then run.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
BIN := $(BUILD_DIR)/bin
JOBS ?= $(shell nproc)
DEPS_STAMP := build/.deps-ok

.PHONY: all deps configure build run test test-unit bench format tidy clean

all: build

$(DEPS_STAMP): scripts/install-deps.sh
	./scripts/install-deps.sh
	@mkdir -p build && touch $@

deps: $(DEPS_STAMP)

$(BUILD_DIR)/build.ninja: $(DEPS_STAMP) CMakeLists.txt CMakePresets.json
	cmake --preset $(PRESET) >/dev/null

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job. Until the serving path exists this is one worker's system status server.
run: build
	./scripts/run.sh $(BIN)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

test-unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -L unit

bench: build
	./scripts/bench.sh $(BIN)

format:
	find src tests -name '*.h' -o -name '*.cc' | xargs clang-format -i

tidy: configure
	find src -name '*.cc' | xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD_DIR) --quiet \
	  --extra-arg=-Wno-unknown-warning-option

clean:
	rm -rf build
