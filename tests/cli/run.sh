#!/bin/sh
# End-to-end tests of the crashport CLI: exit codes, outputs byte for byte, error lines,
# atomic outputs. usage: run.sh path/to/crashport SOURCE_DIR
set -u
CP=$1
SRC=$2
FX=$SRC/fixtures
. "$(dirname "$0")/lib.sh"

# -- usage and help -------------------------------------------------------------------------
expect_exit 0 "$CP" --version
contains "$T/out" "^crashport [0-9.]* (yajl [0-9.]*, zlib [0-9.]*)"
expect_exit 0 "$CP" --help
contains "$T/out" "usage: crashport COMMAND"
expect_exit 2 "$CP"
expect_exit 2 "$CP" frobnicate
contains "$T/err" "unknown command 'frobnicate'"
expect_exit 0 "$CP" convert --help
contains "$T/out" "exit status: 0 all converted, 1 some failed, 2 usage error"
expect_exit 2 "$CP" convert "$FX/kscrash/ios17-arm64e-badaccess.json"
contains "$T/err" "\-\-to FORMAT is required"
expect_exit 2 "$CP" convert --to nope "$FX/kscrash/ios17-arm64e-badaccess.json"
contains "$T/err" "unknown format 'nope'"
expect_exit 2 "$CP" convert --to json
expect_exit 2 "$CP" convert --to json "$FX/kscrash/ios12-arm64-nsexception.json" "$FX/kscrash/ios18-watchdog-hang.json"
contains "$T/err" "several inputs (or a directory) need -o DIR"

# -- one input: stdout, -o FILE, stdin --------------------------------------------------------
expect_exit 0 "$CP" convert --to json "$FX/kscrash/ios17-arm64e-badaccess.json"
same_file "$T/out" "$FX/expected/ios17-arm64e-badaccess.json"
expect_exit 0 "$CP" convert --to json -o "$T/single.json" "$FX/kscrash/ios12-arm64-nsexception.json"
same_file "$T/single.json" "$FX/expected/ios12-arm64-nsexception.json"
no_temporaries "$T"
expect_exit 0 sh -c "\"$CP\" convert --to json - < \"$FX/kscrash/ios18-watchdog-hang.json\""
same_file "$T/out" "$FX/expected/ios18-watchdog-hang.json"
# -o - is stdout, as - is stdin (no file named "-")
expect_exit 0 sh -c "cd \"$T\" && \"$CP\" convert --to json -o - - < \"$FX/kscrash/ios18-watchdog-hang.json\""
same_file "$T/out" "$FX/expected/ios18-watchdog-hang.json"
if [ -e "$T/-" ]; then bad "-o - wrote a file named -"; else ok; fi
# bytes read and written are counted for stdin and stdout as for files
expect_exit 0 sh -c "\"$CP\" convert --to json --report \"$T/stdin.jsonl\" - < \"$FX/kscrash/ios18-watchdog-hang.json\""
contains "$T/stdin.jsonl" "\"bytes_in\":$(wc -c < "$FX/kscrash/ios18-watchdog-hang.json"),\"bytes_out\":$(wc -c < "$FX/expected/ios18-watchdog-hang.json"),"
expect_exit 0 sh -c "\"$CP\" convert --to json -o \"$T/stdin-out\" - \"$FX/kscrash/ios18-watchdog-hang.json\" < \"$FX/kscrash/ios18-watchdog-hang.json\""
contains "$T/err" "2 converted, 0 failed of 2 inputs; 2 reports, 0 warnings; $(($(wc -c < "$FX/kscrash/ios18-watchdog-hang.json") * 2)) bytes read"
expect_exit 0 "$CP" convert --to json -O indent=0 "$FX/kscrash/ios18-watchdog-hang.json"
if [ "$(wc -l < "$T/out")" -eq 1 ]; then ok; else bad "indent=0 is not one line"; fi
expect_exit 2 "$CP" convert --to json -O colour=red "$FX/kscrash/ios18-watchdog-hang.json"
contains "$T/err" "^crashport: convert: json: unsupported option 'colour=red'$"
# a bad emitter option is one usage error before any work, however many inputs
mkdir -p "$T/many-in"
for i in $(seq 1 100); do cp "$FX/kscrash/ios18-watchdog-hang.json" "$T/many-in/r$i.json"; done
expect_exit 2 "$CP" convert --to json -O indnt=2 -o "$T/many-out" "$T/many-in"
count_lines "$T/err" 1
if [ -e "$T/many-out" ]; then bad "work was done before the usage error"; else ok; fi
expect_exit 2 sh -c "\"$CP\" convert --to json --ndjson -O indnt=2 </dev/null"
contains "$T/err" "unsupported option 'indnt=2'"

