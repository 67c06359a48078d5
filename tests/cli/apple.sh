#!/bin/sh
# End-to-end tests of `crashport convert --to apple|ips` and --style: outputs byte for byte
# against the goldens, output names, option errors. usage: apple.sh path/to/crashport SOURCE_DIR
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
CP=$1
SRC=$2
FX=$SRC/fixtures
CORPUS=$SRC/../shared/corpus/kscrash
. "$LIB"

# -- stdout, both styles, .ips ------------------------------------------------------------
for f in ios17-arm64e-badaccess ios7-armv7-deadlock-objversion macos-x86_64-recrash-old-layout; do
	expect_exit 0 "$CP" convert --to apple "$FX/kscrash/$f.json"
	same_file "$T/out" "$FX/expected/$f.crash"
	expect_exit 0 "$CP" convert --to apple --style kscrash "$FX/kscrash/$f.json"
	same_file "$T/out" "$FX/expected/$f.kscrash.crash"
	expect_exit 0 "$CP" convert --to apple -O style=kscrash "$FX/kscrash/$f.json"
	same_file "$T/out" "$FX/expected/$f.kscrash.crash"
	expect_exit 0 "$CP" convert --to ips "$FX/kscrash/$f.json"
	same_file "$T/out" "$FX/expected/$f.ips"
done
expect_exit 0 "$CP" convert --to apple --style apple "$FX/kscrash/ios12-arm64-nsexception.json"
same_file "$T/out" "$FX/expected/ios12-arm64-nsexception.crash"
expect_exit 0 "$CP" convert --to apple --style nope --style kscrash "$FX/kscrash/ios12-arm64-nsexception.json"
same_file "$T/out" "$FX/expected/ios12-arm64-nsexception.kscrash.crash"

# -- several inputs into a directory: <stem>.crash, <stem>.ips -------------------------------
expect_exit 0 "$CP" convert --to apple -o "$T/crash" "$FX/kscrash/ios12-arm64-nsexception.json" \
	"$FX/kscrash/stream-three-reports.ndjson"
same_file "$T/crash/ios12-arm64-nsexception.crash" "$FX/expected/ios12-arm64-nsexception.crash"
same_file "$T/crash/stream-three-reports.crash" "$FX/expected/stream-three-reports.crash"
expect_exit 0 "$CP" convert --to ips -o "$T/ips/" "$FX/kscrash/ios18-watchdog-hang.json"
same_file "$T/ips/ios18-watchdog-hang.ips" "$FX/expected/ios18-watchdog-hang.ips"

# -- options --------------------------------------------------------------------------------
expect_exit 0 "$CP" convert --help
contains "$T/out" "--style STYLE"
contains "$T/out" "json apple ips"
expect_exit 2 "$CP" convert --to apple --style nope "$FX/kscrash/ios12-arm64-nsexception.json"
contains "$T/err" "apple: unsupported option 'style=nope'"
expect_exit 2 "$CP" convert --to apple -O layout=legacy "$FX/kscrash/ios12-arm64-nsexception.json"
contains "$T/err" "layout= and frames= need style=kscrash"
expect_exit 2 "$CP" convert --to ips --style kscrash "$FX/kscrash/ios12-arm64-nsexception.json"
contains "$T/err" "ips: unsupported option 'style=kscrash'"

# -- KSCrash's own text, when the corpus is there --------------------------------------------
if [ -d "$CORPUS" ]; then
	expect_exit 0 "$CP" convert --to apple --style kscrash "$CORPUS/ks-v2.0-armv7-ios4-nsexception.json"
	same_file "$T/out" "$CORPUS/ks-v2.0-armv7-ios4-nsexception.apple.txt"
fi

echo "cli apple: $n checks, $fails failed"
[ "$fails" -eq 0 ]
