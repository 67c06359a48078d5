#!/bin/sh
# Batch and pipeline conversion end to end: directory trees under -j2, skip/--force, name
# collisions, --report, --fail-fast, limits, Ctrl-C; --ndjson alone, under GNU parallel --pipe,
# and xargs -P. usage: batch.sh path/to/crashport SOURCE_DIR
set -u
CP=$1
SRC=$2
FX=$SRC/fixtures
K=$FX/kscrash
EX=$FX/expected
. "$(dirname "$0")/lib.sh"
have_python=$(command -v python3 || true)

# -- a mixed tree: good, truncated, invalid, huge, and files a walk must leave alone -----------
mkdir -p "$T/in/sub/deeper" "$T/in/.hidden" "$T/in/skipme"
cp "$K/ios12-arm64-nsexception.json" "$T/in/a.json"
cp "$K/ios18-watchdog-hang.json" "$T/in/a.ndjson"              # same stem: becomes a-2.json
cp "$K/truncated-mid-frame.json" "$T/in/sub/truncated.json"
cp "$FX/invalid/missing-colon.json" "$T/in/sub/bad.json"
cp "$K/stream-three-reports.ndjson" "$T/in/sub/deeper/three.ndjson"
cp "$K/ios17-arm64e-badaccess.json" "$T/in/.hidden/h.json"
cp "$K/ios17-arm64e-badaccess.json" "$T/in/skipme/s.json"
cp "$K/ios17-arm64e-badaccess.json" "$T/in/notes.txt"
blob() { head -c "$1" /dev/zero | tr '\0' x; }
{ printf '{"report":{"id":"HUGE","type":"standard"},"user":{"blob":"'; blob 6000000
  printf '"},"crash":{"error":{"type":"signal","signal":{"signal":6}}}}\n'; } > "$T/in/huge.json"
{ printf '{"report":{"id":"HUGER","type":"standard"},"user":{"blob":"'; blob 17000000
  printf '"}}\n'; } > "$T/in/huge-string.json"                 # over the 16 MiB string limit

expect_exit 1 "$CP" convert --to json -j2 --exclude skipme --report "$T/rep2.jsonl" -o "$T/out2" "$T/in"
cp "$T/err" "$T/err2"
same_file "$T/out2/a.json" "$EX/ios12-arm64-nsexception.json"
same_file "$T/out2/a-2.json" "$EX/ios18-watchdog-hang.json"
same_file "$T/out2/sub/truncated.json" "$EX/truncated-mid-frame.json"
same_file "$T/out2/sub/deeper/three.json" "$EX/stream-three-reports.json"
contains "$T/out2/huge.json" '"id": "HUGE"'
if [ "$(find "$T/out2" -type f | wc -l)" -eq 5 ]; then ok; else bad "out2: $(find "$T/out2" -type f)"; fi
if [ -z "$(find "$T/out2" -name '.*')" ]; then ok; else bad "hidden or temporary files in out2"; fi
contains "$T/err2" "^crashport: $T/in/sub/bad.json:2:21: report.id: parse error"
contains "$T/err2" "^crashport: $T/in/huge-string.json:1:[0-9]*: user.blob: .*16777216"
contains "$T/err2" "^crashport: 5 converted, 2 failed of 7 inputs; 7 reports, "
count_lines "$T/rep2.jsonl" 7
json_lines "$T/rep2.jsonl"
if [ -n "$have_python" ]; then
	got=$(json_get "$T/rep2.jsonl" '" ".join(x["path"].split("/in/")[1] + "=" + x["status"] for x in L)')
	want="a.json=converted a.ndjson=converted huge-string.json=failed huge.json=converted sub/bad.json=failed sub/deeper/three.ndjson=converted sub/truncated.json=converted"
	if [ "$got" = "$want" ]; then ok; else bad "report order/status: $got"; fi
	got=$(json_get "$T/rep2.jsonl" 'L[4]["error"]["code"], L[4]["error"]["path"], L[4]["error"]["line"], L[4]["error"]["column"], L[4]["output"]')
	if [ "$got" = "('syntax', 'report.id', 2, 21, None)" ]; then ok; else bad "report error: $got"; fi
	got=$(json_get "$T/rep2.jsonl" 'L[6]["warnings"][0]["code"], L[6]["warning_count"] == len(L[6]["warnings"]), L[5]["reports"], L[1]["output"].endswith("/out2/a-2.json")')
	if [ "$got" = "('truncated', True, 3, True)" ]; then ok; else bad "report warnings: $got"; fi
