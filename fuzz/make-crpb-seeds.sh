#!/bin/sh
# Regenerate the CRPB seed corpus of fuzz/crpb_fuzzer.c from our fixtures, after a change of the
# format. The first byte of a seed is the fuzzer's own (chunk size; high bit: recompute CRCs).
# usage: fuzz/make-crpb-seeds.sh path/to/crashport        (regress-* files are kept)
set -eu
CP=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/fuzz/corpora/crpb
fx=$top/fixtures/kscrash
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
seed() { # seed NAME FIRST_BYTE_OCTAL INPUT OPTIONS...
	name=$1 first=$2 input=$3
	shift 3
	"$CP" convert -q --to crpb "$@" -o "$tmp" "$input"
	printf "\\$first" > "$out/$name.crpb"
	cat "$tmp" >> "$out/$name.crpb"
}
find "$out" -name '*.crpb' ! -name 'regress-*' -delete
seed ancient-2012-nsexception 000 "$fx/ancient-2012-nsexception.json" -O codec=zstd
seed ios17-arm64e-badaccess 045 "$fx/ios17-arm64e-badaccess.json" -O codec=deflate
seed ios18-watchdog-hang 112 "$fx/ios18-watchdog-hang.json" -O codec=none -O schema=inline
seed macos-x86_64-recrash-old-layout 157 "$fx/macos-x86_64-recrash-old-layout.json" -O schema=inline
seed quirks-odd-values 024 "$fx/quirks-odd-values.json"
seed truncated-mid-frame 061 "$fx/truncated-mid-frame.json" -O codec=deflate
seed archive-three 001 "$fx/stream-three-reports.ndjson"
for f in ios17-arm64e-badaccess macos-x86_64-recrash-new-layout quirks-odd-values ios8-user-reported-javascript; do
	seed "stored-$f" 201 "$fx/$f.json" -O codec=none
done
seed stored-inline-ancient 377 "$fx/ancient-2012-nsexception.json" -O codec=none -O schema=inline
