#!/bin/sh
# The whole test suite, as CI runs it on a fresh Debian 12 machine:
#   1. Release build, warnings as errors, ctest (unit suites, CLI, fuzz-corpus replay, headers)
#   2. ASan + UBSan build (one heap block per arena allocation), ctest
#   2b. ThreadSanitizer build of the suites where threads share a symbolicator (memory cap too)
#       or build a symbol cache together
#   3. valgrind memcheck over the unit suites and the CLI on every fixture and corpus report
#   4. libFuzzer smoke run of every fuzz target (clang), a few seconds each
# Installs what it needs with apt-get when run as root and something is missing.
# Environment: JOBS (default 2), FUZZ_SECONDS (default 15), SKIP_VALGRIND=1, SKIP_FUZZ=1.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}

need="cmake gcc g++ make pkg-config libyajl-dev zlib1g-dev libzstd-dev libiberty-dev check valgrind clang libclang-rt-14-dev python3 parallel lld llvm xz-utils zstd lldb-16 python3-distributed"
missing=""
for p in $need; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
# npm (for Breakpad's prebuilt tools): Debian's, unless a node with its own npm is installed
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "== installing:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	else
		echo "missing Debian packages:$missing (run as root to install them)" >&2
		exit 1
	fi
fi

step() { echo; echo "== $*"; }

step "release build (-Werror)"
cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=Release -DCRP_WERROR=ON >/dev/null
cmake --build build-ci -j"$JOBS"
# Breakpad's own tools check the minidumps, @electron/symbolicate-mac reads our macOS text
# (each skipped when it cannot be fetched)
sh tests/fetch-breakpad.sh build-ci
sh tests/fetch-symbolicate-mac.sh build-ci
export CRP_BREAKPAD_BIN="$top/build-ci/breakpad/package/bin/linux-x64"
# and Breakpad's Mac dump_syms, built once from the same tarball (cached in build-ci/breakpad)
JOBS=$JOBS sh tests/build-dump-syms.sh build-ci
export CRP_DUMP_SYMS_MAC="$top/build-ci/breakpad/dump_syms_mac"
(cd build-ci && ctest --output-on-failure -j"$JOBS")

step "clang release build (-Werror): the library and the CLI compile with the other compiler"
CC=clang cmake -S . -B build-ci-clang -DCMAKE_BUILD_TYPE=Release -DCRP_WERROR=ON >/dev/null
cmake --build build-ci-clang -j"$JOBS" --target crashport_cli

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
cmake -S . -B build-ci-asan -DCMAKE_BUILD_TYPE=Debug -DCRP_WERROR=ON -DCRP_SANITIZE=ON \
	-DCRP_DEBUG_ARENA=ON >/dev/null
cmake --build build-ci-asan -j"$JOBS"
(cd build-ci-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -j"$JOBS")

step "ThreadSanitizer: threads sharing one symbolicator, with and without a memory cap"
cmake -S . -B build-ci-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRP_WERROR=ON -DCRP_SANITIZE_THREAD=ON >/dev/null
cmake --build build-ci-tsan -j"$JOBS" --target check_crashport crashport_cli
for suite in symshare symcache; do
	CK_RUN_SUITE=$suite CK_FORK=no TSAN_OPTIONS=halt_on_error=1 build-ci-tsan/tests/check_crashport
done
TSAN_OPTIONS=halt_on_error=1 build-ci-tsan/crashport atos -j4 -o fixtures/macho/x86_64/Demo.dSYM \
	$(seq 4294967296 16 4294971392 | xargs printf '0x%x ') >/dev/null
