#!/bin/sh
# End-to-end tests of reading Apple reports (.ips, .crash text): every command recognises them
# by content or takes --from, every output is written from them, directory walks pick them up,
# --symbols symbolicates them, what is not an Apple crash report fails clearly, cut-off input
# keeps what is complete. The .ips written pass lldb's JSON crashlog rules
# (lldb_json_rules.py); macOS .crash text is read by @electron/symbolicate-mac itself when
# tests/fetch-symbolicate-mac.sh could fetch it (skipped otherwise).
# usage: apple_read.sh path/to/crashport SOURCE_DIR
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
CP=$1
SRC=$2
FX=$SRC/fixtures
A=$FX/apple
M=$FX/macho/x86_64
CORPUS=$SRC/../shared/corpus/apple
. "$LIB"

# -- every output from every fixture, as the goldens have it ---------------------------------
for f in "$A"/*.ips "$A"/*.crash; do
	name=$(basename "$f")
	case "$name" in bug-type-288-*) continue ;; esac
	for to in apple ips json; do
		ext=$to; [ "$to" = apple ] && ext=crash
		expect_exit 0 "$CP" convert -q --to "$to" "$f"
		same_file "$T/out" "$FX/expected/apple/$name.$ext"
	done
	expect_exit 0 "$CP" convert -q --to crpb -o "$T/$name.crpb" "$f"
	case "$name" in two-reports*) ;; *) # a minidump holds one report
		expect_exit 0 "$CP" convert -q --to minidump -o "$T/$name.dmp" "$f" ;;
	esac
done

# -- CRPB is lossless: .ips -> crpb -> ips is .ips -> ips, and the same for .crash ------------
for f in "$A/ios17-arm64-nsexception.ips" "$A/macos14-translated-report.crash"; do
	name=$(basename "$f")
	for to in ips apple; do
		"$CP" convert -q --to "$to" -o "$T/direct.$to" "$f"
		"$CP" convert -q --to "$to" -o "$T/via.$to" "$T/$name.crpb"
		same_file "$T/direct.$to" "$T/via.$to"
	done
done
# .crash -> .ips -> .crash is .crash -> .crash (the .ips keeps what only the text says); the
# .crash of an .ips says less than the .ips, as Apple's translation does, but says it again
"$CP" convert -q --to ips -o "$T/step.ips" "$A/macos11-legacy-sigill.crash"
"$CP" convert -q --to apple -o "$T/twice.crash" "$T/step.ips"
"$CP" convert -q --to apple -o "$T/once.crash" "$A/macos11-legacy-sigill.crash"
same_file "$T/once.crash" "$T/twice.crash"
"$CP" convert -q --to apple -o "$T/step.crash" "$A/ios17-arm64-nsexception.ips"
"$CP" convert -q --to ips -o "$T/step2.ips" "$T/step.crash"
"$CP" convert -q --to apple -o "$T/again.crash" "$T/step2.ips"
same_file "$T/step.crash" "$T/again.crash"

# -- recognised by content, whatever the name; --from forces a format -------------------------
cp "$A/ios17-arm64-nsexception.ips" "$T/report.txt"
cp "$A/macos11-legacy-sigill.crash" "$T/other.log"
expect_exit 0 "$CP" info "$T/report.txt"
contains "$T/out" "Lumen \[2201\]"
expect_exit 0 "$CP" info "$T/other.log"
contains "$T/out" "Quill \[3012\]"
expect_exit 0 sh -c "\"$CP\" convert -q --to json - < \"$T/other.log\""
contains "$T/out" '"process_name": "Quill"'
expect_exit 0 "$CP" validate "$A/macos14-x86_64-rosetta-badaccess.ips"
expect_exit 0 "$CP" convert -q --from ips --to json "$T/report.txt"
expect_exit 0 "$CP" convert -q --from apple --to json "$T/other.log"
"$CP" convert -q --from ips --to json -o "$T/as-ips.json" "$T/report.txt"
expect_exit 0 "$CP" convert -q --from apple --to json "$T/report.txt" # the text reader takes .ips too
same_file "$T/out" "$T/as-ips.json"
expect_exit 1 "$CP" convert -q --from ips --to json "$T/other.log"
expect_exit 1 "$CP" convert -q --from json --to json "$T/other.log"
expect_exit 1 "$CP" validate --from crpb "$T/other.log"

# -- what is not an Apple crash report -------------------------------------------------------
expect_exit 1 "$CP" convert -q --to apple "$A/bug-type-288-stackshot.ips"
contains "$T/err" "bug-type-288-stackshot.ips:1:1: not a crash report (bug_type 288)"
printf 'Hello: world\nnothing here\n' > "$T/hello.crash"
expect_exit 1 "$CP" convert -q --from apple --to json "$T/hello.crash"
contains "$T/err" "hello.crash:1:1: not an Apple crash report"

# -- directories: *.crash and *.ips are taken; each failure is reported, the rest converted ----
expect_exit 1 "$CP" convert -q --to json -o "$T/walk" "$A"
count=$(ls "$T/walk" | wc -l)
if [ "$count" -eq 8 ]; then ok; else bad "directory walk wrote $count files, want 8"; fi
contains "$T/err" "bug_type 288"

# -- cut-off input: what is complete, with a warning; --strict makes it an error --------------
head -c 3000 "$A/ios17-arm64-nsexception.ips" > "$T/cut.ips"
expect_exit 0 "$CP" convert --to apple "$T/cut.ips"
contains "$T/err" "input ends inside the report; kept what was complete"
contains "$T/out" "Lumen \[2201\]"
expect_exit 1 "$CP" convert --strict --to apple "$T/cut.ips"
sed '/^Binary Images:/,$d' "$A/macos11-legacy-sigill.crash" > "$T/cut.crash"
expect_exit 0 "$CP" convert --to json "$T/cut.crash"
contains "$T/err" "the report ends before its Binary Images list"
contains "$T/out" '"incomplete": true'

# -- --symbols: frames as image + offset (text) or imageIndex + imageOffset (.ips) ------------
"$CP" convert -q --to ips -o "$T/demo.ips" "$FX/macho/report-x86_64.json"
"$CP" convert -q --to apple -o "$T/demo.crash" "$T/demo.ips"
for f in demo.ips demo.crash; do
	expect_exit 0 "$CP" convert -q --to apple --symbols "$M" "$T/$f"
	contains "$T/out" "0x10a7c3542 leaf_math (in Demo) (demo.c:16)"
	contains "$T/out" "0x10a7c3542 crash_here (in Demo) (demo.c:58)"
	contains "$T/out" "0x10b00028d lib_scale (in libdemo.dylib) (lib.c:19)"
done
expect_exit 0 "$CP" convert -q --to ips --symbols "$M" "$T/demo.ips"
contains "$T/out" '"symbol":"leaf_math"'
contains "$T/out" '"sourceFile":"demo.c"'
# a symbolicated report read again: its frames stay as they are, with or without --symbols
"$CP" convert -q --to apple --symbols "$M" -o "$T/sym.crash" "$T/demo.crash"
expect_exit 0 "$CP" convert -q --to apple --symbols "$M" "$T/sym.crash"
same_file "$T/out" "$T/sym.crash"
expect_exit 0 "$CP" convert -q --to apple "$T/sym.crash"
same_file "$T/out" "$T/sym.crash"

# -- the corpus: every Apple report reads, the one that is not one fails clearly --------------
if [ -d "$CORPUS" ]; then
	for f in "$CORPUS"/*.ips "$CORPUS"/*.crash; do
		case "$f" in
		*NEGATIVE*)
			expect_exit 1 "$CP" convert -q --from apple --to json "$f"
			contains "$T/err" "1:1: not an Apple crash report" ;;
		*) expect_exit 0 "$CP" convert -q --to json "$f" ;;
		esac
	done
else
	echo "note: ../shared/corpus/apple not found; corpus checks skipped"
fi

# -- lldb's JSON crashlog parser: what it needs of every .ips we write -------------------------
if command -v python3 >/dev/null; then
	"$CP" convert -q --to ips -o "$T/lldb" "$A" "$FX/kscrash" 2>/dev/null
	[ -d "$CORPUS" ] && "$CP" convert -q --to ips -o "$T/lldb/corpus" "$CORPUS" 2>/dev/null
	files=$(find "$T/lldb" -name '*.ips' ! -name 'stream-*' ! -name 'two-reports*')
	# shellcheck disable=SC2086 # one argument per file
	expect_exit 0 python3 "$(dirname "$LIB")/lldb_json_rules.py" $files
	cat "$T/out"
fi

# -- @electron/symbolicate-mac reads our macOS text and symbolicates it with our .sym ----------
PKG=$(dirname "$CP")/symbolicate-mac/node_modules/@electron/symbolicate-mac
if [ -f "$PKG/index.js" ] && command -v node >/dev/null; then
	"$CP" dump-syms -o "$T/Demo.sym" "$M/Demo" "$M/Demo.dSYM"
	"$CP" dump-syms -o "$T/libdemo.sym" "$M/libdemo.dylib" "$M/libdemo.dylib.dSYM"
	"$CP" convert -q --to apple -o "$T/k.crash" "$FX/macho/report-x86_64.json" # from KSCrash
	for f in k.crash demo.crash; do                                          # and from Apple input
		expect_exit 0 node "$(dirname "$LIB")/symbolicate-mac.mjs" "$PKG" "$T/$f" "$T/Demo.sym" "$T/libdemo.sym"
		contains "$T/out" "0x10a7c3542 crash_here$"
		contains "$T/out" "0x10a7c360e demo_main$"
		contains "$T/out" "0x10b00028d lib_scale$"
	done
else
	echo "note: @electron/symbolicate-mac not fetched (tests/fetch-symbolicate-mac.sh); its check skipped"
fi

echo "cli apple_read: $n checks, $fails failed"
[ "$fails" -eq 0 ]
