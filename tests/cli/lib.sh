# Shared by the CLI test scripts: a scratch directory $T and check helpers.
T=$(mktemp -d "${TMPDIR:-/tmp}/crashport-cli.XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
# expect_exit CODE CMD...: run, capture stdout/stderr in $T/out, $T/err
expect_exit() {
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "exit $got (want $want): $*"; sed 's/^/  | /' "$T/err" | head -20; fi
}
same_file() { if cmp -s "$1" "$2"; then ok; else bad "$1 differs from $2"; diff "$1" "$2" | head -20; fi; }
contains() { if grep -q -- "$2" "$1"; then ok; else bad "$1 lacks '$2'"; cat "$1"; fi; }
lacks() { if grep -q -- "$2" "$1"; then bad "$1 has '$2'"; else ok; fi; }
no_temporaries() { if ls -a "$1" | grep -q '^\..*\.[A-Za-z0-9]\{6\}$'; then bad "temporary files left in $1"; else ok; fi; }
# count_lines FILE N: the file has exactly N lines
count_lines() { if [ "$(wc -l < "$1")" -eq "$2" ]; then ok; else bad "$1 has $(wc -l < "$1") lines, want $2"; fi; }
# json_lines FILE: every line is one JSON value (checked with python3 when it is installed)
json_lines() {
	command -v python3 >/dev/null || return 0
	if python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"): json.loads(line)' "$1"; then ok; else bad "$1: not one JSON value per line"; fi
}
# json_get FILE EXPR: print a Python expression over the list of JSON lines `L`
json_get() { python3 -c 'import json, sys
L = [json.loads(x) for x in open(sys.argv[1], encoding="utf-8")]
print(eval(sys.argv[2]))' "$1" "$2"; }