fi

# -j1 makes the same files, messages and report (timings aside)
expect_exit 1 "$CP" convert --to json -j1 --exclude skipme --report "$T/rep1.jsonl" -o "$T/out1" "$T/in"
if diff -r "$T/out1" "$T/out2" >/dev/null; then ok; else bad "-j1 and -j2 outputs differ"; fi
sed "s|$T/out1|OUT|g; s|[0-9.]* s (.*||" "$T/err" > "$T/e1"
sed "s|$T/out2|OUT|g; s|[0-9.]* s (.*||" "$T/err2" > "$T/e2"
same_file "$T/e1" "$T/e2"
sed 's/"seconds":[0-9.]*//; s|/out[12]/|/OUT/|' "$T/rep1.jsonl" > "$T/r1"
sed 's/"seconds":[0-9.]*//; s|/out[12]/|/OUT/|' "$T/rep2.jsonl" > "$T/r2"
same_file "$T/r1" "$T/r2"

# -- a second run skips what exists; --force replaces -----------------------------------------
printf 'old' > "$T/out2/a.json"
expect_exit 1 "$CP" convert --to json -j2 --exclude skipme -o "$T/out2" "$T/in"
contains "$T/err" "5 skipped (output exists; --force replaces)"
if [ "$(cat "$T/out2/a.json")" = old ]; then ok; else bad "an existing output was replaced without --force"; fi
expect_exit 0 "$CP" convert --to json --force -o "$T/out2" "$T/in/a.json" "$T/in/sub/deeper/three.ndjson"
same_file "$T/out2/a.json" "$EX/ios12-arm64-nsexception.json"
contains "$T/err" "2 converted, 0 failed of 2 inputs"

# -- include/exclude globs ------------------------------------------------------------------
expect_exit 0 "$CP" convert --to json -q --include '*.ndjson' -o "$T/out3" "$T/in"
if [ "$(cd "$T/out3" && find . -type f | sort | tr '\n' ' ')" = "./a.json ./sub/deeper/three.json " ]; then ok
else bad "--include: $(cd "$T/out3" && find . -type f)"; fi
expect_exit 0 "$CP" convert --to json -q --exclude 'sub/*' --exclude 'huge*' --exclude skipme -o "$T/out4" "$T/in"
if [ "$(cd "$T/out4" && find . -type f | sort | tr '\n' ' ')" = "./a-2.json ./a.json " ]; then ok
else bad "--exclude: $(cd "$T/out4" && find . -type f)"; fi
expect_exit 1 "$CP" convert --to json --include '*.nothing' -o "$T/out5" "$T/in"
contains "$T/err" "no input found"
# the output directory inside the input tree is not read back as input
mkdir -p "$T/self" && cp "$K/ios12-arm64-nsexception.json" "$T/self/x.json"
expect_exit 0 "$CP" convert --to json -q -o "$T/self/out" "$T/self"
expect_exit 0 "$CP" convert --to json --force -o "$T/self/out" "$T/self"
contains "$T/err" "1 converted, 0 failed of 1 inputs"

