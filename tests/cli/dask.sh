#!/bin/sh
# The --ndjson filter under Dask's distributed scheduler (a real engine, as the README's Spark
# and Hadoop examples are): two worker processes on loopback map 10,000 report lines partition
# by partition through crashport, and the output is one process's (dask_ndjson.py). Skipped
# cleanly when no Python can import Dask's distributed scheduler (Debian: python3-distributed).
# usage: dask.sh path/to/crashport SOURCE_DIR
set -u
CP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$2
. "$(dirname "$0")/lib.sh"
py=""
for p in python3 /usr/bin/python3; do # Debian's package is for Debian's Python
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import dask.bag, distributed' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "skip: Dask's distributed scheduler is not installed (python3-distributed)"
	exit 0
fi
"$py" "$(dirname "$0")/dask_ndjson.py" "$CP" "$SRC/fixtures" "$T" >"$T/dask.out" 2>"$T/dask.err"
got=$?
if [ "$got" -eq 0 ]; then ok; else bad "Dask's output differs from one process's (exit $got)"; tail -20 "$T/dask.err"; fi
cat "$T/dask.out"
echo "cli-dask: $n checks, $fails failed"
[ "$fails" -eq 0 ]
