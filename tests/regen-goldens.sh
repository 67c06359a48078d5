#!/bin/sh
# Regenerate fixtures/expected/* (.json, Apple .crash in both styles, .ips, .dmp) from
# fixtures/kscrash with the built CLI.
# This is deliberate: review `git diff fixtures/expected` before committing the result.
# usage: tests/regen-goldens.sh [build/crashport]
set -eu
cli=${1:-build/crashport}
top=$(cd "$(dirname "$0")/.." && pwd)
for f in "$top"/fixtures/kscrash/*.json "$top"/fixtures/kscrash/*.ndjson; do
	stem=$(basename "$f"); stem=${stem%.*}
	"$cli" convert -q --to json -o "$top/fixtures/expected/$stem.json" "$f"
	"$cli" convert -q --to apple -o "$top/fixtures/expected/$stem.crash" "$f"
	"$cli" convert -q --to apple --style kscrash -o "$top/fixtures/expected/$stem.kscrash.crash" "$f"
	"$cli" convert -q --to ips -o "$top/fixtures/expected/$stem.ips" "$f"
	case "$stem" in stream-*) ;; *) # a minidump holds one report
		"$cli" convert -q --to minidump -o "$top/fixtures/expected/$stem.dmp" "$f" ;;
	esac
done
# Apple input (fixtures/apple): what each output makes of it, in fixtures/expected/apple
mkdir -p "$top/fixtures/expected/apple"
for f in "$top"/fixtures/apple/*.ips "$top"/fixtures/apple/*.crash; do
	name=$(basename "$f")
	case "$name" in bug-type-288-*) continue ;; esac # not a crash report: an error, not a golden
	for to in apple ips json; do
		ext=$to; [ "$to" = apple ] && ext=crash
		"$cli" convert -q --to "$to" -o "$top/fixtures/expected/apple/$name.$ext" "$f"
	done
done
# CRPB goldens (hex dumps of stored output) are written by their unit test
check=$(dirname "$cli")/tests/check_crashport
[ -x "$check" ] && CRP_REGEN_GOLDENS=1 CK_RUN_SUITE=crpb CK_FORK=no "$check" >/dev/null
echo "regenerated $(find "$top"/fixtures/expected -type f | wc -l) goldens; review with: git diff fixtures/expected"
