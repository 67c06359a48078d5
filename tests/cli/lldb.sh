#!/bin/sh
# LLDB (`lldb -c DUMP`, `bt all`) walks every thread of crashport's minidumps of the fixtures and
# corpus as the reports' backtraces say, as Breakpad does (lldb_vs_report.py has the rules).
# Skipped cleanly without lldb (lldb-16, or lldb; CRP_LLDB names another) or python3.
# usage: lldb.sh path/to/crashport SOURCE_DIR
set -u
CP=$1
SRC=$2
. "$(dirname "$0")/lib.sh"
LLDB=${CRP_LLDB:-$(command -v lldb-16 || command -v lldb || true)}
if [ -z "$LLDB" ] || ! command -v python3 >/dev/null 2>&1; then
	echo "skip: lldb or python3 not installed"
	exit 0
fi
set -- "$SRC"/fixtures/kscrash/*.json "$SRC"/fixtures/macho/*.json
[ -d "$SRC/../shared/corpus/kscrash" ] && set -- "$@" "$SRC"/../shared/corpus/kscrash/*.json
mkdir -p "$T/dumps"
# a crashing LLDB writes its diagnostics under TMPDIR: keep them in the scratch directory
if TMPDIR=$T python3 "$(dirname "$0")/lldb_vs_report.py" "$CP" "$LLDB" "$T/dumps" "$@" >"$T/lldb.out" 2>&1; then
	ok
else
	bad "LLDB walks differ from the reports"
fi
cat "$T/lldb.out"
echo "cli-lldb: $n checks, $fails failed"
[ "$fails" -eq 0 ]
