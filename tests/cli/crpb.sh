#!/bin/sh
# End-to-end tests of CRPB through the crashport CLI: every command reads .crpb by its magic,
# JSON -> CRPB -> JSON gives the JSON goldens byte for byte, archives are listed by info,
# damage fails the input with its offset. usage: crpb.sh path/to/crashport SOURCE_DIR
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
CP=$1
SRC=$2
FX=$SRC/fixtures
. "$LIB"

# -- every fixture: JSON -> CRPB -> JSON equals the golden ------------------------------------
for f in "$FX"/kscrash/*.json "$FX"/kscrash/*.ndjson; do
	name=$(basename "$f"); stem=${name%.*}
	expect_exit 0 "$CP" convert -q --to crpb -o "$T/$stem.crpb" "$f"
	expect_exit 0 "$CP" convert -q --to json "$T/$stem.crpb"
	same_file "$T/out" "$FX/expected/$stem.json"
done

# -- stdin, directories, determinism, options -------------------------------------------------
expect_exit 0 sh -c "\"$CP\" convert --to json - < \"$T/ios18-watchdog-hang.crpb\""
same_file "$T/out" "$FX/expected/ios18-watchdog-hang.json"
expect_exit 0 "$CP" convert -q --to crpb -o "$T/dir" "$FX/kscrash/ios12-arm64-nsexception.json" "$T/ios17-arm64e-badaccess.crpb"
if [ -f "$T/dir/ios12-arm64-nsexception.crpb" ] && [ -f "$T/dir/ios17-arm64e-badaccess.crpb" ]; then ok; else bad "outputs in dir"; fi
same_file "$T/dir/ios17-arm64e-badaccess.crpb" "$T/ios17-arm64e-badaccess.crpb"
expect_exit 0 "$CP" convert -q --to crpb -O codec=deflate -O level=9 -o "$T/deflate.crpb" "$FX/kscrash/quirks-odd-values.json"
expect_exit 0 "$CP" convert -q --to json "$T/deflate.crpb"
same_file "$T/out" "$FX/expected/quirks-odd-values.json"
expect_exit 2 "$CP" convert --to crpb -O codec=lzma -o "$T/x.crpb" "$FX/kscrash/quirks-odd-values.json"
contains "$T/err" "unsupported option 'codec=lzma'"

# -- --from forces a format; without it every command recognises the bytes --------------------
expect_exit 0 "$CP" convert -q --from crpb --to json "$T/ios18-watchdog-hang.crpb"
same_file "$T/out" "$FX/expected/ios18-watchdog-hang.json"
expect_exit 1 "$CP" convert -q --from json --to json "$T/ios18-watchdog-hang.crpb"
contains "$T/err" "ios18-watchdog-hang.crpb:1:1: lexical error"
expect_exit 1 "$CP" validate --from crpb "$FX/kscrash/ios18-watchdog-hang.json"
contains "$T/out" "INVALID"
expect_exit 0 "$CP" validate --from crpb "$T/ios18-watchdog-hang.crpb"
expect_exit 0 "$CP" info --from json "$FX/kscrash/ios18-watchdog-hang.json"
expect_exit 1 "$CP" info --from json "$T/stream-three-reports.crpb"
lacks "$T/out" "CRPB archive"
expect_exit 2 "$CP" convert --from minidump --to json "$T/ios18-watchdog-hang.crpb"
contains "$T/err" "unknown input format 'minidump' (readable: json crpb apple ips)"
expect_exit 2 "$CP" info --from nope "$T/ios18-watchdog-hang.crpb"
expect_exit 2 "$CP" validate --from nope "$T/ios18-watchdog-hang.crpb"
expect_exit 0 "$CP" convert --help
contains "$T/out" "default \*.json \*.ndjson \*.jsonl \*.crpb \*.crash \*.ips)"

# -- info lists an archive, then summarises its reports ---------------------------------------
expect_exit 0 "$CP" info "$T/stream-three-reports.crpb"
contains "$T/out" "stream-three-reports.crpb: CRPB archive, 3 reports"
contains "$T/out" "^  3 .* 0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9  2025-10-09T08:53:20.000001Z"
contains "$T/out" "stream-three-reports.crpb (report 3)"
expect_exit 0 "$CP" info --json "$T/stream-three-reports.crpb"
if [ "$(grep -c '"archive_offset":' "$T/out")" -eq 3 ]; then ok; else bad "info --json: archive offsets"; fi
contains "$T/out" '"index":1,.*"archive_offset":16,'

# -- damage: a cut file and a flipped byte fail the input, named with the offset ---------------
size=$(wc -c < "$T/stream-three-reports.crpb")
head -c $((size - 20)) "$T/stream-three-reports.crpb" > "$T/cut.crpb"
expect_exit 1 "$CP" convert --to json -o "$T/cut.json" "$T/cut.crpb"
contains "$T/err" "cut.crpb: .*truncated\|cut.crpb: the archive ends"
if [ -e "$T/cut.json" ]; then bad "output written for a cut archive"; else ok; fi
# the second report's section, from the listing; one byte inside it flipped
"$CP" info --json "$T/stream-three-reports.crpb" > "$T/list"
second=$(sed -n 's/.*"index":2,.*"archive_offset":\([0-9]*\),.*/\1/p' "$T/list")
cp "$T/stream-three-reports.crpb" "$T/flip.crpb"
printf '\377' | dd of="$T/flip.crpb" bs=1 seek=$((second + 20)) conv=notrunc 2>/dev/null
expect_exit 1 "$CP" convert --to json "$T/flip.crpb"
contains "$T/err" "flip.crpb: section at offset $second: CRC mismatch"
expect_exit 1 "$CP" info "$T/flip.crpb"
contains "$T/err" "CRC mismatch"

echo "cli-crpb: $n checks, $fails failed"
[ "$fails" -eq 0 ]