# -- several inputs into a directory, one of them bad -----------------------------------------
mkdir -p "$T/a" "$T/b"
cp "$FX/kscrash/ios12-arm64-nsexception.json" "$T/a/same.json"
cp "$FX/kscrash/ios18-watchdog-hang.json" "$T/b/same.json"
expect_exit 1 "$CP" convert --to json -o "$T/outdir" "$T/a/same.json" "$FX/invalid/missing-colon.json" \
	"$T/b/same.json" "$T/does-not-exist.json" "$FX/kscrash/truncated-mid-frame.json"
same_file "$T/outdir/same.json" "$FX/expected/ios12-arm64-nsexception.json"
same_file "$T/outdir/same-2.json" "$FX/expected/ios18-watchdog-hang.json"
same_file "$T/outdir/truncated-mid-frame.json" "$FX/expected/truncated-mid-frame.json"
if [ -e "$T/outdir/missing-colon.json" ]; then bad "output written for a failed input"; else ok; fi
no_temporaries "$T/outdir"
contains "$T/err" "^crashport: $FX/invalid/missing-colon.json:2:21: report.id: parse error: object key and value must be separated by a colon"
contains "$T/err" "^crashport: $T/does-not-exist.json: cannot open: No such file or directory"
contains "$T/err" "^crashport: $FX/kscrash/truncated-mid-frame.json:186:51: crash.threads\[0\].backtrace.contents\[3\].symbol_name: warning: input ends inside the report"
if [ "$(ls "$T/outdir" | wc -l)" -eq 3 ]; then ok; else bad "outdir has $(ls "$T/outdir" | wc -l) files"; fi
# -q silences warnings, not errors
expect_exit 1 "$CP" convert -q --to json -o "$T/outdir2/" "$FX/kscrash/truncated-mid-frame.json" "$FX/invalid/empty.json"
lacks "$T/err" "warning"
contains "$T/err" "empty.json:1:1: no report in input"
# an existing output is replaced only when the new one is complete
printf 'previous' > "$T/keep.json"
expect_exit 1 "$CP" convert --to json -o "$T/keep.json" "$FX/invalid/bad-escape.json"
if [ "$(cat "$T/keep.json")" = "previous" ]; then ok; else bad "failed conversion clobbered the output"; fi
no_temporaries "$T"
# unwritable destination
mkdir -p "$T/ro" && chmod 555 "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
	expect_exit 1 "$CP" convert --to json -o "$T/ro/x.json" "$FX/kscrash/ios18-watchdog-hang.json"
	contains "$T/err" "cannot create $T/ro/x.json"
fi

# outputs are created 0666 less the umask, like any file a shell redirection creates
for mask in 077:600 002:664 022:644; do
	(umask "${mask%:*}" && "$CP" convert --to json -o "$T/mode-${mask%:*}.json" "$FX/kscrash/ios18-watchdog-hang.json")
	got=$(stat -c %a "$T/mode-${mask%:*}.json")
	if [ "$got" = "${mask#*:}" ]; then ok; else bad "umask ${mask%:*}: output mode $got, want ${mask#*:}"; fi
done
(umask 077 && "$CP" convert --to json -o "$T/modes" "$FX/kscrash/ios18-watchdog-hang.json" "$FX/kscrash/ios12-arm64-nsexception.json" 2>/dev/null)
if [ "$(stat -c %a "$T/modes/ios12-arm64-nsexception.json")" = 600 ]; then ok; else bad "umask ignored in a batch"; fi
# a FIFO (or a device) named by -o is written in place, not replaced by a file
mkfifo "$T/pipe.json"
cat "$T/pipe.json" >"$T/from-pipe.json" &
reader=$!
expect_exit 0 "$CP" convert --to json -o "$T/pipe.json" "$FX/kscrash/ios18-watchdog-hang.json"
wait "$reader"
if [ -p "$T/pipe.json" ]; then ok; else bad "-o FIFO was replaced by a file"; fi
same_file "$T/from-pipe.json" "$FX/expected/ios18-watchdog-hang.json"

