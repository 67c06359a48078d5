#!/bin/sh
# End-to-end tests of symbolication in the CLI: convert --symbols and atos, outputs byte for byte
# against fixtures/macho/expected (regenerate deliberately with fixtures/macho/regen-goldens.sh).
# Runs from the source tree so paths in the outputs are relative and portable.
# usage: symbols.sh path/to/crashport SOURCE_DIR
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
CP=$1
cd "$2" || exit 1
M=fixtures/macho
E=$M/expected
. "$LIB"

# -- convert --symbols ----------------------------------------------------------------------
expect_exit 0 "$CP" convert --to json --symbols $M/x86_64 $M/report-x86_64.json
same_file "$T/out" $E/report-x86_64.json
contains "$T/err" "report-x86_64.json: binary_images\[2\]: warning: no symbols for image /usr/lib/system/libsystem_kernel.dylib (UUID 0F1E2D3C-4B5A-3968-8776-655443322110): 1 frame not symbolicated"
contains "$T/err" "report-x86_64.json: crash.threads\[0\].backtrace.contents\[5\]: warning: 1 frame lies outside every binary image"
# a dSYM bundle alone, repeated --symbols, the universal file's other architectures ignored
expect_exit 0 "$CP" convert -q --to json --symbols $M/arm64e/Demo.dSYM --symbols $M/universal \
	$M/report-arm64e-recrash.json
same_file "$T/out" $E/report-arm64e-recrash.json
# the symbolicated JSON reads back and writes the same bytes
expect_exit 0 "$CP" convert -q --to json $E/report-x86_64.json
same_file "$T/out" $E/report-x86_64.json
# symbolication survives CRPB: its Apple text equals the direct conversion's ("+ offset" included)
expect_exit 0 "$CP" convert -q --to apple --symbols $M/x86_64 $M/report-x86_64.json
mv "$T/out" "$T/direct.crash"
expect_exit 0 "$CP" convert -q --to crpb --symbols $M/x86_64 -o "$T/sym.crpb" $M/report-x86_64.json
expect_exit 0 "$CP" convert -q --to apple "$T/sym.crpb"
same_file "$T/out" "$T/direct.crash"
contains "$T/out" "step2 + 23 (demo.c:66)"
# without --symbols nothing changes
expect_exit 0 "$CP" convert -q --to json $M/report-x86_64.json
if grep -q '"symbolicated"' "$T/out"; then bad "symbolicated without --symbols"; else ok; fi
# bad symbol paths are usage errors
expect_exit 2 "$CP" convert --to json --symbols $M/nonexistent $M/report-x86_64.json
contains "$T/err" "convert: --symbols: $M/nonexistent: No such file or directory"
expect_exit 2 "$CP" convert --to json --symbols $M/make.sh $M/report-x86_64.json
contains "$T/err" "not a Mach-O file"
# a damaged Mach-O inside a directory is skipped with a warning
mkdir -p "$T/syms"
cp $M/x86_64/Demo "$T/syms/Demo"
head -c 600 $M/x86_64/libdemo.dylib >"$T/syms/broken.dylib"
expect_exit 0 "$CP" convert --to json --symbols "$T/syms" $M/report-x86_64.json
contains "$T/err" "warning: $T/syms/broken.dylib: skipped: $T/syms/broken.dylib: "
contains "$T/out" '"function": "crash_here"'

# -- workers share one symbolicator: -j2 and -j4 write what -j1 writes -------------------------
mkdir -p "$T/many"
i=0
while [ $i -lt 40 ]; do
	cp $M/report-x86_64.json "$T/many/x-$i.json"
	cp $M/report-arm64e-recrash.json "$T/many/a-$i.json"
	i=$((i + 1))
done
for fmt in json apple; do
	for j in 1 2 4; do
		expect_exit 0 "$CP" convert --progress=none --to $fmt --symbols $M -j$j -o "$T/$fmt-j$j" "$T/many"
		mv "$T/err" "$T/$fmt-j$j.err"
	done
	for j in 2 4; do
		if diff -r "$T/$fmt-j1" "$T/$fmt-j$j" >/dev/null; then ok; else bad "convert --to $fmt -j$j differs from -j1"; fi
		sed 's/ in [0-9.]* s.*//' "$T/$fmt-j1.err" >"$T/e1" # the summary's time varies
		sed 's/ in [0-9.]* s.*//' "$T/$fmt-j$j.err" >"$T/ej"
		same_file "$T/ej" "$T/e1"
	done