# more than one window of addresses (each looked up by two threads, printed in input order)
many=$(mktemp)
for _ in $(seq 300); do seq 4294967296 16 4294971392 | xargs printf '0x%x\n'; done >"$many"
TSAN_OPTIONS=halt_on_error=1 build-ci-tsan/crashport atos -j2 -o fixtures/macho/x86_64/Demo.dSYM -f "$many" >/dev/null
rm -f "$many"
out=$(mktemp -d)
TSAN_OPTIONS=halt_on_error=1 build-ci-tsan/crashport convert -q --to apple --symbols fixtures/macho -j4 \
	--index-memory 1k -o "$out" fixtures/macho/report-x86_64.json fixtures/macho/report-arm64e-recrash.json
rm -rf "$out"

if [ "${SKIP_VALGRIND:-0}" != 1 ]; then
	step "valgrind memcheck"
	vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
	# Check runs in-process (no fork) so valgrind sees every test.
	CK_FORK=no $vg build-ci/tests/check_crashport >/dev/null
	for f in fixtures/kscrash/* ../shared/corpus/kscrash/*.json; do
		[ -f "$f" ] || continue
		$vg build-ci/crashport convert -q --to json "$f" >/dev/null
		$vg build-ci/crashport convert -q --to minidump "$f" >/dev/null 2>&1 || [ $? -eq 1 ]
		$vg build-ci/crashport info -q "$f" >/dev/null
	done
	# Apple input (some of it is not a crash report: exit 1 is an answer, not a failure)
	for f in fixtures/apple/* ../shared/corpus/apple/*.ips ../shared/corpus/apple/*.crash; do
		[ -f "$f" ] || continue
		for to in json apple ips minidump; do
			$vg build-ci/crashport convert -q --to $to "$f" >/dev/null 2>&1 || [ $? -eq 1 ]
		done
	done
	$vg build-ci/crashport convert -q --to json --symbols fixtures/macho/x86_64 \
		fixtures/macho/report-x86_64.json >/dev/null
	# two workers sharing one symbolicator (valgrind runs them one at a time, but on one handle)
	out=$(mktemp -d)
	$vg build-ci/crashport convert -q --to apple --symbols fixtures/macho -j2 -o "$out" \
		fixtures/macho/report-x86_64.json fixtures/macho/report-arm64e-recrash.json
	rm -rf "$out"
	$vg build-ci/crashport atos -i -o fixtures/macho/universal/Demo -arch armv7 0x1010 0x2000 >/dev/null
	$vg build-ci/crashport dump-syms fixtures/macho/x86_64/Demo fixtures/macho/x86_64/Demo.dSYM >/dev/null
	$vg build-ci/crashport dump-syms --arch armv7 fixtures/macho/universal/Demo \
		fixtures/macho/universal/Demo.dSYM >/dev/null
	$vg build-ci/crashport dump-syms fixtures/macho/arm64e/Demo.dSYM >/dev/null
	echo "valgrind: clean"
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	step "libFuzzer smoke run (${FUZZ_SECONDS}s per target)"
	CC=clang cmake -S . -B build-ci-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRP_BUILD_FUZZERS=ON \
		-DCRP_SANITIZE=ON >/dev/null
	targets=$(sed -n 's/^set(CRP_FUZZERS \(.*\))$/\1/p' fuzz/CMakeLists.txt)  # keep it on one line
	[ -n "$targets" ] || { echo "no fuzz targets found in fuzz/CMakeLists.txt" >&2; exit 1; }
	for t in $targets; do cmake --build build-ci-fuzz -j"$JOBS" --target "$t"; done
	for t in build-ci-fuzz/fuzz/*_fuzzer; do
		name=$(basename "$t" _fuzzer)
		work=$(mktemp -d)
		cp fuzz/corpora/"$name"/* "$work"/
		dict=$(awk -v t="$name" '$1 == t { print "-dict=fuzz/" $2 }' fuzz/dicts.txt)
		"$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			$dict "$work" >/dev/null 2>"$work.log" ||
			{ tail -50 "$work.log"; exit 1; }
		echo "$name: $(grep -o "stat::number_of_executed_units: [0-9]*" "$work.log")"
		rm -rf "$work" "$work.log"
	done
fi

step "all tests passed"