# write errors say what and why; a closed pipe ends the tool quietly, by SIGPIPE, as filters end
if [ -c /dev/full ]; then
	expect_exit 1 sh -c "\"$CP\" convert --to json \"$FX/kscrash/ios18-watchdog-hang.json\" >/dev/full"
	contains "$T/err" "ios18-watchdog-hang.json: cannot write stdout: No space left on device"
	expect_exit 1 sh -c "\"$CP\" convert --to json --ndjson <\"$FX/kscrash/stream-three-reports.ndjson\" >/dev/full"
	contains "$T/err" "^crashport: --ndjson: cannot write stdout: No space left on device"
fi
for i in $(seq 1 100); do cat "$FX/kscrash/stream-three-reports.ndjson"; done >"$T/many.ndjson"
mkfifo "$T/closed"
for mode in "" "--ndjson" "--ndjson -j2"; do
	if [ -z "$mode" ]; then
		"$CP" convert --to json "$T/many.ndjson" >"$T/closed" 2>"$T/err" &
	else
		# shellcheck disable=SC2086
		"$CP" convert --to json $mode <"$T/many.ndjson" >"$T/closed" 2>"$T/err" &
	fi
	pid=$!
	head -c 100 "$T/closed" >/dev/null
	wait "$pid"
	got=$?
	if [ "$got" -eq 141 ]; then ok; else bad "convert $mode into a closed pipe: exit $got, want 141 (SIGPIPE)"; fi
	if [ -s "$T/err" ]; then bad "convert $mode into a closed pipe printed: $(head -3 "$T/err")"; else ok; fi
done

# an output never replaces an input: the same name, a link, stdin, another input, --force
mkdir -p "$T/own/in"
cp "$FX/kscrash/ios18-watchdog-hang.json" "$T/own/x.json"
cp "$FX/kscrash/ios18-watchdog-hang.json" "$T/own/in/a.json"
cp "$FX/kscrash/ios12-arm64-nsexception.json" "$T/own/in/b.json"
ln "$T/own/x.json" "$T/own/link.json"
expect_exit 2 "$CP" convert --to json -o "$T/own/x.json" "$T/own/x.json"
contains "$T/err" "^crashport: convert: output $T/own/x.json is the input $T/own/x.json itself; choose another -o$"
expect_exit 2 "$CP" convert --to json -o "$T/own/link.json" "$T/own/x.json"
expect_exit 2 sh -c "\"$CP\" convert --to json -o \"$T/own/x.json\" - < \"$T/own/x.json\""
expect_exit 2 "$CP" convert --to json --force -o "$T/own/in" "$T/own/in"
cp "$FX/kscrash/ios18-watchdog-hang.json" "$T/own/in/x.json"
expect_exit 2 "$CP" convert --to json --force -o "$T/own/in" "$T/own/x.json" "$T/own/in/x.json"
contains "$T/err" "output $T/own/in/x.json (of $T/own/x.json) is the input $T/own/in/x.json;"
rm "$T/own/in/x.json"
same_file "$T/own/x.json" "$FX/kscrash/ios18-watchdog-hang.json"
same_file "$T/own/in/a.json" "$FX/kscrash/ios18-watchdog-hang.json"
expect_exit 0 "$CP" convert --to json -o "$T/own/in" "$T/own/in" # exists, so skipped: nothing replaced
contains "$T/err" "2 skipped"
expect_exit 0 "$CP" convert --to apple --force -o "$T/own/in" "$T/own/in"

# -- streams of several reports ---------------------------------------------------------------
expect_exit 0 "$CP" convert --to json "$FX/kscrash/stream-three-reports.ndjson"
same_file "$T/out" "$FX/expected/stream-three-reports.json"
if [ "$(grep -c '^{' "$T/out")" -eq 3 ]; then ok; else bad "expected three reports"; fi

# -- info -----------------------------------------------------------------------------------
expect_exit 0 "$CP" info "$FX/kscrash/ios17-arm64e-badaccess.json"
contains "$T/out" "Crash      mach  EXC_BAD_ACCESS (SIGSEGV) at 0x0000000000000010"
contains "$T/out" "Crashed    thread 0 (main), 6 frames"
expect_exit 0 "$CP" info --json "$FX/kscrash/stream-three-reports.ndjson"
if [ "$(wc -l < "$T/out")" -eq 3 ]; then ok; else bad "info --json: one line per report"; fi
contains "$T/out" '"index":2,"id":"DEADBEEF-0000-4000-8000-00000000F00D"'
contains "$T/out" '"exception":"EXC_CRASH","signal":"SIGKILL","reason":null'
expect_exit 0 "$CP" info "$FX/kscrash/macos-x86_64-recrash-old-layout.json"
contains "$T/out" "the original report it was writing"
expect_exit 1 "$CP" convert --to json "$FX/invalid/utf16-le-bom.json"
contains "$T/err" "utf16-le-bom.json:1:1: input is UTF-16 (little-endian byte order mark FF FE); reports are read as UTF-8: convert it first, e.g. with iconv -f UTF-16 -t UTF-8$"
expect_exit 1 "$CP" info "$FX/invalid/top-level-array.json"
contains "$T/err" "top-level-array.json:1:1: expected a report (a JSON object), found an array"

