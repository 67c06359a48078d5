#!/bin/sh
# Batch benchmark: 1,000 reports (cycled from the inputs) converted to JSON with -j1 and -j2,
# best wall time of interleaved rounds, next to the bare-yajl floor on the same bytes.
# Outputs go to a fresh directory on tmpfs when there is one, so the figures are CPU, not disk.
# usage: batch.sh CRASHPORT CRASHPORT_BENCH INPUT_DIR...
set -eu
CP=$1 BENCH=$2
shift 2
ROUNDS=${ROUNDS:-5}
COUNT=${COUNT:-1000}
base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
W=$(mktemp -d "$base/crashport-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# The inputs: every report the reader takes without warnings, cycled up to COUNT files.
mkdir "$W/in"
find "$@" -maxdepth 1 -name '*.json' -type f | sort > "$W/all"
: > "$W/ok"
while read -r f; do
	"$CP" validate --json "$f" 2>/dev/null | grep -q '"warnings":0,' && echo "$f" >> "$W/ok"
done < "$W/all"
[ -s "$W/ok" ] || { echo "batch bench: no usable inputs" >&2; exit 1; }
i=0
while [ "$i" -lt "$COUNT" ]; do
	while read -r f && [ "$i" -lt "$COUNT" ]; do
		i=$((i + 1))
		cp "$f" "$W/in/r$i.json"
	done < "$W/ok"
done
bytes=$(cat "$W/in"/*.json | wc -c)

now() { date +%s.%N; }
run() { # run JOBS ROUND: seconds of one conversion of the whole set into a fresh directory
	t0=$(now)
	"$CP" convert --to json -q -j "$1" -o "$W/out-$1-$2" "$W/in"
	t1=$(now)
	rm -rf "$W/out-$1-$2"
	echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }'
}
best1=999999 best2=999999
r=1
while [ "$r" -le "$ROUNDS" ]; do
	t=$(run 1 "$r"); best1=$(echo "$t $best1" | awk '{ print ($1 < $2) ? $1 : $2 }')
	t=$(run 2 "$r"); best2=$(echo "$t $best2" | awk '{ print ($1 < $2) ? $1 : $2 }')
	r=$((r + 1))
done
floor=$("$BENCH" -r 3 -t 0.3 "$W/in" | awk '/bare yajl/ { print $(NF-1) }')

echo
echo "crashport batch bench: $COUNT reports, $(echo "$bytes" | awk '{ printf "%.1f", $1 / 1e6 }') MB," \
	"json output to $base; best of $ROUNDS interleaved rounds, $(nproc) CPUs"
awk -v b="$bytes" -v t1="$best1" -v t2="$best2" -v n="$COUNT" -v floor="$floor" 'BEGIN {
	printf "  bare yajl floor (1 thread)      %9.1f MB/s\n", floor
	printf "  convert -j1   %7.3f s  %7.0f reports/s  %7.1f MB/s  %.2fx floor\n", t1, n / t1, b / t1 / 1e6, b / t1 / 1e6 / floor
	printf "  convert -j2   %7.3f s  %7.0f reports/s  %7.1f MB/s  %.2fx floor\n", t2, n / t2, b / t2 / 1e6, b / t2 / 1e6 / floor
	printf "  speed-up -j2 / -j1: %.2fx (goal >= 1.8x)\n", t1 / t2
}'
