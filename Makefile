# clusterd - top-level convenience targets. The real build is CMake.
#
#   make deps    install the Debian packages needed (idempotent, needs root)
#   make build   configure and build into $(BUILD) (ASan+UBSan by default)
#   make test    deps + build + every test (unit and lab integration)
#   make demo    deps + build + a 3-node lab cluster showing what works
#   make bench   deps + build + benchmarks under bench/
#   make bench-drain  deps + build + bench/drain (node drain under limits of
#                concurrent live migrations; N=4 alone took 8 min here, so not
#                in 'make bench'): DRAIN_ARGS="--n 4 --limits 1,2" to change
#   make bench-storage  deps + build + bench/storage-move (move-storage and
#                shared-nothing live migration of 1 GiB disks, ~5 min)
#   make bench-csv-vm  deps + build + bench/csv-vm alone (fio in a guest on a
#                CSV, coordinator node against another; also in 'make bench'):
#                CSV_VM_ARGS="--skip redirected" to change
#   make fuzz    deps + build + each fuzz target for 300 s
#   make faults  deps + build + the randomized fault suite (tests/faults):
#                SEED=... COUNT=300 NODES=3|4|5 (defaults: a new seed, 300, 3);
#                SCENARIO=NAME (or all) runs the fixed regression cases instead
#   make unit    unit tests only (no root, no lab)
#   make deb     the Debian packages (dpkg-buildpackage) into $(DEBDIR), and
#                lintian on them
#   make deb-test  make deb + install them into a throwaway root and run a
#                lab cluster from the installed files only

BUILD    ?= build
SANITIZE ?= 1
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
# ctest -j: two lab tests at once, except the ones marked ALONE in
# tests/CMakeLists.txt (QEMU guests, timing bounds); TEST_JOBS=1 runs one at a time
TEST_JOBS ?= 2

ifeq ($(SANITIZE),1)
SANITIZE_FLAG = -DCLUSTERD_SANITIZE=ON
else
SANITIZE_FLAG = -DCLUSTERD_SANITIZE=OFF
endif

.PHONY: all deps build test unit labtest demo bench bench-drain bench-storage bench-csv-vm fuzz faults clean deb deb-test

all: build

deps:
	@packaging/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(SANITIZE_FLAG) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest -j $(TEST_JOBS) --output-on-failure --timeout 1200

unit: build
	cd $(BUILD) && ctest -L unit --output-on-failure

labtest: build
	cd $(BUILD) && ctest -j $(TEST_JOBS) -L lab --output-on-failure --timeout 1200

demo: build
	@tests/lab/demo

bench: build
	@bench/membership/run
	@bench/policy/run
	@bench/failover/run
	@bench/quorum/run
	@bench/migration/run
	@bench/csv/run
	@bench/csv-vm/run

DRAIN_ARGS ?=
bench-drain: build
	@bench/drain/run $(DRAIN_ARGS)

bench-storage: build
	@bench/storage-move/run

CSV_VM_ARGS ?=
bench-csv-vm: build
	@bench/csv-vm/run $(CSV_VM_ARGS)

fuzz: build
	cmake --build $(BUILD) --target fuzz-long

COUNT ?= 300
NODES ?= 3
faults: build
ifeq ($(SCENARIO),all)
	LAB_BINDIR=$(abspath $(BUILD))/bin tests/faults/run --all-scenarios
else ifneq ($(SCENARIO),)
	LAB_BINDIR=$(abspath $(BUILD))/bin tests/faults/run --scenario $(SCENARIO)
else
	LAB_BINDIR=$(abspath $(BUILD))/bin tests/faults/run --count $(COUNT) --nodes $(NODES) $(if $(SEED),--seed $(SEED))
endif

# make deb: the packages are built from a copy of the tree (git's files,
# committed or not) in $(DEBDIR)/src, so dpkg-buildpackage's ../*.deb land
# in $(DEBDIR) and nothing is written beside the checkout.
DEBDIR ?= $(BUILD)-deb
deb:
	@packaging/deps.sh deb
	@rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/src
	@git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - -cf - | tar -xf - -C $(DEBDIR)/src
	@echo "deb: dpkg-buildpackage (log: $(DEBDIR)/build.log)"
	@cd $(DEBDIR)/src && dpkg-buildpackage -us -uc -b -j$(JOBS) >../build.log 2>&1 || \
		{ tail -40 ../build.log; echo "deb: failed, see $(DEBDIR)/build.log"; exit 1; }
	@ls $(DEBDIR)/*.deb
	@echo "deb: lintian"
	@lintian --fail-on error,warning --info $(DEBDIR)/*.changes

deb-test: deb
	tests/packaging/test-deb $(abspath $(DEBDIR))

clean:
	rm -rf $(BUILD) $(DEBDIR)