# validate: exit 0 when every report is valid, 1 otherwise; --strict counts warnings
expect_exit 0 "$CP" validate "$FX/kscrash/ios17-oom-memory-termination.json" "$FX/kscrash/stream-three-reports.ndjson"
contains "$T/out" "stream-three-reports.ndjson: report 3: valid (0 errors, 0 warnings)"
expect_exit 1 "$CP" validate --strict "$FX/kscrash/ios12-arm64-nsexception.json"
contains "$T/out" "INVALID (1 errors, 0 warnings)"
expect_exit 1 "$CP" validate "$FX/kscrash/quirks-odd-values.json" "$FX/kscrash/ios17-oom-memory-termination.json"
contains "$T/out" "ios17-oom-memory-termination.json: report 1: valid"
expect_exit 1 "$CP" validate --json "$FX/invalid/bad-escape.json" "$FX/kscrash/truncated-mid-frame.json"
if [ "$(wc -l < "$T/out")" -eq 2 ]; then ok; else bad "validate --json: one line per report"; fi
contains "$T/out" '"valid":false,"errors":1,"warnings":0,"findings":.{"severity":"error","code":"syntax","path":"report.id","line":1,"column":19'
contains "$T/out" '"code":"truncated"'
expect_exit 2 "$CP" validate
# an object that is no crash report is no report: not converted, not valid
expect_exit 1 sh -c "echo '{\"foo\":1}' | \"$CP\" convert --to apple -"
contains "$T/err" "^crashport: -:1:9: not a crash report: the object has no \"report\", \"crash\" or \"recrash_report\" object$"
if [ -s "$T/out" ]; then bad "a non-report was converted"; else ok; fi
expect_exit 1 sh -c "echo '{' | \"$CP\" validate -"
contains "$T/out" "INVALID (input ends before"

# -- minidump ---------------------------------------------------------------------------------
expect_exit 0 "$CP" convert --to minidump -o "$T/a.dmp" "$FX/kscrash/ios17-arm64e-badaccess.json"
same_file "$T/a.dmp" "$FX/expected/ios17-arm64e-badaccess.dmp"
expect_exit 0 "$CP" convert --to minidump "$FX/kscrash/ios17-arm64e-badaccess.json"
same_file "$T/out" "$FX/expected/ios17-arm64e-badaccess.dmp"
expect_exit 0 "$CP" convert --to minidump --minidump-stack=real -o "$T/real.dmp" "$FX/kscrash/ios17-arm64e-badaccess.json"
if cmp -s "$T/real.dmp" "$T/a.dmp"; then bad "--minidump-stack=real changed nothing"; else ok; fi
contains "$T/real.dmp" "crashport.stack"
expect_exit 0 "$CP" convert --to minidump -O stack=real -o "$T/real2.dmp" "$FX/kscrash/ios17-arm64e-badaccess.json"
same_file "$T/real2.dmp" "$T/real.dmp"
expect_exit 2 "$CP" convert --to minidump --minidump-stack=magic "$FX/kscrash/ios17-arm64e-badaccess.json"
contains "$T/err" "unsupported option 'stack=magic'"
expect_exit 1 "$CP" convert --to minidump -o "$T/two.dmp" "$FX/kscrash/stream-two-concatenated.json"
contains "$T/err" "a minidump holds one report"
if [ -e "$T/two.dmp" ]; then bad "partial minidump left behind"; else ok; fi
expect_exit 0 "$CP" convert --to minidump -o "$T/mdd" "$FX/kscrash/ios12-arm64-nsexception.json" "$FX/kscrash/ios18-watchdog-hang.json"
same_file "$T/mdd/ios12-arm64-nsexception.dmp" "$FX/expected/ios12-arm64-nsexception.dmp"
same_file "$T/mdd/ios18-watchdog-hang.dmp" "$FX/expected/ios18-watchdog-hang.dmp"

echo "cli: $n checks, $fails failed"
[ "$fails" -eq 0 ]