done
# every copy symbolicated alike (the golden itself used --symbols $M/x86_64 alone)
same_file "$T/json-j2/x-39.json" "$T/json-j1/x-0.json"
contains "$T/json-j2/x-39.json" '"function": "crash_here"'
contains "$T/apple-j2/a-17.crash" "(demo.c:"
# --ndjson workers too
for f in "$T"/many/*.json; do tr -d '\n' <"$f"; echo; done >"$T/many.ndjson"
expect_exit 0 sh -c "\"$CP\" convert --ndjson --to apple --symbols $M -j1 <\"$T/many.ndjson\""
mv "$T/out" "$T/nd-j1"
expect_exit 0 sh -c "\"$CP\" convert --ndjson --to apple --symbols $M -j2 <\"$T/many.ndjson\""
same_file "$T/out" "$T/nd-j1"
contains "$T/out" 'step2 + 23 (demo.c:66)'

# -- atos -----------------------------------------------------------------------------------
addrs=$(awk -F'\t' '$1 == "x86_64/Demo" && $3 == "dsym" && ($5 ~ /^(crash_here|step2|leaf_math|middle_math|outer_math|demo::Widget)/) { print $4 }' $M/expected.tsv)
expect_exit 0 "$CP" atos -o $M/x86_64/Demo $addrs
same_file "$T/out" $E/atos-x86_64.txt
expect_exit 0 "$CP" atos -i -o $M/x86_64/Demo $addrs
same_file "$T/out" $E/atos-x86_64-inlines.txt
expect_exit 0 "$CP" atos -o $M/x86_64/Demo.stripped $addrs
same_file "$T/out" $E/atos-x86_64-stripped.txt
# addresses from stdin, the same answers
printf '%s\n' $addrs >"$T/addrs"
expect_exit 0 sh -c "\"$CP\" atos -o $M/x86_64/Demo < \"$T/addrs\""
same_file "$T/out" $E/atos-x86_64.txt
expect_exit 0 "$CP" atos -o $M/x86_64/Demo -f "$T/addrs"
same_file "$T/out" $E/atos-x86_64.txt
# addresses known up front are looked up in address order and printed in input order: out of
# order, repeated and unknown ones answer as they do one at a time from a pipe
{ printf '%s\n' $addrs | sort -r; printf '%s\n' $addrs; echo 0x1; printf '%s\n' $addrs | head -3; } >"$T/mixed"
expect_exit 0 sh -c "cat \"$T/mixed\" | \"$CP\" atos -i -o $M/x86_64/Demo"
mv "$T/out" "$T/mixed-piped"
count_lines "$T/mixed" $(( 2 * $(echo "$addrs" | wc -l) + 4 ))
for j in 1 3; do
	expect_exit 0 "$CP" atos -i -j$j -o $M/x86_64/Demo -f "$T/mixed"
	same_file "$T/out" "$T/mixed-piped"
done
# more than one window of 65,536 addresses: the same answers in the same order
n_mixed=$(wc -l <"$T/mixed")
reps=$(( 140000 / n_mixed + 1 ))
for _ in $(seq $reps); do cat "$T/mixed"; done >"$T/mixed-many"
for _ in $(seq $reps); do cat "$T/mixed-piped"; done >"$T/mixed-many-expected"
for j in 1 2; do
	expect_exit 0 "$CP" atos -i -j$j -o $M/x86_64/Demo -f "$T/mixed-many"
	same_file "$T/out" "$T/mixed-many-expected"
done
first=$(echo "$addrs" | head -1)
# -l: run-time addresses; -s: a slide; -offset: offsets into __TEXT; all give the same answer
first_answer=$(head -1 $E/atos-x86_64.txt)
expect_exit 0 "$CP" atos -o $M/x86_64/Demo -l 0x10a7c3000 "$(printf '0x%x' $((first - 0x100000000 + 0x10a7c3000)))"
if [ "$(cat "$T/out")" = "$first_answer" ]; then ok; else bad "atos -l: $(cat "$T/out")"; fi
expect_exit 0 "$CP" atos -o $M/x86_64/Demo -s a7c3000 "$(printf '%x' $((first + 0xa7c3000)))"
if [ "$(cat "$T/out")" = "$first_answer" ]; then ok; else bad "atos -s: $(cat "$T/out")"; fi
expect_exit 0 "$CP" atos -o $M/x86_64/Demo -offset "$(printf '0x%x' $((first - 0x100000000)))"
if [ "$(cat "$T/out")" = "$first_answer" ]; then ok; else bad "atos -offset: $(cat "$T/out")"; fi
expect_exit 0 "$CP" atos -o $M/x86_64/Demo -fullPath "$first"
contains "$T/out" "(in Demo) (/crashport/src/demo.c:"
# unknown addresses come back as they were given
expect_exit 0 "$CP" atos -o $M/x86_64/Demo 0x1 0x7fff00000000
if [ "$(cat "$T/out")" = "$(printf '0x1\n0x7fff00000000')" ]; then ok; else bad "unknown addresses: $(cat "$T/out")"; fi
# universal files need -arch; -arch picks the slice
expect_exit 1 "$CP" atos -o $M/universal/Demo "$first"
contains "$T/err" "has several architectures; choose one with -arch: x86_64 armv7"
expect_exit 0 "$CP" atos -o $M/universal/Demo -arch x86_64 "$first"
if [ "$(cat "$T/out")" = "$first_answer" ]; then ok; else bad "atos -arch x86_64: $(cat "$T/out")"; fi
expect_exit 0 "$CP" atos -o $M/universal/Demo --arch armv7 0x1000
count_lines "$T/out" 1
expect_exit 1 "$CP" atos -o $M/universal/Demo -arch arm64 0x1000
contains "$T/err" "has no arm64 slice"
# usage errors and bad input
expect_exit 2 "$CP" atos 0x1000
contains "$T/err" "atos: -o FILE is required"
expect_exit 2 "$CP" atos -o $M/x86_64/Demo -l 0x1000 -s 0x10 0x1000
expect_exit 2 "$CP" atos -o $M/x86_64/Demo -l zz 0x1000
expect_exit 1 "$CP" atos -o $M/x86_64/Demo nothex 0x100000000
contains "$T/err" "'nothex' is not a hex address"
count_lines "$T/out" 1
expect_exit 1 "$CP" atos -o $M/nonexistent 0x1000
contains "$T/err" "No such file or directory"
expect_exit 0 "$CP" atos --help
contains "$T/out" "usage: crashport atos -o FILE"

# -- symbol caches: crashport symcache, --symbols CACHE, atos -o CACHE, --symbols-cache DIR -----
expect_exit 0 "$CP" symcache -o "$T/demo.symcache" $M/x86_64/Demo $M/x86_64/Demo.dSYM
expect_exit 0 "$CP" atos -o "$T/demo.symcache" $addrs
same_file "$T/out" $E/atos-x86_64.txt
expect_exit 0 "$CP" atos -i -o "$T/demo.symcache" $addrs
same_file "$T/out" $E/atos-x86_64-inlines.txt
expect_exit 0 "$CP" atos -i -j1 -o "$T/demo.symcache" -f "$T/addrs"
same_file "$T/out" $E/atos-x86_64-inlines.txt
# -o -: stdout, the same bytes
expect_exit 0 "$CP" symcache -o - $M/x86_64/Demo $M/x86_64/Demo.dSYM
if cmp -s "$T/demo.symcache" "$T/out"; then ok; else bad "symcache -o - wrote other bytes"; fi
if [ ! -e ./- ]; then ok; else bad "symcache -o - wrote a file named -"; fi
# its units indexed by three threads: the same file
expect_exit 0 "$CP" symcache -j 3 -o "$T/demo-j3.symcache" $M/x86_64/Demo $M/x86_64/Demo.dSYM
if cmp -s "$T/demo.symcache" "$T/demo-j3.symcache"; then ok; else bad "symcache -j 3 wrote another file"; fi
expect_exit 2 "$CP" symcache -j 0 -o "$T/j0.symcache" $M/x86_64/Demo
contains "$T/err" "symcache: --jobs takes a number from 1 to 256, not '0'"
# a store of every slice: the layout --symbols-cache reads
expect_exit 0 "$CP" symcache --store "$T/store" $M/universal/Demo $M/universal/Demo.dSYM
count_lines "$T/out" 2
contains "$T/out" "$T/store/4C4C44A0-5555-3144-A1CF-F0578D97933E/armv7.symcache"
expect_exit 0 "$CP" symcache --store "$T/store" $M/arm64e/Demo $M/arm64e/Demo.dSYM
# convert from caches alone writes what convert from the files writes
expect_exit 0 "$CP" convert -q --to json --symbols "$T/store" $M/report-arm64e-recrash.json
mv "$T/out" "$T/from-caches.json"
expect_exit 0 "$CP" convert -q --to json --symbols $M/arm64e/Demo --symbols $M/arm64e/Demo.dSYM --symbols $M/universal \
	$M/report-arm64e-recrash.json
same_file "$T/from-caches.json" "$T/out"
# --symbols-cache: written on first use, reused (same file), the same output each time
expect_exit 0 "$CP" convert -q --to json --symbols $M/x86_64 --symbols-cache "$T/cdir" $M/report-x86_64.json
same_file "$T/out" $E/report-x86_64.json
cached="$T/cdir/4C4C44D7-5555-3144-A1ED-9D98060FB335/x86_64.symcache"
if [ -f "$cached" ]; then ok; else bad "--symbols-cache wrote no $cached"; fi
before=$(ls -i "$cached" 2>/dev/null)
expect_exit 0 "$CP" convert -q --to json --symbols $M/x86_64 --symbols-cache "$T/cdir" $M/report-x86_64.json
same_file "$T/out" $E/report-x86_64.json
if [ "$(ls -i "$cached" 2>/dev/null)" = "$before" ]; then ok; else bad "a fresh cache was written again"; fi
# usage
expect_exit 2 "$CP" symcache $M/x86_64/Demo
contains "$T/err" "give -o FILE or --store DIR"
expect_exit 2 "$CP" symcache -o "$T/u.symcache" $M/universal/Demo
contains "$T/err" "has 2 slices"
expect_exit 1 "$CP" symcache -o "$T/n.symcache" $M/nonexistent
expect_exit 2 "$CP" convert --to json --index-memory 0 $M/report-x86_64.json
expect_exit 0 "$CP" symcache --help
contains "$T/out" "usage: crashport symcache"

echo "cli symbols: $n checks, $fails failed"
[ "$fails" -eq 0 ]
