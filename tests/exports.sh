#!/bin/sh
# The libraries define no name outside the crp_ prefix: the shared library exports only crp_
# symbols (not libiberty's, linked in from its archive), and every global symbol the static
# archive defines is crp_ or crp__ (a static link of it must not clash with the program's own).
# usage: exports.sh LIBCRASHPORT.so LIBCRASHPORT.a
set -u
so=$1
a=$2
command -v nm >/dev/null 2>&1 || { echo "skip: nm not installed"; exit 0; }
fails=0
check() { # check WHAT: names on stdin, each must start with crp_
	bad=$(grep -v '^crp_' | sort -u)
	n=$(printf '%s' "$bad" | grep -c . || true)
	if [ "$n" -eq 0 ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: $n names without the crp_ prefix:"
		echo "$bad" | head -20 | sed 's/^/  /'
		fails=$((fails + 1))
	fi
}
nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | check "$(basename "$so") exports"
# global (upper-case type) definitions of every member of the archive
nm --defined-only "$a" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | check "$(basename "$a") defines"
[ "$fails" -eq 0 ]