# -- a directory that cannot be read is a failed input: in the log, the summary and --report --
mkdir -p "$T/lock/ok" "$T/lock/shut"
cp "$K/ios12-arm64-nsexception.json" "$T/lock/ok/a.json"
cp "$K/ios12-arm64-nsexception.json" "$T/lock/shut/b.json"
chmod 000 "$T/lock/shut"
runner=""
if [ "$(id -u)" -eq 0 ]; then # root reads anything: drop that power for this run
	nodac="setpriv --bounding-set=-dac_override,-dac_read_search"
	if command -v setpriv >/dev/null 2>&1 && $nodac true 2>/dev/null; then runner=$nodac; else runner=skip; fi
fi
if [ "$runner" = skip ]; then
	echo "skip: unreadable directories (root without setpriv)"
else
	# shellcheck disable=SC2086
	expect_exit 1 $runner "$CP" convert --to json --report "$T/lock.jsonl" -o "$T/lock-out" "$T/lock"
	contains "$T/err" "^crashport: $T/lock/shut: cannot read directory: Permission denied$"
	contains "$T/err" "1 converted, 1 failed of 2 inputs"
	count_lines "$T/lock.jsonl" 2
	contains "$T/lock.jsonl" "^{\"path\":\"$T/lock/shut\",\"status\":\"failed\",\"output\":null,.*\"error\":{\"code\":\"io\",\"message\":\"cannot read directory: Permission denied\""
	same_file "$T/lock-out/ok/a.json" "$EX/ios12-arm64-nsexception.json"
fi
chmod 755 "$T/lock/shut"

# -- --fail-fast: nothing new starts after a failure ----------------------------------------
expect_exit 1 "$CP" convert --to json -j1 --fail-fast --report "$T/ff.jsonl" -o "$T/ff" \
	"$T/in/sub/bad.json" "$T/in/a.json" "$T/in/a.ndjson"
contains "$T/err" "0 converted, 1 failed, 2 not started of 3 inputs"
if [ -n "$have_python" ]; then
	got=$(json_get "$T/ff.jsonl" '[x["status"] for x in L]')
	if [ "$got" = "['failed', 'cancelled', 'cancelled']" ]; then ok; else bad "fail-fast report: $got"; fi
fi
if [ -z "$(ls "$T/ff")" ]; then ok; else bad "fail-fast wrote $(ls "$T/ff")"; fi

# -- options ---------------------------------------------------------------------------------
expect_exit 2 "$CP" convert --to json -j 0 -o "$T/o" "$T/in"
expect_exit 2 "$CP" convert --to json --progress=fancy -o "$T/o" "$T/in"
expect_exit 2 "$CP" convert --to json --limit depth=-1 "$T/in/a.json"
expect_exit 1 "$CP" convert --to json --limit report-bytes=1k "$T/in/a.json"
contains "$T/err" "report larger than 1024 bytes"
expect_exit 0 "$CP" convert --to json --progress=bar -o "$T/o6" "$T/in/a.json" "$T/in/a.ndjson"
contains "$T/err" "ETA"
expect_exit 0 "$CP" convert --to json -o "$T/o7" "$T/in/a.json" "$T/in/a.ndjson"
lacks "$T/err" "ETA"
expect_exit 0 "$CP" convert --to json -q -o "$T/o8" "$T/in/a.json" "$T/in/a.ndjson"
if [ -s "$T/err" ]; then bad "-q printed: $(cat "$T/err")"; else ok; fi

