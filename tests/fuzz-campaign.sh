#!/bin/bash
# A fuzzing campaign: every fuzz target (or the ones named) runs for MINUTES on its own core,
# with the dictionary of its format (fuzz/dicts.txt); what it finds is merged back into
# fuzz/corpora/<target>/, minimised (libFuzzer -set_cover_merge=1 over edges; see merge_back);
# a crash, leak, timeout or out-of-memory stops nothing else and is reported at the end, with its
# input kept under the work folder. Exit 0 only when no target failed.
#
#   tests/fuzz-campaign.sh MINUTES [TARGET...]      e.g. tests/fuzz-campaign.sh 15 parse dwarf
#
# Environment: JOBS (targets run at once; default: the number of cores), BUILD (the build folder;
# default build-fuzz, configured here with clang when missing), WORK (findings and logs; default
# a new folder under /tmp), MAX_LEN (largest input tried; default 8192).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ $# -ge 1 ] || { echo "usage: $0 MINUTES [TARGET...]" >&2; exit 2; }
minutes=$1
shift
case $minutes in '' | *[!0-9.]*) echo "MINUTES must be a number: $minutes" >&2; exit 2 ;; esac
seconds=$(awk "BEGIN { printf \"%d\", $minutes * 60 }")
JOBS=${JOBS:-$(nproc)}
BUILD=${BUILD:-build-fuzz}
MAX_LEN=${MAX_LEN:-8192}
WORK=${WORK:-$(mktemp -d /tmp/crp-fuzz-campaign.XXXXXX)}
mkdir -p "$WORK"

all=$(sed -n 's/^set(CRP_FUZZERS \(.*\))$/\1/p' fuzz/CMakeLists.txt)
if [ $# -gt 0 ]; then
	targets=""
	for t in "$@"; do
		t=${t%_fuzzer}_fuzzer
		case " $all " in *" $t "*) targets="$targets $t" ;; *) echo "no such target: $t" >&2; exit 2 ;; esac
	done
else
	targets=$all
fi

# The dictionary of each target's input format, from fuzz/dicts.txt.
dict_of() {
	awk -v t="$1" '$1 == t { print "fuzz/" $2 }' fuzz/dicts.txt
}

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	CC=clang cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRP_BUILD_FUZZERS=ON \
		-DCRP_SANITIZE=ON >/dev/null
fi
for t in $targets; do cmake --build "$BUILD" -j"$JOBS" --target "$t" >/dev/null; done

# The corpus becomes its named files (inputs that once failed, seeds: kept whatever coverage they
# add) plus the smallest set of hash-named inputs, old and new, that covers what all of them cover.
merge_back() {
	t=$1 dir=$2 corpus=fuzz/corpora/${1%_fuzzer}
	mkdir -p "$dir/merged" "$dir/hashed"
	for f in "$corpus"/*; do
		base=${f##*/} kind=merged
		case $base in *[!0-9a-f]*) ;; *) [ ${#base} -ne 40 ] || kind=hashed ;; esac
		cp "$f" "$dir/$kind/"
	done
	before=$(ls "$dir/merged" | wc -l)
	"$BUILD/fuzz/$t" -set_cover_merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 -max_len="$MAX_LEN" \
		"$dir/merged" "$dir/hashed" "$dir/new" >"$dir/merge.log" 2>&1 || return 1
	rm -f "$corpus"/*
	cp "$dir/merged"/* "$corpus"/
	echo $(($(ls "$corpus" | wc -l) - before)) >"$dir/added"
}

# One target: fuzz into a fresh folder seeded by the corpus, then merge what adds coverage back.
campaign_one() {
	t=$1
	name=${t%_fuzzer}
	dir=$WORK/$name
	mkdir -p "$dir/new" "$dir/artifacts"
	dict=$(dict_of "$name")
	set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$MAX_LEN" \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/"
	[ -n "$dict" ] && set -- "$@" -dict="$dict"
	status=ok
	"$BUILD/fuzz/$t" "$@" "$dir/new" "fuzz/corpora/$name" >"$dir/fuzz.log" 2>&1 || status=failed
	merge_back "$t" "$dir" || status=failed
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
	added=$(cat "$dir/added" 2>/dev/null || echo 0)
	found=$(ls "$dir/artifacts" | tr '\n' ' ')
	[ -z "$found" ] || status=failed
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "${execs:-?}" "${added:-0}" "$found" >"$dir/result"
}

echo "fuzzing$(for t in $targets; do printf ' %s' "${t%_fuzzer}"; done) for $minutes min each, $JOBS at once; work in $WORK"
running=0
for t in $targets; do
	campaign_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n 2>/dev/null || wait
		running=$((running - 1))
	fi
done
wait

failed=0
printf '\n%-20s %-7s %12s %9s  %s\n' target status executions kept findings
for t in $targets; do
	name=${t%_fuzzer}
	r=$WORK/$name/result
	if [ ! -f "$r" ]; then
		printf '%-20s %-7s\n' "$name" lost
		failed=1
		continue
	fi
	IFS='	' read -r n status execs added found <"$r"
	printf '%-20s %-7s %12s %9s  %s\n' "$n" "$status" "$execs" "$added" "$found"
	if [ "$status" != ok ]; then
		failed=1
		grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|ALARM|out-of-memory" \
			"$WORK/$name/fuzz.log" | sed 's/^/    /' || true
		echo "    log: $WORK/$name/fuzz.log; replay: $BUILD/fuzz/${n}_fuzzer FILE"
	fi
done
exit $failed
