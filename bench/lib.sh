# bench/lib.sh - sourced by the benchmarks that run a lab (bench/migration,
# bench/drain, bench/storage-move): the binaries they measure.
#
# bench_binaries: with ASAN=0 builds clusterd, clusterctl and the agents as
# RelWithDebInfo without sanitizers in $REL (BENCH_REL_DIR, default
# /tmp/bench-rel; a tree configured from another checkout is not reused:
# $REL-<hash> then), else takes $SRC_BIN (the tests' ASan build); copies
# them to $WORK/tree (a rebuild during the run does not change them), with
# the vm agent pointed at its plugin directory, and exports LAB_BINDIR.
# Needs REPO, WORK, ASAN, SRC_BIN, SRC_HV; sets BUILD_KIND. Exits on error.

bench_now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
bench_has_asan() { nm -D "$1" 2>/dev/null | grep -c __asan_init >/dev/null; }

# DEST HVDIR: SRC_BIN copied; `vm` is a wrapper that points the agent at the
# plugin directory (the agent finds it by itself only in its build tree).
bench_make_tree() {
	local dest=$1 hv=$2
	mkdir -p "$dest/bin" "$dest/libexec" "$dest/lib/clusterd/hv" "$dest/ocf/resource.d/clusterd"
	cp -a "$SRC_BIN"/. "$dest/bin/"
	cp "$hv/libcd-hv-qemu.so" "$dest/lib/clusterd/hv/"
	mv "$dest/bin/vm" "$dest/libexec/vm"
	printf '#!/bin/sh\nCLUSTERD_HV_DIR=%s exec %s "$@"\n' \
		"$dest/lib/clusterd/hv" "$dest/libexec/vm" >"$dest/bin/vm"
	chmod +x "$dest/bin/vm"
	ln -s "$dest/bin/vm" "$dest/ocf/resource.d/clusterd/vm"
	[[ -x $dest/bin/disk ]] && ln -s "$dest/bin/disk" "$dest/ocf/resource.d/clusterd/disk"
	[[ -x $dest/bin/csv ]] && ln -s "$dest/bin/csv" "$dest/ocf/resource.d/clusterd/csv"
	[[ -d /usr/lib/ocf/resource.d/heartbeat ]] && ln -s /usr/lib/ocf/resource.d/heartbeat "$dest/ocf/resource.d/heartbeat"
	return 0
}

bench_binaries() {
	local t0 b
	if ((ASAN)); then
		BUILD_KIND="ASan+UBSan build (--asan)"
	else
		REL=${BENCH_REL_DIR:-/tmp/bench-rel}
		if [[ -f $REL/CMakeCache.txt ]] &&
		   ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$REPO" "$REL/CMakeCache.txt"; then
			REL=$REL-$(printf '%s' "$REPO" | md5sum | cut -c1-8)
		fi
		echo "building the release binaries in $REL (cmake RelWithDebInfo, CLUSTERD_SANITIZE=OFF) ..."
		t0=$(bench_now_ms)
		{ [[ -f $REL/CMakeCache.txt ]] || cmake -S "$REPO" -B "$REL" -DCLUSTERD_SANITIZE=OFF \
			-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/rel-cmake.log" 2>&1; } &&
			timeout 900 make -C "$REL" -j2 clusterd clusterctl clusterd-pr vm cd-hv-qemu disk \
				csv-coord csv-client csv-agent >"$WORK/rel-make.log" 2>&1 || {
			echo "  release build failed:" >&2
			tail -20 "$WORK/rel-make.log" "$WORK/rel-cmake.log" 2>/dev/null | sed 's/^/  | /' >&2
			exit 1
		}
		echo "  done in $((($(bench_now_ms) - t0) / 1000)) s"
		SRC_BIN=$REL/bin SRC_HV=$REL/lib/clusterd/hv
		BUILD_KIND="release build (RelWithDebInfo, no sanitizers)"
	fi
	for b in clusterd clusterctl vm disk csv csv-coord csv-client; do
		[[ -x $SRC_BIN/$b ]] || { echo "no $SRC_BIN/$b: build first" >&2; exit 1; }
	done
	[[ -f $SRC_HV/libcd-hv-qemu.so ]] || { echo "no $SRC_HV/libcd-hv-qemu.so: build first" >&2; exit 1; }
	bench_make_tree "$WORK/tree" "$SRC_HV"
	if bench_has_asan "$WORK/tree/bin/clusterd" && ((ASAN == 0)); then
		echo "BUG: release clusterd has ASan" >&2
		exit 1
	fi
	echo "binaries: $BUILD_KIND from $SRC_BIN, copied to $WORK/tree"
	export LAB_BINDIR=$WORK/tree/bin
}