# -- Ctrl-C: stop, remove temporaries, keep finished outputs, exit 130 (143 for SIGTERM) ----
# A FIFO holds one input open after its first report, so its output is mid-write.
interrupt_test() {
	sig=$1 want=$2 dir=$T/int$1
	mkfifo "$T/fifo$sig"
	"$CP" convert --to json -j2 --report "$dir.jsonl" -o "$dir" "$T/in/a.json" "$T/fifo$sig" \
		"$T/in/a.ndjson" >"$T/out" 2>"$T/err" &
	pid=$!
	exec 7>"$T/fifo$sig"
	head -n 1 "$K/stream-three-reports.ndjson" >&7
	i=0
	while [ "$i" -lt 100 ] && ! ls -a "$dir" 2>/dev/null | grep -q '^\.fifo'; do sleep 0.05; i=$((i + 1)); done
	if [ "$i" -lt 100 ]; then ok; else bad "no temporary output appeared"; fi
	kill -"$sig" "$pid"
	wait "$pid"
	got=$?
	exec 7>&-
	if [ "$got" -eq "$want" ]; then ok; else bad "SIG$sig: exit $got, want $want"; fi
	no_temporaries "$dir"
	if [ -e "$dir/fifo$sig.json" ]; then bad "partial output after SIG$sig"; else ok; fi
	same_file "$dir/a.json" "$EX/ios12-arm64-nsexception.json"
	contains "$T/err" "interrupted: "
	contains "$dir.jsonl" "\"status\":\"interrupted\""
}
interrupt_test INT 130
interrupt_test TERM 143
# one input blocked on a read (stdin from a writer that writes nothing): Ctrl-C wakes the read
# at once (no forced exit after the grace period) and the summary says what was left
mkfifo "$T/silent"
"$CP" convert --to apple - <"$T/silent" >"$T/out" 2>"$T/err" &
pid=$!
exec 7>"$T/silent"
sleep 0.3
kill -INT "$pid"
wait "$pid"
got=$?
exec 7>&-
if [ "$got" -eq 130 ]; then ok; else bad "Ctrl-C on a blocked read: exit $got, want 130"; fi
lacks "$T/err" "did not stop in time"
contains "$T/err" "^crashport: interrupted: 0 converted, 0 failed, 1 "

# -- pipeline mode: stdin lines to stdout lines, in order -----------------------------------
for f in ios12-arm64-nsexception ios18-watchdog-hang ios17-arm64e-badaccess; do
	"$CP" convert -q --to json -O indent=0 "$K/$f.json"
done > "$T/lines"
{ head -n 2 "$T/lines"; echo; echo 'not json'; printf '%s %s\n' "$(head -n 1 "$T/lines")" "$(head -n 1 "$T/lines")"
  printf '%s\r\n' "$(sed -n 3p "$T/lines")"; printf '%s' "$(head -n 1 "$T/lines")"; } > "$T/mixed.ndjson"
expect_exit 0 sh -c "\"$CP\" convert --to json --ndjson < \"$T/mixed.ndjson\""
cp "$T/out" "$T/nd1"
count_lines "$T/nd1" 7
json_lines "$T/nd1"
if [ -n "$have_python" ]; then
	got=$(json_get "$T/nd1" '" ".join("%d:%s" % (x["line"], x["status"]) for x in L)')
	if [ "$got" = "1:ok 2:ok 3:error 4:error 5:error 6:ok 7:ok" ]; then ok; else bad "ndjson statuses: $got"; fi
	got=$(json_get "$T/nd1" 'L[0]["report"]["report"]["id"], L[2]["error"]["code"], L[3]["error"]["code"], L[3]["error"]["line"], L[4]["error"]["message"]')
	want="('6A5B4C3D-2E1F-4A0B-9C8D-7E6F5A4B3C2D', 'empty', 'syntax', 4, 'input holds 2 reports; expected one')"
	if [ "$got" = "$want" ]; then ok; else bad "ndjson details: $got"; fi
fi
# the embedded report is exactly what convert writes for that input
head -n 1 "$T/nd1" | sed 's/^{"line":1,"status":"ok","warnings":\[\],"report"://; s/}$//' > "$T/emb"
head -n 1 "$T/lines" > "$T/first"
same_file "$T/emb" "$T/first"
expect_exit 0 sh -c "\"$CP\" convert --to json --ndjson -j2 < \"$T/mixed.ndjson\""
same_file "$T/out" "$T/nd1"
# binary formats travel as base64: decoded, they are the file convert writes
if [ -n "$have_python" ] && [ -f "$EX/ios17-arm64e-badaccess.dmp" ]; then
	sed -n 3p "$T/lines" | "$CP" convert --to minidump --ndjson > "$T/nd-md"
	python3 -c 'import base64, json, sys
sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["base64"]))' "$T/nd-md" > "$T/nd.dmp"
	same_file "$T/nd.dmp" "$EX/ios17-arm64e-badaccess.dmp"
fi
# text formats travel as a JSON string: decoded, it is the file convert writes
if [ -n "$have_python" ] && "$CP" convert --help | grep -q ' apple'; then
	sed -n 3p "$T/lines" | "$CP" convert --to apple --ndjson > "$T/nd-apple"
	python3 -c 'import json, sys
sys.stdout.write(json.load(open(sys.argv[1]))["text"])' "$T/nd-apple" > "$T/nd.crash"
	"$CP" convert --to apple -o "$T/direct.crash" "$K/ios17-arm64e-badaccess.json"
	same_file "$T/nd.crash" "$T/direct.crash"
fi
# engines (Spark RDD.pipe, Hadoop Streaming) need: exit 0 with bad records, nothing for nothing
expect_exit 0 sh -c "printf 'garbage\n' | \"$CP\" convert --to json --ndjson"
count_lines "$T/out" 1
contains "$T/out" '"status":"error"'
expect_exit 0 sh -c "\"$CP\" convert --to json --ndjson < /dev/null"
if [ -s "$T/out" ]; then bad "output for empty input"; else ok; fi
expect_exit 2 "$CP" convert --to json --ndjson "$T/in/a.json"

# an over-long line is an error line, read through without being kept: memory stays bounded
{ printf '{"report":{"id":"'; blob 50000000; printf '"}}\n'; head -n 1 "$T/lines"; } > "$T/long.ndjson"
if [ -n "$have_python" ]; then
	rss=$(python3 -c 'import resource, subprocess, sys
subprocess.run([sys.argv[1], "convert", "--to", "json", "--ndjson", "--limit", "report-bytes=1M"],
               stdin=open(sys.argv[2], "rb"), stdout=open(sys.argv[3], "wb"), check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$CP" "$T/long.ndjson" "$T/out")
	if [ "${CRP_SANITIZED:-0}" = 1 ] || [ "$rss" -lt 30 ]; then ok; else bad "ndjson peak memory $rss MiB on a 50 MB line"; fi
	got=$(json_get "$T/out" '[(x["status"], x.get("error", {}).get("code")) for x in L]')
	if [ "$got" = "[('error', 'limit'), ('ok', None)]" ]; then ok; else bad "long line: $got"; fi
fi

# GNU parallel --pipe: chunks of lines to several processes, -k keeps the order
if command -v parallel >/dev/null; then
	expect_exit 0 sh -c "parallel --pipe -N 2 -k -j 2 \"$CP\" convert --to json --ndjson < \"$T/mixed.ndjson\""
	count_lines "$T/out" 7
	sed 's/"line":[0-9]*//g' "$T/out" > "$T/p1"
	sed 's/"line":[0-9]*//g' "$T/nd1" > "$T/p2"
	same_file "$T/p1" "$T/p2"
else
	echo "skip: GNU parallel not installed"
fi
# xargs -P: files in, a directory out
expect_exit 0 sh -c "find \"$T/in\" -maxdepth 1 -name '*.json' ! -name 'huge-*' -type f -print0 | sort -z |
	xargs -0 -P 2 -n 1 \"$CP\" convert -q --to json -o \"$T/xo/\""
same_file "$T/xo/a.json" "$EX/ios12-arm64-nsexception.json"
same_file "$T/xo/huge.json" "$T/out2/huge.json"

echo "cli-batch: $n checks, $fails failed"
[ "$fails" -eq 0 ]
